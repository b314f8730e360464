//! The outbox: messages committed with the step that decided them, then claimed, sent and
//! settled by one worker per channel. A message's content lives in `outbox_bodies` and is
//! deleted once delivered; the small delivery record is pruned after a week.

use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::{SqliteConnection, SqlitePool};

use super::{Result, parse_ts, ts};
use crate::message::{Channel, Delivery, Outgoing};

/// Puts a message in the outbox (in the caller's transaction) and returns it as a delivery.
pub async fn queue(conn: &mut SqliteConnection, message: Outgoing, now: DateTime<Utc>) -> Result<Delivery> {
    let body = serde_json::to_string(&message).context("encoding message")?;
    let id: i64 = sqlx::query_scalar("INSERT INTO outbox (channel, chat_id, created_at) VALUES (?, ?, ?) RETURNING id")
        .bind(message.channel.as_str())
        .bind(message.chat_id)
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
    Ok(Delivery {
        outbox_id: Some(id),
        message,
    })
}

/// The highest outbox id, so a batch can number its messages before inserting them at once
/// (only the holder of the write lock calls this).
pub async fn last_outbox_id(conn: &mut SqliteConnection) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM outbox")
        .fetch_one(conn)
        .await
        .context("reading the last outbox id")?)
}

/// A claim taken when messages are inserted: the sender in this process gets them handed
/// over at once, without a claim of its own.
#[derive(Debug, Clone)]
pub struct PreClaim {
    pub channel: Channel,
    pub owner: String,
    pub until: DateTime<Utc>,
}

/// Inserts numbered messages `(id, channel, chat_id, body)` in two statements; rows of
/// `claim`'s channel are claimed for its owner.
pub async fn push_outbox_many(
    conn: &mut SqliteConnection,
    rows: &[(i64, &'static str, i64, String)],
    claim: Option<&PreClaim>,
    now: DateTime<Utc>,
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let rows = serde_json::to_string(rows).context("encoding messages")?;
    sqlx::query(
        "INSERT INTO outbox (id, channel, chat_id, created_at, claim_owner, claimed_until)
         SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), ?1,
                CASE WHEN json_extract(value, '$[1]') = ?3 THEN ?4 END,
                CASE WHEN json_extract(value, '$[1]') = ?3 THEN ?5 END
         FROM json_each(?2)",
    )
    .bind(ts(now))
    .bind(&rows)
    .bind(claim.map(|c| c.channel.as_str()))
    .bind(claim.map(|c| c.owner.clone()))
    .bind(claim.map(|c| ts(c.until)))
    .execute(&mut *conn)
    .await
    .context("queueing outgoing messages")?;
    sqlx::query(
        "INSERT INTO outbox_bodies (id, body)
         SELECT json_extract(value, '$[0]'), json_extract(value, '$[3]') FROM json_each(?)",
    )
    .bind(&rows)
    .execute(conn)
    .await
    .context("queueing outgoing messages")?;
    Ok(())
}

/// A message claimed for sending.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: i64,
    pub chat_id: i64,
    pub attempts: i64,
    pub message: Outgoing,
}

/// Claims up to `limit` messages of `channel` that are due, for `owner` until `until`.
/// A chat's message is not claimed while an earlier one of that chat is held by another
/// sender or waits for its retry, so a chat's messages go out in order.
pub async fn claim(
    pool: &SqlitePool,
    channel: Channel,
    owner: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Claimed>> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.context("starting a claim")?;
    let ids: Vec<i64> = sqlx::query_scalar(
        "UPDATE outbox SET claimed_until = ?1, claim_owner = ?2 WHERE id IN (
           SELECT o.id FROM outbox o
           WHERE o.channel = ?3 AND o.sent_at IS NULL AND o.failed_at IS NULL
             AND (o.claimed_until IS NULL OR o.claimed_until < ?4)
             AND (o.next_attempt_at IS NULL OR o.next_attempt_at <= ?4)
             AND NOT EXISTS (
               SELECT 1 FROM outbox e
               WHERE e.channel = o.channel AND e.chat_id = o.chat_id AND e.id < o.id
                 AND e.sent_at IS NULL AND e.failed_at IS NULL
                 AND ((e.claimed_until >= ?4 AND e.claim_owner IS NOT ?2) OR e.next_attempt_at > ?4))
           ORDER BY o.id LIMIT ?5)
         RETURNING id",
    )
    .bind(ts(until))
    .bind(owner)
    .bind(channel.as_str())
    .bind(ts(now))
    .bind(limit)
    .fetch_all(&mut *tx)
    .await
    .context("claiming messages")?;
    if ids.is_empty() {
        tx.rollback().await.context("ending a claim")?;
        return Ok(vec![]);
    }
    let json = serde_json::to_string(&ids).context("encoding ids")?;
    let rows: Vec<(i64, i64, i64, String)> = sqlx::query_as(
        "SELECT o.id, o.chat_id, o.attempts, b.body FROM outbox o JOIN outbox_bodies b ON b.id = o.id
         WHERE o.id IN (SELECT value FROM json_each(?)) ORDER BY o.id",
    )
    .bind(json)
    .fetch_all(&mut *tx)
    .await
    .context("reading claimed messages")?;
    tx.commit().await.context("committing a claim")?;
    Ok(rows
        .into_iter()
        .filter_map(
            |(id, chat_id, attempts, body)| match serde_json::from_str::<Outgoing>(&body) {
                Ok(message) => Some(Claimed {
                    id,
                    chat_id,
                    attempts,
                    message,
                }),
                Err(e) => {
                    tracing::error!(id, error.message = %e, "an outbox message cannot be read; skipped");
                    None
                }
            },
        )
        .collect())
}

/// Keeps `owner`'s claims on `ids` until `until`.
pub async fn renew(pool: &SqlitePool, owner: &str, ids: &[i64], until: DateTime<Utc>) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    sqlx::query("UPDATE outbox SET claimed_until = ? WHERE claim_owner = ? AND id IN (SELECT value FROM json_each(?))")
        .bind(ts(until))
        .bind(owner)
        .bind(serde_json::to_string(ids).context("encoding ids")?)
        .execute(pool)
        .await
        .context("renewing claims")?;
    Ok(())
}

/// Gives back every claim of `owner` (the bot at start takes over its previous run's rows).
pub async fn release(pool: &SqlitePool, owner: &str) -> Result<u64> {
    Ok(sqlx::query(
        "UPDATE outbox SET claimed_until = NULL, claim_owner = NULL WHERE claim_owner = ? AND sent_at IS NULL",
    )
    .bind(owner)
    .execute(pool)
    .await
    .context("releasing claims")?
    .rows_affected())
}

/// What a sender pass settles, in one commit.
#[derive(Debug, Default)]
pub struct Settled {
    /// Delivered (or refused for good because the member blocked the bot).
    pub sent: Vec<i64>,
    /// `(id, attempts, next attempt, error)`: failed, to be tried again.
    pub retry: Vec<(i64, i64, DateTime<Utc>, String)>,
    /// `(id, error)`: given up after the cap of attempts.
    pub failed: Vec<(i64, String)>,
}

impl Settled {
    pub fn is_empty(&self) -> bool {
        self.sent.is_empty() && self.retry.is_empty() && self.failed.is_empty()
    }
}

pub async fn settle(pool: &SqlitePool, s: &Settled, now: DateTime<Utc>) -> Result<()> {
    if s.is_empty() {
        return Ok(());
    }
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.context("starting a write")?;
    if !s.sent.is_empty() {
        let ids = serde_json::to_string(&s.sent).context("encoding ids")?;
        sqlx::query(
            "UPDATE outbox SET sent_at = ?, claimed_until = NULL, claim_owner = NULL
             WHERE id IN (SELECT value FROM json_each(?))",
        )
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
    }
    if !s.retry.is_empty() {
        let rows: Vec<(i64, i64, String, &str)> = s
            .retry
            .iter()
            .map(|(id, n, at, e)| (*id, *n, ts(*at), e.as_str()))
            .collect();
        sqlx::query(
            "UPDATE outbox SET attempts = r.n, next_attempt_at = r.at, last_error = r.e
             FROM (SELECT json_extract(value, '$[0]') AS id, json_extract(value, '$[1]') AS n,
                          json_extract(value, '$[2]') AS at, json_extract(value, '$[3]') AS e
                   FROM json_each(?)) AS r
             WHERE outbox.id = r.id",
        )
        .bind(serde_json::to_string(&rows).context("encoding retries")?)
        .execute(&mut *tx)
        .await
        .context("recording failed attempts")?;
    }
    if !s.failed.is_empty() {
        sqlx::query(
            "UPDATE outbox SET failed_at = ?, last_error = r.e, attempts = attempts + 1, claimed_until = NULL
             FROM (SELECT json_extract(value, '$[0]') AS id, json_extract(value, '$[1]') AS e FROM json_each(?)) AS r
             WHERE outbox.id = r.id",
        )
        .bind(ts(now))
        .bind(serde_json::to_string(&s.failed).context("encoding failures")?)
        .execute(&mut *tx)
        .await
        .context("recording undeliverable messages")?;
    }
    tx.commit().await.context("settling messages")?;
    Ok(())
}

/// Marks messages delivered (the console, which shows its own messages itself).
pub async fn mark_sent_many(pool: &SqlitePool, ids: &[i64], now: DateTime<Utc>) -> Result<()> {
    settle(
        pool,
        &Settled {
            sent: ids.to_vec(),
            ..Settled::default()
        },
        now,
    )
    .await
}

/// Messages of `channel` to `chat_id` not yet delivered (the console shows its own at start).
pub async fn pending_for(pool: &SqlitePool, channel: Channel, chat_id: i64) -> Result<Vec<Delivery>> {
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT o.id, b.body FROM outbox o JOIN outbox_bodies b ON b.id = o.id
         WHERE o.channel = ? AND o.chat_id = ? AND o.sent_at IS NULL AND o.failed_at IS NULL ORDER BY o.id",
    )
    .bind(channel.as_str())
    .bind(chat_id)
    .fetch_all(pool)
    .await
    .context("reading pending messages")?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, body)| {
            serde_json::from_str(&body).ok().map(|message| Delivery {
                outbox_id: Some(id),
                message,
            })
        })
        .collect())
}

/// A message given up on, for the board.
#[derive(Debug, Clone)]
pub struct Undeliverable {
    pub channel: Channel,
    pub chat_id: i64,
    pub created_at: Option<DateTime<Utc>>,
    pub error: String,
}

pub async fn undeliverable(conn: &mut SqliteConnection) -> Result<Vec<Undeliverable>> {
    let rows: Vec<(String, i64, String, Option<String>)> = sqlx::query_as(
        "SELECT channel, chat_id, created_at, last_error FROM outbox WHERE failed_at IS NOT NULL ORDER BY id",
    )
    .fetch_all(conn)
    .await
    .context("reading undeliverable messages")?;
    Ok(rows
        .into_iter()
        .map(|(c, chat_id, at, e)| Undeliverable {
            channel: Channel::parse(&c),
            chat_id,
            created_at: parse_ts(&at),
            error: e.unwrap_or_default(),
        })
        .collect())
}

/// Forgets what is no longer needed: applied-update ids older than `updates_before` (the
/// newest is kept, it is where polling resumes) and delivered messages sent before
/// `sent_before`; free pages go back to the disk.
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
        sqlx::query("PRAGMA incremental_vacuum")
            .execute(pool)
            .await
            .context("returning free pages")?;
    }
    Ok(a.rows_affected() + b.rows_affected())
}
