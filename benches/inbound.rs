//! `cargo bench --bench inbound`: the bot's inbound path at district scale.
//!
//! N units (default 10,000; `BENCH_UNITS=500` for a quick run) each send a whole report as
//! Telegram updates: `/start <invite>`, every heading (`/traloi`), every table row (`/nhap`),
//! every header field, `/nop` and the confirmation button. The updates are interleaved
//! round-robin (step i of every unit, then step i+1 …) so each batch spans many chats, and
//! served by a minimal fake Bot API (axum, on 127.0.0.1) as fast as `getUpdates` asks. The real
//! [`Poller`] fetches them through teloxide's HTTP client and applies each batch in one SQLite
//! transaction (synchronous=FULL, WAL) on a real file. Outgoing messages are committed to the
//! outbox but not sent during the measurement (sending is measured on its own); afterwards the
//! outbox worker delivers them to a recording port, so the database is measured as it is once
//! messages are delivered.
//!
//! Measured: wall time from the poller's start until a `getUpdates` asks for an offset past
//! the last update (everything committed). Batches = non-empty `getUpdates` answers = commits.
//! For scale, raw single-row autocommit INSERTs on the same disk (WAL, FULL and NORMAL).

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use chibo_bot::adapters::telegram::{self, Poller};
use chibo_bot::admin;
use chibo_bot::config::Settings;
use chibo_bot::engine::Channel;
use chibo_bot::engine::Engine;
use chibo_bot::engine::state::Action;
use chibo_bot::outbox::port::RecordingPort;
use chibo_bot::outbox::{Limits, Policy, Worker};
use chibo_bot::startup::Application;
use chrono::Utc;
use serde_json::{Value, json};
use sqlx::Connection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqliteSynchronous};
use tokio::sync::{Notify, watch};

const DEFAULT_UNITS: usize = 10_000;
const TOKEN: &str = "123456:BENCH-inbound";
const BOT_ID: i64 = 123_456;
/// Chat (= user) id of unit i is `CHAT_BASE + i`.
const CHAT_BASE: i64 = 700_000_000;
/// How long each raw SQLite commit loop runs.
const RAW_FOR: Duration = Duration::from_secs(2);

/// Consistent figures (the same as benches/throughput.rs): every hard rule passes.
const FIGURES: [(&str, &str); 4] = [
    ("B1", "10 2 1 3 4 0 0 120 87,5 12 4 5 1,5"),
    ("B2", "10 0 10 2 8 10 0 2 6 2 1 3 2 4 3 6 1"),
    ("B3", "20 20 20 20 20 20 20 15 15 10 10 10"),
    ("B4", "10 10 6 8 2 1 3"),
];
const CELL_TYPES: [&str; 2] = ["thon", "coquan"];
/// About 80 characters, naming both cell types (headings that compare types want that).
const ANSWER: &str = "Các chi bộ thôn, bản và chi bộ cơ quan duy trì sinh hoạt đều đặn, nền nếp tốt.";
const FIELDS: [(&str, &str); 6] = [
    ("HD.so", "1-BC/ĐU"),
    ("HD.ngay", "04/12/2023"),
    ("HD.nguoi_lap", "Nguyễn Văn A"),
    ("HD.nguoi_ky", "Trần Văn B"),
    ("HD.chuc_vu", "Bí thư"),
    ("HD.dien_thoai", "0912345678"),
];

/// One thing a secretary does.
enum Input {
    /// `/start <this unit's invite>`.
    Start,
    Text(String),
    /// Presses a button (callback data) on the bot's last message.
    Press(String),
}

/// The whole report of one unit, after `/start`: the same for every unit.
fn script(engine: &Engine) -> Vec<Input> {
    let form = engine.form();
    let mut out = vec![Input::Start];
    for n in form.answer_nodes() {
        out.push(Input::Text(format!("/traloi {} {ANSWER}", n.id)));
    }
    for t in &form.tables {
        let figures = FIGURES
            .iter()
            .find(|(id, _)| *id == t.id)
            .unwrap_or_else(|| panic!("no figures for table {}", t.id))
            .1;
        for code in CELL_TYPES {
            let ct = form.cell_type(code).expect("cell type");
            if t.residential_only && !ct.residential {
                continue;
            }
            out.push(Input::Text(format!("/nhap {} {code} {figures}", t.id)));
        }
    }
    for (f, v) in FIELDS {
        out.push(Input::Text(format!("/traloi {f} {v}")));
    }
    out.push(Input::Text("/nop".into()));
    out.push(Input::Press(Action::SubmitYes.encode()));
    out
}

fn user_json(chat: i64, n: usize) -> Value {
    json!({"id": chat, "is_bot": false, "first_name": "Bí thư", "last_name": format!("{n}"), "language_code": "vi"})
}

fn chat_json(chat: i64, n: usize) -> Value {
    json!({"id": chat, "type": "private", "first_name": "Bí thư", "last_name": format!("{n}")})
}

/// One update, serialised as Telegram sends it.
fn update_json(id: u32, n: usize, step: usize, input: &Input, invite: &str, date: i64) -> String {
    let chat = CHAT_BASE + n as i64;
    let message_id = 2 * step as i64 + 1;
    let text_message = |text: &str| {
        let mut m = json!({
            "message_id": message_id,
            "date": date,
            "chat": chat_json(chat, n),
            "from": user_json(chat, n),
            "text": text,
        });
        if text.starts_with('/') {
            let len = text.find(' ').unwrap_or(text.len());
            m["entities"] = json!([{"type": "bot_command", "offset": 0, "length": len}]);
        }
        json!({"update_id": id, "message": m})
    };
    let v = match input {
        Input::Start => text_message(&format!("/start {invite}")),
        Input::Text(t) => text_message(t),
        Input::Press(data) => json!({
            "update_id": id,
            "callback_query": {
                "id": format!("{id}"),
                "from": user_json(chat, n),
                "chat_instance": format!("ci{chat}"),
                "data": data,
                "message": {
                    // The bot's answer to the step before.
                    "message_id": message_id - 1,
                    "date": date,
                    "chat": chat_json(chat, n),
                    "from": {"id": BOT_ID, "is_bot": true, "first_name": "Chibo", "username": "chibo_bench_bot"},
                    "text": "Nộp báo cáo?",
                    "reply_markup": {"inline_keyboard": [[{"text": "Nộp", "callback_data": data}]]},
                },
            },
        }),
    };
    serde_json::to_string(&v).expect("json")
}

// ---------------------------------------------------------------- the fake Bot API

struct Fake {
    /// Update i has id i + 1.
    updates: Vec<String>,
    /// `getUpdates` calls answered with at least one update.
    batches: AtomicU64,
    polls: AtomicU64,
    callbacks_answered: AtomicU64,
    other_calls: AtomicU64,
    done_at: OnceLock<Instant>,
    done: Notify,
}

#[derive(serde::Deserialize, Default)]
struct GetUpdates {
    #[serde(default)]
    offset: i64,
    limit: Option<i64>,
}

fn ok_json(body: String) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

async fn handle(State(fake): State<Arc<Fake>>, UrlPath(path): UrlPath<String>, body: Bytes) -> Response {
    let method = path.rsplit('/').next().unwrap_or_default();
    if method.eq_ignore_ascii_case("getUpdates") {
        return get_updates(&fake, &body).await;
    }
    if method.eq_ignore_ascii_case("answerCallbackQuery") {
        fake.callbacks_answered.fetch_add(1, Ordering::Relaxed);
    } else {
        fake.other_calls.fetch_add(1, Ordering::Relaxed);
    }
    if method.eq_ignore_ascii_case("getMe") {
        return ok_json(
            json!({"ok": true, "result": {"id": BOT_ID, "is_bot": true, "first_name": "Chibo",
                "username": "chibo_bench_bot", "can_join_groups": false,
                "can_read_all_group_messages": false, "supports_inline_queries": false}})
            .to_string(),
        );
    }
    ok_json(r#"{"ok":true,"result":true}"#.to_owned())
}

async fn get_updates(fake: &Fake, body: &[u8]) -> Response {
    fake.polls.fetch_add(1, Ordering::Relaxed);
    let p: GetUpdates = serde_json::from_slice(body).unwrap_or_default();
    let total = fake.updates.len();
    let start = usize::try_from(p.offset.max(1) - 1).unwrap_or(usize::MAX);
    if start >= total {
        // Everything was committed: the run is done. Hold the poll briefly, as Telegram would.
        fake.done_at.get_or_init(Instant::now);
        fake.done.notify_one();
        tokio::time::sleep(Duration::from_millis(200)).await;
        return ok_json(r#"{"ok":true,"result":[]}"#.to_owned());
    }
    let limit = usize::try_from(p.limit.unwrap_or(100).clamp(1, 100)).unwrap_or(100);
    let batch = &fake.updates[start..(start + limit).min(total)];
    fake.batches.fetch_add(1, Ordering::Relaxed);
    let mut out = String::with_capacity(batch.iter().map(|u| u.len() + 1).sum::<usize>() + 32);
    out.push_str(r#"{"ok":true,"result":["#);
    for (i, u) in batch.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(u);
    }
    out.push_str("]}");
    ok_json(out)
}

// ---------------------------------------------------------------- raw SQLite

async fn raw_commits(path: &Path, sync: SqliteSynchronous) -> f64 {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(sync);
    let mut conn = SqliteConnection::connect_with(&options).await.expect("raw db");
    sqlx::query("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL, at INTEGER NOT NULL)")
        .execute(&mut conn)
        .await
        .expect("create");
    let start = Instant::now();
    let mut n: u64 = 0;
    while start.elapsed() < RAW_FOR {
        sqlx::query("INSERT INTO t (v, at) VALUES (?, ?)")
            .bind("một dòng nhỏ")
            .bind(n as i64)
            .execute(&mut conn)
            .await
            .expect("insert");
        n += 1;
    }
    let rate = n as f64 / start.elapsed().as_secs_f64();
    conn.close().await.expect("close");
    rate
}

fn file_len(p: &Path) -> u64 {
    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

/// `12345.6` -> `12,346`.
fn thousands(v: f64) -> String {
    let s = format!("{:.0}", v.max(0.0));
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

// ---------------------------------------------------------------- the run

#[tokio::main]
async fn main() {
    chibo_bot::telemetry::init("warn", std::io::stderr);
    let n: usize = match std::env::var("BENCH_UNITS") {
        Ok(v) => v.trim().parse().expect("BENCH_UNITS must be a number"),
        Err(_) => DEFAULT_UNITS,
    };
    assert!(n > 0, "BENCH_UNITS must be at least 1");
    println!("chibo-bot inbound benchmark: {n} units, real SQLite file, fake Bot API on 127.0.0.1");

    // ---- setup (not measured)
    let setup = Instant::now();
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("inbound.db");
    let settings = Settings::with_database(format!("sqlite://{}", db.display()));
    let app = Application::build(settings, Utc::now()).await.expect("app");
    let engine = app.engine.clone();
    let mut csv = String::from("code,name,cell_types\n");
    for i in 1..=n {
        csv.push_str(&format!("u{i:05},Đảng bộ xã Thử {i},thon;coquan\n"));
    }
    admin::import_units(engine.store(), engine.form(), csv.as_bytes(), Utc::now())
        .await
        .expect("import units");
    let mut invites = Vec::with_capacity(n);
    for i in 1..=n {
        let inv = admin::create_invite(engine.store(), Some(&format!("u{i:05}")), "secretary", 14, Utc::now())
            .await
            .expect("invite");
        invites.push(inv.code);
    }
    let steps = script(&engine);
    let date = Utc::now().timestamp();
    let mut updates = Vec::with_capacity(n * steps.len());
    for (s, input) in steps.iter().enumerate() {
        for (u, invite) in invites.iter().enumerate() {
            let id = u32::try_from(updates.len() + 1).expect("update id");
            updates.push(update_json(id, u, s, input, invite, date));
        }
    }
    let total = updates.len();
    let fake = Arc::new(Fake {
        updates,
        batches: AtomicU64::new(0),
        polls: AtomicU64::new(0),
        callbacks_answered: AtomicU64::new(0),
        other_calls: AtomicU64::new(0),
        done_at: OnceLock::new(),
        done: Notify::new(),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let router = Router::new().route("/{*path}", post(handle)).with_state(fake.clone());
    let server = tokio::spawn(async move { axum::serve(listener, router).await });
    let api_url = url::Url::parse(&format!("http://{addr}/")).expect("url");
    let bot = telegram::poll_bot(TOKEN, Some(api_url)).expect("client");
    // The outbox worker is not running while the poller is measured: messages are committed
    // to the outbox and only counted. Afterwards (not measured) a worker with a recording port
    // delivers them all, so the database is measured as it is once messages are delivered.
    let port = Arc::new(RecordingPort::new(Channel::Telegram));
    let lifted = Limits {
        per_sec: 1_000_000,
        per_chat_per_sec: 1_000_000,
        chat_burst: 1_000,
    };
    let (worker, outbox) = Worker::new(engine.store().clone(), port.clone(), "bench", lifted, Policy::default());
    println!(
        "setup: {:.1} s ({} updates, {} per unit, {:.0} MB of update JSON)",
        setup.elapsed().as_secs_f64(),
        total,
        steps.len(),
        fake.updates.iter().map(String::len).sum::<usize>() as f64 / 1e6
    );

    // ---- the measured run
    let (stop, stopped) = watch::channel(false);
    let start = Instant::now();
    let poller = tokio::spawn(Poller::new(engine.clone(), bot, outbox.clone()).run(stopped));
    fake.done.notified().await;
    let done_at = *fake.done_at.get().expect("done");
    let secs = done_at.duration_since(start).as_secs_f64();
    let _ = stop.send(true);
    poller.await.expect("poller panicked").expect("poller failed");
    let queued: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox")
        .fetch_one(engine.store().pool())
        .await
        .expect("count");
    let delivering = Instant::now();
    outbox.wake();
    worker.drain(Duration::from_secs(3600)).await;
    println!(
        "delivered {} messages through a recording port in {:.1} s (not part of the measurement)",
        port.calls().len(),
        delivering.elapsed().as_secs_f64()
    );
    let batches = fake.batches.load(Ordering::Relaxed);

    // ---- checks and sizes (not measured)
    let pool = engine.store().pool();
    let submitted: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM reports WHERE status = 'submitted'")
        .fetch_one(pool)
        .await
        .expect("count");
    let (recorded, failed): (i64, i64) =
        sqlx::query_as("SELECT COUNT(*), COALESCE(SUM(failed), 0) FROM processed_updates WHERE channel = 'telegram'")
            .fetch_one(pool)
            .await
            .expect("processed");
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(pool)
        .await
        .expect("checkpoint");
    let wal = dir.path().join("inbound.db-wal");
    let db_bytes = file_len(&db) + file_len(&wal);
    // A week later: delivered messages and applied-update ids pruned as the bot prunes them.
    let week_later = Utc::now() + chrono::Duration::days(8);
    chibo_bot::store::prune(
        pool,
        week_later - chrono::Duration::days(2),
        week_later - chrono::Duration::days(7),
    )
    .await
    .expect("pruning");
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(pool)
        .await
        .expect("checkpoint");
    let pruned_bytes = file_len(&db) + file_len(&wal);
    if let Ok(keep) = std::env::var("BENCH_KEEP_DB") {
        std::fs::copy(&db, &keep).expect("copying the database");
        println!("database kept at {keep}");
    }

    // ---- raw SQLite commits on the same disk
    let full = raw_commits(&dir.path().join("raw-full.db"), SqliteSynchronous::Full).await;
    let normal = raw_commits(&dir.path().join("raw-normal.db"), SqliteSynchronous::Normal).await;

    let rate = total as f64 / secs;
    let commits = batches as f64 / secs;
    println!();
    println!(
        "| units | updates | seconds | updates/s | batches (commits) | commits/s | avg batch | raw SQLite commits/s FULL | raw SQLite commits/s NORMAL | DB KB/unit | DB KB/unit a week later | messages queued |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    println!(
        "| {} | {} | {:.2} | {} | {} | {:.0} | {:.1} | {} | {} | {:.1} | {:.1} | {} |",
        thousands(n as f64),
        thousands(total as f64),
        secs,
        thousands(rate),
        thousands(batches as f64),
        commits,
        total as f64 / batches.max(1) as f64,
        thousands(full),
        thousands(normal),
        db_bytes as f64 / 1024.0 / n as f64,
        pruned_bytes as f64 / 1024.0 / n as f64,
        thousands(queued as f64),
    );
    println!();
    let projected = 10_000.0 * steps.len() as f64 / rate;
    println!(
        "targets: >= 5,000 updates/s: {} ({} updates/s); 10,000 units in < 120 s: {} ({:.0} s{})",
        if rate >= 5000.0 { "met" } else { "NOT met" },
        thousands(rate),
        if projected < 120.0 { "met" } else { "NOT met" },
        projected,
        if n == 10_000 { "" } else { ", projected at this rate" },
    );
    let kb = pruned_bytes as f64 / 1024.0 / n as f64;
    println!(
        "database < 20 KB per unit after the campaign: {} ({kb:.1} KB once delivered messages and applied-update ids are pruned)",
        if kb < 20.0 { "met" } else { "NOT met" }
    );
    println!(
        "getUpdates calls: {}, callback queries answered: {}, other Bot API calls: {}, updates recorded: {recorded} ({failed} failed)",
        fake.polls.load(Ordering::Relaxed),
        fake.callbacks_answered.load(Ordering::Relaxed),
        fake.other_calls.load(Ordering::Relaxed),
    );
    println!("units submitted: {submitted} of {n}");
    server.abort();
    if submitted != n as i64 {
        diagnose(&engine).await;
        eprintln!("not every report was submitted: the generated updates are wrong");
        std::process::exit(1);
    }
}

/// What the bot last said to the first unit whose report is not submitted.
async fn diagnose(engine: &Engine) {
    let pool = engine.store().pool();
    let row: Option<(String, i64)> = sqlx::query_as(
        "SELECT u.code, m.chat_id FROM units u JOIN members m ON m.unit_id = u.id
         LEFT JOIN reports r ON r.unit_id = u.id
         WHERE r.status IS NULL OR r.status <> 'submitted' ORDER BY u.code LIMIT 1",
    )
    .fetch_optional(pool)
    .await
    .expect("diagnose");
    let Some((code, chat)) = row else {
        eprintln!("no registered secretary for the units not submitted");
        return;
    };
    eprintln!("unit {code} (chat {chat}), last messages from the bot:");
    let bodies: Vec<String> = sqlx::query_scalar("SELECT body FROM outbox WHERE chat_id = ? ORDER BY id DESC LIMIT 4")
        .bind(chat)
        .fetch_all(pool)
        .await
        .expect("outbox");
    for b in bodies.iter().rev() {
        let text = serde_json::from_str::<Value>(b)
            .ok()
            .and_then(|v| v.get("text").and_then(Value::as_str).map(str::to_owned))
            .unwrap_or_else(|| b.clone());
        eprintln!("---\n{text}");
    }
}
