//! `spawn_bot()`: the real application against the fake Bot API, on a fresh SQLite file.

use std::sync::LazyLock;
use std::time::Duration;

use chibo_bot::admin;
use chibo_bot::config::{Settings, Token};
use chibo_bot::engine::Engine;
use chibo_bot::startup::{Application, TelegramRuntime};
use chrono::Utc;
use sqlx::SqlitePool;
use tempfile::TempDir;

use crate::fake_telegram::{FakeTelegram, Sent};

static TRACING: LazyLock<()> = LazyLock::new(|| {
    if std::env::var("TEST_LOG").is_ok() {
        chibo_bot::telemetry::init("info", std::io::stderr);
    } else {
        chibo_bot::telemetry::init("off", std::io::sink);
    }
});

pub const WAIT: Duration = Duration::from_secs(15);

pub struct TestBot {
    pub fake: FakeTelegram,
    pub engine: Engine,
    pub dir: TempDir,
    /// The application, to start another channel on the same engine and database.
    pub app: Application,
    pub runtime: TelegramRuntime,
}

pub fn settings_for(dir: &TempDir, fake: &FakeTelegram) -> Settings {
    let mut s = Settings::with_database(format!("sqlite://{}", dir.path().join("bot.db").display()));
    s.token = Some(Token::new(FakeTelegram::TOKEN));
    s.api_url = Some(fake.api_url());
    s
}

/// Starts the bot on a new database with the sample district loaded.
pub async fn spawn_bot() -> TestBot {
    let dir = tempfile::tempdir().expect("temp dir");
    let fake = FakeTelegram::start().await;
    spawn_on(dir, fake, true).await
}

/// Starts (or restarts) the bot on an existing folder and fake.
pub async fn spawn_on(dir: TempDir, fake: FakeTelegram, load_sample: bool) -> TestBot {
    spawn_with(dir, fake, load_sample, |_| {}).await
}

/// [`spawn_on`] with more settings (another channel's, for instance).
pub async fn spawn_with(
    dir: TempDir,
    fake: FakeTelegram,
    load_sample: bool,
    configure: impl FnOnce(&mut Settings),
) -> TestBot {
    LazyLock::force(&TRACING);
    let mut settings = settings_for(&dir, &fake);
    // Tests send hundreds of messages to one chat; the rate limits are tested on their own.
    settings.max_per_sec = 10_000;
    settings.max_per_sec_chat = 10_000;
    settings.chat_burst = 10_000;
    // Short, so that a slow answer counts as a timeout within a test's patience.
    settings.send_timeout = Duration::from_secs(3);
    configure(&mut settings);
    let app = Application::build(settings, Utc::now())
        .await
        .expect("application builds");
    if load_sample {
        admin::import_units(
            app.engine.store(),
            app.engine.form(),
            admin::SAMPLE_UNITS_CSV.as_bytes(),
            Utc::now(),
        )
        .await
        .expect("sample units import");
    }
    let engine = app.engine.clone();
    let runtime = app.start_telegram(None).await.expect("telegram side starts");
    TestBot {
        fake,
        engine,
        dir,
        app,
        runtime,
    }
}

impl TestBot {
    pub fn outbox(&self) -> &chibo_bot::outbox::OutboxHandle {
        &self.runtime.outbox
    }

    /// Waits until every Telegram message committed so far has been delivered (or given up).
    pub async fn outbox_drained(&self) {
        let deadline = tokio::time::Instant::now() + WAIT * 4;
        loop {
            let pending: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM outbox WHERE channel = 'telegram' AND sent_at IS NULL AND failed_at IS NULL",
            )
            .fetch_one(self.pool())
            .await
            .expect("outbox");
            if pending == 0 {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{pending} messages still unsent"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// `n` units (`{prefix}0000` …) with a Telegram secretary each, written straight to the
    /// database (chats `first_chat` …, known to the fake). Returns the chats.
    pub async fn units_with_secretaries(&self, prefix: &str, n: i64, first_chat: i64) -> Vec<i64> {
        let now = Utc::now();
        let mut csv = String::from("code,name,cell_types\n");
        for i in 0..n {
            csv.push_str(&format!("{prefix}{i:04},Đảng bộ xã {prefix} {i},thon;coquan\n"));
        }
        admin::import_units(self.engine.store(), self.engine.form(), csv.as_bytes(), now)
            .await
            .expect("units");
        let mut tx = self.engine.store().begin().await.expect("write");
        let mut chats = Vec::new();
        for i in 0..n {
            let unit = chibo_bot::store::unit_by_code(&mut tx, &format!("{prefix}{i:04}"))
                .await
                .expect("unit")
                .expect("unit exists");
            let chat = first_chat + i;
            chibo_bot::store::upsert_member(
                &mut tx,
                chibo_bot::engine::Channel::Telegram,
                chat,
                chat,
                &format!("Bí thư {i}"),
                "secretary",
                Some(unit.id),
                now,
            )
            .await
            .expect("member");
            self.fake.register_private_chat(chat);
            chats.push(chat);
        }
        tx.commit().await.expect("commit");
        chats
    }

    pub fn pool(&self) -> &SqlitePool {
        self.engine.store().pool()
    }

    pub async fn invite(&self, unit: Option<&str>, role: &str) -> String {
        admin::create_invite(self.engine.store(), unit, role, 14, Utc::now())
            .await
            .expect("invite")
            .code
    }

    async fn last_outbox_id(&self) -> i64 {
        sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(id) FROM outbox")
            .fetch_one(self.pool())
            .await
            .expect("outbox")
            .unwrap_or(0)
    }

    /// Waits for every message the bot commits for `chat` in answer to one input: the
    /// first arrival means the whole batch is in the outbox, whose size says how many follow.
    async fn collect(&self, chat: i64, before: i64) -> Vec<Sent> {
        let first = self.fake.next_for(chat, WAIT).await.expect("the bot answered");
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE id > ? AND chat_id = ?")
            .bind(before)
            .bind(chat)
            .fetch_one(self.pool())
            .await
            .expect("outbox count");
        let mut out = vec![first];
        for _ in 1..n.max(1) {
            out.push(self.fake.next_for(chat, WAIT).await.expect("the rest of the batch"));
        }
        out
    }

    /// The user types `text`; returns the bot's messages.
    pub async fn say(&self, chat: i64, user: i64, text: &str) -> Vec<Sent> {
        let before = self.last_outbox_id().await;
        self.fake.send_text(chat, user, text);
        self.collect(chat, before).await
    }

    /// The user sends a file; returns the bot's messages.
    pub async fn upload(&self, chat: i64, user: i64, name: &str, bytes: Vec<u8>) -> Vec<Sent> {
        let before = self.last_outbox_id().await;
        self.fake.send_file(chat, user, name, bytes);
        self.collect(chat, before).await
    }

    /// The user presses the button whose label contains `label` on message `on`.
    pub async fn press(&self, chat: i64, user: i64, on: &Sent, label: &str) -> Vec<Sent> {
        let b = on
            .button(label)
            .unwrap_or_else(|| panic!("no button «{label}» in {:?}: {:?}", on.text, on.button_labels()));
        let data = b.data.clone().expect("callback button");
        let before = self.last_outbox_id().await;
        self.fake.press(chat, user, on.message_id, &data);
        self.collect(chat, before).await
    }

    pub async fn stop(self) -> (TempDir, FakeTelegram) {
        self.runtime.stop().await;
        assert!(
            self.fake.unknown_methods().is_empty(),
            "unknown methods: {:?}",
            self.fake.unknown_methods()
        );
        // A chat that blocked the bot is refused on purpose in some tests; nothing else may be.
        let rejected: Vec<_> = self
            .fake
            .rejected()
            .into_iter()
            .filter(|(_, why)| !why.contains("blocked by the user"))
            .collect();
        assert!(rejected.is_empty(), "rejected calls: {rejected:?}");
        (self.dir, self.fake)
    }

    pub async fn answer(&self, unit: &str, key: &str, row: &str) -> Option<Option<String>> {
        sqlx::query_scalar(
            "SELECT a.value FROM answers a JOIN units u ON u.id = a.unit_id WHERE u.code = ? AND a.key = ? AND a.row = ?",
        )
        .bind(unit)
        .bind(key)
        .bind(row)
        .fetch_optional(self.pool())
        .await
        .expect("answer query")
    }
}

/// The last message of a batch: the one with the buttons to go on with.
pub fn last(msgs: &[Sent]) -> &Sent {
    msgs.last().expect("at least one message")
}

pub fn joined(msgs: &[Sent]) -> String {
    msgs.iter()
        .map(|m| m.text_or_caption().to_owned())
        .collect::<Vec<_>>()
        .join("\n---\n")
}

/// LibreOffice's `soffice`, for the tests that need it. Under CI it must be there (CI
/// installs it), so its absence fails the test; elsewhere the test is skipped, saying why.
pub fn libreoffice() -> Option<&'static str> {
    for cmd in ["soffice", "libreoffice"] {
        if std::process::Command::new(cmd)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return Some(cmd);
        }
    }
    assert!(
        std::env::var("CI").is_err(),
        "LibreOffice is not installed; CI installs it (.ci/run)"
    );
    eprintln!("skipped: LibreOffice is not installed (apt-get install libreoffice-calc)");
    None
}

/// A valid row of each table for a cell type (thôn, bản; any other type gets the agency
/// row), consistent across the tables (Biểu 1 and 2 agree on the number of cells), typed as
/// a secretary would, with decimal commas.
pub fn valid_row(table: &str, cell: &str) -> &'static str {
    match (table, cell) {
        ("B1", "thon") => "10 2 1 3 4 0 0 120 87,5 12 4 5 1,5",
        ("B2", "thon") => "10 0 10 2 8 10 0 2 6 2 1 3 2 4 3 6 1",
        ("B3", "thon") => "20 20 20 20 20 20 20 15 15 10 10 10",
        ("B4", "thon") => "10 10 6 8 2 1 3",
        ("B1", _) => "3 2 0 1 0 0 0 18 95 12 4 4 2",
        ("B2", _) => "3 0 3 0 0 3 1 2 0 0 3 0 0 0 3 0 0",
        ("B3", _) => "10 10 5 5 0 10 10 5 0 5 0 0",
        other => panic!("no row for {other:?}"),
    }
}
