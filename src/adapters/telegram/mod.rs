//! Telegram via teloxide. It only translates: a Telegram update becomes an engine update
//! ([`translate`]), polled and acknowledged by [`Poller`] only after its batch has committed;
//! outgoing messages become Bot API calls in [`send`].

use teloxide::adaptors::Throttle;
use teloxide::adaptors::throttle::Limits;
use teloxide::prelude::*;
use teloxide::types::{BotCommand, CallbackQueryId, Update as TgUpdate, UpdateKind};

use crate::engine::{ChatRef, Inbound, Update, UpdateKey};

mod poll;
mod send;

pub use poll::{POLL_TIMEOUT_SECS, Poller};
pub use send::{SendQueue, deliver, deliver_stale, run_reminders, run_sender, split_text};

/// The channel name under which Telegram's update ids are recorded.
pub const CHANNEL: &str = "telegram";

/// The bot behind Telegram's rate limits: `per_sec` overall, `per_sec_chat` in one chat;
/// a 429 answer freezes sending for its `retry_after` and the request is retried.
pub type TgBot = Throttle<Bot>;

/// Builds the bot without reading the environment (a bad URL is an error, not a panic).
/// Must be called inside the tokio runtime (the throttle spawns its worker).
pub fn bot(token: &str, api_url: Option<url::Url>, per_sec: u32, per_sec_chat: u32) -> TgBot {
    let bot = Bot::new(token);
    let bot = match api_url {
        Some(u) => bot.set_api_url(u),
        None => bot,
    };
    let limits = Limits {
        messages_per_sec_overall: per_sec,
        messages_per_sec_chat: per_sec_chat,
        messages_per_min_chat: per_sec_chat.saturating_mul(60),
        messages_per_min_channel_or_supergroup: 20,
    };
    Throttle::new_spawn(bot, limits)
}

/// The commands shown in Telegram's menu.
pub fn command_menu() -> Vec<BotCommand> {
    [
        ("menu", "Menu chính"),
        ("decuong", "Điền đề cương báo cáo"),
        ("bieu", "Nhập biểu số liệu"),
        ("thongtin", "Số, ngày báo cáo, người ký, điện thoại"),
        ("kiemtra", "Xem lại: còn thiếu gì, lỗi, cảnh báo"),
        ("nop", "Nộp báo cáo"),
        ("huy", "Thoát bước đang làm"),
        ("trogiup", "Hướng dẫn và các lệnh"),
    ]
    .into_iter()
    .map(|(c, d)| BotCommand::new(c, d))
    .collect()
}

/// Registers the command menu (a failure is logged: the bot works without it).
pub async fn register_commands(bot: &TgBot) {
    if let Err(e) = bot.set_my_commands(command_menu()).await {
        tracing::warn!(error.message = %e, "could not register the command menu");
    }
}

fn chat_ref(msg: &Message) -> ChatRef {
    ChatRef {
        chat_id: msg.chat.id.0,
        user_id: msg.from.as_ref().and_then(|u| i64::try_from(u.id.0).ok()),
        name: msg.from.as_ref().map(|u| u.full_name()).unwrap_or_default(),
        private: msg.chat.is_private(),
        message_id: None,
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
            let input = match msg.text() {
                Some(t) => Inbound::from_text(t),
                None => Inbound::Media,
            };
            (chat_ref(msg), input, None)
        }
        // Editing a sent message changes nothing stored; the engine says so.
        UpdateKind::EditedMessage(msg) => (chat_ref(msg), Inbound::Edited, None),
        UpdateKind::CallbackQuery(q) => {
            let message = q.message.as_ref()?;
            let chat = ChatRef {
                chat_id: message.chat().id.0,
                user_id: i64::try_from(q.from.id.0).ok(),
                name: q.from.full_name(),
                private: message.chat().is_private(),
                message_id: Some(message.id().0),
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

#[cfg(test)]
mod tests {
    use super::send::MAX_TEXT;
    use super::*;

    #[test]
    fn long_texts_are_split_on_line_breaks_under_the_limit() {
        let line = "x".repeat(1500);
        let text = [line.as_str(); 5].join("\n");
        let parts = split_text(&text);
        assert_eq!(parts.len(), 3);
        assert!(parts.iter().all(|p| p.chars().count() <= MAX_TEXT));
        assert_eq!(parts.join("\n"), text);
        assert_eq!(split_text("ngắn"), vec!["ngắn".to_owned()]);
    }

    #[tokio::test]
    async fn the_client_is_throttled_to_the_configured_limits() {
        let bot = bot("1:TEST", None, 30, 1);
        let l = bot.limits().await;
        assert_eq!(
            (
                l.messages_per_sec_overall,
                l.messages_per_sec_chat,
                l.messages_per_min_chat
            ),
            (30, 1, 60)
        );
    }

    #[test]
    fn a_single_huge_line_is_cut() {
        let parts = split_text(&"y".repeat(9000));
        assert_eq!(parts.len(), 3);
        assert!(parts.iter().all(|p| p.chars().count() <= MAX_TEXT));
    }
}
