//! The Telegram side of the channel port: outgoing messages become Bot API calls, and
//! Telegram's errors become the port's typed errors. Delivery policy (limits, order,
//! retries) is the outbox worker's.

use std::time::Duration;

use teloxide::prelude::*;
use teloxide::types::{CallbackQueryId, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, MessageId, WebAppInfo};
use teloxide::{ApiError, RequestError};

use crate::engine::{Button, Channel, Document};
use crate::outbox::port::{Port, PortFuture, SendError};

/// Telegram's longest message (4,096), with room to spare.
pub(super) const MAX_TEXT: usize = 4000;

pub struct TelegramPort {
    bot: Bot,
}

impl TelegramPort {
    pub fn new(bot: Bot) -> TelegramPort {
        TelegramPort { bot }
    }
}

fn keyboard(buttons: &[Vec<Button>]) -> Option<InlineKeyboardMarkup> {
    (!buttons.is_empty()).then(|| {
        InlineKeyboardMarkup::new(buttons.iter().map(|row| {
            row.iter()
                .map(|b| match b.web_app.as_deref().and_then(|u| url::Url::parse(u).ok()) {
                    Some(url) => InlineKeyboardButton::web_app(b.label.clone(), WebAppInfo { url }),
                    None => InlineKeyboardButton::callback(b.label.clone(), b.data.clone()),
                })
                .collect::<Vec<_>>()
        }))
    })
}

/// Telegram's error -> what it means for delivery.
pub fn classify(e: RequestError) -> SendError {
    match e {
        RequestError::RetryAfter(s) => SendError::RetryAfter(s.duration().max(Duration::from_millis(100))),
        RequestError::Api(
            ApiError::BotBlocked
            | ApiError::UserDeactivated
            | ApiError::CantInitiateConversation
            | ApiError::ChatNotFound,
        ) => SendError::Unreachable,
        RequestError::Api(ApiError::Unknown(d)) if d.starts_with("Bad Request") || d.starts_with("Forbidden") => {
            SendError::Permanent(d)
        }
        // Telegram's own trouble (500, 502 …) arrives as an error code teloxide does not know.
        RequestError::Api(ApiError::Unknown(d)) => SendError::Transient(d),
        RequestError::Api(other) => SendError::Permanent(other.to_string()),
        RequestError::MigrateToChatId(_) => SendError::Permanent("the group moved to a supergroup".into()),
        // Timeouts, refused or dropped connections, a garbled answer.
        e @ (RequestError::Network(_) | RequestError::Io(_) | RequestError::InvalidJson { .. }) => {
            SendError::Transient(e.to_string())
        }
    }
}

impl Port for TelegramPort {
    fn channel(&self) -> Channel {
        Channel::Telegram
    }

    fn max_text(&self) -> usize {
        MAX_TEXT
    }

    fn send_text<'a>(&'a self, chat: i64, text: &'a str, buttons: &'a [Vec<Button>]) -> PortFuture<'a> {
        Box::pin(async move {
            let mut req = self.bot.send_message(ChatId(chat), text);
            if let Some(k) = keyboard(buttons) {
                req = req.reply_markup(k);
            }
            req.await.map(|_| ()).map_err(classify)
        })
    }

    fn edit_text<'a>(
        &'a self,
        chat: i64,
        message_id: i32,
        text: &'a str,
        buttons: &'a [Vec<Button>],
    ) -> PortFuture<'a> {
        Box::pin(async move {
            let mut req = self.bot.edit_message_text(ChatId(chat), MessageId(message_id), text);
            if let Some(k) = keyboard(buttons) {
                req = req.reply_markup(k);
            }
            match req.await {
                Ok(_) | Err(RequestError::Api(ApiError::MessageNotModified)) => Ok(()),
                Err(e) => Err(classify(e)),
            }
        })
    }

    fn answer_button<'a>(&'a self, callback_id: &'a str) -> PortFuture<'a> {
        Box::pin(async move {
            self.bot
                .answer_callback_query(CallbackQueryId(callback_id.to_owned()))
                .await
                .map(|_| ())
                .map_err(classify)
        })
    }

    fn send_document<'a>(&'a self, chat: i64, document: &'a Document, caption: &'a str) -> PortFuture<'a> {
        Box::pin(async move {
            let file = InputFile::memory(document.bytes.clone()).file_name(document.file_name.clone());
            let mut req = self.bot.send_document(ChatId(chat), file);
            if !caption.is_empty() {
                req = req.caption(caption.to_owned());
            }
            req.await.map(|_| ()).map_err(classify)
        })
    }
}
