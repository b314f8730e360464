//! The composition root: settings -> store (migrated) -> engine -> channels and tasks, for
//! production and tests alike. Tasks run under one supervisor.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::adapters::telegram::{self, Poller, TgBot};
use crate::config::Settings;
use crate::engine::Engine;
use crate::store::Store;

pub struct Application {
    pub settings: Settings,
    pub engine: Engine,
}

/// The Telegram side running: the poller, the sender and (optionally) the reminder loop.
pub struct TelegramRuntime {
    pub bot: TgBot,
    stop: watch::Sender<bool>,
    poller: JoinHandle<anyhow::Result<()>>,
    sender: JoinHandle<()>,
    reminders: Option<JoinHandle<()>>,
}

impl Application {
    pub async fn build(settings: Settings, now: DateTime<Utc>) -> anyhow::Result<Application> {
        let form = Arc::new(settings.load_form()?);
        let store = Store::open(&settings.database_url)
            .await
            .context("opening the database")?;
        let engine = Engine::new(store, form, settings.tz, now)
            .await
            .context("starting the engine")?
            .with_reminders(settings.reminders.clone());
        Ok(Application { settings, engine })
    }

    /// The rate-limited Telegram client.
    pub fn bot(&self) -> anyhow::Result<TgBot> {
        let token = self
            .settings
            .token
            .clone()
            .context("TELOXIDE_TOKEN is not set: create a bot with @BotFather and put its token in .env")?;
        Ok(telegram::bot(
            token.expose(),
            self.settings.api_url.clone(),
            self.settings.max_per_sec,
            self.settings.max_per_sec_chat,
        ))
    }

    /// Starts the Telegram side: registers the menu, hands what a previous run committed but
    /// never sent to the sender, then polls. `reminders_every`: the reminder loop's period.
    pub async fn start_telegram(&self, reminders_every: Option<Duration>) -> anyhow::Result<TelegramRuntime> {
        let bot = self.bot()?;
        telegram::register_commands(&bot).await;
        let (queue, rx) = mpsc::unbounded_channel();
        let pending = self.engine.undelivered().await?;
        if !pending.is_empty() {
            tracing::info!(count = pending.len(), "delivering messages left from the last run");
            let pending = pending
                .into_iter()
                .map(|mut d| {
                    d.message.edit_message = None;
                    d
                })
                .collect();
            let _ = queue.send(pending);
        }
        let sender = tokio::spawn(telegram::run_sender(self.engine.clone(), bot.clone(), rx));
        let reminders = reminders_every
            .map(|every| tokio::spawn(telegram::run_reminders(self.engine.clone(), queue.clone(), every)));
        let (stop, stopped) = watch::channel(false);
        let poller = tokio::spawn(Poller::new(self.engine.clone(), bot.clone(), queue).run(stopped));
        Ok(TelegramRuntime {
            bot,
            stop,
            poller,
            sender,
            reminders,
        })
    }

    /// Runs the bot until Ctrl-C or SIGTERM (the batch in flight is finished first). If a
    /// task fails or ends on its own, that is logged and an error returned, so the process
    /// exits non-zero and a service manager restarts it.
    pub async fn run_telegram(self) -> anyhow::Result<()> {
        let mut rt = self.start_telegram(Some(Duration::from_secs(60))).await?;
        let failure = tokio::select! {
            _ = shutdown_signal() => None,
            r = &mut rt.poller => Some(format!("the poller ended: {:?}", r.map_err(|e| e.to_string()))),
            r = &mut rt.sender => Some(format!("the sender ended: {:?}", r.map_err(|e| e.to_string()))),
        };
        match failure {
            None => {
                tracing::info!("stopping: finishing the batch in flight");
                rt.stop().await;
                Ok(())
            }
            Some(why) => {
                tracing::error!(why, "a task stopped; exiting");
                anyhow::bail!(why)
            }
        }
    }
}

impl TelegramRuntime {
    /// Stops polling after the batch in flight, then lets the sender finish what is queued.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        if !self.poller.is_finished() {
            match self.poller.await {
                Ok(Err(e)) => tracing::error!(error.message = %e, "the poller failed"),
                Err(e) => tracing::error!(error.message = %e, "the poller panicked"),
                Ok(Ok(())) => {}
            }
        }
        if let Some(r) = self.reminders {
            r.abort();
            let _ = r.await;
        }
        if !self.sender.is_finished()
            && tokio::time::timeout(Duration::from_secs(10), self.sender)
                .await
                .is_err()
        {
            tracing::warn!("the sender did not finish in time; undelivered messages stay in the outbox");
        }
    }
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
