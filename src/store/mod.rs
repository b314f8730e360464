//! SQLite through sqlx: one file, WAL, foreign keys, migrations applied at start.
//! Every function takes a connection (usually a write transaction) so the engine can put
//! an answer, the conversation state and the outgoing messages in one commit.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqliteConnection, SqlitePool, Transaction};

pub type Tx = Transaction<'static, Sqlite>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::Unexpected(anyhow::Error::new(e))
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
}

impl Store {
    /// Opens (creating if missing) the database at `url` (`sqlite://path` or a plain path)
    /// and applies the migrations.
    pub async fn open(url: &str) -> Result<Store> {
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        if let Some(dir) = Path::new(path).parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).with_context(|| format!("creating folder {}", dir.display()))?;
        }
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{path}"))
            .context("parsing DATABASE_URL")?
            .create_if_missing(true)
            .foreign_keys(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .with_context(|| format!("opening database {path}"))?;
        sqlx::migrate!("./migrations")
            .run(&pool)
            .await
            .context("applying migrations")?;
        Ok(Store { pool })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// A pooled connection for reads outside a transaction.
    pub async fn conn(&self) -> Result<sqlx::pool::PoolConnection<Sqlite>> {
        Ok(self.pool.acquire().await.context("opening a connection")?)
    }

    /// A write transaction that takes the write lock at once (no upgrade deadlocks).
    pub async fn begin(&self) -> Result<Tx> {
        Ok(self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .context("starting a write transaction")?)
    }
}

pub fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub fn parse_ts(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&Utc))
}

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
        "INSERT INTO units (code, name, kind, commune, cell_types, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (code) DO UPDATE SET name = excluded.name, kind = excluded.kind, commune = excluded.commune,
         cell_types = excluded.cell_types, updated_at = excluded.updated_at",
    )
    .bind(u.code)
    .bind(u.name)
    .bind(u.kind)
    .bind(u.commune)
    .bind(u.cell_types)
    .bind(ts(now))
    .bind(ts(now))
    .execute(&mut *conn)
    .await
    .context("saving unit")?;
    Ok(existed.is_none())
}

pub async fn units(conn: &mut SqliteConnection) -> Result<Vec<Unit>> {
    Ok(
        sqlx::query_as("SELECT id, code, name, kind, commune, cell_types FROM units ORDER BY code")
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

// ---------------------------------------------------------------- members

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Member {
    pub id: i64,
    pub user_id: i64,
    pub chat_id: i64,
    pub display_name: String,
    pub role: String,
    pub unit_id: Option<i64>,
    pub unreachable_at: Option<String>,
}

impl Member {
    pub fn is_board(&self) -> bool {
        self.role == "board"
    }
}

pub async fn member_by_user(conn: &mut SqliteConnection, user_id: i64) -> Result<Option<Member>> {
    Ok(sqlx::query_as(
        "SELECT id, user_id, chat_id, display_name, role, unit_id, unreachable_at FROM members WHERE user_id = ?",
    )
    .bind(user_id)
    .fetch_optional(conn)
    .await
    .context("reading member")?)
}

pub async fn members_of_unit(conn: &mut SqliteConnection, unit_id: i64) -> Result<Vec<Member>> {
    Ok(sqlx::query_as(
        "SELECT id, user_id, chat_id, display_name, role, unit_id, unreachable_at FROM members WHERE unit_id = ? AND role = 'secretary' ORDER BY id",
    )
    .bind(unit_id)
    .fetch_all(conn)
    .await
    .context("listing unit members")?)
}

pub async fn board_members(conn: &mut SqliteConnection) -> Result<Vec<Member>> {
    Ok(sqlx::query_as(
        "SELECT id, user_id, chat_id, display_name, role, unit_id, unreachable_at FROM members WHERE role = 'board' ORDER BY id",
    )
    .fetch_all(conn)
    .await
    .context("listing board members")?)
}

/// Registers (or re-binds) a Telegram user; returns the member id.
pub async fn upsert_member(
    conn: &mut SqliteConnection,
    user_id: i64,
    chat_id: i64,
    name: &str,
    role: &str,
    unit_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO members (user_id, chat_id, display_name, role, unit_id, created_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (user_id) DO UPDATE SET chat_id = excluded.chat_id, display_name = excluded.display_name,
         role = excluded.role, unit_id = excluded.unit_id, unreachable_at = NULL
         RETURNING id",
    )
    .bind(user_id)
    .bind(chat_id)
    .bind(name)
    .bind(role)
    .bind(unit_id)
    .bind(ts(now))
    .fetch_one(conn)
    .await
    .context("saving member")?)
}

pub async fn mark_unreachable(conn: &mut SqliteConnection, chat_id: i64, now: Option<DateTime<Utc>>) -> Result<()> {
    sqlx::query("UPDATE members SET unreachable_at = ? WHERE chat_id = ?")
        .bind(now.map(ts))
        .bind(chat_id)
        .execute(conn)
        .await
        .context("marking member unreachable")?;
    Ok(())
}

// ---------------------------------------------------------------- invites

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Invite {
    pub code: String,
    pub unit_id: Option<i64>,
    pub role: String,
    pub expires_at: String,
    pub used_at: Option<String>,
}

pub async fn insert_invite(
    conn: &mut SqliteConnection,
    code: &str,
    unit_id: Option<i64>,
    role: &str,
    now: DateTime<Utc>,
    expires: DateTime<Utc>,
) -> Result<()> {
    sqlx::query("INSERT INTO invites (code, unit_id, role, created_at, expires_at) VALUES (?, ?, ?, ?, ?)")
        .bind(code)
        .bind(unit_id)
        .bind(role)
        .bind(ts(now))
        .bind(ts(expires))
        .execute(conn)
        .await
        .context("saving invite")?;
    Ok(())
}

pub async fn invite(conn: &mut SqliteConnection, code: &str) -> Result<Option<Invite>> {
    Ok(
        sqlx::query_as("SELECT code, unit_id, role, expires_at, used_at FROM invites WHERE code = ?")
            .bind(code)
            .fetch_optional(conn)
            .await
            .context("reading invite")?,
    )
}

pub async fn use_invite(conn: &mut SqliteConnection, code: &str, member: i64, now: DateTime<Utc>) -> Result<()> {
    sqlx::query("UPDATE invites SET used_at = ?, used_by = ? WHERE code = ? AND used_at IS NULL")
        .bind(ts(now))
        .bind(member)
        .bind(code)
        .execute(conn)
        .await
        .context("marking invite used")?;
    Ok(())
}

// ---------------------------------------------------------------- reports

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Draft,
    Submitted,
    Returned,
    Accepted,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Submitted => "submitted",
            Status::Returned => "returned",
            Status::Accepted => "accepted",
        }
    }
    pub fn parse(s: &str) -> Status {
        match s {
            "submitted" => Status::Submitted,
            "returned" => Status::Returned,
            "accepted" => Status::Accepted,
            _ => Status::Draft,
        }
    }
    /// Submitted and accepted reports are read-only for the secretary.
    pub fn locked(self) -> bool {
        matches!(self, Status::Submitted | Status::Accepted)
    }
}

#[derive(Debug, Clone)]
pub struct Report {
    pub status: Status,
    pub submitted_at: Option<DateTime<Utc>>,
}

pub async fn report(conn: &mut SqliteConnection, campaign: i64, unit: i64) -> Result<Report> {
    let row: Option<(String, Option<String>)> =
        sqlx::query_as("SELECT status, submitted_at FROM reports WHERE campaign_id = ? AND unit_id = ?")
            .bind(campaign)
            .bind(unit)
            .fetch_optional(conn)
            .await
            .context("reading report status")?;
    Ok(match row {
        Some((s, at)) => Report {
            status: Status::parse(&s),
            submitted_at: at.as_deref().and_then(parse_ts),
        },
        None => Report {
            status: Status::Draft,
            submitted_at: None,
        },
    })
}

pub async fn set_status(
    conn: &mut SqliteConnection,
    campaign: i64,
    unit: i64,
    status: Status,
    actor: Option<i64>,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    let submitted_at = (status == Status::Submitted).then(|| ts(now));
    sqlx::query(
        "INSERT INTO reports (campaign_id, unit_id, status, submitted_at, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (campaign_id, unit_id) DO UPDATE SET status = excluded.status,
         submitted_at = COALESCE(excluded.submitted_at, reports.submitted_at), updated_at = excluded.updated_at",
    )
    .bind(campaign)
    .bind(unit)
    .bind(status.as_str())
    .bind(submitted_at)
    .bind(ts(now))
    .execute(&mut *conn)
    .await
    .context("saving report status")?;
    let action = match status {
        Status::Draft => "reopen",
        Status::Submitted => "submit",
        Status::Returned => "return",
        Status::Accepted => "accept",
    };
    sqlx::query("INSERT INTO report_events (campaign_id, unit_id, action, actor, note, at) VALUES (?, ?, ?, ?, ?, ?)")
        .bind(campaign)
        .bind(unit)
        .bind(action)
        .bind(actor)
        .bind(note)
        .bind(ts(now))
        .execute(conn)
        .await
        .context("recording report event")?;
    Ok(())
}

/// `(submitted or accepted, all units)` for a campaign.
pub async fn submission_counts(conn: &mut SqliteConnection, campaign: i64) -> Result<(usize, usize)> {
    let (done, all): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM reports WHERE campaign_id = ? AND status IN ('submitted', 'accepted')),
                (SELECT COUNT(*) FROM units)",
    )
    .bind(campaign)
    .fetch_one(conn)
    .await
    .context("counting submissions")?;
    Ok((usize::try_from(done).unwrap_or(0), usize::try_from(all).unwrap_or(0)))
}

/// Marks a draft as started (so progress can tell "not started" from "in progress").
pub async fn touch_report(conn: &mut SqliteConnection, campaign: i64, unit: i64, now: DateTime<Utc>) -> Result<()> {
    sqlx::query(
        "INSERT INTO reports (campaign_id, unit_id, status, updated_at) VALUES (?, ?, 'draft', ?)
         ON CONFLICT (campaign_id, unit_id) DO UPDATE SET updated_at = excluded.updated_at",
    )
    .bind(campaign)
    .bind(unit)
    .bind(ts(now))
    .execute(conn)
    .await
    .context("touching report")?;
    Ok(())
}

// ---------------------------------------------------------------- rows and answers

pub async fn report_rows(conn: &mut SqliteConnection, campaign: i64, unit: i64) -> Result<Vec<String>> {
    Ok(
        sqlx::query_scalar("SELECT cell_type FROM report_rows WHERE campaign_id = ? AND unit_id = ?")
            .bind(campaign)
            .bind(unit)
            .fetch_all(conn)
            .await
            .context("reading report rows")?,
    )
}

pub async fn set_report_rows(conn: &mut SqliteConnection, campaign: i64, unit: i64, rows: &[String]) -> Result<()> {
    sqlx::query("DELETE FROM report_rows WHERE campaign_id = ? AND unit_id = ?")
        .bind(campaign)
        .bind(unit)
        .execute(&mut *conn)
        .await
        .context("clearing report rows")?;
    for r in rows {
        sqlx::query("INSERT INTO report_rows (campaign_id, unit_id, cell_type) VALUES (?, ?, ?)")
            .bind(campaign)
            .bind(unit)
            .bind(r)
            .execute(&mut *conn)
            .await
            .context("saving report row")?;
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AnswerRow {
    pub key: String,
    pub row: String,
    pub value: Option<String>,
}

pub async fn answers(conn: &mut SqliteConnection, campaign: i64, unit: i64) -> Result<Vec<AnswerRow>> {
    Ok(
        sqlx::query_as("SELECT key, row, value FROM answers WHERE campaign_id = ? AND unit_id = ?")
            .bind(campaign)
            .bind(unit)
            .fetch_all(conn)
            .await
            .context("reading answers")?,
    )
}

/// Sets one answer and records the change in the history; unchanged values are not rewritten.
#[allow(clippy::too_many_arguments)]
pub async fn set_answer(
    conn: &mut SqliteConnection,
    campaign: i64,
    unit: i64,
    key: &str,
    row: &str,
    value: Option<&str>,
    by: Option<i64>,
    now: DateTime<Utc>,
) -> Result<bool> {
    let old: Option<Option<String>> =
        sqlx::query_scalar("SELECT value FROM answers WHERE campaign_id = ? AND unit_id = ? AND key = ? AND row = ?")
            .bind(campaign)
            .bind(unit)
            .bind(key)
            .bind(row)
            .fetch_optional(&mut *conn)
            .await
            .context("reading previous answer")?;
    if let Some(prev) = &old
        && prev.as_deref() == value
    {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO answers (campaign_id, unit_id, key, row, value, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (campaign_id, unit_id, key, row) DO UPDATE SET value = excluded.value,
         updated_at = excluded.updated_at, updated_by = excluded.updated_by",
    )
    .bind(campaign)
    .bind(unit)
    .bind(key)
    .bind(row)
    .bind(value)
    .bind(ts(now))
    .bind(by)
    .execute(&mut *conn)
    .await
    .context("saving answer")?;
    sqlx::query(
        "INSERT INTO answer_history (campaign_id, unit_id, key, row, old_value, new_value, changed_at, changed_by)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(campaign)
    .bind(unit)
    .bind(key)
    .bind(row)
    .bind(old.flatten())
    .bind(value)
    .bind(ts(now))
    .bind(by)
    .execute(conn)
    .await
    .context("recording answer history")?;
    Ok(true)
}

pub async fn delete_row_answers(
    conn: &mut SqliteConnection,
    campaign: i64,
    unit: i64,
    key_prefix: &str,
    row: &str,
) -> Result<()> {
    sqlx::query("DELETE FROM answers WHERE campaign_id = ? AND unit_id = ? AND row = ? AND key LIKE ? || '%'")
        .bind(campaign)
        .bind(unit)
        .bind(row)
        .bind(key_prefix)
        .execute(conn)
        .await
        .context("deleting row answers")?;
    Ok(())
}

// ---------------------------------------------------------------- warnings

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ConfirmedWarning {
    pub rule_id: String,
    pub row: String,
    pub message: String,
}

pub async fn confirmed_warnings(
    conn: &mut SqliteConnection,
    campaign: i64,
    unit: i64,
) -> Result<Vec<ConfirmedWarning>> {
    Ok(
        sqlx::query_as("SELECT rule_id, row, message FROM confirmed_warnings WHERE campaign_id = ? AND unit_id = ?")
            .bind(campaign)
            .bind(unit)
            .fetch_all(conn)
            .await
            .context("reading confirmed warnings")?,
    )
}

#[allow(clippy::too_many_arguments)]
pub async fn confirm_warning(
    conn: &mut SqliteConnection,
    campaign: i64,
    unit: i64,
    rule_id: &str,
    row: &str,
    message: &str,
    by: Option<i64>,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO confirmed_warnings (campaign_id, unit_id, rule_id, row, message, confirmed_at, confirmed_by)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (campaign_id, unit_id, rule_id, row) DO UPDATE SET message = excluded.message,
         confirmed_at = excluded.confirmed_at, confirmed_by = excluded.confirmed_by",
    )
    .bind(campaign)
    .bind(unit)
    .bind(rule_id)
    .bind(row)
    .bind(message)
    .bind(ts(now))
    .bind(by)
    .execute(conn)
    .await
    .context("confirming warning")?;
    Ok(())
}

/// A changed row needs its warnings confirmed again: those of `rules` (all when `None`).
pub async fn clear_warnings(
    conn: &mut SqliteConnection,
    campaign: i64,
    unit: i64,
    row: &str,
    rules: Option<&[String]>,
) -> Result<()> {
    match rules {
        None => {
            sqlx::query("DELETE FROM confirmed_warnings WHERE campaign_id = ? AND unit_id = ? AND row = ?")
                .bind(campaign)
                .bind(unit)
                .bind(row)
                .execute(conn)
                .await
                .context("clearing warnings")?;
        }
        Some(rules) => {
            for r in rules {
                sqlx::query(
                    "DELETE FROM confirmed_warnings WHERE campaign_id = ? AND unit_id = ? AND row = ? AND rule_id = ?",
                )
                .bind(campaign)
                .bind(unit)
                .bind(row)
                .bind(r)
                .execute(&mut *conn)
                .await
                .context("clearing warnings")?;
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- conversations and outbox

pub async fn conversation(conn: &mut SqliteConnection, chat_id: i64) -> Result<Option<String>> {
    Ok(sqlx::query_scalar("SELECT state FROM conversations WHERE chat_id = ?")
        .bind(chat_id)
        .fetch_optional(conn)
        .await
        .context("reading conversation state")?)
}

pub async fn save_conversation(
    conn: &mut SqliteConnection,
    chat_id: i64,
    state: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO conversations (chat_id, state, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (chat_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
    )
    .bind(chat_id)
    .bind(state)
    .bind(ts(now))
    .execute(conn)
    .await
    .context("saving conversation state")?;
    Ok(())
}

pub async fn push_outbox(conn: &mut SqliteConnection, chat_id: i64, body: &str, now: DateTime<Utc>) -> Result<i64> {
    Ok(
        sqlx::query_scalar("INSERT INTO outbox (chat_id, body, created_at) VALUES (?, ?, ?) RETURNING id")
            .bind(chat_id)
            .bind(body)
            .bind(ts(now))
            .fetch_one(conn)
            .await
            .context("queueing outgoing message")?,
    )
}

/// Puts a message in the outbox (in the caller's transaction) and returns it as a delivery.
pub async fn queue(
    conn: &mut SqliteConnection,
    message: crate::engine::Outgoing,
    now: DateTime<Utc>,
) -> Result<crate::engine::Delivery> {
    let body = serde_json::to_string(&message).context("encoding message")?;
    let id = push_outbox(conn, message.chat_id, &body, now).await?;
    Ok(crate::engine::Delivery {
        outbox_id: Some(id),
        message,
    })
}

pub async fn mark_sent(pool: &SqlitePool, id: i64, now: DateTime<Utc>) -> Result<()> {
    sqlx::query("UPDATE outbox SET sent_at = ? WHERE id = ?")
        .bind(ts(now))
        .bind(id)
        .execute(pool)
        .await
        .context("marking message sent")?;
    Ok(())
}

/// Messages committed but never delivered (the bot stopped between commit and send).
pub async fn unsent(pool: &SqlitePool) -> Result<Vec<(i64, i64, String)>> {
    Ok(
        sqlx::query_as("SELECT id, chat_id, body FROM outbox WHERE sent_at IS NULL ORDER BY id")
            .fetch_all(pool)
            .await
            .context("reading unsent messages")?,
    )
}

/// Whether the unit has started its report (any answer or status change).
pub async fn has_report(conn: &mut SqliteConnection, campaign: i64, unit: i64) -> Result<bool> {
    let any: Option<i64> = sqlx::query_scalar("SELECT 1 FROM reports WHERE campaign_id = ? AND unit_id = ?")
        .bind(campaign)
        .bind(unit)
        .fetch_optional(conn)
        .await
        .context("reading report")?;
    Ok(any.is_some())
}

// ---------------------------------------------------------------- reminders

/// Records a reminder; false when this target already had this moment.
pub async fn record_reminder(
    conn: &mut SqliteConnection,
    campaign: i64,
    target: &str,
    moment: &str,
    kind: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO reminders_sent (campaign_id, target, moment, kind, created_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT DO NOTHING",
    )
    .bind(campaign)
    .bind(target)
    .bind(moment)
    .bind(kind)
    .bind(ts(now))
    .execute(conn)
    .await
    .context("recording reminder")?;
    Ok(done.rows_affected() == 1)
}

pub async fn reminder_exists(conn: &mut SqliteConnection, campaign: i64, target: &str, moment: &str) -> Result<bool> {
    let any: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM reminders_sent WHERE campaign_id = ? AND target = ? AND moment = ?")
            .bind(campaign)
            .bind(target)
            .bind(moment)
            .fetch_optional(conn)
            .await
            .context("reading reminders")?;
    Ok(any.is_some())
}

/// A failed delivery attempt.
pub async fn mark_attempt(pool: &SqlitePool, id: i64) -> Result<()> {
    sqlx::query("UPDATE outbox SET attempts = attempts + 1 WHERE id = ?")
        .bind(id)
        .execute(pool)
        .await
        .context("counting a delivery attempt")?;
    Ok(())
}

/// Unsent messages committed before `older_than`, with fewer than `max_attempts` tries.
pub async fn stale_unsent(
    pool: &SqlitePool,
    older_than: DateTime<Utc>,
    max_attempts: i64,
) -> Result<Vec<(i64, i64, String)>> {
    Ok(sqlx::query_as(
        "SELECT id, chat_id, body FROM outbox WHERE sent_at IS NULL AND created_at < ? AND attempts < ? ORDER BY id",
    )
    .bind(ts(older_than))
    .bind(max_attempts)
    .fetch_all(pool)
    .await
    .context("reading unsent messages")?)
}
