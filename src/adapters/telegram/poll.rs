//! The inbound contract: updates are fetched with `getUpdates`, applied as one batch in one
//! transaction, and only then acknowledged (the next `getUpdates` asks for the offset after
//! the batch). A crash before the commit leaves the batch unacknowledged, so Telegram sends
//! it again; a crash after it is caught by the applied-update ids stored with the batch.

use std::collections::HashSet;
use std::time::Duration;

use chrono::Utc;
use teloxide::net::Download;
use teloxide::payloads::GetUpdatesSetters;
use teloxide::prelude::*;
use teloxide::types::{AllowedUpdate, CallbackQueryId, FileId, Update as TgUpdate};
use tokio::sync::watch;

use super::{CHANNEL, TgBot, translate};
use crate::engine::{Engine, Inbound, Outgoing, Update, text};
use crate::outbox::OutboxHandle;
use crate::store;

/// Long-poll timeout of `getUpdates`, in seconds.
pub const POLL_TIMEOUT_SECS: u32 = 10;
/// The longest wait between two tries after a failure.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

pub struct Poller {
    engine: Engine,
    bot: TgBot,
    outbox: OutboxHandle,
    /// Updates already told "temporary error" while the database could not be written.
    apologised: HashSet<i64>,
}

impl Poller {
    pub fn new(engine: Engine, bot: TgBot, outbox: OutboxHandle) -> Poller {
        Poller {
            engine,
            bot,
            outbox,
            apologised: HashSet::new(),
        }
    }

    /// Polls until `stop` turns true. A batch in flight is finished (or left
    /// unacknowledged) first; a poll in flight is dropped, which acknowledges nothing new.
    pub async fn run(mut self, mut stop: watch::Receiver<bool>) -> anyhow::Result<()> {
        let last = store::last_update(self.engine.store().pool(), CHANNEL).await?;
        let mut offset = last.map_or(0, |id| id + 1);
        let mut backoff = Duration::from_millis(500);
        tracing::info!(offset, "polling Telegram");
        loop {
            if *stop.borrow() {
                return Ok(());
            }
            let request = self
                .bot
                .get_updates()
                .offset(i32::try_from(offset).unwrap_or(i32::MAX))
                .timeout(POLL_TIMEOUT_SECS)
                .allowed_updates([
                    AllowedUpdate::Message,
                    AllowedUpdate::EditedMessage,
                    AllowedUpdate::CallbackQuery,
                ]);
            let polled = tokio::select! {
                r = request.send() => r,
                _ = stop.changed() => return Ok(()),
            };
            let updates = match polled {
                Ok(u) => {
                    backoff = Duration::from_millis(500);
                    u
                }
                Err(e) => {
                    tracing::warn!(error.message = %e, "getUpdates failed; trying again");
                    if pause(&mut stop, &mut backoff).await {
                        return Ok(());
                    }
                    continue;
                }
            };
            let Some(last) = updates.iter().map(|u| i64::from(u.id.0)).max() else {
                continue;
            };
            if !self.apply_until_committed(&updates, &mut stop).await {
                return Ok(());
            }
            offset = offset.max(last + 1);
        }
    }

    /// Applies a batch, trying again while the database cannot be written. False when asked
    /// to stop before it committed (the batch stays unacknowledged).
    async fn apply_until_committed(&mut self, updates: &[TgUpdate], stop: &mut watch::Receiver<bool>) -> bool {
        let mut backoff = Duration::from_millis(500);
        loop {
            match self.apply(updates).await {
                Ok(()) => return true,
                Err(e) => {
                    tracing::error!(error.cause_chain = ?e, error.message = %e, count = updates.len(), "batch not committed; it will be tried again");
                    self.apologise(updates);
                    if pause(stop, &mut backoff).await {
                        return false;
                    }
                }
            }
        }
    }

    /// Applies one batch and hands its messages to the sender.
    pub async fn apply(&mut self, updates: &[TgUpdate]) -> Result<(), crate::engine::EngineError> {
        let (mut batch, callbacks): (Vec<Update>, Vec<Option<CallbackQueryId>>) =
            updates.iter().filter_map(translate).unzip();
        for u in &mut batch {
            self.fetch_file(u).await;
        }
        let applied = self.engine.apply(batch.clone(), Utc::now()).await?;
        for u in updates {
            self.apologised.remove(&i64::from(u.id.0));
        }
        let fresh: Vec<CallbackQueryId> = batch
            .iter()
            .zip(callbacks)
            .filter(|(u, _)| u.key.is_none_or(|k| !applied.duplicates.contains(&k)))
            .filter_map(|(_, c)| c)
            .collect();
        for id in fresh {
            self.outbox.answer_button(id.0);
        }
        // The batch's own Telegram messages were claimed for this process's worker in its
        // commit and are handed over; anything else (a reminder pass run by `/nhacnho`,
        // messages for another channel) is claimed from the outbox as usual.
        let presend = self.engine.presend_channel();
        let mut rest = applied.deliveries;
        let claimed: Vec<_> = {
            let tail = rest.split_off(applied.preclaimed.min(rest.len()));
            let head = std::mem::replace(&mut rest, tail);
            let (mine, other): (Vec<_>, Vec<_>) = head.into_iter().partition(|d| Some(d.message.channel) == presend);
            rest.extend(other);
            mine
        };
        self.outbox.handover(claimed);
        self.outbox.deliver(rest);
        Ok(())
    }

    /// Fetches a file sent to the bot, so the engine gets its bytes; one too large is not
    /// fetched, and one that cannot be fetched reaches the engine as it is (it says so).
    async fn fetch_file(&self, u: &mut Update) {
        let Inbound::FileRef { id, name, size } = &u.input else {
            return;
        };
        let max = crate::template::MAX_FILE_BYTES as u64;
        if *size > max {
            u.input = Inbound::FileTooLarge { name: name.clone() };
            return;
        }
        let fetched = async {
            let file = self.bot.get_file(FileId(id.clone())).await?;
            if u64::from(file.size) > max {
                return Ok::<_, anyhow::Error>(None);
            }
            let mut bytes = Vec::with_capacity(file.size as usize);
            self.bot.download_file(&file.path, &mut bytes).await?;
            Ok(Some(bytes))
        }
        .await;
        match fetched {
            Ok(Some(bytes)) => {
                u.input = Inbound::File {
                    name: name.clone(),
                    bytes,
                }
            }
            Ok(None) => u.input = Inbound::FileTooLarge { name: name.clone() },
            Err(e) => tracing::warn!(error.message = %e, "could not fetch a file sent to the bot"),
        }
    }

    /// Tells each writer once that their message was not saved yet (it will be applied when
    /// the database recovers, since the batch is not acknowledged).
    fn apologise(&mut self, updates: &[TgUpdate]) {
        for (u, _) in updates.iter().filter_map(translate) {
            let Some(k) = u.key else { continue };
            if u.chat.private && self.apologised.insert(k.id) {
                self.outbox
                    .send_now(Outgoing::new(u.chat.chat_id, text::TEMPORARY_ERROR, vec![]));
            }
        }
    }
}

/// Sleeps `backoff` (then doubles it, up to [`MAX_BACKOFF`]); true when asked to stop.
async fn pause(stop: &mut watch::Receiver<bool>, backoff: &mut Duration) -> bool {
    let wait = *backoff;
    *backoff = (*backoff * 2).min(MAX_BACKOFF);
    tokio::select! {
        _ = tokio::time::sleep(wait) => *stop.borrow(),
        _ = stop.changed() => true,
    }
}
