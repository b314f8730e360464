//! `cargo bench --bench e2e`: the whole bot end to end, beside a bare teloxide echo bot.
//!
//! The bot runs as in production (`Application::start_telegram`: the real poller with
//! teloxide's HTTP client, the engine on a real SQLite file, the outbox worker with its token
//! buckets) against a fake Bot API served by axum on 127.0.0.1. The fake serves `getUpdates`
//! as a long poll (an empty queue holds the poll until an update arrives or the requested
//! timeout passes), answers `sendMessage` / `editMessageText` with a Message teloxide parses,
//! everything else with `true`, and timestamps every `sendMessage` per chat.
//!
//! Simulated users each send `/traloi IV.2.1 …` (after registering once with `/start
//! <invite>`, not measured), wait for the reply to reach the fake, then send the next one
//! (closed loop). Latency = from the update being queued for `getUpdates` until the reply's
//! `sendMessage` reaches the fake. The echo bot (teloxide's `Bot` directly, no dispatcher:
//! `getUpdates` with an offset, then one `sendMessage` per update, the batch's sends
//! concurrently) is driven by the same fake and the same user loop in the same run.
//!
//! Scenarios:
//! 1. a lone secretary, default Telegram limits (30/s, 1/s per chat, burst 3): (a) with a
//!    1.1 s pause between messages, (b) back to back (paced by the per-chat limit);
//! 2. limits lifted, 50 users, closed loop;
//! 3. limits lifted, 200 users, closed loop;
//! 4. fan-out: one reminder pass to 2,000 registered secretaries at 30 messages/s
//!    (`BENCH_FANOUT=0` skips it).
//!
//! `BENCH_QUICK=1` shortens every scenario (and fans out to 300 units; `BENCH_FANOUT_UNITS`
//! sets the number).
//! CPU µs/update is the whole process's CPU time (bot, fake and users) per answered update.

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use chibo_bot::adapters::telegram;
use chibo_bot::admin;
use chibo_bot::config::{Settings, Token};
use chibo_bot::engine::Channel;
use chibo_bot::reminders::Scheduler;
use chibo_bot::startup::Application;
use chibo_bot::store;
use chrono::Utc;
use futures_util::future::join_all;
use teloxide::payloads::GetUpdatesSetters;
use teloxide::prelude::*;
use teloxide::types::UpdateKind;
use tokio::sync::{mpsc, watch};

const TOKEN: &str = "123456:BENCH-e2e";
const BOT_ID: i64 = 123_456;
/// Chat (= user) id of simulated user i is `CHAT_BASE + i`.
const CHAT_BASE: i64 = 800_000_000;
const MAX_USERS: usize = 200;
/// Chat (= user) id of the secretary of fan-out unit i.
const FANOUT_BASE: i64 = 900_000_000;
/// Longest a user waits for a reply before giving up.
const REPLY_TIMEOUT: Duration = Duration::from_secs(15);
/// Longest a `getUpdates` long poll is held.
const LONG_POLL_CAP: Duration = Duration::from_secs(10);
/// What the bot answers to `/traloi`; the echo bot answers the text itself.
const CHIBO_REPLY: &str = "💾 Đã lưu mục IV.2.1";
const ECHO_REPLY: &str = "/traloi IV.2.1";

// ---------------------------------------------------------------- the fake Bot API

/// A `sendMessage` as the user sees it arrive.
struct Reply {
    at: Instant,
    text: String,
}

#[derive(Default)]
struct Queue {
    /// Updates not yet confirmed, in id order.
    updates: VecDeque<(i64, String)>,
    last_id: i64,
    /// When each update was first handed out by `getUpdates`.
    served: HashMap<i64, Instant>,
    /// When the last non-empty `getUpdates` answer was made.
    last_batch: Option<Instant>,
}

#[derive(Default)]
struct Counters {
    polls: AtomicU64,
    /// `getUpdates` answered with at least one update.
    batches: AtomicU64,
    sends: AtomicU64,
    edits: AtomicU64,
    answers: AtomicU64,
    other: AtomicU64,
    /// Updates queued by the users.
    pushed: AtomicU64,
    /// Sum of the times between a non-empty `getUpdates` answer and the next `getUpdates`
    /// (the bot's turnaround per batch), in ns.
    turnaround_ns: AtomicU64,
}

#[derive(Clone, Copy, Default)]
struct Snapshot {
    polls: u64,
    batches: u64,
    sends: u64,
    edits: u64,
    pushed: u64,
    turnaround_ns: u64,
}

impl Snapshot {
    fn since(self, before: Snapshot) -> Snapshot {
        Snapshot {
            polls: self.polls - before.polls,
            batches: self.batches - before.batches,
            sends: self.sends - before.sends,
            edits: self.edits - before.edits,
            pushed: self.pushed - before.pushed,
            turnaround_ns: self.turnaround_ns - before.turnaround_ns,
        }
    }
}

struct Fake {
    queue: Mutex<Queue>,
    /// Bumped whenever an update is queued: wakes the long polls.
    wake: watch::Sender<u64>,
    /// Replies to user i go to `inboxes[i]`.
    inboxes: Vec<mpsc::UnboundedSender<Reply>>,
    /// Every `sendMessage`: chat and arrival time.
    log: Mutex<Vec<(i64, Instant)>>,
    c: Counters,
    message_id: AtomicU64,
}

#[derive(serde::Deserialize)]
struct GetUpdates {
    #[serde(default)]
    offset: i64,
    limit: Option<i64>,
    #[serde(default)]
    timeout: u64,
}

#[derive(serde::Deserialize)]
struct SendParams {
    chat_id: i64,
    text: String,
}

#[derive(serde::Deserialize)]
struct EditParams {
    #[serde(default)]
    chat_id: i64,
    #[serde(default)]
    message_id: u64,
    text: String,
}

fn ok_json(body: String) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn bad_request(e: &dyn std::fmt::Display) -> Response {
    let body = serde_json::json!({"ok": false, "error_code": 400, "description": format!("Bad Request: {e}")});
    (
        StatusCode::BAD_REQUEST,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned())
}

fn bot_user_json() -> String {
    format!(r#"{{"id":{BOT_ID},"is_bot":true,"first_name":"Chibo","username":"chibo_bench_bot"}}"#)
}

/// A message the bot sent, as `sendMessage` / `editMessageText` return it.
fn message_json(id: u64, chat: i64, text: &str, edited: bool) -> String {
    let date = Utc::now().timestamp();
    let edit = if edited {
        format!(r#","edit_date":{date}"#)
    } else {
        String::new()
    };
    format!(
        r#"{{"ok":true,"result":{{"message_id":{id},"date":{date}{edit},"chat":{{"id":{chat},"type":"private","first_name":"Bí thư"}},"from":{},"text":{}}}}}"#,
        bot_user_json(),
        quoted(text)
    )
}

/// A user's text message as an update (a leading command gets its `bot_command` entity).
fn update_json(id: i64, chat: i64, text: &str) -> String {
    let date = Utc::now().timestamp();
    let entities = if text.starts_with('/') {
        let len = text.find(' ').unwrap_or(text.len());
        format!(r#","entities":[{{"type":"bot_command","offset":0,"length":{len}}}]"#)
    } else {
        String::new()
    };
    format!(
        r#"{{"update_id":{id},"message":{{"message_id":{id},"date":{date},"chat":{{"id":{chat},"type":"private","first_name":"Bí thư"}},"from":{{"id":{chat},"is_bot":false,"first_name":"Bí thư","language_code":"vi"}},"text":{}{entities}}}}}"#,
        quoted(text)
    )
}

impl Fake {
    fn new(users: usize) -> (Arc<Fake>, Vec<mpsc::UnboundedReceiver<Reply>>) {
        let (txs, rxs): (Vec<_>, Vec<_>) = (0..users).map(|_| mpsc::unbounded_channel()).unzip();
        let fake = Fake {
            queue: Mutex::new(Queue::default()),
            wake: watch::Sender::new(0),
            inboxes: txs,
            log: Mutex::new(Vec::new()),
            c: Counters::default(),
            message_id: AtomicU64::new(1),
        };
        (Arc::new(fake), rxs)
    }

    fn snapshot(&self) -> Snapshot {
        let c = &self.c;
        Snapshot {
            polls: c.polls.load(Ordering::Relaxed),
            batches: c.batches.load(Ordering::Relaxed),
            sends: c.sends.load(Ordering::Relaxed),
            edits: c.edits.load(Ordering::Relaxed),
            pushed: c.pushed.load(Ordering::Relaxed),
            turnaround_ns: c.turnaround_ns.load(Ordering::Relaxed),
        }
    }

    /// A user's message is queued for `getUpdates`; returns its id and when it became
    /// available.
    fn push(&self, chat: i64, text: &str) -> (i64, Instant) {
        let (id, at) = {
            let mut q = self.queue.lock().expect("queue");
            q.last_id += 1;
            let id = q.last_id;
            let json = update_json(id, chat, text);
            q.updates.push_back((id, json));
            (id, Instant::now())
        };
        self.c.pushed.fetch_add(1, Ordering::Relaxed);
        self.wake.send_modify(|v| *v = v.wrapping_add(1));
        (id, at)
    }

    /// When update `id` was first handed to the bot.
    fn served(&self, id: i64) -> Option<Instant> {
        self.queue.lock().expect("queue").served.remove(&id)
    }

    /// Between phases: nothing queued, nothing logged.
    fn reset(&self) {
        let mut q = self.queue.lock().expect("queue");
        q.updates.clear();
        q.served.clear();
        q.last_batch = None;
        drop(q);
        self.log.lock().expect("log").clear();
    }

    fn log(&self) -> Vec<(i64, Instant)> {
        self.log.lock().expect("log").clone()
    }

    /// Confirms what is below `offset` and returns up to `limit` updates, if any.
    fn take_batch(&self, offset: i64, limit: usize) -> Option<String> {
        let mut guard = self.queue.lock().expect("queue");
        let q = &mut *guard;
        while q.updates.front().is_some_and(|(id, _)| *id < offset) {
            q.updates.pop_front();
        }
        if q.updates.is_empty() {
            return None;
        }
        let now = Instant::now();
        let mut out = String::with_capacity(64 + q.updates.iter().take(limit).map(|(_, u)| u.len() + 1).sum::<usize>());
        out.push_str(r#"{"ok":true,"result":["#);
        for (i, (id, u)) in q.updates.iter().take(limit).enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(u);
            q.served.entry(*id).or_insert(now);
        }
        out.push_str("]}");
        q.last_batch = Some(now);
        Some(out)
    }

    /// A `getUpdates` arrived: the bot's turnaround since the last batch it was given.
    fn poll_arrived(&self, at: Instant) {
        if let Some(t) = self.queue.lock().expect("queue").last_batch.take() {
            let ns = u64::try_from(at.duration_since(t).as_nanos()).unwrap_or(u64::MAX);
            self.c.turnaround_ns.fetch_add(ns, Ordering::Relaxed);
        }
    }

    fn sent(&self, chat: i64, at: Instant, text: &str) {
        self.c.sends.fetch_add(1, Ordering::Relaxed);
        self.log.lock().expect("log").push((chat, at));
        if let Some(inbox) = usize::try_from(chat - CHAT_BASE).ok().and_then(|i| self.inboxes.get(i)) {
            let _ = inbox.send(Reply {
                at,
                text: text.to_owned(),
            });
        }
    }
}

async fn handle(State(fake): State<Arc<Fake>>, UrlPath(path): UrlPath<String>, body: Bytes) -> Response {
    let at = Instant::now();
    // teloxide names methods in PascalCase (`SendMessage`); Telegram ignores the case.
    let method = path.rsplit('/').next().unwrap_or_default().to_ascii_lowercase();
    match method.as_str() {
        "getupdates" => {
            fake.poll_arrived(at);
            get_updates(&fake, &body).await
        }
        "sendmessage" => match serde_json::from_slice::<SendParams>(&body) {
            Ok(p) => {
                fake.sent(p.chat_id, at, &p.text);
                let id = fake.message_id.fetch_add(1, Ordering::Relaxed);
                ok_json(message_json(id, p.chat_id, &p.text, false))
            }
            Err(e) => bad_request(&e),
        },
        "editmessagetext" => match serde_json::from_slice::<EditParams>(&body) {
            Ok(p) => {
                fake.c.edits.fetch_add(1, Ordering::Relaxed);
                ok_json(message_json(p.message_id, p.chat_id, &p.text, true))
            }
            Err(e) => bad_request(&e),
        },
        "answercallbackquery" => {
            fake.c.answers.fetch_add(1, Ordering::Relaxed);
            ok_json(r#"{"ok":true,"result":true}"#.to_owned())
        }
        "getme" => ok_json(format!(
            r#"{{"ok":true,"result":{{"id":{BOT_ID},"is_bot":true,"first_name":"Chibo","username":"chibo_bench_bot","can_join_groups":false,"can_read_all_group_messages":false,"supports_inline_queries":false}}}}"#
        )),
        _ => {
            fake.c.other.fetch_add(1, Ordering::Relaxed);
            ok_json(r#"{"ok":true,"result":true}"#.to_owned())
        }
    }
}

async fn get_updates(fake: &Fake, body: &[u8]) -> Response {
    fake.c.polls.fetch_add(1, Ordering::Relaxed);
    let p: GetUpdates = serde_json::from_slice(body).unwrap_or(GetUpdates {
        offset: 0,
        limit: None,
        timeout: 0,
    });
    let limit = usize::try_from(p.limit.unwrap_or(100).clamp(1, 100)).unwrap_or(100);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(p.timeout).min(LONG_POLL_CAP);
    // Subscribed before looking, so an update queued in between still wakes this poll.
    let mut wake = fake.wake.subscribe();
    loop {
        if let Some(batch) = fake.take_batch(p.offset, limit) {
            fake.c.batches.fetch_add(1, Ordering::Relaxed);
            return ok_json(batch);
        }
        match tokio::time::timeout_at(deadline, wake.changed()).await {
            Ok(Ok(())) => {}
            _ => return ok_json(r#"{"ok":true,"result":[]}"#.to_owned()),
        }
    }
}

// ---------------------------------------------------------------- the users

type Inboxes = Arc<Vec<tokio::sync::Mutex<mpsc::UnboundedReceiver<Reply>>>>;

#[derive(Clone, Copy)]
enum Until {
    Count(usize),
    Deadline(Instant),
}

/// One answer: queued, handed to the bot by `getUpdates`, reply arrived.
#[derive(Clone, Copy)]
struct Sample {
    queued: Instant,
    served: Instant,
    replied: Instant,
}

#[derive(Default)]
struct UserRun {
    samples: Vec<Sample>,
    timeouts: usize,
    unexpected: usize,
    first_unexpected: Option<String>,
}

/// One user's closed loop: send, wait for the reply, (think,) send the next.
async fn user_loop(
    fake: Arc<Fake>,
    inboxes: Inboxes,
    user: usize,
    until: Until,
    think: Duration,
    marker: &'static str,
) -> UserRun {
    let chat = CHAT_BASE + user as i64;
    let mut rx = inboxes[user].lock().await;
    let mut run = UserRun::default();
    let mut k = 0usize;
    'messages: loop {
        match until {
            Until::Count(n) if k >= n => break,
            Until::Deadline(d) if Instant::now() >= d => break,
            _ => {}
        }
        k += 1;
        let text = format!("/traloi IV.2.1 Chi bộ thôn và chi bộ cơ quan đôi khi sinh hoạt chưa đều, lần {k}.");
        let (id, t0) = fake.push(chat, &text);
        let deadline = tokio::time::Instant::from_std(t0 + REPLY_TIMEOUT);
        loop {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(r)) if r.at >= t0 && r.text.starts_with(marker) => {
                    run.samples.push(Sample {
                        queued: t0,
                        served: fake.served(id).unwrap_or(t0),
                        replied: r.at,
                    });
                    break;
                }
                Ok(Some(r)) => {
                    run.unexpected += 1;
                    run.first_unexpected.get_or_insert(r.text);
                }
                Ok(None) | Err(_) => {
                    run.timeouts += 1;
                    break 'messages;
                }
            }
        }
        if !think.is_zero() {
            tokio::time::sleep(think).await;
        }
    }
    run
}

/// Every user sends `/start <invite>` and waits until the bot has said everything it says
/// to that (not measured).
async fn register(fake: &Arc<Fake>, inboxes: &Inboxes, invites: &[String]) {
    let mut tasks = Vec::new();
    for (i, code) in invites.iter().enumerate() {
        let (fake, inboxes, code) = (fake.clone(), inboxes.clone(), code.clone());
        tasks.push(tokio::spawn(async move {
            let mut rx = inboxes[i].lock().await;
            while rx.try_recv().is_ok() {}
            fake.push(CHAT_BASE + i as i64, &format!("/start {code}"));
            let first = tokio::time::timeout(REPLY_TIMEOUT, rx.recv()).await;
            assert!(matches!(first, Ok(Some(_))), "user {i}: no answer to /start");
            while let Ok(Some(_)) = tokio::time::timeout(Duration::from_millis(1200), rx.recv()).await {}
        }));
    }
    for t in join_all(tasks).await {
        t.expect("registration");
    }
}

#[derive(Default)]
struct Stats {
    /// Answers measured (after the warm-up).
    n: usize,
    p50: Duration,
    p99: Duration,
    max: Duration,
    /// p50 and p99 of the time from being queued until `getUpdates` handed the update out.
    wait: (Duration, Duration),
    /// p50 and p99 of the time from being handed out until the reply arrived.
    work: (Duration, Duration),
    rate: f64,
    cpu_us: f64,
    msgs_per_update: f64,
    timeouts: usize,
    unexpected: usize,
    first_unexpected: Option<String>,
    counts: Snapshot,
}

fn percentile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// Process CPU time (user + system) from /proc, in 10 ms ticks.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    Duration::from_millis((tick(11) + tick(12)) * 10)
}

enum Length {
    Messages(usize),
    /// Run for this long; answers in the first `warmup` are not counted.
    For {
        run: Duration,
        warmup: Duration,
    },
}

/// One measured phase: `users` users in a closed loop against whichever bot is polling.
async fn phase(
    fake: &Arc<Fake>,
    inboxes: &Inboxes,
    users: usize,
    length: Length,
    think: Duration,
    marker: &'static str,
) -> Stats {
    fake.reset();
    for inbox in inboxes.iter().take(users) {
        let mut rx = inbox.lock().await;
        while rx.try_recv().is_ok() {}
    }
    let before = fake.snapshot();
    let cpu0 = cpu_time();
    let start = Instant::now();
    let (until, window) = match length {
        Length::Messages(n) => (Until::Count(n), None),
        Length::For { run, warmup } => (Until::Deadline(start + run), Some((start + warmup, start + run))),
    };
    let tasks: Vec<_> = (0..users)
        .map(|u| tokio::spawn(user_loop(fake.clone(), inboxes.clone(), u, until, think, marker)))
        .collect();
    let runs: Vec<UserRun> = join_all(tasks)
        .await
        .into_iter()
        .map(|r| r.expect("user task"))
        .collect();
    let end = Instant::now();
    let cpu = cpu_time().saturating_sub(cpu0);
    let counts = fake.snapshot().since(before);
    let all: Vec<Sample> = runs.iter().flat_map(|r| r.samples.iter().copied()).collect();
    let (counted, rate): (Vec<Sample>, f64) = match window {
        None => (all.clone(), all.len() as f64 / end.duration_since(start).as_secs_f64()),
        Some((from, to)) => {
            let counted: Vec<_> = all.iter().copied().filter(|s| s.queued >= from).collect();
            let done = all.iter().filter(|s| s.replied >= from && s.replied <= to).count();
            (counted, done as f64 / to.duration_since(from).as_secs_f64())
        }
    };
    let sorted = |f: &dyn Fn(&Sample) -> Duration| {
        let mut v: Vec<Duration> = counted.iter().map(f).collect();
        v.sort();
        v
    };
    let lat = sorted(&|s| s.replied.duration_since(s.queued));
    let wait = sorted(&|s| s.served.saturating_duration_since(s.queued));
    let work = sorted(&|s| s.replied.saturating_duration_since(s.served));
    Stats {
        wait: (percentile(&wait, 0.5), percentile(&wait, 0.99)),
        work: (percentile(&work, 0.5), percentile(&work, 0.99)),
        n: lat.len(),
        p50: percentile(&lat, 0.50),
        p99: percentile(&lat, 0.99),
        max: lat.last().copied().unwrap_or_default(),
        rate,
        cpu_us: cpu.as_secs_f64() * 1e6 / all.len().max(1) as f64,
        msgs_per_update: (counts.sends + counts.edits) as f64 / counts.pushed.max(1) as f64,
        timeouts: runs.iter().map(|r| r.timeouts).sum(),
        unexpected: runs.iter().map(|r| r.unexpected).sum(),
        first_unexpected: runs.iter().find_map(|r| r.first_unexpected.clone()),
        counts,
    }
}

// ---------------------------------------------------------------- the bots

/// The bare echo bot: `getUpdates` with an offset, then one `sendMessage` per update (the
/// batch's sends concurrently), then the next `getUpdates`.
async fn echo_loop(bot: Bot, mut stop: watch::Receiver<bool>) {
    let mut offset: i32 = 0;
    loop {
        let request = bot.get_updates().offset(offset).timeout(10);
        let polled = tokio::select! {
            r = request.send() => r,
            _ = stop.changed() => return,
        };
        let updates = match polled {
            Ok(u) => u,
            Err(e) => {
                eprintln!("echo bot: getUpdates failed: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let mut sends = Vec::with_capacity(updates.len());
        for u in &updates {
            offset = offset.max(i32::try_from(u.id.0).unwrap_or(i32::MAX).saturating_add(1));
            if let UpdateKind::Message(m) = &u.kind
                && let Some(text) = m.text()
            {
                sends.push(bot.send_message(m.chat.id, text).send());
            }
        }
        for r in join_all(sends).await {
            if let Err(e) = r {
                eprintln!("echo bot: sendMessage failed: {e}");
            }
        }
    }
}

async fn chibo_app(dir: &Path, name: &str, api: &url::Url, lifted: bool) -> Application {
    let mut s = Settings::with_database(format!("sqlite://{}", dir.join(format!("{name}.db")).display()));
    s.token = Some(Token::new(TOKEN));
    s.api_url = Some(api.clone());
    if lifted {
        s.max_per_sec = 1_000_000;
        s.max_per_sec_chat = 1_000_000;
        s.chat_burst = 1_000;
    }
    Application::build(s, Utc::now()).await.expect("application")
}

/// `n` units `{prefix}0000…`; returns one secretary invite per unit.
async fn units(app: &Application, prefix: &str, n: usize, invites: bool) -> Vec<String> {
    let engine = &app.engine;
    let mut csv = String::from("code,name,cell_types\n");
    for i in 0..n {
        csv.push_str(&format!("{prefix}{i:04},Đảng bộ xã Thử {i},thon;coquan\n"));
    }
    admin::import_units(engine.store(), engine.form(), csv.as_bytes(), Utc::now())
        .await
        .expect("import units");
    let mut out = Vec::new();
    if invites {
        for i in 0..n {
            let code = format!("{prefix}{i:04}");
            let inv = admin::create_invite(engine.store(), Some(&code), "secretary", 14, Utc::now())
                .await
                .expect("invite");
            out.push(inv.code);
        }
    }
    out
}

// ---------------------------------------------------------------- fan-out

struct FanOut {
    units: usize,
    messages: usize,
    pass: Duration,
    /// From handing the deliveries to the worker until the last `sendMessage` arrived.
    delivery: Duration,
    received: usize,
    distinct_chats: usize,
    /// Most `sendMessage` calls in any one-second window.
    peak_per_sec: usize,
    /// The same, leaving out the first second (the overall bucket's initial burst).
    peak_after_first_sec: usize,
    /// `sendMessage` calls in second 0, 1, 2 … after the first (whole seconds only).
    per_second: Vec<usize>,
    cpu: Duration,
}

/// Most of the sorted instants `times` in any one-second window.
fn peak_per_sec(times: &[Instant]) -> usize {
    let mut peak = 0;
    let mut lo = 0;
    for hi in 0..times.len() {
        while times[hi].duration_since(times[lo]) >= Duration::from_secs(1) {
            lo += 1;
        }
        peak = peak.max(hi - lo + 1);
    }
    peak
}

async fn fan_out(fake: &Arc<Fake>, dir: &Path, api: &url::Url, n: usize) -> FanOut {
    let app = chibo_app(dir, "fanout", api, false).await;
    units(&app, "f", n, false).await;
    let engine = app.engine.clone();
    let now = Utc::now();
    let mut tx = engine.store().begin().await.expect("tx");
    for i in 0..n {
        let unit = store::unit_by_code(&mut tx, &format!("f{i:04}"))
            .await
            .expect("unit")
            .expect("unit exists");
        let chat = FANOUT_BASE + i as i64;
        store::upsert_member(
            &mut tx,
            Channel::Telegram,
            chat,
            chat,
            &format!("Bí thư {i}"),
            "secretary",
            Some(unit.id),
            now,
        )
        .await
        .expect("member");
    }
    tx.commit().await.expect("commit");
    fake.reset();
    let runtime = app.start_telegram(None).await.expect("telegram side");
    tokio::time::sleep(Duration::from_millis(300)).await;
    fake.reset();
    let before = fake.snapshot();
    let cpu0 = cpu_time();
    let start = Instant::now();
    let scheduler = Scheduler::new(engine.clone(), engine.reminder_settings().clone());
    let (_, out) = scheduler.remind_now(Utc::now()).await.expect("reminder pass");
    let messages = out.len();
    let handed = Instant::now();
    runtime.outbox.deliver(out);
    let patience = Duration::from_secs_f64(messages as f64 / 30.0 * 2.0 + 30.0);
    while (fake.snapshot().since(before).sends as usize) < messages && handed.elapsed() < patience {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let cpu = cpu_time().saturating_sub(cpu0);
    let log = fake.log();
    runtime.stop().await;
    let mut times: Vec<Instant> = log.iter().map(|(_, t)| *t).collect();
    times.sort();
    let steady: Vec<Instant> = times
        .iter()
        .copied()
        .filter(|t| {
            times
                .first()
                .is_some_and(|f| t.duration_since(*f) >= Duration::from_secs(1))
        })
        .collect();
    // sendMessage calls in each whole second after the first one.
    let mut per_second = Vec::new();
    if let (Some(first), Some(last)) = (times.first(), times.last()) {
        per_second = vec![0usize; last.duration_since(*first).as_secs() as usize];
        for t in &times {
            if let Some(n) = per_second.get_mut(t.duration_since(*first).as_secs() as usize) {
                *n += 1;
            }
        }
    }
    FanOut {
        units: n,
        messages,
        pass: handed.duration_since(start),
        delivery: times.last().map_or(Duration::ZERO, |t| t.duration_since(handed)),
        received: log.len(),
        distinct_chats: log.iter().map(|(c, _)| *c).collect::<HashSet<_>>().len(),
        peak_per_sec: peak_per_sec(&times),
        peak_after_first_sec: peak_per_sec(&steady),
        per_second,
        cpu,
    }
}

// ---------------------------------------------------------------- the run

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1e3)
}

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

fn rate(v: f64) -> String {
    if v < 100.0 { format!("{v:.2}") } else { thousands(v) }
}

fn check(name: &str, s: &Stats) {
    if s.timeouts > 0 || s.unexpected > 0 {
        eprintln!(
            "{name}: {} answers timed out, {} unexpected messages (first: {:?})",
            s.timeouts, s.unexpected, s.first_unexpected
        );
    }
}

fn env_flag(name: &str, default: bool) -> bool {
    match std::env::var(name) {
        Ok(v) => !matches!(v.trim(), "0" | "" | "false" | "no"),
        Err(_) => default,
    }
}

#[tokio::main]
async fn main() {
    chibo_bot::telemetry::init("warn", std::io::stderr);
    let quick = env_flag("BENCH_QUICK", false);
    let fanout = env_flag("BENCH_FANOUT", true);
    let think = Duration::from_millis(1100);
    let (paused_n, b2b_n) = if quick { (6, 6) } else { (20, 10) };
    let (s2_run, s3_run, warmup) = if quick {
        (
            Duration::from_secs(3),
            Duration::from_secs(2),
            Duration::from_millis(500),
        )
    } else {
        (Duration::from_secs(10), Duration::from_secs(5), Duration::from_secs(1))
    };
    let fan_units: usize = match std::env::var("BENCH_FANOUT_UNITS") {
        Ok(v) => v.trim().parse().expect("BENCH_FANOUT_UNITS must be a number"),
        Err(_) if quick => 300,
        Err(_) => 2000,
    };
    println!(
        "chibo-bot end-to-end benchmark{}: teloxide's HTTP client, fake Bot API on 127.0.0.1, bare teloxide echo bot alongside",
        if quick { " (quick)" } else { "" }
    );

    // ---- the fake
    let (fake, receivers) = Fake::new(MAX_USERS);
    let inboxes: Inboxes = Arc::new(receivers.into_iter().map(tokio::sync::Mutex::new).collect());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let router = Router::new().route("/{*path}", post(handle)).with_state(fake.clone());
    let server = tokio::spawn(async move { axum::serve(listener, router).await });
    let api = url::Url::parse(&format!("http://{addr}/")).expect("url");
    let dir = tempfile::tempdir().expect("temp dir");

    // ---- chibo, default limits: a lone secretary
    let app = chibo_app(dir.path(), "lone", &api, false).await;
    let invites = units(&app, "l", 1, true).await;
    let runtime = app.start_telegram(None).await.expect("telegram side");
    register(&fake, &inboxes, &invites).await;
    // The per-chat bucket refills (burst 3 at 1/s) before the measurement.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let c1a = phase(&fake, &inboxes, 1, Length::Messages(paused_n), think, CHIBO_REPLY).await;
    check("chibo 1a", &c1a);
    let c1b = phase(&fake, &inboxes, 1, Length::Messages(b2b_n), Duration::ZERO, CHIBO_REPLY).await;
    check("chibo 1b", &c1b);
    runtime.stop().await;
    println!("1. lone secretary done");

    // ---- chibo, limits lifted: 50 and 200 users
    let app = chibo_app(dir.path(), "lifted", &api, true).await;
    let invites = units(&app, "u", MAX_USERS, true).await;
    let runtime = app.start_telegram(None).await.expect("telegram side");
    register(&fake, &inboxes, &invites).await;
    let c2 = phase(
        &fake,
        &inboxes,
        50,
        Length::For { run: s2_run, warmup },
        Duration::ZERO,
        CHIBO_REPLY,
    )
    .await;
    check("chibo 2", &c2);
    let c3 = phase(
        &fake,
        &inboxes,
        200,
        Length::For { run: s3_run, warmup },
        Duration::ZERO,
        CHIBO_REPLY,
    )
    .await;
    check("chibo 3", &c3);
    runtime.stop().await;
    println!("2, 3. chibo at 50 and 200 users done");

    // ---- the echo bot, the same phases
    fake.reset();
    let echo_bot = telegram::poll_bot(TOKEN, Some(api.clone())).expect("echo client");
    let (stop_echo, echo_stopped) = watch::channel(false);
    let echo = tokio::spawn(echo_loop(echo_bot, echo_stopped));
    let e1a = phase(&fake, &inboxes, 1, Length::Messages(paused_n), think, ECHO_REPLY).await;
    check("echo 1a", &e1a);
    let e1b = phase(&fake, &inboxes, 1, Length::Messages(b2b_n), Duration::ZERO, ECHO_REPLY).await;
    check("echo 1b", &e1b);
    let e2 = phase(
        &fake,
        &inboxes,
        50,
        Length::For { run: s2_run, warmup },
        Duration::ZERO,
        ECHO_REPLY,
    )
    .await;
    check("echo 2", &e2);
    let e3 = phase(
        &fake,
        &inboxes,
        200,
        Length::For { run: s3_run, warmup },
        Duration::ZERO,
        ECHO_REPLY,
    )
    .await;
    check("echo 3", &e3);
    let _ = stop_echo.send(true);
    echo.await.expect("echo bot");
    println!("echo bot done");

    // ---- fan-out
    let f = if fanout {
        println!(
            "4. fan-out to {fan_units} units at 30 messages/s (about {:.0} s) …",
            fan_units as f64 / 30.0
        );
        Some(fan_out(&fake, dir.path(), &api, fan_units).await)
    } else {
        None
    };
    server.abort();

    // ---- the table
    let verdict = |ok: bool| if ok { "met" } else { "NOT met" };
    println!();
    println!(
        "| scenario | users | answers | chibo p50 ms | chibo p99 ms | chibo updates/s | echo p50 ms | echo p99 ms | echo updates/s | chibo/echo rate | CPU µs/update chibo / echo | target | result |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|");
    let row = |name: &str, users: usize, c: &Stats, e: &Stats, target: &str, result: String| {
        println!(
            "| {name} | {users} | {} / {} | {} | {} | {} | {} | {} | {} | {:.0}% | {} | {target} | {result} |",
            c.n,
            e.n,
            ms(c.p50),
            ms(c.p99),
            rate(c.rate),
            ms(e.p50),
            ms(e.p99),
            rate(e.rate),
            100.0 * c.rate / e.rate.max(1e-9),
            // A paced or paused phase is mostly idle: its CPU per update says nothing.
            if c.n >= 1000 {
                format!("{:.0} / {:.0}", c.cpu_us, e.cpu_us)
            } else {
                "—".to_owned()
            },
        );
    };
    row(
        "1a lone secretary, default limits, 1.1 s pause",
        1,
        &c1a,
        &e1a,
        "p50 < 20 ms",
        format!("{} ({} ms)", verdict(c1a.p50 < Duration::from_millis(20)), ms(c1a.p50)),
    );
    row(
        "1b lone secretary, default limits, back to back",
        1,
        &c1b,
        &e1b,
        "paced by 1/s per chat after a burst of 3",
        format!("{} replies/s", rate(c1b.rate)),
    );
    let ratio = c2.rate / e2.rate.max(1e-9);
    row(
        "2 limits lifted, closed loop",
        50,
        &c2,
        &e2,
        "≥ 5,000 updates/s and ≥ 40% of echo",
        format!(
            "{} ({} updates/s, {:.0}% of echo)",
            verdict(c2.rate >= 5000.0 && ratio >= 0.4),
            thousands(c2.rate),
            100.0 * ratio
        ),
    );
    row(
        "3 limits lifted, closed loop",
        200,
        &c3,
        &e3,
        "p99 < 50 ms",
        format!("{} ({} ms)", verdict(c3.p99 < Duration::from_millis(50)), ms(c3.p99)),
    );
    if let Some(f) = &f {
        let ideal = f.messages as f64 / 30.0;
        let secs = f.delivery.as_secs_f64();
        println!(
            "| 4 fan-out: one reminder pass, default limits | {} units | {} sent | — | — | {:.1} msgs/s | — | — | — | — | {:.0} / — | ≈ {:.0} s ({}/30), not slower | {} ({:.1} s to the last sendMessage) |",
            f.units,
            f.received,
            f.received as f64 / secs.max(1e-9),
            f.cpu.as_secs_f64() * 1e6 / f.received.max(1) as f64,
            ideal,
            f.messages,
            verdict(f.received >= f.messages && secs <= ideal + 2.0),
            secs,
        );
    }
    println!();
    println!(
        "Bot API calls per update in scenario 2 (sendMessage + editMessageText / updates): chibo {:.3} ({} + {} / {}), echo {:.3} ({} + {} / {})",
        c2.msgs_per_update,
        c2.counts.sends,
        c2.counts.edits,
        c2.counts.pushed,
        e2.msgs_per_update,
        e2.counts.sends,
        e2.counts.edits,
        e2.counts.pushed,
    );
    println!();
    println!(
        "Where the latency goes (p50 / p99 ms): waiting to be handed out by getUpdates, then from being handed out to the reply's sendMessage; turnaround = mean time from a non-empty getUpdates answer to the bot's next getUpdates."
    );
    println!();
    println!(
        "| scenario | bot | max ms | wait for getUpdates | handed out → reply | getUpdates (non-empty) | updates per batch | turnaround ms |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|");
    for (name, c, e) in [("1a", &c1a, &e1a), ("1b", &c1b, &e1b), ("2", &c2, &e2), ("3", &c3, &e3)] {
        for (bot, s) in [("chibo", c), ("echo", e)] {
            println!(
                "| {name} | {bot} | {} | {} / {} | {} / {} | {} ({}) | {:.1} | {:.2} |",
                ms(s.max),
                ms(s.wait.0),
                ms(s.wait.1),
                ms(s.work.0),
                ms(s.work.1),
                s.counts.polls,
                s.counts.batches,
                s.counts.pushed as f64 / s.counts.batches.max(1) as f64,
                s.counts.turnaround_ns as f64 / 1e6 / s.counts.batches.max(1) as f64,
            );
        }
    }
    println!();
    println!(
        "scenario 1b: back-to-back messages from one chat are paced by the per-chat limit (1/s, burst 3): after the burst each reply waits for a token, so latency is about a second; that is Telegram's limit, not the bot's speed"
    );
    if let Some(f) = &f {
        println!(
            "scenario 4: {} reminders committed in {:.2} s (the pass), delivered in {:.1} s after hand-over; {} distinct chats; peak {} sendMessage in any one second (limit 30), {} after the first second; theoretical minimum {:.1} s (30 at once, then 30/s); CPU {:.1} s",
            f.messages,
            f.pass.as_secs_f64(),
            f.delivery.as_secs_f64(),
            f.distinct_chats,
            f.peak_per_sec,
            f.peak_after_first_sec,
            (f.messages.saturating_sub(30)) as f64 / 30.0,
            f.cpu.as_secs_f64(),
        );
        let slow: Vec<String> = f
            .per_second
            .iter()
            .enumerate()
            .skip(1)
            .filter(|(_, n)| **n < 28 || **n > 32)
            .map(|(i, n)| format!("second {i}: {n}"))
            .collect();
        println!(
            "scenario 4: sendMessage calls per whole second: second 0: {}; seconds off 30±2 after it: {}",
            f.per_second.first().copied().unwrap_or(0),
            if slow.is_empty() {
                "none".to_owned()
            } else {
                slow.join(", ")
            }
        );
    } else {
        println!("scenario 4 skipped (BENCH_FANOUT=0)");
    }
}
