//! Operations run from the command line beside the running bot: an online backup, the list
//! of members and removing a member.

use std::path::Path;

use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::{SqliteConnection, SqlitePool};

use super::{Result, StoreError, parse_ts, ts};

/// Writes a consistent copy of the database to `path` with `VACUUM INTO`, on a pooled
/// connection: the copy is one read snapshot, so the running bot keeps writing meanwhile.
/// An existing file is never overwritten. Returns the size of the copy in bytes.
pub async fn backup_into(pool: &SqlitePool, path: &Path) -> Result<u64> {
    if path.exists() {
        return Err(anyhow::anyhow!("{} already exists; choose a new file name", path.display()).into());
    }
    let target = path
        .to_str()
        .with_context(|| format!("{} is not a UTF-8 path", path.display()))?;
    let mut conn = pool.acquire().await.context("opening a connection")?;
    // SQLite itself refuses a non-empty existing file, should one appear meanwhile.
    sqlx::query("VACUUM INTO ?")
        .bind(target)
        .execute(&mut *conn)
        .await
        .with_context(|| format!("writing the backup to {}", path.display()))?;
    // VACUUM INTO does not fsync its output: make the copy durable before saying it is done.
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    file.sync_all()
        .with_context(|| format!("flushing {} to disk", path.display()))?;
    let size = file
        .metadata()
        .with_context(|| format!("reading the size of {}", path.display()))?
        .len();
    Ok(size)
}

/// One member as the administrators see them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberListing {
    pub id: i64,
    pub user_id: i64,
    pub chat_id: i64,
    pub role: String,
    /// `None` for a board member.
    pub unit_code: Option<String>,
    pub display_name: String,
    pub registered_at: DateTime<Utc>,
    pub unreachable_at: Option<DateTime<Utc>>,
    pub removed_at: Option<DateTime<Utc>>,
}

type ListingRow = (
    i64,
    i64,
    i64,
    String,
    Option<String>,
    String,
    String,
    Option<String>,
    Option<String>,
);

/// `SELECT <every ListingRow column> FROM members … <tail>`, as one literal.
macro_rules! select_listing {
    ($tail:literal) => {
        concat!(
            "SELECT m.id, m.user_id, m.chat_id, m.role, u.code, m.display_name, m.created_at, m.unreachable_at,
             m.removed_at FROM members m LEFT JOIN units u ON u.id = m.unit_id ",
            $tail
        )
    };
}

fn listing(row: ListingRow) -> Result<MemberListing> {
    let (id, user_id, chat_id, role, unit_code, display_name, created, unreachable, removed) = row;
    let at = |s: &str, what: &str| parse_ts(s).with_context(|| format!("member {id}: {what} «{s}» is not a timestamp"));
    Ok(MemberListing {
        id,
        user_id,
        chat_id,
        role,
        unit_code,
        display_name,
        registered_at: at(&created, "created_at")?,
        unreachable_at: unreachable.as_deref().map(|s| at(s, "unreachable_at")).transpose()?,
        removed_at: removed.as_deref().map(|s| at(s, "removed_at")).transpose()?,
    })
}

/// Every member, removed and unreachable ones included, optionally of one unit (code
/// matched without regard to case); board members first, then by unit code, then by id.
pub async fn list_members(conn: &mut SqliteConnection, unit_code: Option<&str>) -> Result<Vec<MemberListing>> {
    let rows: Vec<ListingRow> = sqlx::query_as(select_listing!(
        "WHERE ?1 IS NULL OR u.code = ?1 COLLATE NOCASE ORDER BY u.code IS NOT NULL, u.code, m.id"
    ))
    .bind(unit_code)
    .fetch_all(conn)
    .await
    .context("listing members")?;
    rows.into_iter().map(listing).collect()
}

pub async fn member_listing(conn: &mut SqliteConnection, id: i64) -> Result<Option<MemberListing>> {
    let row: Option<ListingRow> = sqlx::query_as(select_listing!("WHERE m.id = ?"))
        .bind(id)
        .fetch_optional(conn)
        .await
        .context("reading member")?;
    row.map(listing).transpose()
}

#[derive(Debug, thiserror::Error)]
pub enum RemoveError {
    #[error("there is no member with id {0} (see `chibo-bot members list`)")]
    Unknown(i64),
    #[error("member {} ({}) was already removed at {}", .0.id, .0.display_name, ts(.0.removed_at.unwrap_or_default()))]
    AlreadyRemoved(Box<MemberListing>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for RemoveError {
    fn from(e: sqlx::Error) -> Self {
        RemoveError::Store(e.into())
    }
}

/// Takes a member's access away: sets `removed_at` (the row stays, answers and events refer
/// to it) and forgets their conversation. Run it in a write transaction. Returns the member
/// as now stored.
pub async fn remove_member(
    conn: &mut SqliteConnection,
    id: i64,
    now: DateTime<Utc>,
) -> Result<MemberListing, RemoveError> {
    let member = member_listing(conn, id).await?.ok_or(RemoveError::Unknown(id))?;
    if member.removed_at.is_some() {
        return Err(RemoveError::AlreadyRemoved(Box::new(member)));
    }
    sqlx::query("UPDATE members SET removed_at = ? WHERE id = ? AND removed_at IS NULL")
        .bind(ts(now))
        .bind(id)
        .execute(&mut *conn)
        .await
        .context("marking member removed")
        .map_err(StoreError::from)?;
    sqlx::query("DELETE FROM conversations WHERE chat_id = ?")
        .bind(member.chat_id)
        .execute(&mut *conn)
        .await
        .context("forgetting the member's conversation")
        .map_err(StoreError::from)?;
    Ok(MemberListing {
        removed_at: parse_ts(&ts(now)),
        ..member
    })
}
