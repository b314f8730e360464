//! Sending: outgoing messages become Bot API calls, in order within a chat, many chats at
//! once; what was delivered is marked in the outbox in one statement per pass.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, InputFile, MessageId};
use teloxide::{ApiError, RequestError};
use tokio::sync::mpsc;

use super::TgBot;
use crate::engine::{Delivery, Engine, Outgoing};
use crate::store;

/// Telegram's longest message; longer texts are split on line breaks.
pub(super) const MAX_TEXT: usize = 4000;

/// Where committed messages are handed to the sender task.
pub type SendQueue = mpsc::UnboundedSender<Vec<Delivery>>;

/// The sender task: takes whatever has been queued since its last pass and delivers it.
/// Ends when every [`SendQueue`] is dropped and the queue is empty.
pub async fn run_sender(engine: Engine, bot: TgBot, mut queue: mpsc::UnboundedReceiver<Vec<Delivery>>) {
    while let Some(mut pass) = queue.recv().await {
        while let Ok(more) = queue.try_recv() {
            pass.extend(more);
        }
        deliver(&engine, &bot, pass).await;
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
    let done = send_all(engine, bot, deliveries).await;
    if let Err(e) = store::mark_sent_many(engine.store().pool(), &done, Utc::now()).await {
        tracing::error!(error.message = %e, "cannot mark messages delivered");
    }
}

/// Sends, and returns the outbox ids of the messages that are done with (delivered, or
/// refused for good because the member blocked the bot).
async fn send_all(engine: &Engine, bot: &TgBot, deliveries: Vec<Delivery>) -> Vec<i64> {
    let mut chats: Vec<(i64, Vec<Delivery>)> = Vec::new();
    for d in deliveries {
        match chats.iter_mut().find(|(c, _)| *c == d.message.chat_id) {
            Some((_, list)) => list.push(d),
            None => chats.push((d.message.chat_id, vec![d])),
        }
    }
    if chats.len() == 1 {
        let Some((_, list)) = chats.pop() else { return vec![] };
        return deliver_chat(engine, bot, list).await;
    }
    let permits = Arc::new(tokio::sync::Semaphore::new(CONCURRENT_CHATS));
    let mut tasks = tokio::task::JoinSet::new();
    for (_, list) in chats {
        let (engine, bot, permits) = (engine.clone(), bot.clone(), Arc::clone(&permits));
        tasks.spawn(async move {
            let Ok(_permit) = permits.acquire_owned().await else {
                return vec![];
            };
            deliver_chat(&engine, &bot, list).await
        });
    }
    let mut done = Vec::new();
    while let Some(r) = tasks.join_next().await {
        match r {
            Ok(ids) => done.extend(ids),
            Err(e) => tracing::error!(error.message = %e, "a delivery task failed"),
        }
    }
    done
}

async fn deliver_chat(engine: &Engine, bot: &TgBot, deliveries: Vec<Delivery>) -> Vec<i64> {
    let mut done_ids = Vec::new();
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
        if done && let Some(id) = d.outbox_id {
            done_ids.push(id);
        }
    }
    done_ids
}

async fn mark_unreachable(engine: &Engine, chat_id: i64) -> anyhow::Result<()> {
    let mut conn = engine.store().conn().await?;
    store::mark_unreachable(&mut conn, chat_id, Some(Utc::now())).await?;
    Ok(())
}

/// Messages left unsent for a while (a failed send, or a pass run from the command line).
pub async fn stale(engine: &Engine, now: chrono::DateTime<Utc>) -> anyhow::Result<Vec<Delivery>> {
    let stale = store::stale_unsent(engine.store().pool(), now - chrono::Duration::minutes(2), 5).await?;
    Ok(stale
        .into_iter()
        .filter_map(|(id, _chat, body)| {
            let mut message: Outgoing = serde_json::from_str(&body).ok()?;
            message.edit_message = None;
            Some(Delivery {
                outbox_id: Some(id),
                message,
            })
        })
        .collect())
}

/// Sends the stale messages now (the command line's reminder pass uses this).
pub async fn deliver_stale(engine: &Engine, bot: &TgBot, now: chrono::DateTime<Utc>) -> anyhow::Result<()> {
    deliver(engine, bot, stale(engine, now).await?).await;
    Ok(())
}

/// The reminder loop: one scheduler pass every `every`, its messages handed to the sender,
/// then the messages left unsent for a while, and old rows pruned. The loop only sleeps;
/// each pass is `Scheduler::tick(now)`.
pub async fn run_reminders(engine: Engine, queue: SendQueue, every: Duration) {
    let scheduler = crate::reminders::Scheduler::new(engine.clone(), engine.reminder_settings().clone());
    let mut interval = tokio::time::interval(every);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        let now = Utc::now();
        match scheduler.tick(now).await {
            Ok((_, out)) if !out.is_empty() => {
                let _ = queue.send(out);
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error.cause_chain = ?e, error.message = %e, "reminder pass failed"),
        }
        match stale(&engine, now).await {
            Ok(out) if !out.is_empty() => {
                let _ = queue.send(out);
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error.message = %e, "redelivery failed"),
        }
        let week = chrono::Duration::days(7);
        if let Err(e) = store::prune(engine.store().pool(), now - chrono::Duration::days(2), now - week).await {
            tracing::error!(error.message = %e, "pruning failed");
        }
    }
}
