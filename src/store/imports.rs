//! Filled templates waiting for the secretary's confirmation.

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

/// One `[key, row, value]` a file would write.
pub type Change = (String, String, Option<String>);

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PendingImport {
    pub id: i64,
    pub unit_id: i64,
    pub file_name: String,
    pub changes: String,
    pub applied_at: Option<i64>,
    pub cancelled_at: Option<i64>,
}

impl PendingImport {
    pub fn changes(&self) -> Result<Vec<Change>> {
        serde_json::from_str(&self.changes).context("decoding an import's changes")
    }

    pub fn is_open(&self) -> bool {
        self.applied_at.is_none() && self.cancelled_at.is_none()
    }
}

/// Records a checked file's changes; an earlier open import of the unit is cancelled (only
/// the newest file can be applied).
pub async fn create_import(
    conn: &mut SqliteConnection,
    campaign: i64,
    unit: i64,
    member: Option<i64>,
    file_name: &str,
    changes: &[Change],
    now: DateTime<Utc>,
) -> Result<i64> {
    sqlx::query(
        "UPDATE imports SET cancelled_at = ? WHERE campaign_id = ? AND unit_id = ?
         AND applied_at IS NULL AND cancelled_at IS NULL",
    )
    .bind(now.timestamp())
    .bind(campaign)
    .bind(unit)
    .execute(&mut *conn)
    .await
    .context("cancelling older imports")?;
    let body = serde_json::to_string(changes).context("encoding an import")?;
    let id = sqlx::query_scalar(
        "INSERT INTO imports (campaign_id, unit_id, member_id, file_name, changes, created_at)
         VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(campaign)
    .bind(unit)
    .bind(member)
    .bind(file_name)
    .bind(body)
    .bind(now.timestamp())
    .fetch_one(conn)
    .await
    .context("saving an import")?;
    Ok(id)
}

/// Whether a web form save with this idempotency key was applied.
pub async fn web_save_seen(conn: &mut SqliteConnection, key: &str) -> Result<bool> {
    let seen: Option<i64> = sqlx::query_scalar("SELECT 1 FROM web_saves WHERE key = ?")
        .bind(key)
        .fetch_optional(conn)
        .await
        .context("reading a form save key")?;
    Ok(seen.is_some())
}

/// Records a web form save as applied, in its transaction.
pub async fn mark_web_save(conn: &mut SqliteConnection, key: &str, member: i64, now: DateTime<Utc>) -> Result<()> {
    sqlx::query("INSERT INTO web_saves (key, member_id, saved_at) VALUES (?, ?, ?)")
        .bind(key)
        .bind(member)
        .bind(now.timestamp())
        .execute(conn)
        .await
        .context("recording a form save")?;
    Ok(())
}

/// The unit's newest import still waiting for a decision.
pub async fn open_import(conn: &mut SqliteConnection, campaign: i64, unit: i64) -> Result<Option<PendingImport>> {
    sqlx::query_as(
        "SELECT id, unit_id, file_name, changes, applied_at, cancelled_at FROM imports
         WHERE campaign_id = ? AND unit_id = ? AND applied_at IS NULL AND cancelled_at IS NULL
         ORDER BY id DESC LIMIT 1",
    )
    .bind(campaign)
    .bind(unit)
    .fetch_optional(conn)
    .await
    .context("reading the open import")
}

pub async fn import_by_id(conn: &mut SqliteConnection, id: i64) -> Result<Option<PendingImport>> {
    sqlx::query_as("SELECT id, unit_id, file_name, changes, applied_at, cancelled_at FROM imports WHERE id = ?")
        .bind(id)
        .fetch_optional(conn)
        .await
        .context("reading an import")
}

/// Marks an import applied (or cancelled); `false` when it was no longer open.
pub async fn close_import(conn: &mut SqliteConnection, id: i64, applied: bool, now: DateTime<Utc>) -> Result<bool> {
    let q = if applied {
        "UPDATE imports SET applied_at = ? WHERE id = ? AND applied_at IS NULL AND cancelled_at IS NULL"
    } else {
        "UPDATE imports SET cancelled_at = ? WHERE id = ? AND applied_at IS NULL AND cancelled_at IS NULL"
    };
    let done = sqlx::query(q)
        .bind(now.timestamp())
        .bind(id)
        .execute(conn)
        .await
        .context("closing an import")?;
    Ok(done.rows_affected() == 1)
}
