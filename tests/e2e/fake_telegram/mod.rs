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

mod http;
mod messages;
mod state;
mod types;

use self::http::*;
use self::messages::*;
use self::state::*;
pub use self::types::{Button, Failure, Sent};

/// Longest a `getUpdates` long poll is held, whatever `timeout` it asks for.
const LONG_POLL_CAP: Duration = Duration::from_secs(1);
/// Largest request body accepted (Telegram's upload limit for bots).
const MAX_BODY: usize = 50 * 1024 * 1024;
const TEXT_LIMIT: usize = 4096;
const CAPTION_LIMIT: usize = 1024;
const CALLBACK_DATA_LIMIT: usize = 64;

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
