//! Settings, read once from the environment (and `.env`), validated, with safe defaults.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, bail};
use chrono::NaiveTime;
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
    /// When reminders go out.
    pub reminders: ReminderSettings,
    /// `TELEGRAM_MAX_PER_SEC` (default 30) and `TELEGRAM_MAX_PER_SEC_CHAT` (default 1).
    pub max_per_sec: u32,
    pub max_per_sec_chat: u32,
    /// `TELEGRAM_CHAT_BURST` (default 3): messages one chat may get at once, so a step's
    /// receipt and next prompt leave together.
    pub chat_burst: u32,
    /// `TELEGRAM_SEND_TIMEOUT_SECS` (default 15): how long one Bot API call may take.
    pub send_timeout: std::time::Duration,
    /// `ZALO_BOT_TOKEN`: enables the Zalo channel.
    pub zalo_token: Option<Token>,
    /// `ZALO_API_URL`: another Zalo Bot API base URL (a proxy, or the test fake).
    pub zalo_api_url: Option<Url>,
    /// `ZALO_WEBHOOK_LISTEN` and `ZALO_WEBHOOK_SECRET`: receive updates by webhook on this
    /// address instead of long polling.
    pub zalo_webhook: Option<(SocketAddr, Token)>,
    /// `ZALO_MAX_PER_SEC` (default 5), `ZALO_MAX_PER_SEC_CHAT` (default 1) and
    /// `ZALO_CHAT_BURST` (default 3): Zalo publishes no limits, so these are conservative.
    pub zalo_max_per_sec: u32,
    pub zalo_max_per_sec_chat: u32,
    pub zalo_chat_burst: u32,
    /// `WEBAPP_LISTEN` and `WEBAPP_PUBLIC_URL`: serve the report form (a Telegram Mini App)
    /// on this address, reached by users at this HTTPS address (normally a reverse proxy).
    pub webapp: Option<(SocketAddr, Url)>,
}

/// The reminder schedule, in the campaign's time zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderSettings {
    /// `REMINDER_DAYS_BEFORE`: days before the deadline day (0 = the day itself), default 7,3,1,0.
    pub days_before: Vec<u32>,
    /// `REMINDER_TIME`: time of day, default 08:00.
    pub at: NaiveTime,
    /// `REMINDER_OVERDUE_DAYS`: daily overdue reminders after the deadline, default 7.
    pub overdue_days: u32,
    /// `QUIET_HOURS`: no reminders from .0 to .1 (default 21:00–07:00).
    pub quiet: (NaiveTime, NaiveTime),
    /// `BOARD_SUMMARY_DAYS`: daily summary to the board in the last N days, default 7.
    pub board_summary_days: u32,
}

impl Default for ReminderSettings {
    fn default() -> Self {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap_or_default();
        ReminderSettings {
            days_before: vec![7, 3, 1, 0],
            at: t(8, 0),
            overdue_days: 7,
            quiet: (t(21, 0), t(7, 0)),
            board_summary_days: 7,
        }
    }
}

fn parse_time(s: &str, what: &str) -> anyhow::Result<NaiveTime> {
    NaiveTime::parse_from_str(s.trim(), "%H:%M").with_context(|| format!("{what} «{s}» must be HH:MM"))
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
            reminders: ReminderSettings::default(),
            max_per_sec: 30,
            max_per_sec_chat: 1,
            chat_burst: 3,
            send_timeout: std::time::Duration::from_secs(15),
            zalo_token: None,
            zalo_api_url: None,
            zalo_webhook: None,
            zalo_max_per_sec: 5,
            zalo_max_per_sec_chat: 1,
            zalo_chat_burst: 3,
            webapp: None,
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
        if let Some(v) = var("REMINDER_DAYS_BEFORE") {
            let mut days = Vec::new();
            for d in v.split(',').map(str::trim).filter(|d| !d.is_empty()) {
                days.push(
                    d.parse()
                        .with_context(|| format!("REMINDER_DAYS_BEFORE: «{d}» is not a number of days"))?,
                );
            }
            s.reminders.days_before = days;
        }
        if let Some(v) = var("REMINDER_TIME") {
            s.reminders.at = parse_time(&v, "REMINDER_TIME")?;
        }
        if let Some(v) = var("REMINDER_OVERDUE_DAYS") {
            s.reminders.overdue_days = v.parse().with_context(|| format!("REMINDER_OVERDUE_DAYS «{v}»"))?;
        }
        if let Some(v) = var("QUIET_HOURS") {
            let (a, b) = v
                .split_once('-')
                .with_context(|| format!("QUIET_HOURS «{v}» must be HH:MM-HH:MM"))?;
            s.reminders.quiet = (parse_time(a, "QUIET_HOURS")?, parse_time(b, "QUIET_HOURS")?);
        }
        if let Some(v) = var("BOARD_SUMMARY_DAYS") {
            s.reminders.board_summary_days = v.parse().with_context(|| format!("BOARD_SUMMARY_DAYS «{v}»"))?;
        }
        if let Some(v) = var("TELEGRAM_MAX_PER_SEC") {
            s.max_per_sec = v.parse().with_context(|| format!("TELEGRAM_MAX_PER_SEC «{v}»"))?;
        }
        if let Some(v) = var("TELEGRAM_MAX_PER_SEC_CHAT") {
            s.max_per_sec_chat = v.parse().with_context(|| format!("TELEGRAM_MAX_PER_SEC_CHAT «{v}»"))?;
        }
        if let Some(v) = var("TELEGRAM_CHAT_BURST") {
            s.chat_burst = v.parse().with_context(|| format!("TELEGRAM_CHAT_BURST «{v}»"))?;
        }
        if let Some(v) = var("TELEGRAM_SEND_TIMEOUT_SECS") {
            let secs: u64 = v.parse().with_context(|| format!("TELEGRAM_SEND_TIMEOUT_SECS «{v}»"))?;
            s.send_timeout = std::time::Duration::from_secs(secs.max(1));
        }
        if s.max_per_sec == 0 || s.max_per_sec_chat == 0 {
            bail!("TELEGRAM_MAX_PER_SEC and TELEGRAM_MAX_PER_SEC_CHAT must be at least 1");
        }
        s.read_zalo(var)?;
        s.read_webapp(var)?;
        Ok(s)
    }

    /// The web form's settings (`WEBAPP_*`): both or neither.
    fn read_webapp(&mut self, var: impl Fn(&str) -> Option<String>) -> anyhow::Result<()> {
        match (var("WEBAPP_LISTEN"), var("WEBAPP_PUBLIC_URL")) {
            (Some(l), Some(u)) => {
                let addr: SocketAddr = l
                    .parse()
                    .with_context(|| format!("WEBAPP_LISTEN «{l}» must be an address and port, e.g. 127.0.0.1:8080"))?;
                let url = Url::parse(&u).with_context(|| format!("WEBAPP_PUBLIC_URL «{u}» is not a URL"))?;
                let local = matches!(url.host_str(), Some("127.0.0.1" | "localhost"));
                if url.scheme() != "https" && !local {
                    bail!("WEBAPP_PUBLIC_URL must be https:// (Telegram opens only HTTPS pages)");
                }
                self.webapp = Some((addr, url));
            }
            (Some(_), None) => {
                bail!("WEBAPP_LISTEN is set without WEBAPP_PUBLIC_URL: set the HTTPS address users reach")
            }
            (None, Some(_)) => bail!("WEBAPP_PUBLIC_URL is set without WEBAPP_LISTEN: set the address to listen on"),
            (None, None) => {}
        }
        Ok(())
    }

    /// The Zalo settings (`ZALO_*`).
    fn read_zalo(&mut self, var: impl Fn(&str) -> Option<String>) -> anyhow::Result<()> {
        self.zalo_token = var("ZALO_BOT_TOKEN").map(Token::new);
        if let Some(u) = var("ZALO_API_URL") {
            self.zalo_api_url = Some(Url::parse(&u).with_context(|| format!("ZALO_API_URL «{u}» is not a URL"))?);
        }
        match (var("ZALO_WEBHOOK_LISTEN"), var("ZALO_WEBHOOK_SECRET")) {
            (Some(l), Some(secret)) => {
                let addr: SocketAddr = l.parse().with_context(|| {
                    format!("ZALO_WEBHOOK_LISTEN «{l}» must be an address and port, e.g. 127.0.0.1:8443")
                })?;
                let n = secret.chars().count();
                if !(8..=256).contains(&n) {
                    bail!("ZALO_WEBHOOK_SECRET must be 8 to 256 characters (it has {n})");
                }
                self.zalo_webhook = Some((addr, Token::new(secret)));
            }
            (Some(_), None) => {
                bail!("ZALO_WEBHOOK_LISTEN is set without ZALO_WEBHOOK_SECRET: set the secret given to setWebhook")
            }
            (None, Some(_)) => {
                bail!("ZALO_WEBHOOK_SECRET is set without ZALO_WEBHOOK_LISTEN: set the address to listen on")
            }
            (None, None) => {}
        }
        for (k, field) in [
            ("ZALO_MAX_PER_SEC", &mut self.zalo_max_per_sec),
            ("ZALO_MAX_PER_SEC_CHAT", &mut self.zalo_max_per_sec_chat),
            ("ZALO_CHAT_BURST", &mut self.zalo_chat_burst),
        ] {
            if let Some(v) = var(k) {
                *field = v.parse().with_context(|| format!("{k} «{v}»"))?;
                if *field == 0 {
                    bail!("{k} must be at least 1");
                }
            }
        }
        Ok(())
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
