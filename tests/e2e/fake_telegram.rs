//! A fake Telegram Bot API server for the end-to-end tests.
//!
//! [`FakeTelegram::start`] binds `127.0.0.1:0` and serves the Bot API's HTTP
//! protocol (`POST {api_url}/bot{token}/{method}`, JSON or multipart bodies,
//! `{"ok":true,"result":...}` / `{"ok":false,"error_code":..,"description":..}`
//! answers), so the bot's real teloxide client talks to it unchanged:
//!
//! ```ignore
//! let fake = FakeTelegram::start().await;
//! let bot = teloxide::Bot::new(FakeTelegram::TOKEN).set_api_url(fake.api_url());
//! ```
//!
//! Tests play the users (`send_text`, `press`, ...) and read what the bot did
//! (`next_for`, `calls`, ...). Waiting is done on `tokio::sync::watch`
//! channels, never by sleeping.
//!
//! Where cheap, the fake answers as the real server does, so bugs that would
//! only show against Telegram show here too:
//! - unknown chats get `400 Bad Request: chat not found` (a chat becomes known
//!   when a user writes in it, or through [`FakeTelegram::register_private_chat`]
//!   / [`FakeTelegram::register_group`]);
//! - texts are checked as Telegram does: empty text, text over 4096 UTF-16
//!   units, captions over 1024, `callback_data` outside 1..=64 bytes, and
//!   `parse_mode` HTML / MarkdownV2 / Markdown markup that Telegram would
//!   refuse (`can't parse entities`); [`Sent::text`] is the text as the user
//!   sees it, with the markup removed;
//! - `editMessageText` / `editMessageReplyMarkup` answer `message is not
//!   modified` when nothing changes, `message to edit not found`, `message
//!   can't be edited` (not the bot's message); `editMessageText` without
//!   `reply_markup` removes the inline keyboard, as on Telegram;
//! - `answerCallbackQuery` on an unknown or already answered id answers
//!   `query is too old ... or query id is invalid`;
//! - `getUpdates` honours `offset` (confirming), `limit`, `timeout` (capped at
//!   one second so that tests and shutdown stay fast) and the persisted
//!   `allowed_updates` filter (filtered updates are dropped, as on Telegram,
//!   and listed by [`FakeTelegram::filtered_updates`]);
//! - a method it does not know gets `404 Not Found` and is listed by
//!   [`FakeTelegram::unknown_methods`].

#![allow(dead_code)]

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::to_bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Request, State as AxumState};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::{Instant, timeout_at};
use url::Url;

/// Longest a `getUpdates` long poll is held, whatever `timeout` it asks for.
const LONG_POLL_CAP: Duration = Duration::from_secs(1);
/// Largest request body accepted (Telegram's upload limit for bots).
const MAX_BODY: usize = 50 * 1024 * 1024;
const TEXT_LIMIT: usize = 4096;
const CAPTION_LIMIT: usize = 1024;
const CALLBACK_DATA_LIMIT: usize = 64;

/// An error to inject with [`FakeTelegram::fail_next`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// HTTP 429 with `parameters.retry_after`; teloxide: `RequestError::RetryAfter`.
    TooManyRequests { retry_after: u32 },
    /// HTTP 403 "Forbidden: bot was blocked by the user"; teloxide:
    /// `RequestError::Api(ApiError::BotBlocked)`.
    Forbidden,
    /// `{"ok":false,"error_code":500,"description":"Internal Server Error"}`
    /// sent with HTTP status 200; teloxide: `ApiError::Unknown(..)`. The status
    /// is 200 because teloxide sleeps 10 s before reading any 5xx answer.
    ServerError,
    /// The same as [`Failure::ServerError`] with the real HTTP status 500:
    /// teloxide then waits 10 s before it returns the error.
    ServerErrorHttp500,
    /// Any other error; `code` is used as the HTTP status too.
    Api { code: u16, description: String },
    /// The call is carried out (the message is sent) but the answer comes only after
    /// `after`: a client with a shorter timeout sees a timeout for a call that succeeded.
    SlowAnswer { after: Duration },
    /// The connection is dropped before any answer; nothing is carried out.
    DroppedConnection,
}

/// One button of an inline keyboard.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Button {
    pub text: String,
    /// `callback_data`.
    pub data: Option<String>,
    pub url: Option<String>,
    /// `web_app.url`: a Mini App button.
    pub web_app: Option<String>,
}

/// Something the bot did that a user sees, in the order it happened.
#[derive(Clone, Debug)]
pub struct Sent {
    /// `sendMessage`, `editMessageText`, `editMessageReplyMarkup`,
    /// `sendDocument` or `deleteMessage`.
    pub method: String,
    pub chat_id: i64,
    /// The new message's id, or the id of the message edited / deleted.
    pub message_id: i64,
    /// The message text as the user sees it (markup of `parse_mode` removed).
    /// For `editMessageReplyMarkup`, the message's current text.
    pub text: Option<String>,
    /// The message's inline keyboard after this action (empty if none).
    pub buttons: Vec<Vec<Button>>,
    /// Labels of a reply keyboard (`reply_markup.keyboard`), if one was sent.
    pub reply_keyboard: Vec<Vec<String>>,
    /// `(file name, bytes)` of a `sendDocument`; for a document sent by
    /// file id or URL, `(that string, empty)`.
    pub document: Option<(String, Vec<u8>)>,
    /// Caption as the user sees it.
    pub caption: Option<String>,
    pub parse_mode: Option<String>,
    /// The request's parameters, as [`FakeTelegram::calls`] gives them.
    pub raw: Value,
}

impl Sent {
    /// The first inline button whose label contains `label_contains`.
    pub fn button(&self, label_contains: &str) -> Option<&Button> {
        self.buttons.iter().flatten().find(|b| b.text.contains(label_contains))
    }

    pub fn has_button(&self, label_contains: &str) -> bool {
        self.button(label_contains).is_some()
    }

    /// The `callback_data` of the first inline button whose label contains
    /// `label_contains`.
    pub fn button_data(&self, label_contains: &str) -> Option<&str> {
        self.button(label_contains)?.data.as_deref()
    }

    /// All inline button labels, row by row flattened.
    pub fn button_labels(&self) -> Vec<&str> {
        self.buttons.iter().flatten().map(|b| b.text.as_str()).collect()
    }

    /// The text, else the caption, else "".
    pub fn text_or_caption(&self) -> &str {
        self.text.as_deref().or(self.caption.as_deref()).unwrap_or("")
    }
}

/// The fake server. Cheap to clone; the server stops when the last clone is
/// dropped (or with the test's runtime).
#[derive(Clone)]
pub struct FakeTelegram {
    inner: Arc<Inner>,
}

struct Inner {
    shared: Arc<Shared>,
    addr: SocketAddr,
    server: JoinHandle<()>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FakeTelegram {
    /// The token the fake accepts; any other gets `404 Not Found`, which
    /// teloxide reads as `ApiError::InvalidToken`.
    pub const TOKEN: &'static str = "123456:TEST";
    /// The bot's own user id (the number before the token's colon).
    pub const BOT_ID: i64 = 123_456;
    pub const BOT_USERNAME: &'static str = "chibo_test_bot";
    pub const BOT_FIRST_NAME: &'static str = "Chi bộ Test Bot";

    /// Binds 127.0.0.1 on a free port and serves the fake there.
    pub async fn start() -> FakeTelegram {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .expect("fake telegram: bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("fake telegram: local address");
        let shared = Arc::new(Shared::new());
        let app = Router::new()
            .fallback(handle_request)
            .layer(DefaultBodyLimit::max(MAX_BODY))
            .with_state(Arc::clone(&shared));
        let server = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                eprintln!("fake telegram: server stopped: {e}");
            }
        });
        FakeTelegram {
            inner: Arc::new(Inner { shared, addr, server }),
        }
    }

    /// `http://127.0.0.1:PORT/`, for `Bot::set_api_url`.
    pub fn api_url(&self) -> Url {
        Url::parse(&format!("http://{}/", self.inner.addr)).expect("fake telegram: api url")
    }

    /// A teloxide `Bot` with [`Self::TOKEN`] pointed at this fake.
    pub fn bot(&self) -> teloxide::Bot {
        teloxide::Bot::new(Self::TOKEN).set_api_url(self.api_url())
    }

    fn shared(&self) -> &Shared {
        &self.inner.shared
    }

    fn lock(&self) -> MutexGuard<'_, FakeState> {
        self.shared().lock()
    }

    // ----- playing the users -------------------------------------------------

    /// Delivers update `id` once more, as Telegram does when the bot's acknowledgement did
    /// not reach it: same id, same content, whatever offset the bot asks for next.
    pub fn redeliver(&self, id: i64) {
        {
            let mut st = self.lock();
            let id = u32::try_from(id).expect("update id");
            let (kind, json) = st.sent_updates.get(&id).cloned().expect("no such update");
            st.updates.push_back(QueuedUpdate {
                id,
                kind,
                json,
                delivered: false,
                forced: true,
            });
        }
        self.shared().updates_changed();
    }

    /// The id of the last update queued (0 before any).
    pub fn last_update_id(&self) -> i64 {
        i64::from(self.lock().next_update_id) - 1
    }

    /// Sets the name a user shows (default: first name `User {id}`, username
    /// `user{id}`). Affects updates queued afterwards and chats created
    /// afterwards.
    pub fn set_user(&self, user: i64, first_name: &str, username: Option<&str>) {
        self.lock().users.insert(
            user,
            UserInfo {
                first_name: first_name.to_owned(),
                username: username.map(str::to_owned),
            },
        );
    }

    /// Makes a private chat known without any update (as if the user had
    /// written to the bot long ago), so the bot may send to it.
    pub fn register_private_chat(&self, chat: i64) {
        self.lock().ensure_chat(chat, chat, false);
    }

    /// Makes a group chat known without any update.
    pub fn register_group(&self, chat: i64, title: &str) {
        self.lock()
            .chats
            .insert(chat, json!({"id": chat, "type": "group", "title": title}));
    }

    /// Every message the bot sends to `chat` is refused with 403 "Forbidden:
    /// bot was blocked by the user" until [`Self::unblock`].
    pub fn block(&self, chat: i64) {
        self.lock().blocked.insert(chat);
    }

    pub fn unblock(&self, chat: i64) {
        self.lock().blocked.remove(&chat);
    }

    /// Queues a text message from `user` in the private chat `chat`; returns
    /// its message id. A text starting with '/' gets a `bot_command` entity on
    /// its first word.
    pub fn send_text(&self, chat: i64, user: i64, text: &str) -> i64 {
        self.push_user_message(chat, user, false, text_content(text))
    }

    /// Like [`Self::send_text`] in a group chat (title `Group {chat}`).
    pub fn send_group_text(&self, chat: i64, user: i64, text: &str) -> i64 {
        self.push_user_message(chat, user, true, text_content(text))
    }

    /// Queues a photo (three sizes, no caption).
    pub fn send_photo(&self, chat: i64, user: i64) -> i64 {
        let n = self.lock().alloc_file();
        let size = |tag: &str, w: u32, h: u32, bytes: u32| {
            json!({"file_id": format!("photo-{n}-{tag}"),
                   "file_unique_id": format!("uphoto-{n}-{tag}"),
                   "width": w, "height": h, "file_size": bytes})
        };
        let content = json!({"photo": [
            size("s", 90, 67, 1_200),
            size("m", 320, 240, 14_000),
            size("l", 1280, 960, 120_000),
        ]});
        self.push_user_message(chat, user, false, content)
    }

    /// Queues a (regular, static) sticker.
    pub fn send_sticker(&self, chat: i64, user: i64) -> i64 {
        let n = self.lock().alloc_file();
        let content = json!({"sticker": {
            "file_id": format!("sticker-{n}"), "file_unique_id": format!("usticker-{n}"),
            "type": "regular", "width": 512, "height": 512,
            "is_animated": false, "is_video": false,
            "emoji": "👍", "set_name": "TestPack", "file_size": 20_000,
        }});
        self.push_user_message(chat, user, false, content)
    }

    /// Queues a 3-second voice note.
    pub fn send_voice(&self, chat: i64, user: i64) -> i64 {
        let n = self.lock().alloc_file();
        let content = json!({"voice": {
            "file_id": format!("voice-{n}"), "file_unique_id": format!("uvoice-{n}"),
            "duration": 3, "mime_type": "audio/ogg", "file_size": 9_000,
        }});
        self.push_user_message(chat, user, false, content)
    }

    /// Queues a document named `file_name` (mime type from its extension).
    pub fn send_document(&self, chat: i64, user: i64, file_name: &str) -> i64 {
        let n = self.lock().alloc_file();
        let content = json!({"document": {
            "file_id": format!("doc-{n}"), "file_unique_id": format!("udoc-{n}"),
            "file_name": file_name, "mime_type": mime_for(file_name), "file_size": 1_024,
        }});
        self.push_user_message(chat, user, false, content)
    }

    /// Queues a document with real content, which the bot can fetch with `getFile` and a
    /// download from `/file/bot<token>/<file_path>`, as from Telegram.
    pub fn send_file(&self, chat: i64, user: i64, file_name: &str, bytes: Vec<u8>) -> i64 {
        let (id, size) = {
            let mut st = self.lock();
            let n = st.alloc_file();
            let id = format!("doc-{n}");
            let size = bytes.len();
            st.files.insert(id.clone(), bytes);
            (id, size)
        };
        let content = json!({"document": {
            "file_id": id, "file_unique_id": format!("u{id}"),
            "file_name": file_name, "mime_type": mime_for(file_name), "file_size": size,
        }});
        self.push_user_message(chat, user, false, content)
    }

    fn push_user_message(&self, chat: i64, user: i64, group: bool, content: Value) -> i64 {
        let id = {
            let mut st = self.lock();
            let id = st.alloc_message_id();
            let chat_json = st.ensure_chat(chat, user, group);
            let mut msg = json!({
                "message_id": id,
                "date": unix_now(),
                "chat": chat_json,
                "from": st.user_json(user),
            });
            merge(&mut msg, content);
            st.messages.insert(
                (chat, id),
                StoredMessage {
                    json: msg.clone(),
                    raw_text: None,
                },
            );
            st.enqueue("message", json!({"message": msg}));
            id
        };
        self.shared().updates_changed();
        id
    }

    /// `user` edits their earlier text message `message_id` in `chat` to `text`
    /// (an `edited_message` update); returns the message id.
    pub fn edit_text(&self, chat: i64, user: i64, message_id: i64, text: &str) -> i64 {
        {
            let mut st = self.lock();
            let chat_json = st.ensure_chat(chat, user, false);
            let mut msg = json!({
                "message_id": message_id,
                "date": unix_now(),
                "edit_date": unix_now(),
                "chat": chat_json,
                "from": st.user_json(user),
            });
            merge(&mut msg, text_content(text));
            st.enqueue("edited_message", json!({"edited_message": msg}));
        }
        self.shared().updates_changed();
        message_id
    }

    /// `user` presses the inline button with callback data `data` on the bot's
    /// message `message_id` in `chat`; returns the callback query id.
    ///
    /// Panics (a test bug) if there is no such bot message or its current
    /// keyboard has no button with that data; see [`Self::press_unchecked`].
    pub fn press(&self, chat: i64, user: i64, message_id: i64, data: &str) -> String {
        let problem = {
            let st = self.lock();
            match st.messages.get(&(chat, message_id)) {
                None => Some(format!("fake telegram: press: no message {message_id} in chat {chat}")),
                Some(m) if !is_bot_message(&m.json) => Some(format!(
                    "fake telegram: press: message {message_id} in chat {chat} is not the bot's"
                )),
                Some(m) => {
                    let buttons = inline_buttons(m.json.get("reply_markup"));
                    let found = buttons.iter().flatten().any(|b| b.data.as_deref() == Some(data));
                    (!found).then(|| {
                        format!(
                            "fake telegram: press: message {message_id} in chat {chat} has no \
                             button with data {data:?}; its buttons: {buttons:?}"
                        )
                    })
                }
            }
        };
        if let Some(problem) = problem {
            panic!("{problem}");
        }
        self.press_unchecked(chat, user, message_id, data)
    }

    /// Like [`Self::press`] without any check: the data need not be on the
    /// keyboard, and a message the fake does not have is sent as an
    /// inaccessible message (`date` 0), as Telegram does for old messages.
    pub fn press_unchecked(&self, chat: i64, user: i64, message_id: i64, data: &str) -> String {
        let id = {
            let mut st = self.lock();
            st.next_callback += 1;
            let id = format!("cb{}", st.next_callback);
            let message = match st.messages.get(&(chat, message_id)) {
                Some(m) => m.json.clone(),
                None => {
                    let chat_json = st.ensure_chat(chat, user, chat < 0);
                    json!({"message_id": message_id, "date": 0, "chat": chat_json})
                }
            };
            let query = json!({
                "id": id,
                "from": st.user_json(user),
                "chat_instance": format!("ci{chat}"),
                "data": data,
                "message": message,
            });
            st.open_callbacks.insert(id.clone());
            st.enqueue("callback_query", json!({"callback_query": query}));
            id
        };
        self.shared().updates_changed();
        id
    }

    // ----- what the bot did --------------------------------------------------

    /// The next thing the bot did in `chat` (see [`Sent::method`]), in order;
    /// `None` if nothing comes within `timeout`. Each event is returned once.
    pub async fn next_for(&self, chat: i64, timeout: Duration) -> Option<Sent> {
        let deadline = Instant::now() + timeout;
        let mut rx = self.shared().activity_tx.subscribe();
        loop {
            if let Some(sent) = self.lock().outbox.get_mut(&chat).and_then(VecDeque::pop_front) {
                return Some(sent);
            }
            match timeout_at(deadline, rx.changed()).await {
                Ok(Ok(())) => {}
                _ => {
                    return self.lock().outbox.get_mut(&chat).and_then(VecDeque::pop_front);
                }
            }
        }
    }

    /// `true` if the bot does nothing visible in `chat` within `wait`. An event
    /// that breaks the silence is left for [`Self::next_for`].
    pub async fn expect_silence(&self, chat: i64, wait: Duration) -> bool {
        let deadline = Instant::now() + wait;
        let mut rx = self.shared().activity_tx.subscribe();
        let quiet = |fake: &FakeTelegram| fake.lock().outbox.get(&chat).is_none_or(VecDeque::is_empty);
        loop {
            if !quiet(self) {
                return false;
            }
            match timeout_at(deadline, rx.changed()).await {
                Ok(Ok(())) => {}
                _ => return quiet(self),
            }
        }
    }

    /// Waits until `cond` holds (checked now and after every request the fake
    /// handles and every update queued); `false` if it still fails at
    /// `timeout`.
    pub async fn wait_until(&self, timeout: Duration, mut cond: impl FnMut(&FakeTelegram) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        let mut rx = self.shared().activity_tx.subscribe();
        loop {
            if cond(self) {
                return true;
            }
            match timeout_at(deadline, rx.changed()).await {
                Ok(Ok(())) => {}
                _ => return cond(self),
            }
        }
    }

    /// Everything the bot did in `chat` so far, including events already taken
    /// by [`Self::next_for`].
    pub fn history_for(&self, chat: i64) -> Vec<Sent> {
        self.lock()
            .history
            .iter()
            .filter(|s| s.chat_id == chat)
            .cloned()
            .collect()
    }

    /// Every request body of `method` so far (failed ones included), in order.
    /// Multipart bodies become a JSON object of their text fields, where
    /// `reply_markup`-like JSON fields are parsed, numbers other than in
    /// `text`/`caption` become numbers, and each uploaded file adds
    /// `{field}_name` and `{field}_size` (e.g. `document_name`).
    pub fn calls(&self, method: &str) -> Vec<Value> {
        self.lock()
            .calls
            .iter()
            .filter(|(m, _)| m.eq_ignore_ascii_case(method))
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// The method names of all requests so far, in order.
    pub fn methods_called(&self) -> Vec<String> {
        self.lock().calls.iter().map(|(m, _)| m.clone()).collect()
    }

    /// Methods the fake has no handler for (they were answered 404).
    pub fn unknown_methods(&self) -> Vec<String> {
        self.lock().unknown.clone()
    }

    /// `(method, description)` of every error answer the fake gave on its own
    /// (bad requests, unknown chats, ...), not counting injected failures and
    /// unknown methods.
    pub fn rejected(&self) -> Vec<(String, String)> {
        self.lock().rejected.clone()
    }

    /// Callback query ids that got a successful `answerCallbackQuery`.
    pub fn answered_callbacks(&self) -> Vec<String> {
        self.lock().answered.clone()
    }

    /// Callback query ids queued by `press` and not answered yet.
    pub fn unanswered_callbacks(&self) -> Vec<String> {
        let mut open: Vec<String> = self.lock().open_callbacks.iter().cloned().collect();
        open.sort();
        open
    }

    /// The next call of `method` (any chat) fails with `failure`. Several
    /// injected failures are used in the order given.
    pub fn fail_next(&self, method: &str, failure: Failure) {
        self.lock().failures.push(Injected {
            method: method.to_owned(),
            chat: None,
            failure,
        });
    }

    /// The next call of `method` whose `chat_id` is `chat` fails with `failure`.
    pub fn fail_next_for_chat(&self, chat: i64, method: &str, failure: Failure) {
        self.lock().failures.push(Injected {
            method: method.to_owned(),
            chat: Some(chat),
            failure,
        });
    }

    /// How many calls of `method` were answered `ok: true`.
    pub fn sent_count(&self, method: &str) -> usize {
        self.lock()
            .ok_counts
            .iter()
            .filter(|(m, _)| m.eq_ignore_ascii_case(method))
            .map(|(_, n)| n)
            .sum()
    }

    /// Updates queued and not yet delivered by any `getUpdates`.
    pub fn updates_pending(&self) -> usize {
        self.lock().updates.iter().filter(|u| !u.delivered).count()
    }

    /// Updates delivered but not yet confirmed by a later `getUpdates` offset.
    pub fn updates_unconfirmed(&self) -> usize {
        self.lock().updates.iter().filter(|u| u.delivered).count()
    }

    /// Updates dropped because the bot's `allowed_updates` excluded them.
    pub fn filtered_updates(&self) -> Vec<Value> {
        self.lock().filtered.clone()
    }

    /// The current text (or caption) of a stored message, after edits.
    pub fn message_text(&self, chat: i64, message_id: i64) -> Option<String> {
        let st = self.lock();
        let m = &st.messages.get(&(chat, message_id))?.json;
        m.get("text")
            .or_else(|| m.get("caption"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    }

    /// The current inline keyboard of a stored message, after edits.
    pub fn message_buttons(&self, chat: i64, message_id: i64) -> Vec<Vec<Button>> {
        self.lock()
            .messages
            .get(&(chat, message_id))
            .map(|m| inline_buttons(m.json.get("reply_markup")))
            .unwrap_or_default()
    }

    /// The `commands` of the last `setMyCommands` (JSON array), if any.
    pub fn my_commands(&self) -> Option<Value> {
        self.lock().commands.clone()
    }
}

// ----- shared state ----------------------------------------------------------

struct Shared {
    state: Mutex<FakeState>,
    /// Bumped when an update is queued (wakes long polls).
    updates_tx: watch::Sender<u64>,
    /// Bumped on every request and every queued update (wakes test waiters).
    activity_tx: watch::Sender<u64>,
}

impl Shared {
    fn new() -> Self {
        Shared {
            state: Mutex::new(FakeState::new()),
            updates_tx: watch::Sender::new(0),
            activity_tx: watch::Sender::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, FakeState> {
        // A panicking test thread must not take every other assertion with it.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn activity(&self) {
        self.activity_tx.send_modify(|v| *v = v.wrapping_add(1));
    }

    fn updates_changed(&self) {
        self.updates_tx.send_modify(|v| *v = v.wrapping_add(1));
        self.activity();
    }
}

struct QueuedUpdate {
    id: u32,
    kind: &'static str,
    json: Value,
    delivered: bool,
    /// Sent again on purpose ([`FakeTelegram::redeliver`]): kept until delivered once more,
    /// whatever offset the bot asks for.
    forced: bool,
}

struct StoredMessage {
    /// The message as Telegram would send it (current text, keyboard, ...).
    json: Value,
    /// The bot's text as sent, before its markup was parsed.
    raw_text: Option<String>,
}

struct Injected {
    method: String,
    chat: Option<i64>,
    failure: Failure,
}

struct UserInfo {
    first_name: String,
    username: Option<String>,
}

struct FakeState {
    next_update_id: u32,
    next_message_id: i64,
    next_callback: u64,
    next_file: u64,
    updates: VecDeque<QueuedUpdate>,
    /// Every update ever queued, by id (for redelivery).
    sent_updates: HashMap<u32, (&'static str, Value)>,
    /// The persisted `allowed_updates` (None: Telegram's default, which
    /// includes messages and callback queries).
    allowed_updates: Option<Vec<String>>,
    filtered: Vec<Value>,
    messages: HashMap<(i64, i64), StoredMessage>,
    chats: HashMap<i64, Value>,
    users: HashMap<i64, UserInfo>,
    blocked: HashSet<i64>,
    outbox: HashMap<i64, VecDeque<Sent>>,
    history: Vec<Sent>,
    calls: Vec<(String, Value)>,
    ok_counts: HashMap<String, usize>,
    rejected: Vec<(String, String)>,
    unknown: Vec<String>,
    open_callbacks: HashSet<String>,
    answered: Vec<String>,
    failures: Vec<Injected>,
    commands: Option<Value>,
    /// Contents of the files users sent, by file id (served by `getFile` and `/file/…`).
    files: HashMap<String, Vec<u8>>,
}

impl FakeState {
    fn new() -> Self {
        FakeState {
            next_update_id: 1,
            next_message_id: 1,
            next_callback: 0,
            next_file: 0,
            updates: VecDeque::new(),
            sent_updates: HashMap::new(),
            allowed_updates: None,
            filtered: Vec::new(),
            messages: HashMap::new(),
            chats: HashMap::new(),
            users: HashMap::new(),
            blocked: HashSet::new(),
            outbox: HashMap::new(),
            history: Vec::new(),
            calls: Vec::new(),
            ok_counts: HashMap::new(),
            rejected: Vec::new(),
            unknown: Vec::new(),
            open_callbacks: HashSet::new(),
            answered: Vec::new(),
            failures: Vec::new(),
            commands: None,
            files: HashMap::new(),
        }
    }

    fn alloc_message_id(&mut self) -> i64 {
        let id = self.next_message_id;
        self.next_message_id += 1;
        id
    }

    fn alloc_file(&mut self) -> u64 {
        self.next_file += 1;
        self.next_file
    }

    fn user_json(&self, user: i64) -> Value {
        let (first_name, username) = match self.users.get(&user) {
            Some(u) => (u.first_name.clone(), u.username.clone()),
            None => (format!("User {user}"), Some(format!("user{user}"))),
        };
        let mut v = json!({"id": user, "is_bot": false, "first_name": first_name, "language_code": "vi"});
        if let Some(username) = username {
            v["username"] = json!(username);
        }
        v
    }

    /// The chat's JSON, creating the chat on first use.
    fn ensure_chat(&mut self, chat: i64, user: i64, group: bool) -> Value {
        if let Some(c) = self.chats.get(&chat) {
            return c.clone();
        }
        let c = if group {
            json!({"id": chat, "type": "group", "title": format!("Group {chat}")})
        } else {
            let u = self.user_json(user);
            let mut c = json!({"id": chat, "type": "private", "first_name": u["first_name"]});
            if let Some(username) = u.get("username") {
                c["username"] = username.clone();
            }
            c
        };
        self.chats.insert(chat, c.clone());
        c
    }

    fn enqueue(&mut self, kind: &'static str, mut body: Value) {
        let id = self.next_update_id;
        self.next_update_id += 1;
        body["update_id"] = json!(id);
        self.sent_updates.insert(id, (kind, body.clone()));
        self.updates.push_back(QueuedUpdate {
            id,
            kind,
            json: body,
            delivered: false,
            forced: false,
        });
    }

    fn take_failure(&mut self, method: &str, chat: Option<i64>) -> Option<Failure> {
        let pos = self
            .failures
            .iter()
            .position(|f| f.method.eq_ignore_ascii_case(method) && (f.chat.is_none() || f.chat == chat))?;
        Some(self.failures.remove(pos).failure)
    }

    fn record_sent(&mut self, sent: Sent) {
        self.outbox.entry(sent.chat_id).or_default().push_back(sent.clone());
        self.history.push(sent);
    }

    // ----- getUpdates --------------------------------------------------------

    fn confirm(&mut self, offset: i64) {
        if offset > 0 {
            self.updates.retain(|u| u.forced || i64::from(u.id) >= offset);
        } else if offset < 0 {
            let keep = usize::try_from(offset.unsigned_abs()).unwrap_or(usize::MAX);
            while self.updates.len() > keep {
                self.updates.pop_front();
            }
        }
    }

    fn take_batch(&mut self, limit: usize) -> Vec<Value> {
        if let Some(allowed) = &self.allowed_updates {
            let (keep, drop): (VecDeque<_>, VecDeque<_>) = std::mem::take(&mut self.updates)
                .into_iter()
                .partition(|u| u.delivered || allowed.iter().any(|a| a == u.kind));
            self.updates = keep;
            self.filtered.extend(drop.into_iter().map(|u| u.json));
        }
        self.updates
            .iter_mut()
            .take(limit)
            .map(|u| {
                u.delivered = true;
                u.forced = false;
                u.json.clone()
            })
            .collect()
    }

    // ----- request handlers --------------------------------------------------

    /// [`Self::handle`], noting unknown methods and refused calls.
    fn handle_recorded(&mut self, method: &str, p: &Params) -> Result<Value, ApiErr> {
        let reply = self.handle(method, p);
        match &reply {
            Ok(_) => {}
            Err(e) if e.code == 404 => self.unknown.push(method.to_owned()),
            Err(e) => self.rejected.push((method.to_owned(), e.description.clone())),
        }
        reply
    }

    fn handle(&mut self, method: &str, p: &Params) -> Result<Value, ApiErr> {
        match method.to_ascii_lowercase().as_str() {
            "getme" => Ok(me_json()),
            "getwebhookinfo" => Ok(json!({
                "url": "", "has_custom_certificate": false,
                "pending_update_count": self.updates.len(),
            })),
            "deletewebhook" | "sendchataction" | "setchatmenubutton" | "setmydescription" | "setmyshortdescription" => {
                Ok(json!(true))
            }
            "setmycommands" => {
                self.commands = Some(p.json("commands").unwrap_or_else(|| json!([])));
                Ok(json!(true))
            }
            "deletemycommands" => {
                self.commands = None;
                Ok(json!(true))
            }
            "getmycommands" => Ok(self.commands.clone().unwrap_or_else(|| json!([]))),
            "answercallbackquery" => self.answer_callback(p),
            "getfile" => {
                let id = p.str("file_id").unwrap_or_default();
                match self.files.get(&id) {
                    Some(bytes) => Ok(json!({
                        "file_id": id, "file_unique_id": format!("u{id}"),
                        "file_size": bytes.len(), "file_path": format!("documents/{id}"),
                    })),
                    None => Err(ApiErr::bad_request("invalid file_id")),
                }
            }
            "sendmessage" => self.send_message(method, p),
            "senddocument" => self.send_document(method, p),
            "editmessagetext" => self.edit_message_text(method, p),
            "editmessagereplymarkup" => self.edit_reply_markup(method, p),
            "deletemessage" => self.delete_message(method, p),
            _ => Err(ApiErr::not_found()),
        }
    }

    /// The chat a send goes to: known, and not blocking the bot.
    fn target_chat(&self, p: &Params) -> Result<(i64, Value), ApiErr> {
        let chat = match p.i64("chat_id") {
            Some(chat) => chat,
            None if p.fields.contains_key("chat_id") => {
                return Err(ApiErr::bad_request("chat not found"));
            }
            None => return Err(ApiErr::bad_request("chat_id is empty")),
        };
        let Some(chat_json) = self.chats.get(&chat) else {
            return Err(ApiErr::bad_request("chat not found"));
        };
        if self.blocked.contains(&chat) {
            return Err(ApiErr::blocked());
        }
        Ok((chat, chat_json.clone()))
    }

    /// The bot's own stored message that an edit targets.
    fn edit_target(&self, p: &Params) -> Result<(i64, i64), ApiErr> {
        if p.fields.contains_key("inline_message_id") {
            return Err(ApiErr::bad_request("MESSAGE_ID_INVALID"));
        }
        let (chat, _) = self.target_chat(p)?;
        let Some(id) = p.i64("message_id") else {
            return Err(ApiErr::bad_request("message identifier is not specified"));
        };
        let Some(m) = self.messages.get(&(chat, id)) else {
            return Err(ApiErr::bad_request("message to edit not found"));
        };
        if !is_bot_message(&m.json) {
            return Err(ApiErr::bad_request("message can't be edited"));
        }
        Ok((chat, id))
    }

    fn answer_callback(&mut self, p: &Params) -> Result<Value, ApiErr> {
        let id = p.str("callback_query_id").unwrap_or_default();
        if !self.open_callbacks.remove(&id) {
            return Err(ApiErr::bad_request(
                "query is too old and response timeout expired or query id is invalid",
            ));
        }
        self.answered.push(id);
        Ok(json!(true))
    }

    fn send_message(&mut self, method: &str, p: &Params) -> Result<Value, ApiErr> {
        let (chat, chat_json) = self.target_chat(p)?;
        // Telegram words the too-long error differently for sends and edits.
        let (raw, parse_mode, text) = checked_text(p, "message is too long")?;
        let markup = Markup::from_params(p)?;
        let id = self.alloc_message_id();
        let mut msg = bot_message(id, chat_json);
        msg["text"] = json!(text);
        if let Some(inline) = &markup.inline {
            msg["reply_markup"] = inline.clone();
        }
        self.messages.insert(
            (chat, id),
            StoredMessage {
                json: msg.clone(),
                raw_text: Some(raw),
            },
        );
        self.record_sent(Sent {
            method: method.to_owned(),
            chat_id: chat,
            message_id: id,
            text: Some(text),
            buttons: inline_buttons(markup.inline.as_ref()),
            reply_keyboard: markup.reply_keyboard,
            document: None,
            caption: None,
            parse_mode,
            raw: p.to_value(),
        });
        Ok(msg)
    }

    fn send_document(&mut self, method: &str, p: &Params) -> Result<Value, ApiErr> {
        let (chat, chat_json) = self.target_chat(p)?;
        let (name, bytes) = match (p.files.get("document"), p.str("document")) {
            (Some((name, bytes)), _) => {
                if bytes.is_empty() {
                    return Err(ApiErr::bad_request("file must be non-empty"));
                }
                (name.clone(), bytes.clone())
            }
            (None, Some(id_or_url)) if !id_or_url.starts_with("attach://") => (id_or_url, Vec::new()),
            _ => return Err(ApiErr::bad_request("there is no document in the request")),
        };
        let parse_mode = p.str("parse_mode");
        let caption = match p.str("caption") {
            Some(raw) => Some(parse_text(&raw, parse_mode.as_deref())?),
            None => None,
        }
        .filter(|c| !c.is_empty());
        if caption.as_deref().is_some_and(|c| utf16_len(c) > CAPTION_LIMIT) {
            return Err(ApiErr::bad_request("message caption is too long"));
        }
        let markup = Markup::from_params(p)?;
        let n = self.alloc_file();
        let id = self.alloc_message_id();
        let mut msg = bot_message(id, chat_json);
        let mut document = json!({
            "file_id": format!("botdoc-{n}"), "file_unique_id": format!("ubotdoc-{n}"),
            "mime_type": mime_for(&name), "file_size": bytes.len(),
        });
        if !name.is_empty() {
            document["file_name"] = json!(name);
        }
        msg["document"] = document;
        if let Some(caption) = &caption {
            msg["caption"] = json!(caption);
        }
        if let Some(inline) = &markup.inline {
            msg["reply_markup"] = inline.clone();
        }
        self.messages.insert(
            (chat, id),
            StoredMessage {
                json: msg.clone(),
                raw_text: None,
            },
        );
        self.record_sent(Sent {
            method: method.to_owned(),
            chat_id: chat,
            message_id: id,
            text: None,
            buttons: inline_buttons(markup.inline.as_ref()),
            reply_keyboard: markup.reply_keyboard,
            document: Some((name, bytes)),
            caption,
            parse_mode,
            raw: p.to_value(),
        });
        Ok(msg)
    }

    fn edit_message_text(&mut self, method: &str, p: &Params) -> Result<Value, ApiErr> {
        let (chat, id) = self.edit_target(p)?;
        let (raw, parse_mode, text) = checked_text(p, "MESSAGE_TOO_LONG")?;
        let markup = Markup::from_params(p)?;
        let stored = self.messages.get_mut(&(chat, id)).expect("edit_target checked it");
        let Some(old_text) = stored.json.get("text").and_then(Value::as_str) else {
            return Err(ApiErr::bad_request("there is no text in the message to edit"));
        };
        if old_text == text
            && stored.raw_text.as_deref() == Some(raw.as_str())
            && stored.json.get("reply_markup") == markup.inline.as_ref()
        {
            return Err(ApiErr::not_modified());
        }
        stored.json["text"] = json!(text);
        stored.json["edit_date"] = json!(unix_now());
        set_markup(&mut stored.json, markup.inline.as_ref());
        stored.raw_text = Some(raw);
        let msg = stored.json.clone();
        self.record_sent(Sent {
            method: method.to_owned(),
            chat_id: chat,
            message_id: id,
            text: Some(text),
            buttons: inline_buttons(markup.inline.as_ref()),
            reply_keyboard: Vec::new(),
            document: None,
            caption: None,
            parse_mode,
            raw: p.to_value(),
        });
        Ok(msg)
    }

    fn edit_reply_markup(&mut self, method: &str, p: &Params) -> Result<Value, ApiErr> {
        let (chat, id) = self.edit_target(p)?;
        let markup = Markup::from_params(p)?;
        let stored = self.messages.get_mut(&(chat, id)).expect("edit_target checked it");
        if stored.json.get("reply_markup") == markup.inline.as_ref() {
            return Err(ApiErr::not_modified());
        }
        set_markup(&mut stored.json, markup.inline.as_ref());
        stored.json["edit_date"] = json!(unix_now());
        let msg = stored.json.clone();
        let field = |k: &str| msg.get(k).and_then(Value::as_str).map(str::to_owned);
        let sent = Sent {
            method: method.to_owned(),
            chat_id: chat,
            message_id: id,
            text: field("text"),
            buttons: inline_buttons(markup.inline.as_ref()),
            reply_keyboard: Vec::new(),
            document: None,
            caption: field("caption"),
            parse_mode: None,
            raw: p.to_value(),
        };
        self.record_sent(sent);
        Ok(msg)
    }

    fn delete_message(&mut self, method: &str, p: &Params) -> Result<Value, ApiErr> {
        let (chat, _) = self.target_chat(p)?;
        let Some(id) = p.i64("message_id") else {
            return Err(ApiErr::bad_request("message identifier is not specified"));
        };
        if self.messages.remove(&(chat, id)).is_none() {
            return Err(ApiErr::bad_request("message to delete not found"));
        }
        self.record_sent(Sent {
            method: method.to_owned(),
            chat_id: chat,
            message_id: id,
            text: None,
            buttons: Vec::new(),
            reply_keyboard: Vec::new(),
            document: None,
            caption: None,
            parse_mode: None,
            raw: p.to_value(),
        });
        Ok(json!(true))
    }
}

// ----- HTTP ------------------------------------------------------------------

async fn handle_request(AxumState(shared): AxumState<Arc<Shared>>, req: Request) -> Response {
    let path = percent_decode(req.uri().path());
    let expected = format!("bot{}", FakeTelegram::TOKEN);
    // File downloads: /file/bot<token>/documents/<file id>.
    if let Some(rest) = path.strip_prefix(&format!("/file/{expected}/documents/")) {
        let found = shared.lock().files.get(rest).cloned();
        shared.activity();
        return match found {
            Some(bytes) => (axum::http::StatusCode::OK, bytes).into_response(),
            None => ApiErr::not_found().into_response(),
        };
    }
    let method = match path.strip_prefix('/').and_then(|p| p.split_once('/')) {
        Some((token, method)) if token == expected && !method.is_empty() && !method.contains('/') => {
            canonical_method(method)
        }
        _ => {
            shared.lock().rejected.push((path.clone(), "Not Found".to_owned()));
            shared.activity();
            return ApiErr::not_found().into_response();
        }
    };
    let params = match read_params(req).await {
        Ok(p) => p,
        Err(e) => {
            let err = ApiErr::bad_request(&format!("can't read the request: {e}"));
            {
                let mut st = shared.lock();
                st.calls.push((method.clone(), json!({})));
                st.rejected.push((method, err.description.clone()));
            }
            shared.activity();
            return err.into_response();
        }
    };
    let reply = if method.eq_ignore_ascii_case("getUpdates") {
        get_updates(&shared, &method, &params).await
    } else {
        let mut slow = None;
        let reply = {
            let mut st = shared.lock();
            st.calls.push((method.clone(), params.to_value()));
            let failure = st.take_failure(&method, params.i64("chat_id"));
            match failure {
                Some(Failure::DroppedConnection) => None,
                Some(Failure::SlowAnswer { after }) => {
                    slow = Some(after);
                    Some(st.handle(&method, &params))
                }
                Some(failure) => Some(Err(ApiErr::from(failure))),
                None => Some(st.handle_recorded(&method, &params)),
            }
        };
        if let Some(after) = slow {
            shared.activity();
            tokio::time::sleep(after).await;
        }
        match reply {
            None => {
                shared.activity();
                return dropped_connection();
            }
            Some(r) => r,
        }
    };
    if reply.is_ok() {
        *shared.lock().ok_counts.entry(method).or_default() += 1;
    }
    shared.activity();
    match reply {
        Ok(result) => JsonBody(json!({"ok": true, "result": result})).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn get_updates(shared: &Shared, method: &str, p: &Params) -> Result<Value, ApiErr> {
    let offset = p.i64("offset").unwrap_or(0);
    let limit = usize::try_from(p.i64("limit").unwrap_or(100).clamp(1, 100)).unwrap_or(100);
    let timeout = Duration::from_secs(u64::try_from(p.i64("timeout").unwrap_or(0)).unwrap_or(0)).min(LONG_POLL_CAP);
    {
        let mut st = shared.lock();
        st.calls.push((method.to_owned(), p.to_value()));
        if let Some(failure) = st.take_failure(method, None) {
            return Err(ApiErr::from(failure));
        }
        if let Some(allowed) = p.json("allowed_updates").as_ref().and_then(Value::as_array) {
            let allowed: Vec<String> = allowed.iter().filter_map(Value::as_str).map(str::to_owned).collect();
            st.allowed_updates = (!allowed.is_empty()).then_some(allowed);
        }
        st.confirm(offset);
    }
    shared.activity();
    let deadline = Instant::now() + timeout;
    let mut rx = shared.updates_tx.subscribe();
    loop {
        let batch = shared.lock().take_batch(limit);
        if !batch.is_empty() {
            return Ok(Value::Array(batch));
        }
        match timeout_at(deadline, rx.changed()).await {
            Ok(Ok(())) => {}
            _ => return Ok(Value::Array(shared.lock().take_batch(limit))),
        }
    }
}

/// A request's parameters: text fields as JSON, plus uploaded files by the
/// parameter that refers to them.
struct Params {
    fields: Map<String, Value>,
    files: HashMap<String, (String, Vec<u8>)>,
}

impl Params {
    fn str(&self, key: &str) -> Option<String> {
        match self.fields.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            v => Some(v.to_string()),
        }
    }

    fn i64(&self, key: &str) -> Option<i64> {
        match self.fields.get(key)? {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// A JSON field, also when it came as a JSON string (multipart, forms).
    fn json(&self, key: &str) -> Option<Value> {
        match self.fields.get(key)? {
            Value::String(s) => serde_json::from_str(s).ok(),
            Value::Null => None,
            v => Some(v.clone()),
        }
    }

    fn to_value(&self) -> Value {
        Value::Object(self.fields.clone())
    }
}

async fn read_params(req: Request) -> Result<Params, String> {
    let mut fields = Map::new();
    let mut uploads: HashMap<String, (String, Vec<u8>)> = HashMap::new();
    if let Some(query) = req.uri().query() {
        for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
            fields.insert(k.to_string(), text_field(&k, &v));
        }
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if content_type.starts_with("multipart/form-data") {
        let mut multipart = Multipart::from_request(req, &()).await.map_err(|e| e.body_text())?;
        while let Some(field) = multipart.next_field().await.map_err(|e| e.body_text())? {
            let name = field.name().unwrap_or("").to_owned();
            let file_name = field.file_name().map(str::to_owned);
            let data = field.bytes().await.map_err(|e| e.body_text())?;
            match file_name {
                Some(file_name) => {
                    uploads.insert(name, (file_name, data.to_vec()));
                }
                None => {
                    let text = String::from_utf8_lossy(&data);
                    fields.insert(name.clone(), text_field(&name, &text));
                }
            }
        }
    } else {
        let body = to_bytes(req.into_body(), MAX_BODY).await.map_err(|e| e.to_string())?;
        if body.iter().all(u8::is_ascii_whitespace) {
            // getMe and friends may come without a body.
        } else if content_type.starts_with("application/x-www-form-urlencoded") {
            for (k, v) in url::form_urlencoded::parse(&body) {
                fields.insert(k.to_string(), text_field(&k, &v));
            }
        } else {
            match serde_json::from_slice::<Value>(&body) {
                Ok(Value::Object(map)) => fields.extend(map),
                Ok(_) => return Err("the body is not a JSON object".to_owned()),
                Err(e) => return Err(format!("the body is not JSON: {e}")),
            }
        }
    }
    // Files are sent as parts named by a random id that a text field refers
    // to as "attach://<id>" (teloxide), or as a part named like the parameter.
    let mut files = HashMap::new();
    let keys: Vec<String> = fields.keys().cloned().collect();
    for key in keys {
        let attached = fields
            .get(&key)
            .and_then(Value::as_str)
            .and_then(|v| v.strip_prefix("attach://"))
            .and_then(|id| uploads.remove(id));
        if let Some(file) = attached {
            files.insert(key, file);
        }
    }
    files.extend(uploads);
    for (key, (name, bytes)) in &files {
        fields.insert(format!("{key}_name"), json!(name));
        fields.insert(format!("{key}_size"), json!(bytes.len()));
    }
    Ok(Params { fields, files })
}

/// A form field as JSON: JSON objects/arrays, numbers and booleans are parsed,
/// except in free-text fields.
fn text_field(name: &str, value: &str) -> Value {
    const FREE_TEXT: &[&str] = &["text", "caption", "parse_mode", "callback_query_id", "data"];
    if !FREE_TEXT.contains(&name) {
        let t = value.trim();
        if t.starts_with('{') || t.starts_with('[') {
            if let Ok(v) = serde_json::from_str::<Value>(t) {
                return v;
            }
        } else if let Ok(n) = t.parse::<i64>() {
            return json!(n);
        } else if t == "true" || t == "false" {
            return json!(t == "true");
        }
    }
    json!(value)
}

struct ApiErr {
    code: u16,
    description: String,
    retry_after: Option<u32>,
    http_status: u16,
}

impl ApiErr {
    fn new(code: u16, description: &str) -> Self {
        ApiErr {
            code,
            description: description.to_owned(),
            retry_after: None,
            http_status: code,
        }
    }

    fn bad_request(what: &str) -> Self {
        Self::new(400, &format!("Bad Request: {what}"))
    }

    fn not_found() -> Self {
        Self::new(404, "Not Found")
    }

    fn blocked() -> Self {
        Self::new(403, "Forbidden: bot was blocked by the user")
    }

    fn not_modified() -> Self {
        Self::bad_request(
            "message is not modified: specified new message content and reply markup are \
             exactly the same as a current content and reply markup of the message",
        )
    }
}

impl From<Failure> for ApiErr {
    fn from(f: Failure) -> Self {
        match f {
            Failure::TooManyRequests { retry_after } => ApiErr {
                retry_after: Some(retry_after),
                ..ApiErr::new(429, &format!("Too Many Requests: retry after {retry_after}"))
            },
            Failure::Forbidden => ApiErr::blocked(),
            Failure::ServerError => ApiErr {
                http_status: 200,
                ..ApiErr::new(500, "Internal Server Error")
            },
            Failure::ServerErrorHttp500 => ApiErr::new(500, "Internal Server Error"),
            Failure::Api { code, description } => ApiErr::new(code, &description),
            Failure::SlowAnswer { .. } | Failure::DroppedConnection => {
                unreachable!("handled before an answer is made")
            }
        }
    }
}

impl IntoResponse for ApiErr {
    fn into_response(self) -> Response {
        let mut body = json!({"ok": false, "error_code": self.code, "description": self.description});
        if let Some(retry_after) = self.retry_after {
            body["parameters"] = json!({"retry_after": retry_after});
        }
        let status = StatusCode::from_u16(self.http_status).unwrap_or(StatusCode::BAD_REQUEST);
        (status, JsonBody(body)).into_response()
    }
}

/// An answer whose body fails after the headers: the client sees the connection drop.
fn dropped_connection() -> Response {
    let body = axum::body::Body::from_stream(futures_util::stream::once(async {
        Err::<axum::body::Bytes, std::io::Error>(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "dropped"))
    }));
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CONTENT_LENGTH, "100")
        .body(body)
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// A JSON body (status set by the caller).
struct JsonBody(Value);

impl IntoResponse for JsonBody {
    fn into_response(self) -> Response {
        ([(header::CONTENT_TYPE, "application/json")], self.0.to_string()).into_response()
    }
}

// ----- message building ------------------------------------------------------

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(1)
}

fn bot_user_json() -> Value {
    json!({
        "id": FakeTelegram::BOT_ID, "is_bot": true,
        "first_name": FakeTelegram::BOT_FIRST_NAME, "username": FakeTelegram::BOT_USERNAME,
    })
}

fn me_json() -> Value {
    let mut me = bot_user_json();
    merge(
        &mut me,
        json!({
            "can_join_groups": true, "can_read_all_group_messages": false,
            "supports_inline_queries": false, "can_connect_to_business": false,
            "has_main_web_app": false,
        }),
    );
    me
}

fn bot_message(id: i64, chat: Value) -> Value {
    json!({"message_id": id, "date": unix_now(), "chat": chat, "from": bot_user_json()})
}

fn is_bot_message(msg: &Value) -> bool {
    msg.pointer("/from/id").and_then(Value::as_i64) == Some(FakeTelegram::BOT_ID)
}

fn merge(target: &mut Value, extra: Value) {
    if let (Value::Object(t), Value::Object(e)) = (target, extra) {
        t.extend(e);
    }
}

fn set_markup(msg: &mut Value, inline: Option<&Value>) {
    if let Value::Object(m) = msg {
        match inline {
            Some(markup) => {
                m.insert("reply_markup".to_owned(), markup.clone());
            }
            None => {
                m.remove("reply_markup");
            }
        }
    }
}

fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

fn text_content(text: &str) -> Value {
    let mut content = json!({"text": text});
    if text.starts_with('/') {
        let command = text.split_whitespace().next().unwrap_or(text);
        content["entities"] = json!([{"type": "bot_command", "offset": 0, "length": utf16_len(command)}]);
    }
    content
}

fn mime_for(file_name: &str) -> &'static str {
    let ext = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls" => "application/vnd.ms-excel",
        "doc" => "application/msword",
        "pdf" => "application/pdf",
        "csv" => "text/csv",
        "txt" => "text/plain",
        "json" => "application/json",
        "zip" => "application/zip",
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        _ => "application/octet-stream",
    }
}

/// A request's `reply_markup`, validated as Telegram does.
struct Markup {
    /// `{"inline_keyboard": ...}` as it will appear on the message.
    inline: Option<Value>,
    reply_keyboard: Vec<Vec<String>>,
}

impl Markup {
    fn from_params(p: &Params) -> Result<Markup, ApiErr> {
        let mut markup = Markup {
            inline: None,
            reply_keyboard: Vec::new(),
        };
        let Some(value) = p.json("reply_markup") else {
            return Ok(markup);
        };
        if let Some(rows) = value.get("inline_keyboard").and_then(Value::as_array) {
            for button in rows.iter().filter_map(Value::as_array).flatten() {
                if let Some(data) = button.get("callback_data").and_then(Value::as_str)
                    && (data.is_empty() || data.len() > CALLBACK_DATA_LIMIT)
                {
                    return Err(ApiErr::bad_request("BUTTON_DATA_INVALID"));
                }
            }
            if rows.iter().any(|r| r.as_array().is_some_and(|r| !r.is_empty())) {
                markup.inline = Some(json!({"inline_keyboard": rows}));
            }
        } else if let Some(rows) = value.get("keyboard").and_then(Value::as_array) {
            markup.reply_keyboard = rows
                .iter()
                .filter_map(Value::as_array)
                .map(|row| {
                    row.iter()
                        .filter_map(|b| b.as_str().or_else(|| b.get("text")?.as_str()))
                        .map(str::to_owned)
                        .collect()
                })
                .collect();
        }
        Ok(markup)
    }
}

fn inline_buttons(markup: Option<&Value>) -> Vec<Vec<Button>> {
    let Some(rows) = markup.and_then(|m| m.get("inline_keyboard")).and_then(Value::as_array) else {
        return Vec::new();
    };
    rows.iter()
        .filter_map(Value::as_array)
        .map(|row| {
            row.iter()
                .map(|b| {
                    let field = |k: &str| b.get(k).and_then(Value::as_str).map(str::to_owned);
                    Button {
                        text: field("text").unwrap_or_default(),
                        data: field("callback_data"),
                        url: field("url"),
                        web_app: b
                            .get("web_app")
                            .and_then(|w| w.get("url"))
                            .and_then(Value::as_str)
                            .map(str::to_owned),
                    }
                })
                .collect()
        })
        .collect()
}

/// Bot API method names are case-insensitive, and teloxide 0.17 sends them
/// capitalised (`SendMessage`); record them as the Bot API documents them
/// (`sendMessage`).
fn canonical_method(method: &str) -> String {
    let mut chars = method.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

// ----- parse_mode ------------------------------------------------------------

/// The text a user sees for `raw` sent with `parse_mode`, or Telegram's
/// "can't parse entities" error.
fn parse_text(raw: &str, parse_mode: Option<&str>) -> Result<String, ApiErr> {
    let parsed = match parse_mode.map(str::to_ascii_lowercase).as_deref() {
        None | Some("") => Ok(raw.to_owned()),
        Some("html") => html_to_plain(raw),
        Some("markdownv2") => markdown_v2_to_plain(raw),
        Some("markdown") => markdown_legacy_to_plain(raw),
        Some(other) => {
            return Err(ApiErr::bad_request(&format!("unsupported parse_mode {other:?}")));
        }
    };
    parsed.map_err(|e| ApiErr::bad_request(&format!("can't parse entities: {e}")))
}

fn html_to_plain(s: &str) -> Result<String, String> {
    const TAGS: &[&str] = &[
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "code",
        "pre",
        "blockquote",
        "tg-emoji",
    ];
    let mut out = String::with_capacity(s.len());
    let mut open: Vec<String> = Vec::new();
    let mut i = 0;
    while i < s.len() {
        let rest = &s[i..];
        if rest.starts_with('<') {
            let Some(end) = rest.find('>') else {
                return Err(format!("Unclosed start tag at byte offset {i}"));
            };
            let tag = &rest[1..end];
            if let Some(name) = tag.strip_prefix('/') {
                let name = name.trim().to_ascii_lowercase();
                match open.pop() {
                    Some(o) if o == name => {}
                    Some(o) => {
                        return Err(format!(
                            "Unmatched end tag at byte offset {i}, expected \"</{o}>\", found \"</{name}>\""
                        ));
                    }
                    None => return Err(format!("Unexpected end tag at byte offset {i}")),
                }
            } else {
                let name = tag
                    .split(|c: char| c.is_whitespace() || c == '/')
                    .next()
                    .unwrap_or("")
                    .to_ascii_lowercase();
                if !TAGS.contains(&name.as_str()) {
                    return Err(format!("Unsupported start tag \"{name}\" at byte offset {i}"));
                }
                open.push(name);
            }
            i += end + 1;
        } else if let Some((c, len)) = rest.strip_prefix('&').and_then(html_entity) {
            out.push(c);
            i += len + 1;
        } else {
            let Some(c) = rest.chars().next() else { break };
            out.push(c);
            i += c.len_utf8();
        }
    }
    if let Some(o) = open.last() {
        return Err(format!("Can't find end tag corresponding to start tag \"{o}\""));
    }
    Ok(out)
}

/// `s` follows a '&': the entity's character and length (through its ';').
fn html_entity(s: &str) -> Option<(char, usize)> {
    let end = s.get(..12).unwrap_or(s).find(';')?;
    let name = &s[..end];
    let c = match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "quot" => '"',
        _ => {
            let num = name.strip_prefix('#')?;
            let code = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => num.parse().ok()?,
            };
            char::from_u32(code)?
        }
    };
    Some((c, end + 1))
}

fn reserved(c: char) -> String {
    format!("Character '{c}' is reserved and must be escaped with the preceding '\\'")
}

fn toggle(open: &mut Vec<(&'static str, usize)>, entity: &'static str, offset: usize) {
    match open.iter().rposition(|(e, _)| *e == entity) {
        Some(pos) => {
            open.remove(pos);
        }
        None => open.push((entity, offset)),
    }
}

/// An approximation of Telegram's MarkdownV2 parser: formatting is removed,
/// and unescaped reserved characters or unclosed entities are refused.
fn markdown_v2_to_plain(s: &str) -> Result<String, String> {
    let chars: Vec<(usize, char)> = s.char_indices().collect();
    let at = |j: usize| chars.get(j).map(|&(_, c)| c);
    let mut out = String::with_capacity(s.len());
    let mut open: Vec<(&'static str, usize)> = Vec::new();
    let mut in_link = false;
    let mut i = 0;
    while let Some(&(offset, c)) = chars.get(i) {
        let next = at(i + 1);
        match c {
            '\\' => match next {
                Some(n) => {
                    out.push(n);
                    i += 2;
                    continue;
                }
                None => return Err(reserved('\\')),
            },
            '`' => {
                let fence = next == Some('`') && at(i + 2) == Some('`');
                let width = if fence { 3 } else { 1 };
                let mut j = i + width;
                let mut closed = false;
                while let Some(cj) = at(j) {
                    if cj == '\\'
                        && let Some(n) = at(j + 1)
                    {
                        out.push(n);
                        j += 2;
                        continue;
                    }
                    if cj == '`' && (!fence || (at(j + 1) == Some('`') && at(j + 2) == Some('`'))) {
                        closed = true;
                        j += width;
                        break;
                    }
                    out.push(cj);
                    j += 1;
                }
                if !closed {
                    let entity = if fence { "PreCode" } else { "Code" };
                    return Err(format!("Can't find end of {entity} entity at byte offset {offset}"));
                }
                i = j;
                continue;
            }
            '*' => toggle(&mut open, "Bold", offset),
            '_' if next == Some('_') => {
                toggle(&mut open, "Underline", offset);
                i += 2;
                continue;
            }
            '_' => toggle(&mut open, "Italic", offset),
            '~' => toggle(&mut open, "Strikethrough", offset),
            '|' if next == Some('|') => {
                toggle(&mut open, "Spoiler", offset);
                i += 2;
                continue;
            }
            '[' if !in_link => in_link = true,
            ']' if in_link && next == Some('(') => {
                in_link = false;
                let mut j = i + 2;
                loop {
                    match at(j) {
                        Some('\\') => j += 2,
                        Some(')') => break,
                        Some(_) => j += 1,
                        None => {
                            return Err(format!("Can't find end of a URL at byte offset {offset}"));
                        }
                    }
                }
                i = j + 1;
                continue;
            }
            '>' if offset == 0 || s[..offset].ends_with('\n') => {}
            '[' | ']' | '(' | ')' | '>' | '#' | '+' | '-' | '=' | '|' | '{' | '}' | '.' | '!' => {
                return Err(reserved(c));
            }
            _ => out.push(c),
        }
        i += 1;
    }
    if in_link {
        return Err(reserved('['));
    }
    if let Some((entity, offset)) = open.first() {
        return Err(format!("Can't find end of {entity} entity at byte offset {offset}"));
    }
    Ok(out)
}

/// An approximation of Telegram's legacy Markdown parser.
fn markdown_legacy_to_plain(s: &str) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut open: Option<(char, usize)> = None;
    let mut chars = s.char_indices().peekable();
    while let Some((offset, c)) = chars.next() {
        match (open, c) {
            (Some(('`', _)), '`') => open = None,
            (Some(('`', _)), _) => out.push(c),
            (_, '\\') => match chars.next_if(|&(_, n)| "_*`[".contains(n)) {
                Some((_, n)) => out.push(n),
                None => out.push('\\'),
            },
            (Some((o, _)), _) if o == c => open = None,
            (None, '_' | '*' | '`') => open = Some((c, offset)),
            (None, '[') => open = Some(('[', offset)),
            (Some(('[', _)), ']') => {
                open = None;
                if chars.next_if(|&(_, n)| n == '(').is_some() {
                    for (_, n) in chars.by_ref() {
                        if n == ')' {
                            break;
                        }
                    }
                }
            }
            _ => out.push(c),
        }
    }
    if let Some((_, offset)) = open {
        return Err(format!("Can't find end of the entity starting at byte offset {offset}"));
    }
    Ok(out)
}

/// The `text` parameter as sent, its parse mode, and the text the user will see; refused
/// when empty or too long.
fn checked_text(p: &Params, too_long: &str) -> Result<(String, Option<String>, String), ApiErr> {
    let raw = p.str("text").unwrap_or_default();
    let parse_mode = p.str("parse_mode");
    let text = parse_text(&raw, parse_mode.as_deref())?;
    if text.trim().is_empty() {
        return Err(ApiErr::bad_request("message text is empty"));
    }
    if utf16_len(&text) > TEXT_LIMIT {
        return Err(ApiErr::bad_request(too_long));
    }
    Ok((raw, parse_mode, text))
}
