//! Reports, their rows, answers (history by trigger) and confirmed warnings.

use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

use super::{Result, parse_ts, ts};

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

/// [`touch_report`] for many units in one statement.
pub async fn touch_reports(
    conn: &mut SqliteConnection,
    campaign: i64,
    units: &[i64],
    now: DateTime<Utc>,
) -> Result<()> {
    if units.is_empty() {
        return Ok(());
    }
    let units = serde_json::to_string(units).context("encoding unit ids")?;
    sqlx::query(
        "INSERT INTO reports (campaign_id, unit_id, status, updated_at)
         SELECT ?, value, 'draft', ? FROM json_each(?) WHERE true
         ON CONFLICT (campaign_id, unit_id) DO UPDATE SET updated_at = excluded.updated_at",
    )
    .bind(campaign)
    .bind(ts(now))
    .bind(units)
    .execute(conn)
    .await
    .context("touching reports")?;
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

/// Sets one answer; the database records the change in `answer_history` (a trigger), and an
/// unchanged value writes nothing. True when the value changed.
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
    let done = sqlx::query(
        "INSERT INTO answers (campaign_id, unit_id, key, row, value, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (campaign_id, unit_id, key, row) DO UPDATE SET value = excluded.value,
         updated_at = excluded.updated_at, updated_by = excluded.updated_by
         WHERE answers.value IS NOT excluded.value",
    )
    .bind(campaign)
    .bind(unit)
    .bind(key)
    .bind(row)
    .bind(value)
    .bind(now.timestamp())
    .bind(by)
    .execute(&mut *conn)
    .await
    .context("saving answer")?;
    Ok(done.rows_affected() > 0)
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
            let rules = serde_json::to_string(rules).context("encoding rule ids")?;
            sqlx::query(
                "DELETE FROM confirmed_warnings WHERE campaign_id = ? AND unit_id = ? AND row = ?
                 AND rule_id IN (SELECT value FROM json_each(?))",
            )
            .bind(campaign)
            .bind(unit)
            .bind(row)
            .bind(rules)
            .execute(conn)
            .await
            .context("clearing warnings")?;
        }
    }
    Ok(())
}

/// Sets many answers `(key, row, value)` in one statement (history by trigger; unchanged
/// values write nothing).
pub async fn set_answers(
    conn: &mut SqliteConnection,
    campaign: i64,
    unit: i64,
    answers: &[(String, String, Option<String>)],
    by: Option<i64>,
    now: DateTime<Utc>,
) -> Result<()> {
    set_answers_from(conn, campaign, unit, answers, by, now, Source::Chat).await
}

/// Where answers came from; the history keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Chat,
    File,
    Form,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Chat => "chat",
            Source::File => "file",
            Source::Form => "form",
        }
    }
}

/// [`set_answers`] recording where they came from.
pub async fn set_answers_from(
    conn: &mut SqliteConnection,
    campaign: i64,
    unit: i64,
    answers: &[(String, String, Option<String>)],
    by: Option<i64>,
    now: DateTime<Utc>,
    source: Source,
) -> Result<()> {
    if answers.is_empty() {
        return Ok(());
    }
    let rows = serde_json::to_string(answers).context("encoding answers")?;
    sqlx::query(
        "INSERT INTO answers (campaign_id, unit_id, key, row, value, updated_at, updated_by, source)
         SELECT ?, ?, json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), ?, ?, ?
         FROM json_each(?) WHERE true
         ON CONFLICT (campaign_id, unit_id, key, row) DO UPDATE SET value = excluded.value,
         updated_at = excluded.updated_at, updated_by = excluded.updated_by, source = excluded.source
         WHERE answers.value IS NOT excluded.value",
    )
    .bind(campaign)
    .bind(unit)
    .bind(now.timestamp())
    .bind(by)
    .bind(source.as_str())
    .bind(rows)
    .execute(conn)
    .await
    .context("saving answers")?;
    Ok(())
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
