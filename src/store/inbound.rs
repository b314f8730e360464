//! The inbound side of a batch: conversation states by address, and the updates applied.

use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::{SqliteConnection, SqlitePool};

use super::{Result, ts};
use crate::message::Channel;

/// Conversation states of many chats of one channel at once.
pub async fn conversations(conn: &mut SqliteConnection, channel: Channel, chats: &[i64]) -> Result<Vec<(i64, String)>> {
    let ids = serde_json::to_string(chats).context("encoding chat ids")?;
    Ok(sqlx::query_as(
        "SELECT chat_id, state FROM conversations WHERE channel = ? AND chat_id IN (SELECT value FROM json_each(?))",
    )
    .bind(channel.as_str())
    .bind(ids)
    .fetch_all(conn)
    .await
    .context("reading conversation states")?)
}

/// Saves many conversation states `(channel, chat, state JSON)` in one statement.
pub async fn save_conversations(
    conn: &mut SqliteConnection,
    states: &[(&'static str, i64, String)],
    now: DateTime<Utc>,
) -> Result<()> {
    if states.is_empty() {
        return Ok(());
    }
    let rows = serde_json::to_string(states).context("encoding conversation states")?;
    sqlx::query(
        "INSERT INTO conversations (channel, chat_id, state, updated_at)
         SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), ?
         FROM json_each(?) WHERE true
         ON CONFLICT (channel, chat_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
    )
    .bind(ts(now))
    .bind(rows)
    .execute(conn)
    .await
    .context("saving conversation states")?;
    Ok(())
}

/// Forgets a chat's conversation (a removed member starts afresh).
pub async fn forget_conversation(conn: &mut SqliteConnection, channel: Channel, chat_id: i64) -> Result<()> {
    sqlx::query("DELETE FROM conversations WHERE channel = ? AND chat_id = ?")
        .bind(channel.as_str())
        .bind(chat_id)
        .execute(conn)
        .await
        .context("forgetting a conversation")?;
    Ok(())
}

/// Which of `ids` this channel has already applied.
pub async fn applied_updates(conn: &mut SqliteConnection, channel: &str, ids: &[i64]) -> Result<Vec<i64>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let ids = serde_json::to_string(ids).context("encoding update ids")?;
    Ok(sqlx::query_scalar(
        "SELECT update_id FROM processed_updates WHERE channel = ? AND update_id IN (SELECT value FROM json_each(?))",
    )
    .bind(channel)
    .bind(ids)
    .fetch_all(conn)
    .await
    .context("reading applied updates")?)
}

/// Records applied updates `(id, failed)` of one channel in one statement.
pub async fn record_updates(
    conn: &mut SqliteConnection,
    channel: &str,
    ids: &[(i64, bool)],
    now: DateTime<Utc>,
) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let ids = serde_json::to_string(ids).context("encoding update ids")?;
    sqlx::query(
        "INSERT INTO processed_updates (channel, update_id, applied_at, failed)
         SELECT ?, json_extract(value, '$[0]'), ?, json_extract(value, '$[1]') FROM json_each(?) WHERE true
         ON CONFLICT DO NOTHING",
    )
    .bind(channel)
    .bind(ts(now))
    .bind(ids)
    .execute(conn)
    .await
    .context("recording applied updates")?;
    Ok(())
}

/// The highest update id this channel has applied: polling resumes after it.
pub async fn last_update(pool: &SqlitePool, channel: &str) -> Result<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT MAX(update_id) FROM processed_updates WHERE channel = ?")
            .bind(channel)
            .fetch_one(pool)
            .await
            .context("reading the last applied update")?,
    )
}
