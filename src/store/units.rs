//! Campaigns and reporting units.

use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

use super::{Result, parse_ts, ts};

// ---------------------------------------------------------------- campaigns

#[derive(Debug, Clone)]
pub struct Campaign {
    pub id: i64,
    pub code: String,
    pub deadline: DateTime<Utc>,
}

/// The campaign row of a form code, created with `deadline` the first time.
pub async fn ensure_campaign(
    conn: &mut SqliteConnection,
    code: &str,
    name: &str,
    deadline: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Campaign> {
    sqlx::query("INSERT INTO campaigns (code, name, deadline_utc, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (code) DO NOTHING")
        .bind(code)
        .bind(name)
        .bind(ts(deadline))
        .bind(ts(now))
        .execute(&mut *conn)
        .await
        .context("creating campaign")?;
    let (id, deadline): (i64, String) = sqlx::query_as("SELECT id, deadline_utc FROM campaigns WHERE code = ?")
        .bind(code)
        .fetch_one(&mut *conn)
        .await
        .context("reading campaign")?;
    let deadline = parse_ts(&deadline).context("campaign deadline is not a timestamp")?;
    Ok(Campaign {
        id,
        code: code.to_owned(),
        deadline,
    })
}

pub async fn campaign_by_id(conn: &mut SqliteConnection, id: i64) -> Result<Campaign> {
    let (code, deadline): (String, String) = sqlx::query_as("SELECT code, deadline_utc FROM campaigns WHERE id = ?")
        .bind(id)
        .fetch_one(conn)
        .await
        .context("reading campaign")?;
    let deadline = parse_ts(&deadline).context("campaign deadline is not a timestamp")?;
    Ok(Campaign { id, code, deadline })
}

pub async fn set_deadline(conn: &mut SqliteConnection, campaign: i64, deadline: DateTime<Utc>) -> Result<()> {
    sqlx::query("UPDATE campaigns SET deadline_utc = ? WHERE id = ?")
        .bind(ts(deadline))
        .bind(campaign)
        .execute(conn)
        .await
        .context("changing deadline")?;
    Ok(())
}

// ---------------------------------------------------------------- units

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Unit {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub commune: bool,
    pub cell_types: String,
}

impl Unit {
    pub fn default_cell_types(&self) -> Vec<String> {
        self.cell_types
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect()
    }
    pub fn is_chi_bo(&self) -> bool {
        self.kind == "chi_bo"
    }
}

pub struct NewUnit<'a> {
    pub code: &'a str,
    pub name: &'a str,
    pub kind: &'a str,
    pub commune: bool,
    pub cell_types: &'a str,
}

/// Inserts or updates a unit by code; returns true when it was new.
pub async fn upsert_unit(conn: &mut SqliteConnection, u: &NewUnit<'_>, now: DateTime<Utc>) -> Result<bool> {
    let existed: Option<i64> = sqlx::query_scalar("SELECT id FROM units WHERE code = ?")
        .bind(u.code)
        .fetch_optional(&mut *conn)
        .await
        .context("looking up unit")?;
    sqlx::query(
        "INSERT INTO units (code, name, kind, commune, cell_types, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (code) DO UPDATE SET name = excluded.name, kind = excluded.kind, commune = excluded.commune,
         cell_types = excluded.cell_types, updated_at = excluded.updated_at",
    )
    .bind(u.code)
    .bind(u.name)
    .bind(u.kind)
    .bind(u.commune)
    .bind(u.cell_types)
    .bind(ts(now))
    .bind(ts(now))
    .execute(&mut *conn)
    .await
    .context("saving unit")?;
    Ok(existed.is_none())
}

pub async fn units(conn: &mut SqliteConnection) -> Result<Vec<Unit>> {
    Ok(
        sqlx::query_as("SELECT id, code, name, kind, commune, cell_types FROM units ORDER BY code")
            .fetch_all(conn)
            .await
            .context("listing units")?,
    )
}

pub async fn unit_by_id(conn: &mut SqliteConnection, id: i64) -> Result<Option<Unit>> {
    Ok(
        sqlx::query_as("SELECT id, code, name, kind, commune, cell_types FROM units WHERE id = ?")
            .bind(id)
            .fetch_optional(conn)
            .await
            .context("reading unit")?,
    )
}

pub async fn unit_by_code(conn: &mut SqliteConnection, code: &str) -> Result<Option<Unit>> {
    Ok(
        sqlx::query_as("SELECT id, code, name, kind, commune, cell_types FROM units WHERE code = ? COLLATE NOCASE")
            .bind(code)
            .fetch_optional(conn)
            .await
            .context("reading unit")?,
    )
}
