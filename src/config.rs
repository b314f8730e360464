//! Settings, read once from the environment (and `.env`), validated, with safe defaults.

use std::fmt;
use std::path::PathBuf;

use anyhow::{Context, bail};
use chrono_tz::Tz;
use url::Url;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/chibo-bot.db";

/// The bot token; never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    pub fn new(s: impl Into<String>) -> Token {
        Token(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(***)")
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    /// `TELOXIDE_TOKEN`; only `run` needs it.
    pub token: Option<Token>,
    /// `TELOXIDE_API_URL`: another Bot API server (a local one, or the test fake).
    pub api_url: Option<Url>,
    /// `DATABASE_URL`, `sqlite://path`.
    pub database_url: String,
    /// `BOT_TIMEZONE`, default Asia/Ho_Chi_Minh.
    pub tz: Tz,
    /// `FORM_FILE`: a campaign form replacing the embedded one.
    pub form_file: Option<PathBuf>,
    /// `BOT_USERNAME`: for printing deep links (`https://t.me/<bot>?start=<code>`).
    pub bot_username: Option<String>,
    /// `INVITE_TTL_DAYS`, default 14.
    pub invite_ttl_days: i64,
}

impl Settings {
    /// Defaults suitable for tests and the console demo.
    pub fn with_database(url: impl Into<String>) -> Settings {
        Settings {
            token: None,
            api_url: None,
            database_url: url.into(),
            tz: chrono_tz::Asia::Ho_Chi_Minh,
            form_file: None,
            bot_username: None,
            invite_ttl_days: 14,
        }
    }

    /// Reads the process environment (after `.env`, if present).
    pub fn from_env() -> anyhow::Result<Settings> {
        let _ = dotenvy::dotenv();
        let var = |k: &str| {
            std::env::var(k)
                .ok()
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let mut s = Settings::with_database(var("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned()));
        s.token = var("TELOXIDE_TOKEN").map(Token::new);
        if let Some(u) = var("TELOXIDE_API_URL") {
            s.api_url = Some(Url::parse(&u).with_context(|| format!("TELOXIDE_API_URL «{u}» is not a URL"))?);
        }
        if let Some(tz) = var("BOT_TIMEZONE") {
            s.tz = tz
                .parse()
                .map_err(|_| anyhow::anyhow!("BOT_TIMEZONE «{tz}» is not a time zone name"))?;
        }
        s.form_file = var("FORM_FILE").map(PathBuf::from);
        s.bot_username = var("BOT_USERNAME").map(|u| u.trim_start_matches('@').to_owned());
        if let Some(d) = var("INVITE_TTL_DAYS") {
            s.invite_ttl_days = d
                .parse()
                .with_context(|| format!("INVITE_TTL_DAYS «{d}» is not a number"))?;
            if s.invite_ttl_days < 1 {
                bail!("INVITE_TTL_DAYS must be at least 1");
            }
        }
        Ok(s)
    }

    /// The form in force: `FORM_FILE` or the embedded default.
    pub fn load_form(&self) -> anyhow::Result<crate::form::Form> {
        match &self.form_file {
            Some(p) => {
                let text = std::fs::read_to_string(p).with_context(|| format!("reading FORM_FILE {}", p.display()))?;
                crate::form::Form::parse(&text).with_context(|| format!("FORM_FILE {}", p.display()))
            }
            None => Ok(crate::form::Form::embedded()),
        }
    }
}
