//! The composition root: settings -> store (migrated) -> engine -> channels and tasks, for
//! production and tests alike. Tasks run under one supervisor.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::adapters::telegram::{self, Poller, TgBot};
use crate::config::Settings;
use crate::engine::{Channel, Engine};
use crate::outbox::{Limits, OutboxHandle, Policy, Worker};
use crate::store::Store;

pub struct Application {
    pub settings: Settings,
    pub engine: Engine,
}

/// The Telegram side running: the poller, the outbox worker and (optionally) the reminder
/// loop.
pub struct TelegramRuntime {
    pub bot: TgBot,
    pub outbox: OutboxHandle,
    stop: watch::Sender<bool>,
    poller: JoinHandle<anyhow::Result<()>>,
    sender: JoinHandle<()>,
    reminders: Option<JoinHandle<()>>,
}

/// The name under which the bot claims outbox rows; a new run takes over the last run's.
pub const BOT_OWNER: &str = "bot";

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

    fn token(&self) -> anyhow::Result<String> {
        Ok(self
            .settings
            .token
            .clone()
            .context("TELOXIDE_TOKEN is not set: create a bot with @BotFather and put its token in .env")?
            .expose()
            .to_owned())
    }

    /// The Telegram client for sending.
    pub fn bot(&self) -> anyhow::Result<TgBot> {
        telegram::bot(
            &self.token()?,
            self.settings.api_url.clone(),
            self.settings.send_timeout,
        )
    }

    /// The outbox worker for Telegram, with the configured limits.
    pub fn telegram_worker(&self, owner: &str) -> anyhow::Result<(Worker, OutboxHandle)> {
        let port = Arc::new(telegram::TelegramPort::new(self.bot()?));
        let limits = Limits {
            per_sec: self.settings.max_per_sec,
            per_chat_per_sec: self.settings.max_per_sec_chat,
            chat_burst: self.settings.chat_burst,
        };
        Ok(Worker::new(
            self.engine.store().clone(),
            port,
            owner,
            limits,
            Policy::default(),
        ))
    }

    /// Starts the Telegram side: registers the menu, starts the outbox worker (which takes
    /// over what the last run left unsent), then polls. `reminders_every`: the reminder
    /// loop's period.
    pub async fn start_telegram(&self, reminders_every: Option<Duration>) -> anyhow::Result<TelegramRuntime> {
        let bot = self.bot()?;
        telegram::register_commands(&bot).await;
        let (worker, outbox) = self.telegram_worker(BOT_OWNER)?;
        worker.take_over().await?;
        let (stop, stopped) = watch::channel(false);
        let sender = tokio::spawn(worker.run(stopped.clone()));
        let reminders = reminders_every
            .map(|every| tokio::spawn(crate::reminders::run_loop(self.engine.clone(), outbox.clone(), every)));
        let poll_bot = telegram::poll_bot(&self.token()?, self.settings.api_url.clone())?;
        // The poller's batches claim their Telegram messages for this worker as they commit,
        // so replies are handed over without a claim transaction of their own.
        let engine = self
            .engine
            .clone()
            .with_presend(Channel::Telegram, BOT_OWNER, Policy::default().claim_for);
        let poller = tokio::spawn(Poller::new(engine, poll_bot, outbox.clone()).run(stopped));
        Ok(TelegramRuntime {
            bot,
            outbox,
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
        let stop_signal = shutdown_signal()?;
        let mut rt = self.start_telegram(Some(Duration::from_secs(60))).await?;
        let reminders = async {
            match rt.reminders.as_mut() {
                Some(h) => h.await,
                None => std::future::pending().await,
            }
        };
        let failure = tokio::select! {
            _ = stop_signal => None,
            r = reminders => Some(format!("the reminder loop ended: {:?}", r.map_err(|e| e.to_string()))),
            r = &mut rt.poller => Some(format!("the poller ended: {:?}", r.map_err(|e| e.to_string()))),
            r = &mut rt.sender => Some(format!("the outbox worker ended: {:?}", r.map_err(|e| e.to_string()))),
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
    /// Stops polling after the batch in flight; the worker finishes the sends in flight.
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
            tracing::warn!("the outbox worker did not finish in time; undelivered messages stay in the outbox");
        }
    }
}

/// Ctrl-C or SIGTERM, listened for from the moment this is called (not from the first poll).
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    let mut term =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).context("listening for SIGTERM")?;
    Ok(async move {
        #[cfg(unix)]
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
    })
}
