//! Crash safety: the real bot process, killed with SIGKILL at seeded random moments while
//! secretaries keep writing, and restarted each time. Afterwards every update is applied
//! exactly once, every stored answer is the last one sent, and the database is intact.

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use chibo_bot::admin;
use chibo_bot::startup::Application;
use chrono::Utc;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::SqlitePool;
use sqlx::sqlite::SqliteConnectOptions;

use crate::fake_telegram::FakeTelegram;
use crate::helpers::settings_for;

const KILLS: usize = 30;
const HEADINGS: [&str; 4] = ["IV.2.1", "IV.2.2", "I.2.1", "III.1"];

fn start(dir: &tempfile::TempDir, fake: &FakeTelegram, run: usize) -> Child {
    let log = std::fs::File::create(dir.path().join(format!("bot-{run}.log"))).expect("log file");
    Command::new(env!("CARGO_BIN_EXE_chibo-bot"))
        .arg("run")
        .env(
            "DATABASE_URL",
            format!("sqlite://{}", dir.path().join("bot.db").display()),
        )
        .env("TELOXIDE_TOKEN", FakeTelegram::TOKEN)
        .env("TELOXIDE_API_URL", fake.api_url().as_str())
        .env("TELEGRAM_MAX_PER_SEC", "10000")
        .env("TELEGRAM_MAX_PER_SEC_CHAT", "10000")
        .env("RUST_LOG", std::env::var("CRASH_LOG").unwrap_or_else(|_| "warn".into()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("the bot binary starts")
}

/// What the secretaries sent: per (chat, heading) the values in order.
#[derive(Default)]
struct Script {
    sent: HashMap<(i64, &'static str), Vec<String>>,
    next: usize,
}

impl Script {
    fn write(&mut self, fake: &FakeTelegram, rng: &mut StdRng, chats: &[i64]) {
        let chat = chats[rng.random_range(0..chats.len())];
        let heading = HEADINGS[rng.random_range(0..HEADINGS.len())];
        self.next += 1;
        let value = format!("Giá trị số {} của mục {heading}", self.next);
        fake.send_text(chat, chat, &format!("/traloi {heading} {value}"));
        self.sent.entry((chat, heading)).or_default().push(value);
    }
}

async fn wait_for(pool: &SqlitePool, what: &str, sql: &'static str, want: i64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    loop {
        let got: i64 = sqlx::query_scalar(sql).fetch_one(pool).await.unwrap_or(-1);
        if got == want {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "{what}: {got}, expected {want}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_random_moments_loses_nothing_and_applies_nothing_twice() {
    let seed: u64 = std::env::var("CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(18);
    let mut rng = StdRng::seed_from_u64(seed);
    let dir = tempfile::tempdir().expect("temp dir");
    let fake = FakeTelegram::start().await;

    // Units and one invite per secretary, prepared through the library; each secretary
    // reports for their own unit.
    let units = ["mgso", "khonglao", "banlang", "ttphongtho"];
    let chats: Vec<i64> = (0..units.len()).map(|i| 7_001 + i as i64).collect();
    let mut codes = Vec::new();
    {
        let app = Application::build(settings_for(&dir, &fake), Utc::now())
            .await
            .expect("app");
        let store = app.engine.store();
        admin::import_units(store, app.engine.form(), admin::SAMPLE_UNITS_CSV.as_bytes(), Utc::now())
            .await
            .expect("units");
        for u in units {
            codes.push(
                admin::create_invite(store, Some(u), "secretary", 14, Utc::now())
                    .await
                    .expect("invite")
                    .code,
            );
        }
        store.pool().close().await;
    }
    for (chat, code) in chats.iter().zip(&codes) {
        fake.send_text(*chat, *chat, &format!("/start {code}"));
    }

    let t0 = std::time::Instant::now();
    let mut script = Script::default();
    let mut bot = start(&dir, &fake, 0);
    for run in 1..=KILLS {
        // Writers keep writing while the bot runs for a random while.
        let alive = Duration::from_millis(rng.random_range(30..400));
        let until = tokio::time::Instant::now() + alive;
        while tokio::time::Instant::now() < until {
            for _ in 0..rng.random_range(0..3) {
                script.write(&fake, &mut rng, &chats);
            }
            tokio::time::sleep(Duration::from_millis(rng.random_range(1..25))).await;
        }
        bot.kill().expect("SIGKILL");
        bot.wait().expect("the killed bot is reaped");
        // And while it is down.
        for _ in 0..rng.random_range(0..4) {
            script.write(&fake, &mut rng, &chats);
        }
        bot = start(&dir, &fake, run);
    }

    eprintln!("kills done at {:?}", t0.elapsed());
    let total = fake.last_update_id();
    let options = SqliteConnectOptions::new().filename(dir.path().join("bot.db"));
    let pool = SqlitePool::connect_with(options).await.expect("database");
    wait_for(
        &pool,
        "updates applied",
        "SELECT COUNT(*) FROM processed_updates WHERE channel = 'telegram'",
        total,
    )
    .await;
    wait_for(
        &pool,
        "messages unsent",
        "SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL",
        0,
    )
    .await;
    eprintln!("drained at {:?}", t0.elapsed());
    if std::env::var("CRASH_KEEP").is_ok() {
        let _ = std::fs::create_dir_all("/tmp/crashlogs");
        for e in std::fs::read_dir(dir.path()).unwrap().flatten() {
            let _ = std::fs::copy(e.path(), std::path::Path::new("/tmp/crashlogs").join(e.file_name()));
        }
    }
    // A service manager's stop: SIGTERM finishes the batch in flight and exits cleanly. The
    // last run must be up first (polling), or the signal would meet a process still starting.
    let polls = fake.calls("getUpdates").len();
    assert!(
        fake.wait_until(Duration::from_secs(30), |f| f.calls("getUpdates").len() > polls + 1)
            .await,
        "the last run never polled"
    );
    let term = Command::new("sh")
        .arg("-c")
        .arg(format!("kill -TERM {}", bot.id()))
        .status()
        .expect("kill -TERM");
    assert!(term.success());
    let status = bot.wait().expect("reaped");
    assert!(status.success(), "SIGTERM ended the bot with {status}");

    // Every update id once, none missing.
    let (n, lo, hi): (i64, i64, i64) =
        sqlx::query_as("SELECT COUNT(*), MIN(update_id), MAX(update_id) FROM processed_updates")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((n, lo, hi), (total, 1, total), "seed {seed}");
    let failed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM processed_updates WHERE failed = 1")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(failed, 0, "seed {seed}: steps failed");

    // Every answer is the last value sent, with exactly one history row per update.
    for ((chat, heading), values) in &script.sent {
        let unit = units[chats.iter().position(|c| c == chat).unwrap()];
        let stored: Option<String> = sqlx::query_scalar(
            "SELECT a.value FROM answers a JOIN units u ON u.id = a.unit_id WHERE u.code = ? AND a.key = ?",
        )
        .bind(unit)
        .bind(heading)
        .fetch_optional(&pool)
        .await
        .unwrap()
        .flatten();
        assert_eq!(stored.as_ref(), values.last(), "seed {seed}: {unit} {heading}");
        let history: Vec<String> = sqlx::query_scalar(
            "SELECT h.new_value FROM answer_history h JOIN units u ON u.id = h.unit_id
             WHERE u.code = ? AND h.key = ? ORDER BY h.id",
        )
        .bind(unit)
        .bind(heading)
        .fetch_all(&pool)
        .await
        .unwrap();
        assert_eq!(
            &history, values,
            "seed {seed}: {unit} {heading}: applied once each, in order"
        );
    }

    // Every answer acknowledged to its writer (at least once: a message sent just before a
    // kill may be sent again after the restart).
    for chat in &chats {
        let acks = fake
            .history_for(*chat)
            .iter()
            .filter(|m| m.text_or_caption().contains("Đã lưu mục"))
            .count();
        let sent: usize = script
            .sent
            .iter()
            .filter(|((c, _), _)| c == chat)
            .map(|(_, v)| v.len())
            .sum();
        assert!(
            acks >= sent,
            "seed {seed}: chat {chat}: {acks} acknowledgements for {sent} answers"
        );
    }

    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(integrity, "ok");
    eprintln!("crash test: seed {seed}, {KILLS} kills, {total} updates, all applied once");
}
