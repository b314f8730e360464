//! Telegram via teloxide. It only translates: a Telegram update becomes an engine update
//! ([`translate`]), polled and acknowledged by [`Poller`] only after its batch has committed;
//! outgoing messages become Bot API calls in [`send`].

use std::time::Duration;

use teloxide::prelude::*;
use teloxide::types::{BotCommand, CallbackQueryId, Update as TgUpdate, UpdateKind};

use crate::engine::{Channel, ChatRef, Inbound, Update, UpdateKey};

mod poll;
mod send;

pub use poll::{POLL_TIMEOUT_SECS, Poller};
pub use send::{TelegramPort, classify};

/// The channel name under which Telegram's update ids are recorded.
pub const CHANNEL: &str = "telegram";

/// The Bot API client (teloxide's own HTTP client). Rate limits, order and retries are the
/// outbox worker's, not the client's.
pub type TgBot = Bot;

/// Builds the client without reading the environment. `timeout`: how long one request may
/// take (the poll's long-poll time is added for `getUpdates`, see [`poll_bot`]).
pub fn bot(token: &str, api_url: Option<url::Url>, timeout: Duration) -> anyhow::Result<TgBot> {
    let client = teloxide::net::default_reqwest_settings()
        .timeout(timeout)
        .build()
        .map_err(|e| anyhow::anyhow!("building the HTTP client: {e}"))?;
    let bot = Bot::with_client(token, client);
    Ok(match api_url {
        Some(u) => bot.set_api_url(u),
        None => bot,
    })
}

/// The client for long polling: its timeout outlasts the long poll.
pub fn poll_bot(token: &str, api_url: Option<url::Url>) -> anyhow::Result<TgBot> {
    bot(token, api_url, Duration::from_secs(u64::from(POLL_TIMEOUT_SECS) + 10))
}

/// The commands shown in Telegram's menu.
pub fn command_menu() -> Vec<BotCommand> {
    [
        ("menu", "Menu"),
        ("tieptuc", "Làm tiếp phần còn thiếu"),
        ("decuong", "Điền đề cương báo cáo"),
        ("bieu", "Nhập biểu số liệu"),
        ("thongtin", "Số, ngày báo cáo, người ký, điện thoại"),
        ("kiemtra", "Xem lại: còn thiếu gì, lỗi, cảnh báo"),
        ("nop", "Nộp báo cáo"),
        ("mau", "Mẫu Excel để điền trên máy tính"),
        ("huy", "Thoát bước đang làm"),
        ("trogiup", "Hướng dẫn và các lệnh"),
    ]
    .into_iter()
    .map(|(c, d)| BotCommand::new(c, d))
    .collect()
}

/// Sets the chat's menu button to open the web form (a failure is logged: the inline button
/// in the menu still opens it).
pub async fn register_menu_button(bot: &TgBot, url: &url::Url) {
    let button = teloxide::types::MenuButton::WebApp {
        text: "Biểu mẫu".to_owned(),
        web_app: teloxide::types::WebAppInfo { url: url.clone() },
    };
    if let Err(e) = bot.set_chat_menu_button().menu_button(button).await {
        tracing::warn!(error.message = %e, "could not set the menu button");
    }
}

/// Registers the command menu (a failure is logged: the bot works without it).
pub async fn register_commands(bot: &TgBot) {
    if let Err(e) = bot.set_my_commands(command_menu()).await {
        tracing::warn!(error.message = %e, "could not register the command menu");
    }
}

fn chat_ref(msg: &Message) -> ChatRef {
    ChatRef {
        channel: Channel::Telegram,
        chat_id: msg.chat.id.0,
        user_id: msg.from.as_ref().and_then(|u| i64::try_from(u.id.0).ok()),
        name: msg.from.as_ref().map(|u| u.full_name()).unwrap_or_default(),
        private: msg.chat.is_private(),
        message_id: None,
        sent_at: Some(msg.date),
    }
}

/// Telegram update -> engine update; `None` for kinds the bot does not handle (they are
/// acknowledged with the batch and otherwise ignored). Button presses also give the callback
/// query to answer.
pub fn translate(update: &TgUpdate) -> Option<(Update, Option<CallbackQueryId>)> {
    let key = Some(UpdateKey {
        channel: CHANNEL,
        id: i64::from(update.id.0),
    });
    let (chat, input, callback) = match &update.kind {
        UpdateKind::Message(msg) => {
            let input = match (msg.text(), msg.document()) {
                (Some(t), _) => Inbound::from_text(t),
                // Fetched by the poller before the batch is applied.
                (None, Some(d)) => Inbound::FileRef {
                    id: d.file.id.0.clone(),
                    name: d.file_name.clone().unwrap_or_else(|| "tep.xlsx".to_owned()),
                    size: u64::from(d.file.size),
                },
                (None, None) => Inbound::Media,
            };
            (chat_ref(msg), input, None)
        }
        // Editing a sent message changes nothing stored; the engine says so.
        UpdateKind::EditedMessage(msg) => (chat_ref(msg), Inbound::Edited, None),
        UpdateKind::CallbackQuery(q) => {
            let message = q.message.as_ref()?;
            let chat = ChatRef {
                channel: Channel::Telegram,
                chat_id: message.chat().id.0,
                user_id: i64::try_from(q.from.id.0).ok(),
                name: q.from.full_name(),
                private: message.chat().is_private(),
                message_id: Some(message.id().0),
                sent_at: None,
            };
            (
                chat,
                Inbound::Button(q.data.clone().unwrap_or_default()),
                Some(q.id.clone()),
            )
        }
        _ => return None,
    };
    Some((Update { key, chat, input }, callback))
}
