//! Zalo updates into the engine: ids become numbers, a number typed in reply to numbered
//! options presses one, media becomes `Inbound::Media` (the engine answers with guidance), and
//! each update carries a key derived from its message id, so a re-delivered one applies once.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use chrono::Utc;

use super::{CHANNEL, ZaloUpdate, number_of};
use crate::adapters::text_only::{self, Menu};
use crate::engine::{Channel, ChatRef, Engine, EngineError, Inbound, Outgoing, Update, UpdateKey, text};
use crate::outbox::OutboxHandle;
use crate::store;

/// A stable 63-bit key of a Zalo message (Zalo's updates carry no numeric id).
pub fn update_key(u: &ZaloUpdate) -> Option<UpdateKey> {
    let m = u.message.as_ref()?;
    // FNV-1a over the chat and the message id (or, without one, what identifies the message).
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |s: &str| {
        for b in s.bytes().chain(std::iter::once(0)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    eat(&m.chat.id);
    match &m.message_id {
        Some(id) => eat(id),
        None => {
            eat(&u.event_name);
            eat(&m.date.unwrap_or_default().to_string());
            eat(m.text.as_deref().unwrap_or_default());
        }
    }
    Some(UpdateKey {
        channel: CHANNEL,
        id: (h & (i64::MAX as u64)) as i64,
    })
}

/// Applies Zalo updates; shared by the poller and the webhook.
pub struct Inlet {
    engine: Engine,
    outbox: OutboxHandle,
    /// Updates already told "temporary error" while the database could not be written.
    apologised: Mutex<HashSet<i64>>,
}

impl Inlet {
    pub fn new(engine: Engine, outbox: OutboxHandle) -> Inlet {
        Inlet {
            engine,
            outbox,
            apologised: Mutex::new(HashSet::new()),
        }
    }

    /// Zalo updates -> engine updates. Updates without a message or from a bot are dropped
    /// (nothing to answer); everything else gets an answer.
    pub async fn translate(&self, updates: &[ZaloUpdate]) -> Result<Vec<Update>, EngineError> {
        let ids: Vec<String> = updates
            .iter()
            .filter_map(|u| u.message.as_ref())
            .flat_map(|m| std::iter::once(m.chat.id.clone()).chain(m.from.as_ref().map(|f| f.id.clone())))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let pool = self.engine.store().pool();
        let numbers: HashMap<String, i64> = store::external_numbers(pool, Channel::Zalo, &ids, Utc::now())
            .await?
            .into_iter()
            .map(|(id, row)| (id, number_of(row)))
            .collect();
        let mut out = Vec::with_capacity(updates.len());
        for u in updates {
            let (Some(m), Some(key)) = (&u.message, update_key(u)) else {
                tracing::info!(event = %u.event_name, "a Zalo event without a message; nothing to answer");
                continue;
            };
            if m.from.as_ref().is_some_and(|f| f.is_bot) {
                continue;
            }
            let Some(&chat_id) = numbers.get(&m.chat.id) else {
                continue;
            };
            let user_id = m.from.as_ref().and_then(|f| numbers.get(&f.id).copied());
            let private = m
                .chat
                .chat_type
                .as_deref()
                .is_none_or(|t| t.eq_ignore_ascii_case("PRIVATE"));
            let input = match (u.event_name.as_str(), &m.text) {
                ("message.text.received", Some(t)) => {
                    let menu = if private && text_only::may_press(t) {
                        store::menu(pool, Channel::Zalo, chat_id).await?
                    } else {
                        None
                    };
                    match menu {
                        Some((buttons, numeric)) => Menu { buttons, numeric }.input(t),
                        None => Inbound::from_text(t),
                    }
                }
                // Images, stickers, voice, files, contact cards …: the engine says to type.
                _ => Inbound::Media,
            };
            let name = m
                .from
                .as_ref()
                .and_then(|f| f.display_name.clone().or_else(|| f.first_name.clone()))
                .unwrap_or_default();
            out.push(Update {
                key: Some(key),
                chat: ChatRef {
                    channel: Channel::Zalo,
                    chat_id,
                    user_id,
                    name,
                    private,
                    message_id: None,
                    // Zalo's `date` is in milliseconds.
                    sent_at: m.date.and_then(chrono::DateTime::from_timestamp_millis),
                },
                input,
            });
        }
        Ok(out)
    }

    /// Applies translated updates in one transaction and hands their messages to the sender.
    /// An error means nothing was committed.
    pub async fn apply(&self, batch: Vec<Update>) -> Result<(), EngineError> {
        let keys: Vec<i64> = batch.iter().filter_map(|u| u.key.map(|k| k.id)).collect();
        let applied = self.engine.apply(batch, Utc::now()).await?;
        if let Ok(mut a) = self.apologised.lock() {
            for k in keys {
                a.remove(&k);
            }
        }
        // The batch's own Zalo messages were claimed for this process's worker as they were
        // committed; anything else (another channel's, a reminder pass) is claimed as usual.
        let presend = self.engine.presend_channel();
        let mut rest = applied.deliveries;
        let tail = rest.split_off(applied.preclaimed.min(rest.len()));
        let head = std::mem::replace(&mut rest, tail);
        let (mine, other): (Vec<_>, Vec<_>) = head.into_iter().partition(|d| Some(d.message.channel) == presend);
        rest.extend(other);
        self.outbox.handover(mine);
        self.outbox.deliver(rest);
        Ok(())
    }

    /// Tells each writer once that their message was not saved yet.
    pub fn apologise(&self, batch: &[Update]) {
        let Ok(mut a) = self.apologised.lock() else { return };
        for u in batch {
            if let Some(k) = u.key
                && u.chat.private
                && a.insert(k.id)
            {
                self.outbox
                    .send_now(Outgoing::new(u.chat.chat_id, text::TEMPORARY_ERROR, vec![]).via(Channel::Zalo));
            }
        }
    }
}
