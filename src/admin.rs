//! Administrator operations shared by the command line and the console demo.

use std::io::Read;

use anyhow::{Context, bail};
use chrono::{DateTime, Duration, Utc};

use crate::domain::{self, clean_text};
use crate::form::Form;
use crate::store::{self, NewUnit, Store};

/// The sample list of Phong Thổ's base organisations shipped for the demo.
pub const SAMPLE_UNITS_CSV: &str = include_str!("form/phong_tho_units.csv");

#[derive(Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub added: usize,
    pub updated: usize,
}

#[derive(Debug, serde::Deserialize)]
struct UnitLine {
    code: String,
    name: String,
    cell_types: String,
}

/// A chi bộ cơ sở when the name says "Chi bộ …"; otherwise a đảng bộ cơ sở.
pub fn unit_kind(name: &str) -> (&'static str, bool) {
    let lower = name.to_lowercase();
    let kind = if lower.starts_with("chi bộ") {
        "chi_bo"
    } else {
        "dang_bo"
    };
    let commune = lower.contains(" xã ") || lower.contains("thị trấn");
    (kind, commune)
}

/// Imports `code,name,cell_types` (types separated by `;`); re-importing updates by code.
/// Every line is checked before anything is written.
pub async fn import_units(
    store: &Store,
    form: &Form,
    input: impl Read,
    now: DateTime<Utc>,
) -> anyhow::Result<ImportReport> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(input);
    let mut lines = Vec::new();
    for (i, rec) in reader.deserialize::<UnitLine>().enumerate() {
        let line = i + 2;
        let mut u: UnitLine = rec.with_context(|| format!("line {line}: expected code,name,cell_types"))?;
        u.code = u.code.to_lowercase();
        u.name = clean_text(&u.name);
        if u.code.is_empty()
            || !u
                .code
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            bail!("line {line}: unit code «{}» must be letters, digits, _ or -", u.code);
        }
        if u.name.is_empty() {
            bail!("line {line}: unit {} has no name", u.code);
        }
        let mut types = Vec::new();
        for t in u.cell_types.split(';').map(str::trim).filter(|t| !t.is_empty()) {
            let Some(ct) = form.cell_type(t) else {
                let known: Vec<&str> = form.cell_types.iter().map(|c| c.code.as_str()).collect();
                bail!("line {line}: unknown cell type «{t}» (known: {})", known.join(", "));
            };
            types.push(ct.code.clone());
        }
        if types.is_empty() {
            bail!("line {line}: unit {} has no cell type", u.code);
        }
        u.cell_types = types.join(";");
        if lines.iter().any(|l: &UnitLine| l.code == u.code) {
            bail!("line {line}: unit code {} appears twice", u.code);
        }
        lines.push(u);
    }
    let mut tx = store.begin().await?;
    let mut report = ImportReport::default();
    // The list's order after every unit already there: re-importing a list puts its units
    // in its order.
    let base = store::next_unit_ordinal(&mut tx).await?;
    for (i, u) in lines.iter().enumerate() {
        let (kind, commune) = unit_kind(&u.name);
        let new = store::upsert_unit(
            &mut tx,
            &NewUnit {
                ordinal: base + i as i64,
                code: &u.code,
                name: &u.name,
                kind,
                commune,
                cell_types: &u.cell_types,
            },
            now,
        )
        .await?;
        if new {
            report.added += 1;
        } else {
            report.updated += 1;
        }
    }
    tx.commit().await.context("committing unit import")?;
    Ok(report)
}

#[derive(Debug, Clone)]
pub struct NewInvite {
    pub code: String,
    pub unit_name: Option<String>,
    pub role: String,
    pub expires: DateTime<Utc>,
}

/// Creates a single-use invite for a unit's secretary or a board member.
pub async fn create_invite(
    store: &Store,
    unit_code: Option<&str>,
    role: &str,
    ttl_days: i64,
    now: DateTime<Utc>,
) -> anyhow::Result<NewInvite> {
    if role != "secretary" && role != "board" {
        bail!("role must be secretary or board");
    }
    let mut tx = store.begin().await?;
    let unit = match unit_code {
        Some(c) => Some(
            store::unit_by_code(&mut tx, c)
                .await?
                .with_context(|| format!("no unit with code «{c}»"))?,
        ),
        None if role == "secretary" => bail!("a secretary invite needs a unit code"),
        None => None,
    };
    let code = domain::new_invite_code();
    let expires = now + Duration::days(ttl_days);
    store::insert_invite(&mut tx, &code, unit.as_ref().map(|u| u.id), role, now, expires).await?;
    tx.commit().await.context("committing invite")?;
    Ok(NewInvite {
        code,
        unit_name: unit.map(|u| u.name),
        role: role.to_owned(),
        expires,
    })
}

#[derive(Debug, Clone)]
pub struct UnitStatus {
    pub code: String,
    pub name: String,
    pub status: store::Status,
    pub started: bool,
    pub submitted_at: Option<DateTime<Utc>>,
    pub secretaries: Vec<String>,
    /// Messages to the unit's secretaries the bot gave up on.
    pub undelivered: usize,
}

/// Every unit with its report status in the campaign.
pub async fn unit_statuses(store: &Store, campaign: i64) -> anyhow::Result<Vec<UnitStatus>> {
    let mut conn = store.conn().await?;
    let mut out = Vec::new();
    let undelivered: std::collections::HashMap<i64, usize> =
        store::undelivered_by_unit(&mut conn, None).await?.into_iter().collect();
    for u in store::units(&mut conn).await? {
        let r = store::report(&mut conn, campaign, u.id).await?;
        let started = store::has_report(&mut conn, campaign, u.id).await?;
        let secretaries = store::members_of_unit(&mut conn, u.id)
            .await?
            .into_iter()
            .map(|m| m.display_name)
            .collect();
        out.push(UnitStatus {
            code: u.code,
            name: u.name,
            status: r.status,
            started,
            submitted_at: r.submitted_at,
            secretaries,
            undelivered: undelivered.get(&u.id).copied().unwrap_or(0),
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------- operations

/// The file behind a `DATABASE_URL` (`sqlite://path`, `sqlite:path` or a plain path).
pub fn database_path(url: &str) -> &str {
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    path.split('?').next().unwrap_or(path)
}

/// Opens the database for an operation on existing data: unlike the bot, it never creates
/// an empty database (a backup or a member list of a mistyped path would mislead).
pub async fn open_existing(url: &str) -> anyhow::Result<Store> {
    let path = database_path(url);
    if !std::path::Path::new(path).is_file() {
        bail!("there is no database at {path} (check DATABASE_URL)");
    }
    Store::open(url).await.context("opening the database")
}

/// `1234` -> `1.2 KB`, for the backup message.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["bytes", "KB", "MB", "GB"];
    let mut v = bytes as f64;
    let mut i = 0;
    while v >= 1024.0 && i + 1 < UNITS.len() {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{v:.1} {}", UNITS[i])
    }
}

/// The header of `members list`, aligned with [`member_line`].
pub fn member_header() -> String {
    format!(
        "{:>6}  {:<9}  {:<14}  {:<30}  {:>14}  {:<10}  status",
        "id", "role", "unit", "name", "chat id", "registered"
    )
}

/// One line of `members list`: dates are days in the campaign's time zone.
pub fn member_line(m: &store::ops::MemberListing, tz: chrono_tz::Tz) -> String {
    let day = |t: DateTime<Utc>| domain::format_date(t.with_timezone(&tz).date_naive());
    let mut status = Vec::new();
    if let Some(t) = m.removed_at {
        status.push(format!("removed {}", day(t)));
    }
    if let Some(t) = m.unreachable_at {
        status.push(format!("unreachable {}", day(t)));
    }
    let status = if status.is_empty() {
        "active".to_owned()
    } else {
        status.join(", ")
    };
    format!(
        "{:>6}  {:<9}  {:<14}  {:<30}  {:>14}  {:<10}  {status}",
        m.id,
        m.role,
        m.unit_code.as_deref().unwrap_or("—"),
        m.display_name,
        m.chat_id,
        day(m.registered_at)
    )
}
