//! Campaigns and reporting units.

use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

use super::{Result, parse_ts, ts};

// ---------------------------------------------------------------- campaigns

#[derive(Debug, Clone)]
pub struct Campaign {
    pub id: i64,
    pub code: String,
    pub deadline: DateTime<Utc>,
}

/// The campaign row of a form code, created with `deadline` the first time.
pub async fn ensure_campaign(
    conn: &mut SqliteConnection,
    code: &str,
    name: &str,
    deadline: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Campaign> {
    sqlx::query("INSERT INTO campaigns (code, name, deadline_utc, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (code) DO NOTHING")
        .bind(code)
        .bind(name)
        .bind(ts(deadline))
        .bind(ts(now))
        .execute(&mut *conn)
        .await
        .context("creating campaign")?;
    let (id, deadline): (i64, String) = sqlx::query_as("SELECT id, deadline_utc FROM campaigns WHERE code = ?")
        .bind(code)
        .fetch_one(&mut *conn)
        .await
        .context("reading campaign")?;
    let deadline = parse_ts(&deadline).context("campaign deadline is not a timestamp")?;
    Ok(Campaign {
        id,
        code: code.to_owned(),
        deadline,
    })
}

pub async fn campaign_by_id(conn: &mut SqliteConnection, id: i64) -> Result<Campaign> {
    let (code, deadline): (String, String) = sqlx::query_as("SELECT code, deadline_utc FROM campaigns WHERE id = ?")
        .bind(id)
        .fetch_one(conn)
        .await
        .context("reading campaign")?;
    let deadline = parse_ts(&deadline).context("campaign deadline is not a timestamp")?;
    Ok(Campaign { id, code, deadline })
}

pub async fn set_deadline(conn: &mut SqliteConnection, campaign: i64, deadline: DateTime<Utc>) -> Result<()> {
    sqlx::query("UPDATE campaigns SET deadline_utc = ? WHERE id = ?")
        .bind(ts(deadline))
        .bind(campaign)
        .execute(conn)
        .await
        .context("changing deadline")?;
    Ok(())
}

/// The merged report's number and date as the board set them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportRef {
    pub number: Option<String>,
    pub date: Option<chrono::NaiveDate>,
}

pub async fn report_ref(conn: &mut SqliteConnection, campaign: i64) -> Result<ReportRef> {
    let row: Option<(Option<String>, Option<String>)> =
        sqlx::query_as("SELECT report_number, report_date FROM campaign_report WHERE campaign_id = ?")
            .bind(campaign)
            .fetch_optional(conn)
            .await
            .context("reading the report number")?;
    let Some((number, date)) = row else {
        return Ok(ReportRef::default());
    };
    Ok(ReportRef {
        number,
        date: date.and_then(|d| chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()),
    })
}

/// Sets the number and/or the date; a `None` keeps what is stored.
pub async fn set_report_ref(
    conn: &mut SqliteConnection,
    campaign: i64,
    number: Option<&str>,
    date: Option<chrono::NaiveDate>,
    now: DateTime<Utc>,
) -> Result<()> {
    let date = date.map(|d| d.format("%Y-%m-%d").to_string());
    sqlx::query(
        "INSERT INTO campaign_report (campaign_id, report_number, report_date, updated_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (campaign_id) DO UPDATE SET
           report_number = COALESCE(?2, report_number), report_date = COALESCE(?3, report_date), updated_at = ?4",
    )
    .bind(campaign)
    .bind(number)
    .bind(date)
    .bind(ts(now))
    .execute(conn)
    .await
    .context("saving the report number")?;
    Ok(())
}

// ---------------------------------------------------------------- units

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Unit {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub commune: bool,
    pub cell_types: String,
}

impl Unit {
    pub fn default_cell_types(&self) -> Vec<String> {
        self.cell_types
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect()
    }
    pub fn is_chi_bo(&self) -> bool {
        self.kind == "chi_bo"
    }
}

pub struct NewUnit<'a> {
    /// Position in the imported list; units are listed in this order.
    pub ordinal: i64,
    pub code: &'a str,
    pub name: &'a str,
    pub kind: &'a str,
    pub commune: bool,
    pub cell_types: &'a str,
}

/// Inserts or updates a unit by code; returns true when it was new.
pub async fn upsert_unit(conn: &mut SqliteConnection, u: &NewUnit<'_>, now: DateTime<Utc>) -> Result<bool> {
    let existed: Option<i64> = sqlx::query_scalar("SELECT id FROM units WHERE code = ?")
        .bind(u.code)
        .fetch_optional(&mut *conn)
        .await
        .context("looking up unit")?;
    sqlx::query(
        "INSERT INTO units (code, name, kind, commune, cell_types, created_at, updated_at, ordinal) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (code) DO UPDATE SET name = excluded.name, kind = excluded.kind, commune = excluded.commune,
         cell_types = excluded.cell_types, updated_at = excluded.updated_at, ordinal = excluded.ordinal",
    )
    .bind(u.code)
    .bind(u.name)
    .bind(u.kind)
    .bind(u.commune)
    .bind(u.cell_types)
    .bind(ts(now))
    .bind(ts(now))
    .bind(u.ordinal)
    .execute(&mut *conn)
    .await
    .context("saving unit")?;
    Ok(existed.is_none())
}

/// The next free position at the end of the unit list.
pub async fn next_unit_ordinal(conn: &mut SqliteConnection) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COALESCE(MAX(ordinal), 0) + 1 FROM units")
        .fetch_one(conn)
        .await
        .context("reading the unit order")?)
}

/// Every unit, in the order of the imported list.
pub async fn units(conn: &mut SqliteConnection) -> Result<Vec<Unit>> {
    Ok(
        sqlx::query_as("SELECT id, code, name, kind, commune, cell_types FROM units ORDER BY ordinal, code")
            .fetch_all(conn)
            .await
            .context("listing units")?,
    )
}

pub async fn unit_by_id(conn: &mut SqliteConnection, id: i64) -> Result<Option<Unit>> {
    Ok(
        sqlx::query_as("SELECT id, code, name, kind, commune, cell_types FROM units WHERE id = ?")
            .bind(id)
            .fetch_optional(conn)
            .await
            .context("reading unit")?,
    )
}

pub async fn unit_by_code(conn: &mut SqliteConnection, code: &str) -> Result<Option<Unit>> {
    Ok(
        sqlx::query_as("SELECT id, code, name, kind, commune, cell_types FROM units WHERE code = ? COLLATE NOCASE")
            .bind(code)
            .fetch_optional(conn)
            .await
            .context("reading unit")?,
    )
}
