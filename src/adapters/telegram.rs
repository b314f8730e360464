//! Telegram via teloxide: long polling, inline keyboards, the command menu. Endpoints only
//! translate: Telegram update -> engine event -> messages -> Bot API calls.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use teloxide::adaptors::Throttle;
use teloxide::adaptors::throttle::Limits;
use teloxide::dispatching::{DefaultKey, Dispatcher, UpdateFilterExt};
use teloxide::prelude::*;
use teloxide::types::{BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, MessageId, Update};
use teloxide::{ApiError, RequestError};

use crate::engine::{ChatRef, Delivery, Engine, Inbound, Outgoing, text};
use crate::store;

/// Telegram's longest message; longer texts are split on line breaks.
const MAX_TEXT: usize = 4000;

/// The bot behind Telegram's rate limits: `per_sec` overall, `per_sec_chat` in one chat;
/// a 429 answer freezes sending for its `retry_after` and the request is retried.
pub type TgBot = Throttle<Bot>;

pub type TelegramDispatcher = Dispatcher<TgBot, anyhow::Error, DefaultKey>;

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

/// The handler tree: messages, then button presses; anything else is ignored.
pub fn dispatcher(engine: Engine, bot: TgBot) -> TelegramDispatcher {
    let handler = dptree::entry()
        .branch(Update::filter_message().endpoint(on_message))
        .branch(Update::filter_edited_message().endpoint(on_edited))
        .branch(Update::filter_callback_query().endpoint(on_callback));
    Dispatcher::builder(bot, handler)
        .dependencies(dptree::deps![Arc::new(engine)])
        .default_handler(|_| async {})
        .error_handler(teloxide::error_handlers::LoggingErrorHandler::with_custom_text(
            "telegram handler failed",
        ))
        .build()
}

/// Registers the command menu and delivers what a previous run committed but never sent.
pub async fn prepare(engine: &Engine, bot: &TgBot) -> anyhow::Result<()> {
    if let Err(e) = bot.set_my_commands(command_menu()).await {
        tracing::warn!(error.message = %e, "could not register the command menu");
    }
    let pending = engine.undelivered().await?;
    if !pending.is_empty() {
        tracing::info!(count = pending.len(), "delivering messages left from the last run");
    }
    let pending = pending
        .into_iter()
        .map(|mut d| {
            d.message.edit_message = None;
            d
        })
        .collect();
    deliver(engine, bot, pending).await;
    Ok(())
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

#[tracing::instrument(name = "telegram.message", skip_all, fields(chat_id = msg.chat.id.0))]
async fn on_message(bot: TgBot, msg: Message, engine: Arc<Engine>) -> anyhow::Result<()> {
    let chat = chat_ref(&msg);
    let input = match msg.text() {
        Some(t) => Inbound::from_text(t),
        None => Inbound::Media,
    };
    step(&engine, &bot, &chat, input).await;
    Ok(())
}

/// Editing a sent message changes nothing stored; say so rather than stay silent.
#[tracing::instrument(name = "telegram.edited", skip_all, fields(chat_id = msg.chat.id.0))]
async fn on_edited(bot: TgBot, msg: Message, engine: Arc<Engine>) -> anyhow::Result<()> {
    step(&engine, &bot, &chat_ref(&msg), Inbound::Edited).await;
    Ok(())
}

#[tracing::instrument(name = "telegram.callback", skip_all)]
async fn on_callback(bot: TgBot, q: CallbackQuery, engine: Arc<Engine>) -> anyhow::Result<()> {
    if let Err(e) = bot.answer_callback_query(q.id.clone()).await {
        tracing::warn!(error.message = %e, "answerCallbackQuery failed");
    }
    let Some(message) = &q.message else { return Ok(()) };
    let chat = ChatRef {
        chat_id: message.chat().id.0,
        user_id: i64::try_from(q.from.id.0).ok(),
        name: q.from.full_name(),
        private: message.chat().is_private(),
        message_id: Some(message.id().0),
    };
    step(
        &engine,
        &bot,
        &chat,
        Inbound::Button(q.data.clone().unwrap_or_default()),
    )
    .await;
    Ok(())
}

async fn step(engine: &Engine, bot: &TgBot, chat: &ChatRef, input: Inbound) {
    match engine.handle(chat, input, Utc::now()).await {
        Ok(out) => deliver(engine, bot, out).await,
        Err(e) => {
            tracing::error!(error.cause_chain = ?e, error.message = %e, "engine step failed");
            let sorry = Outgoing::new(chat.chat_id, text::TEMPORARY_ERROR, vec![]);
            deliver(
                engine,
                bot,
                vec![Delivery {
                    outbox_id: None,
                    message: sorry,
                }],
            )
            .await;
        }
    }
}

fn keyboard(m: &Outgoing) -> Option<InlineKeyboardMarkup> {
    (!m.buttons.is_empty()).then(|| {
        InlineKeyboardMarkup::new(m.buttons.iter().map(|row| {
            row.iter()
                .map(|b| InlineKeyboardButton::callback(b.label.clone(), b.data.clone()))
                .collect::<Vec<_>>()
        }))
    })
}

/// Splits a long text on line breaks into pieces Telegram accepts.
pub fn split_text(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    for line in text.split('\n') {
        let mut line = line.to_owned();
        while line.chars().count() > MAX_TEXT {
            let head: String = line.chars().take(MAX_TEXT).collect();
            line = line.chars().skip(MAX_TEXT).collect();
            if !cur.is_empty() {
                parts.push(std::mem::take(&mut cur));
            }
            parts.push(head);
        }
        if cur.chars().count() + line.chars().count() + 1 > MAX_TEXT && !cur.is_empty() {
            parts.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push('\n');
        }
        cur.push_str(&line);
    }
    if !cur.is_empty() || parts.is_empty() {
        parts.push(cur);
    }
    parts
}

async fn send_one(bot: &TgBot, m: &Outgoing) -> Result<(), RequestError> {
    let chat = ChatId(m.chat_id);
    if let Some(doc) = &m.document {
        let mut req = bot.send_document(
            chat,
            InputFile::memory(doc.bytes.clone()).file_name(doc.file_name.clone()),
        );
        if !m.text.is_empty() {
            req = req.caption(m.text.clone());
        }
        req.await?;
        return Ok(());
    }
    let parts = split_text(&m.text);
    let last = parts.len() - 1;
    for (i, part) in parts.into_iter().enumerate() {
        let kb = if i == last { keyboard(m) } else { None };
        if i == 0
            && let Some(id) = m.edit_message
        {
            let mut req = bot.edit_message_text(chat, MessageId(id), part.clone());
            if let Some(k) = kb.clone() {
                req = req.reply_markup(k);
            }
            match req.await {
                Ok(_) => continue,
                Err(RequestError::Api(ApiError::MessageNotModified)) => continue,
                // Too old or gone: send a new message instead.
                Err(RequestError::Api(_)) => {}
                Err(e) => return Err(e),
            }
        }
        let mut req = bot.send_message(chat, part);
        if let Some(k) = kb {
            req = req.reply_markup(k);
        }
        req.await?;
    }
    Ok(())
}

/// How many chats are served at once; the throttle still caps the overall rate.
const CONCURRENT_CHATS: usize = 256;

/// Sends messages: in order within a chat, many chats at once (the throttle releases a
/// batch every quarter second, so one-at-a-time sending would crawl). A delivered message
/// is marked in the outbox, a failed one stays there (its attempt counted) for the next pass,
/// and a chat that blocked the bot marks its member unreachable.
pub async fn deliver(engine: &Engine, bot: &TgBot, deliveries: Vec<Delivery>) {
    let mut chats: Vec<(i64, Vec<Delivery>)> = Vec::new();
    for d in deliveries {
        match chats.iter_mut().find(|(c, _)| *c == d.message.chat_id) {
            Some((_, list)) => list.push(d),
            None => chats.push((d.message.chat_id, vec![d])),
        }
    }
    if chats.len() == 1 {
        if let Some((_, list)) = chats.pop() {
            deliver_chat(engine, bot, list).await;
        }
        return;
    }
    let permits = Arc::new(tokio::sync::Semaphore::new(CONCURRENT_CHATS));
    let mut tasks = tokio::task::JoinSet::new();
    for (_, list) in chats {
        let (engine, bot, permits) = (engine.clone(), bot.clone(), Arc::clone(&permits));
        tasks.spawn(async move {
            let Ok(_permit) = permits.acquire_owned().await else {
                return;
            };
            deliver_chat(&engine, &bot, list).await;
        });
    }
    while let Some(r) = tasks.join_next().await {
        if let Err(e) = r {
            tracing::error!(error.message = %e, "a delivery task failed");
        }
    }
}

async fn deliver_chat(engine: &Engine, bot: &TgBot, deliveries: Vec<Delivery>) {
    for d in deliveries {
        let done = match send_one(bot, &d.message).await {
            Ok(()) => true,
            Err(RequestError::Api(
                ApiError::BotBlocked | ApiError::UserDeactivated | ApiError::CantInitiateConversation,
            )) => {
                tracing::info!(
                    chat_id = d.message.chat_id,
                    "the member blocked the bot; marked unreachable"
                );
                if let Err(e) = mark_unreachable(engine, d.message.chat_id).await {
                    tracing::error!(error.message = %e, "cannot record an unreachable member");
                }
                true
            }
            Err(e) => {
                tracing::warn!(chat_id = d.message.chat_id, error.message = %e, "message not delivered; kept in the outbox");
                if let Some(id) = d.outbox_id
                    && let Err(e) = store::mark_attempt(engine.store().pool(), id).await
                {
                    tracing::error!(error.message = %e, "cannot count a delivery attempt");
                }
                false
            }
        };
        if done
            && let Some(id) = d.outbox_id
            && let Err(e) = engine.delivered(id, Utc::now()).await
        {
            tracing::error!(error.message = %e, "cannot mark a message delivered");
        }
    }
}

async fn mark_unreachable(engine: &Engine, chat_id: i64) -> anyhow::Result<()> {
    let mut conn = engine.store().conn().await?;
    store::mark_unreachable(&mut conn, chat_id, Some(Utc::now())).await?;
    Ok(())
}

/// Messages left unsent for a while (a failed send, or a pass run from the command line).
pub async fn deliver_stale(engine: &Engine, bot: &TgBot, now: chrono::DateTime<Utc>) -> anyhow::Result<()> {
    let stale = store::stale_unsent(engine.store().pool(), now - chrono::Duration::minutes(2), 5).await?;
    let pending = stale
        .into_iter()
        .filter_map(|(id, _chat, body)| {
            let mut message: Outgoing = serde_json::from_str(&body).ok()?;
            message.edit_message = None;
            Some(Delivery {
                outbox_id: Some(id),
                message,
            })
        })
        .collect();
    deliver(engine, bot, pending).await;
    Ok(())
}

/// The reminder loop: one scheduler pass a minute, then what is pending is sent.
/// The loop only sleeps; each pass is `Scheduler::tick(now)`.
pub async fn run_reminders(engine: Engine, bot: TgBot, every: Duration) {
    let scheduler = crate::reminders::Scheduler::new(engine.clone(), engine.reminder_settings().clone());
    let mut interval = tokio::time::interval(every);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        let now = Utc::now();
        match scheduler.tick(now).await {
            Ok((_, out)) => deliver(&engine, &bot, out).await,
            Err(e) => tracing::error!(error.cause_chain = ?e, error.message = %e, "reminder pass failed"),
        }
        if let Err(e) = deliver_stale(&engine, &bot, now).await {
            tracing::error!(error.message = %e, "redelivery failed");
        }
    }
}

#[cfg(test)]
mod tests {
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
