//! Reminders sent.

use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

use super::{Result, ts};

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
