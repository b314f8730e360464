//! SQLite through sqlx: one file, WAL, foreign keys, migrations applied at start.
//! Every function takes a connection (usually a write transaction) so the engine can put
//! an answer, the conversation state and the outgoing messages in one commit.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::sqlite::{SqliteAutoVacuum, SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};

mod channels;
mod imports;
mod inbound;
mod members;
pub mod ops;
mod outbox;
mod reminders;
mod reports;
mod units;
mod views;

pub use channels::*;
pub use imports::*;
pub use inbound::*;
pub use members::*;
pub use outbox::*;
pub use reminders::*;
pub use reports::*;
pub use units::*;
pub use views::*;

pub type Tx = Transaction<'static, Sqlite>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::Unexpected(anyhow::Error::new(e))
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
}

impl Store {
    /// Opens (creating if missing) the database at `url` (`sqlite://path` or a plain path)
    /// and applies the migrations.
    pub async fn open(url: &str) -> Result<Store> {
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        if let Some(dir) = Path::new(path).parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).with_context(|| format!("creating folder {}", dir.display()))?;
        }
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{path}"))
            .context("parsing DATABASE_URL")?
            .create_if_missing(true)
            .foreign_keys(true)
            // New databases give pruned pages back to the disk (`prune`); an existing one
            // keeps its setting.
            .auto_vacuum(SqliteAutoVacuum::Incremental)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .with_context(|| format!("opening database {path}"))?;
        sqlx::migrate!("./migrations")
            .run(&pool)
            .await
            .context("applying migrations")?;
        Ok(Store { pool })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// A pooled connection for reads outside a transaction.
    pub async fn conn(&self) -> Result<sqlx::pool::PoolConnection<Sqlite>> {
        Ok(self.pool.acquire().await.context("opening a connection")?)
    }

    /// A read transaction: one consistent moment of the database, which never takes (nor
    /// waits for) the write lock.
    pub async fn read(&self) -> Result<Tx> {
        Ok(self.pool.begin().await.context("starting a read transaction")?)
    }

    /// A write transaction that takes the write lock at once (no upgrade deadlocks).
    pub async fn begin(&self) -> Result<Tx> {
        Ok(self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .context("starting a write transaction")?)
    }
}

pub fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub fn parse_ts(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&Utc))
}
