//! Conversation state, the outbox of messages, and the updates already applied.

use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::{SqliteConnection, SqlitePool};

use super::{Result, ts};

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
    let id: i64 = sqlx::query_scalar("INSERT INTO outbox (chat_id, created_at) VALUES (?, ?) RETURNING id")
        .bind(chat_id)
        .bind(ts(now))
        .fetch_one(&mut *conn)
        .await
        .context("queueing outgoing message")?;
    sqlx::query("INSERT INTO outbox_bodies (id, body) VALUES (?, ?)")
        .bind(id)
        .bind(body)
        .execute(conn)
        .await
        .context("queueing outgoing message")?;
    Ok(id)
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
    mark_sent_many(pool, &[id], now).await
}

/// Messages committed but never delivered (the bot stopped between commit and send).
pub async fn unsent(pool: &SqlitePool) -> Result<Vec<(i64, i64, String)>> {
    Ok(sqlx::query_as(
        "SELECT o.id, o.chat_id, b.body FROM outbox o JOIN outbox_bodies b ON b.id = o.id
             WHERE o.sent_at IS NULL ORDER BY o.id",
    )
    .fetch_all(pool)
    .await
    .context("reading unsent messages")?)
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

// ---------------------------------------------------------------- a batch of updates

/// Conversation states of many chats at once.
pub async fn conversations(conn: &mut SqliteConnection, chats: &[i64]) -> Result<Vec<(i64, String)>> {
    let ids = serde_json::to_string(chats).context("encoding chat ids")?;
    Ok(
        sqlx::query_as("SELECT chat_id, state FROM conversations WHERE chat_id IN (SELECT value FROM json_each(?))")
            .bind(ids)
            .fetch_all(conn)
            .await
            .context("reading conversation states")?,
    )
}

/// Saves many conversation states in one statement.
pub async fn save_conversations(
    conn: &mut SqliteConnection,
    states: &[(i64, String)],
    now: DateTime<Utc>,
) -> Result<()> {
    if states.is_empty() {
        return Ok(());
    }
    let rows = serde_json::to_string(states).context("encoding conversation states")?;
    sqlx::query(
        "INSERT INTO conversations (chat_id, state, updated_at)
         SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), ? FROM json_each(?) WHERE true
         ON CONFLICT (chat_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
    )
    .bind(ts(now))
    .bind(rows)
    .execute(conn)
    .await
    .context("saving conversation states")?;
    Ok(())
}

/// The highest outbox id, so a batch can number its messages before inserting them at once
/// (only the holder of the write lock calls this).
pub async fn last_outbox_id(conn: &mut SqliteConnection) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM outbox")
        .fetch_one(conn)
        .await
        .context("reading the last outbox id")?)
}

/// Inserts numbered messages `(id, chat_id, body)` in two statements.
pub async fn push_outbox_many(
    conn: &mut SqliteConnection,
    rows: &[(i64, i64, String)],
    now: DateTime<Utc>,
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let rows = serde_json::to_string(rows).context("encoding messages")?;
    sqlx::query(
        "INSERT INTO outbox (id, chat_id, created_at)
         SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), ? FROM json_each(?)",
    )
    .bind(ts(now))
    .bind(&rows)
    .execute(&mut *conn)
    .await
    .context("queueing outgoing messages")?;
    sqlx::query(
        "INSERT INTO outbox_bodies (id, body)
         SELECT json_extract(value, '$[0]'), json_extract(value, '$[2]') FROM json_each(?)",
    )
    .bind(&rows)
    .execute(conn)
    .await
    .context("queueing outgoing messages")?;
    Ok(())
}

/// Marks delivered messages and deletes their content, in one commit.
pub async fn mark_sent_many(pool: &SqlitePool, ids: &[i64], now: DateTime<Utc>) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let ids = serde_json::to_string(ids).context("encoding outbox ids")?;
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.context("starting a write")?;
    sqlx::query("UPDATE outbox SET sent_at = ? WHERE id IN (SELECT value FROM json_each(?))")
        .bind(ts(now))
        .bind(&ids)
        .execute(&mut *tx)
        .await
        .context("marking messages sent")?;
    sqlx::query("DELETE FROM outbox_bodies WHERE id IN (SELECT value FROM json_each(?))")
        .bind(&ids)
        .execute(&mut *tx)
        .await
        .context("dropping delivered messages' content")?;
    tx.commit().await.context("committing delivered messages")?;
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

/// Forgets what is no longer needed: applied-update ids older than `updates_before` (the
/// newest is kept, it is where polling resumes) and delivered messages sent before
/// `sent_before`.
pub async fn prune(pool: &SqlitePool, updates_before: DateTime<Utc>, sent_before: DateTime<Utc>) -> Result<u64> {
    let a = sqlx::query(
        "DELETE FROM processed_updates WHERE applied_at < ?
         AND update_id < (SELECT MAX(update_id) FROM processed_updates p WHERE p.channel = processed_updates.channel)",
    )
    .bind(ts(updates_before))
    .execute(pool)
    .await
    .context("pruning applied updates")?;
    let b = sqlx::query("DELETE FROM outbox WHERE sent_at IS NOT NULL AND sent_at < ?")
        .bind(ts(sent_before))
        .execute(pool)
        .await
        .context("pruning delivered messages")?;
    if a.rows_affected() + b.rows_affected() > 0 {
        // Free pages go back to the disk (databases created with incremental auto-vacuum).
        sqlx::query("PRAGMA incremental_vacuum")
            .execute(pool)
            .await
            .context("returning free pages")?;
    }
    Ok(a.rows_affected() + b.rows_affected())
}
