//! The Zalo side of the channel port: `sendMessage` with the buttons as numbered options (the
//! options shown are remembered, so that a number in reply presses the right one); no edits
//! (an edit goes out as a new message); no files (a note says where to get them). Zalo's
//! errors become the port's typed errors. Delivery policy is the outbox worker's.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use chrono::Utc;

use super::{ApiError, ZaloClient, row_of, text};
use crate::adapters::text_only::{self, Menu};
use crate::engine::{Button, Channel, Document};
use crate::outbox::port::{Port, PortFuture, SendError, split_text};
use crate::store::{self, Store};

/// `sendMessage` takes 1–2,000 characters.
pub const MAX_TEXT: usize = 2000;
/// How long to wait after a 429 that says nothing about it.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(5);

pub struct ZaloPort {
    client: ZaloClient,
    store: Store,
    /// Chat number -> Zalo chat id, as read from the database.
    ids: Mutex<HashMap<i64, String>>,
}

impl ZaloPort {
    pub fn new(client: ZaloClient, store: Store) -> ZaloPort {
        ZaloPort {
            client,
            store,
            ids: Mutex::new(HashMap::new()),
        }
    }

    async fn chat_id(&self, chat: i64) -> Result<String, SendError> {
        if let Some(id) = self.ids.lock().ok().and_then(|m| m.get(&chat).cloned()) {
            return Ok(id);
        }
        match store::external_id(self.store.pool(), Channel::Zalo, row_of(chat)).await {
            Ok(Some(id)) => {
                if let Ok(mut m) = self.ids.lock() {
                    m.insert(chat, id.clone());
                }
                Ok(id)
            }
            Ok(None) => Err(SendError::Permanent(format!("no Zalo chat is known as {chat}"))),
            Err(e) => Err(SendError::Transient(e.to_string())),
        }
    }

    /// Sends `text` (split at line breaks when over the limit).
    async fn send_all(&self, chat: &str, text: &str) -> Result<(), SendError> {
        for part in split_text(text, MAX_TEXT) {
            if part.trim().is_empty() {
                continue;
            }
            self.client.send_message(chat, &part).await.map_err(classify)?;
        }
        Ok(())
    }
}

/// Zalo's error -> what it means for delivery.
pub fn classify(e: ApiError) -> SendError {
    match e {
        ApiError::Api {
            code: 429, retry_after, ..
        } => SendError::RetryAfter(
            retry_after
                .unwrap_or(DEFAULT_RETRY_AFTER)
                .max(Duration::from_millis(100)),
        ),
        // The user blocked the bot or cannot be written to.
        ApiError::Api { code: 403, .. } => SendError::Unreachable,
        ApiError::Api { code, description, .. } if code == 408 || code >= 500 => {
            SendError::Transient(format!("{code} {description}"))
        }
        ApiError::Api { code, description, .. } => SendError::Permanent(format!("{code} {description}")),
        ApiError::Network(e) => SendError::Transient(e),
        ApiError::Decode(e) => SendError::Transient(format!("unreadable answer: {e}")),
    }
}

impl Port for ZaloPort {
    fn channel(&self) -> Channel {
        Channel::Zalo
    }

    fn max_text(&self) -> usize {
        MAX_TEXT
    }

    fn send_text<'a>(&'a self, chat: i64, text: &'a str, buttons: &'a [Vec<Button>]) -> PortFuture<'a> {
        self.send_message(chat, text, buttons, false)
    }

    fn send_message<'a>(
        &'a self,
        chat: i64,
        text: &'a str,
        buttons: &'a [Vec<Button>],
        numeric: bool,
    ) -> PortFuture<'a> {
        Box::pin(async move {
            let to = self.chat_id(chat).await?;
            self.send_all(&to, &text_only::render_for_phone(text, buttons, numeric))
                .await?;
            if let Some(menu) = Menu::of(buttons, numeric) {
                // Lost only if the database is down; a number typed then is read as text.
                let saved = store::save_menu(
                    self.store.pool(),
                    Channel::Zalo,
                    chat,
                    &menu.buttons,
                    numeric,
                    Utc::now(),
                )
                .await;
                if let Err(e) = saved {
                    tracing::error!(error.message = %e, "could not remember the options shown");
                }
            }
            Ok(())
        })
    }

    fn edit_text<'a>(
        &'a self,
        _chat: i64,
        _message_id: i32,
        _text: &'a str,
        _buttons: &'a [Vec<Button>],
    ) -> PortFuture<'a> {
        // Zalo cannot edit: the worker then sends the text as a new message.
        Box::pin(async { Err(SendError::Permanent("Zalo cannot edit messages".into())) })
    }

    fn answer_button<'a>(&'a self, _callback_id: &'a str) -> PortFuture<'a> {
        Box::pin(async { Ok(()) })
    }

    fn send_document<'a>(&'a self, chat: i64, document: &'a Document, caption: &'a str) -> PortFuture<'a> {
        Box::pin(async move {
            let to = self.chat_id(chat).await?;
            let note = text::no_files(&document.file_name);
            let body = if caption.is_empty() {
                note
            } else {
                format!("{caption}\n\n{note}")
            };
            self.send_all(&to, &body).await
        })
    }
}
