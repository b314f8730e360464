//! Members (secretaries and the board) and their invites.

use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

use super::{Result, ts};

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
    /// Set by `members remove`: the member is no longer let in.
    pub removed_at: Option<String>,
    /// The channel `chat_id` belongs to.
    pub channel: String,
}

/// `SELECT <every Member column> FROM members <tail>`, as one literal.
macro_rules! select_members {
    ($tail:literal) => {
        concat!(
            "SELECT id, user_id, chat_id, display_name, role, unit_id, unreachable_at, removed_at, channel FROM members ",
            $tail
        )
    };
}

/// The member rows of many users at once (one query for a whole batch of updates).
pub async fn members_by_users(conn: &mut SqliteConnection, users: &[i64]) -> Result<Vec<Member>> {
    let ids = serde_json::to_string(users).context("encoding user ids")?;
    Ok(
        sqlx::query_as(select_members!("WHERE user_id IN (SELECT value FROM json_each(?))"))
            .bind(ids)
            .fetch_all(conn)
            .await
            .context("reading members")?,
    )
}

impl Member {
    pub fn channel(&self) -> crate::message::Channel {
        crate::message::Channel::parse(&self.channel)
    }

    pub fn is_board(&self) -> bool {
        self.role == "board"
    }
}

/// The member row of a user, removed or not (see [`Member::removed_at`]).
pub async fn member_by_user(conn: &mut SqliteConnection, user_id: i64) -> Result<Option<Member>> {
    Ok(sqlx::query_as(select_members!("WHERE user_id = ?"))
        .bind(user_id)
        .fetch_optional(conn)
        .await
        .context("reading member")?)
}

pub async fn members_of_unit(conn: &mut SqliteConnection, unit_id: i64) -> Result<Vec<Member>> {
    Ok(sqlx::query_as(select_members!(
        "WHERE unit_id = ? AND role = 'secretary' AND removed_at IS NULL ORDER BY id"
    ))
    .bind(unit_id)
    .fetch_all(conn)
    .await
    .context("listing unit members")?)
}

pub async fn board_members(conn: &mut SqliteConnection) -> Result<Vec<Member>> {
    Ok(sqlx::query_as(select_members!(
        "WHERE role = 'board' AND removed_at IS NULL ORDER BY id"
    ))
    .fetch_all(conn)
    .await
    .context("listing board members")?)
}

/// Registers (or re-binds) a Telegram user; returns the member id.
#[allow(clippy::too_many_arguments)]
pub async fn upsert_member(
    conn: &mut SqliteConnection,
    channel: crate::message::Channel,
    user_id: i64,
    chat_id: i64,
    name: &str,
    role: &str,
    unit_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO members (user_id, chat_id, display_name, role, unit_id, created_at, channel) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (user_id) DO UPDATE SET chat_id = excluded.chat_id, channel = excluded.channel,
         display_name = excluded.display_name,
         role = excluded.role, unit_id = excluded.unit_id, unreachable_at = NULL, removed_at = NULL
         RETURNING id",
    )
    .bind(user_id)
    .bind(chat_id)
    .bind(name)
    .bind(role)
    .bind(unit_id)
    .bind(ts(now))
    .bind(channel.as_str())
    .fetch_one(conn)
    .await
    .context("saving member")?)
}

pub async fn mark_unreachable(
    conn: &mut SqliteConnection,
    channel: crate::message::Channel,
    chat_id: i64,
    now: Option<DateTime<Utc>>,
) -> Result<()> {
    sqlx::query("UPDATE members SET unreachable_at = ? WHERE channel = ? AND chat_id = ?")
        .bind(now.map(ts))
        .bind(channel.as_str())
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
