//! A fake Zalo Bot API on 127.0.0.1, faithful to the documented shapes
//! (bot.zaloplatforms.com/docs, and the SDKs built on it):
//!
//! - every call is `POST /bot{TOKEN}/{method}` with a JSON body; a wrong token gets
//!   `401 {"ok": false, "error_code": 401, "description": "Unauthorized"}`;
//! - `getUpdates {"timeout": "30"}` answers one update as `{"ok": true, "result": {"event_name":
//!   …, "message": {…}}}`, or `{"ok": false, "error_code": 408, "description": "Request
//!   timeout"}` when the long poll ends empty; there is no offset: an update answered is gone;
//! - a message is `{"message_id", "from": {"id", "display_name", "is_bot"}, "chat": {"id",
//!   "chat_type": "PRIVATE"|"GROUP"}, "date" (milliseconds), "text"}`, ids are strings;
//! - `sendMessage {"chat_id", "text"}` takes 1–2,000 characters and answers
//!   `{"message_id", "date"}`; anything longer is refused with 400 (and recorded here);
//! - `getMe` answers `{"id", "account_name", "account_type", "can_join_groups"}`.
//!
//! Failures are injected per method (`fail_next`): a 429, a 500 … with Zalo's error body.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use serde_json::{Value, json};
use tokio::sync::Notify;
use url::Url;

#[derive(Default)]
struct St {
    updates: VecDeque<Value>,
    /// Texts sent to each chat, not yet taken by the test.
    inbox: HashMap<String, VecDeque<String>>,
    /// Every text sent, per chat.
    history: HashMap<String, Vec<String>>,
    failures: HashMap<String, VecDeque<(u16, Value)>>,
    calls: Vec<String>,
    rejected: Vec<String>,
    next_id: u64,
}

struct Shared {
    st: Mutex<St>,
    updates: Notify,
    sent: Notify,
}

#[derive(Clone)]
pub struct FakeZalo {
    shared: Arc<Shared>,
    addr: SocketAddr,
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn error(code: u16, description: &str) -> (StatusCode, axum::Json<Value>) {
    (
        StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST),
        axum::Json(json!({ "ok": false, "error_code": code, "description": description })),
    )
}

async fn handle(
    State(sh): State<Arc<Shared>>,
    Path((bot, method)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> (StatusCode, axum::Json<Value>) {
    if bot != format!("bot{}", FakeZalo::TOKEN) {
        return error(401, "Unauthorized");
    }
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let failure = {
        let mut st = sh.st.lock().unwrap();
        st.calls.push(method.clone());
        st.failures.get_mut(&method).and_then(VecDeque::pop_front)
    };
    if let Some((status, body)) = failure {
        return (StatusCode::from_u16(status).unwrap(), axum::Json(body));
    }
    let ok = |result: Value| (StatusCode::OK, axum::Json(json!({ "ok": true, "result": result })));
    match method.as_str() {
        "getMe" => ok(json!({
            "id": "1459232241454765289", "account_name": "bot.chibo", "account_type": "BASIC", "can_join_groups": false
        })),
        "getUpdates" => {
            let secs = match body.get("timeout") {
                Some(Value::String(s)) => s.parse().unwrap_or(30),
                Some(Value::Number(n)) => n.as_u64().unwrap_or(30),
                _ => 30,
            };
            let until = tokio::time::Instant::now() + Duration::from_secs(secs);
            loop {
                let waiting = sh.updates.notified();
                if let Some(u) = sh.st.lock().unwrap().updates.pop_front() {
                    return ok(u);
                }
                if tokio::time::timeout_at(until, waiting).await.is_err() {
                    // The documented empty long poll: HTTP 200 with error 408.
                    return (
                        StatusCode::OK,
                        axum::Json(json!({ "ok": false, "error_code": 408, "description": "Request timeout" })),
                    );
                }
            }
        }
        "sendMessage" => {
            let (Some(chat), Some(text)) = (
                body.get("chat_id").and_then(Value::as_str),
                body.get("text").and_then(Value::as_str),
            ) else {
                sh.st
                    .lock()
                    .unwrap()
                    .rejected
                    .push(format!("sendMessage without chat_id/text: {body}"));
                return error(400, "chat_id and text are required");
            };
            let n = text.chars().count();
            if !(1..=2000).contains(&n) {
                sh.st
                    .lock()
                    .unwrap()
                    .rejected
                    .push(format!("sendMessage of {n} characters"));
                return error(400, "text must be 1 to 2000 characters");
            }
            let id = {
                let mut st = sh.st.lock().unwrap();
                st.next_id += 1;
                st.inbox.entry(chat.to_owned()).or_default().push_back(text.to_owned());
                st.history.entry(chat.to_owned()).or_default().push(text.to_owned());
                st.next_id
            };
            sh.sent.notify_waiters();
            ok(json!({ "message_id": format!("{id:020x}"), "date": now_ms() }))
        }
        "sendChatAction" => (StatusCode::OK, axum::Json(json!({ "ok": true }))),
        "setWebhook" | "deleteWebhook" | "getWebhookInfo" => ok(json!({ "url": "", "updated_at": now_ms() })),
        other => {
            sh.st.lock().unwrap().rejected.push(format!("unknown method {other}"));
            error(404, "Not Found")
        }
    }
}

impl FakeZalo {
    pub const TOKEN: &'static str = "1459232241454765289:fake-zalo-token";

    pub async fn start() -> FakeZalo {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .expect("fake zalo: bind");
        let addr = listener.local_addr().expect("fake zalo: address");
        let shared = Arc::new(Shared {
            st: Mutex::new(St::default()),
            updates: Notify::new(),
            sent: Notify::new(),
        });
        let app = Router::new()
            .route("/{bot}/{method}", post(handle))
            .with_state(Arc::clone(&shared));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeZalo { shared, addr }
    }

    pub fn api_url(&self) -> Url {
        Url::parse(&format!("http://{}/", self.addr)).expect("fake zalo url")
    }

    fn st(&self) -> MutexGuard<'_, St> {
        self.shared.st.lock().unwrap()
    }

    /// Queues a raw update for `getUpdates`.
    pub fn push(&self, update: Value) {
        self.st().updates.push_back(update);
        self.shared.updates.notify_waiters();
    }

    /// An update from `user` in a private chat (chat id = user id, as in the samples).
    pub fn update(&self, event: &str, user: &str, name: &str, extra: Value) -> Value {
        let id = {
            let mut st = self.st();
            st.next_id += 1;
            st.next_id
        };
        let mut message = json!({
            "message_id": format!("{id:020x}"),
            "from": { "id": user, "display_name": name, "is_bot": false },
            "chat": { "id": user, "chat_type": "PRIVATE" },
            "date": now_ms(),
        });
        if let (Some(m), Value::Object(x)) = (message.as_object_mut(), extra) {
            m.extend(x);
        }
        json!({ "event_name": event, "message": message })
    }

    /// The next `n` calls of `method` fail with `status` and Zalo's error body.
    pub fn fail_next(&self, method: &str, status: u16, n: usize) {
        let body = json!({ "ok": false, "error_code": status, "description": match status {
            429 => "Too Many Requests",
            500 => "Internal Server Error",
            502 => "Bad Gateway",
            _ => "Error",
        }});
        let mut st = self.st();
        let q = st.failures.entry(method.to_owned()).or_default();
        for _ in 0..n {
            q.push_back((status, body.clone()));
        }
    }

    /// The next text sent to `chat`, waiting up to `wait`.
    pub async fn next_for(&self, chat: &str, wait: Duration) -> Option<String> {
        let until = tokio::time::Instant::now() + wait;
        loop {
            let sent = self.shared.sent.notified();
            if let Some(t) = self.st().inbox.get_mut(chat).and_then(VecDeque::pop_front) {
                return Some(t);
            }
            if tokio::time::timeout_at(until, sent).await.is_err() {
                return None;
            }
        }
    }

    /// Everything sent to `chat` and not yet taken.
    pub fn take_all(&self, chat: &str) -> Vec<String> {
        self.st()
            .inbox
            .get_mut(chat)
            .map(|q| q.drain(..).collect())
            .unwrap_or_default()
    }

    pub fn history_for(&self, chat: &str) -> Vec<String> {
        self.st().history.get(chat).cloned().unwrap_or_default()
    }

    pub fn calls(&self, method: &str) -> usize {
        self.st().calls.iter().filter(|m| *m == method).count()
    }

    /// Calls refused for not following the API (too long a text, an unknown method …).
    pub fn rejected(&self) -> Vec<String> {
        self.st().rejected.clone()
    }
}
