//! What text-only channels with string ids (Zalo) keep: the number standing for each
//! external id, and the options each chat was last shown.

use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::SqlitePool;

use super::{Result, ts};
use crate::message::Channel;

/// The numbers (row ids) of these external ids of `channel`, created for new ones.
pub async fn external_numbers(
    pool: &SqlitePool,
    channel: Channel,
    ids: &[String],
    now: DateTime<Utc>,
) -> Result<Vec<(String, i64)>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let json = serde_json::to_string(ids).context("encoding external ids")?;
    const SELECT: &str = "SELECT external_id, id FROM external_ids WHERE channel = ? AND external_id IN (SELECT value FROM json_each(?))";
    // Known ids (nearly always) are only read.
    let known: Vec<(String, i64)> = sqlx::query_as(SELECT)
        .bind(channel.as_str())
        .bind(&json)
        .fetch_all(pool)
        .await
        .context("reading external ids")?;
    if ids.iter().all(|i| known.iter().any(|(k, _)| k == i)) {
        return Ok(known);
    }
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.context("starting a write")?;
    sqlx::query(
        "INSERT INTO external_ids (channel, external_id, created_at)
         SELECT ?, value, ? FROM json_each(?) WHERE true
         ON CONFLICT (channel, external_id) DO NOTHING",
    )
    .bind(channel.as_str())
    .bind(ts(now))
    .bind(&json)
    .execute(&mut *tx)
    .await
    .context("saving external ids")?;
    let rows = sqlx::query_as(SELECT)
        .bind(channel.as_str())
        .bind(&json)
        .fetch_all(&mut *tx)
        .await
        .context("reading external ids")?;
    tx.commit().await.context("committing external ids")?;
    Ok(rows)
}

/// The external id behind a number.
pub async fn external_id(pool: &SqlitePool, channel: Channel, number: i64) -> Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT external_id FROM external_ids WHERE channel = ? AND id = ?")
            .bind(channel.as_str())
            .bind(number)
            .fetch_optional(pool)
            .await
            .context("reading an external id")?,
    )
}

/// Remembers the options a chat was just shown (`buttons`: their data, in order).
pub async fn save_menu(
    pool: &SqlitePool,
    channel: Channel,
    chat_id: i64,
    buttons: &[String],
    numeric: bool,
    now: DateTime<Utc>,
) -> Result<()> {
    let json = serde_json::to_string(buttons).context("encoding a menu")?;
    sqlx::query(
        "INSERT INTO text_menus (channel, chat_id, buttons, numeric, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (channel, chat_id) DO UPDATE SET buttons = excluded.buttons, numeric = excluded.numeric,
         updated_at = excluded.updated_at",
    )
    .bind(channel.as_str())
    .bind(chat_id)
    .bind(json)
    .bind(numeric)
    .bind(ts(now))
    .execute(pool)
    .await
    .context("saving a menu")?;
    Ok(())
}

/// The options a chat was last shown: their data in order, and whether figures were expected.
pub async fn menu(pool: &SqlitePool, channel: Channel, chat_id: i64) -> Result<Option<(Vec<String>, bool)>> {
    let row: Option<(String, bool)> =
        sqlx::query_as("SELECT buttons, numeric FROM text_menus WHERE channel = ? AND chat_id = ?")
            .bind(channel.as_str())
            .bind(chat_id)
            .fetch_optional(pool)
            .await
            .context("reading a menu")?;
    Ok(match row {
        Some((json, numeric)) => Some((serde_json::from_str(&json).context("decoding a menu")?, numeric)),
        None => None,
    })
}
