//! Reminders sent, and delivery attempts.

use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::{SqliteConnection, SqlitePool};

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
        "SELECT o.id, o.chat_id, b.body FROM outbox o JOIN outbox_bodies b ON b.id = o.id
         WHERE o.sent_at IS NULL AND o.created_at < ? AND o.attempts < ? ORDER BY o.id",
    )
    .bind(ts(older_than))
    .bind(max_attempts)
    .fetch_all(pool)
    .await
    .context("reading unsent messages")?)
}
