//! The composition root: settings -> store (migrated) -> engine -> channels and tasks, for
//! production and tests alike. Tasks run under one supervisor.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::adapters::telegram::{self, Poller, TgBot};
use crate::adapters::zalo::{self, Inlet, ZaloClient, ZaloPort};
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
    /// Where the web form listens, when it is served.
    pub web_addr: Option<std::net::SocketAddr>,
    web: Option<JoinHandle<anyhow::Result<()>>>,
    stop: watch::Sender<bool>,
    poller: JoinHandle<anyhow::Result<()>>,
    sender: JoinHandle<()>,
    reminders: Option<JoinHandle<()>>,
}

/// The Zalo side running: the poller or the webhook server, the outbox worker for Zalo and
/// (optionally) the reminder loop.
pub struct ZaloRuntime {
    pub outbox: OutboxHandle,
    /// Where the webhook listens (webhook mode).
    pub webhook: Option<std::net::SocketAddr>,
    stop: watch::Sender<bool>,
    inlet: JoinHandle<anyhow::Result<()>>,
    sender: JoinHandle<()>,
    reminders: Option<JoinHandle<()>>,
}

/// The name under which the bot claims outbox rows; a new run takes over the last run's.
pub const BOT_OWNER: &str = "bot";
/// The same for the Zalo sender (claims are given back by owner).
pub const ZALO_OWNER: &str = "bot:zalo";
/// How often the running bot looks for reminders due.
const REMINDERS_EVERY: Duration = Duration::from_secs(60);

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
        let engine = match &settings.webapp {
            Some((_, url)) => engine.with_webapp(url.as_str()),
            None => engine,
        };
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

    fn zalo_token(&self) -> anyhow::Result<String> {
        Ok(self
            .settings
            .zalo_token
            .clone()
            .context("ZALO_BOT_TOKEN is not set: create a bot with Zalo Bot Creator and put its token in .env")?
            .expose()
            .to_owned())
    }

    /// The Zalo client (for sending; the poll adds its long-poll time to each request).
    pub fn zalo_client(&self) -> anyhow::Result<ZaloClient> {
        ZaloClient::new(
            &self.zalo_token()?,
            self.settings.zalo_api_url.as_ref(),
            self.settings.send_timeout,
        )
    }

    /// The outbox worker for Zalo, with the configured limits.
    pub fn zalo_worker(&self, owner: &str) -> anyhow::Result<(Worker, OutboxHandle)> {
        let port = Arc::new(ZaloPort::new(self.zalo_client()?, self.engine.store().clone()));
        let limits = Limits {
            per_sec: self.settings.zalo_max_per_sec,
            per_chat_per_sec: self.settings.zalo_max_per_sec_chat,
            chat_burst: self.settings.zalo_chat_burst,
        };
        Ok(Worker::new(
            self.engine.store().clone(),
            port,
            owner,
            limits,
            Policy::default(),
        ))
    }

    /// The outbox workers of every channel with a token (a command that sends, then exits).
    pub fn workers(&self, owner: &str) -> Vec<(Worker, OutboxHandle)> {
        let mut out = Vec::new();
        if self.settings.token.is_some()
            && let Ok(w) = self.telegram_worker(owner)
        {
            out.push(w);
        }
        if self.settings.zalo_token.is_some()
            && let Ok(w) = self.zalo_worker(&format!("{owner}:zalo"))
        {
            out.push(w);
        }
        out
    }

    /// Starts the Zalo side: checks the token, starts the outbox worker for Zalo (which takes
    /// over what the last run left unsent), then polls or serves the webhook.
    pub async fn start_zalo(&self, reminders_every: Option<Duration>) -> anyhow::Result<ZaloRuntime> {
        let client = self.zalo_client()?;
        match client.get_me().await {
            Ok(name) => tracing::info!(bot = %name, "Zalo bot"),
            Err(zalo::ApiError::Api { code: 401, .. }) => {
                anyhow::bail!("Zalo refuses ZALO_BOT_TOKEN (401): copy the token again from Zalo Bot Creator")
            }
            Err(e) => tracing::warn!(error.message = %e, "could not check the Zalo bot; going on"),
        }
        let (worker, outbox) = self.zalo_worker(ZALO_OWNER)?;
        worker.take_over().await?;
        let (stop, stopped) = watch::channel(false);
        let sender = tokio::spawn(worker.run(stopped.clone()));
        let reminders = reminders_every
            .map(|every| tokio::spawn(crate::reminders::run_loop(self.engine.clone(), outbox.clone(), every)));
        let engine = self
            .engine
            .clone()
            .with_presend(Channel::Zalo, ZALO_OWNER, Policy::default().claim_for);
        let inlet = Arc::new(Inlet::new(engine, outbox.clone()));
        let (webhook, task) = match &self.settings.zalo_webhook {
            Some((listen, secret)) => {
                let (addr, serve) = zalo::webhook::bind(*listen, inlet, secret.clone(), stopped).await?;
                (Some(addr), tokio::spawn(serve))
            }
            None => {
                let poll_client = ZaloClient::new(
                    &self.zalo_token()?,
                    self.settings.zalo_api_url.as_ref(),
                    Duration::from_secs(u64::from(zalo::POLL_TIMEOUT_SECS) + 10),
                )?;
                let poller = zalo::Poller::new(inlet, poll_client);
                (None, tokio::spawn(poller.run(stopped)))
            }
        };
        Ok(ZaloRuntime {
            outbox,
            webhook,
            stop,
            inlet: task,
            sender,
            reminders,
        })
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
        let (web_addr, web) = match &self.settings.webapp {
            Some((listen, url)) => {
                let listener = tokio::net::TcpListener::bind(listen)
                    .await
                    .with_context(|| format!("binding the web form to {listen} (WEBAPP_LISTEN)"))?;
                let addr = listener.local_addr()?;
                telegram::register_menu_button(&bot, url).await;
                let app = crate::webapp::WebApp::new(self.engine.clone(), &self.token()?, Some(outbox.clone()));
                (
                    Some(addr),
                    Some(tokio::spawn(crate::webapp::serve(listener, app, stopped.clone()))),
                )
            }
            None => (None, None),
        };
        let poller = tokio::spawn(Poller::new(engine, poll_bot, outbox.clone()).run(stopped));
        Ok(TelegramRuntime {
            bot,
            outbox,
            web_addr,
            web,
            stop,
            poller,
            sender,
            reminders,
        })
    }

    /// Runs every channel whose token is set (Telegram, Zalo or both, on one database) until
    /// Ctrl-C or SIGTERM (the batch in flight is finished first). One reminder loop serves all
    /// channels (each reminder is queued for its member's channel, and each channel's worker
    /// sends its own). If a task fails or ends on its own, that is logged and an error
    /// returned, so the process exits non-zero and a service manager restarts it.
    pub async fn run(self) -> anyhow::Result<()> {
        if self.settings.token.is_none() && self.settings.zalo_token.is_none() {
            anyhow::bail!(
                "no channel to serve: set TELOXIDE_TOKEN (a Telegram bot from @BotFather), ZALO_BOT_TOKEN (a Zalo bot from Zalo Bot Creator), or both, in .env"
            );
        }
        let stop_signal = shutdown_signal()?;
        let mut telegram = match self.settings.token {
            Some(_) => Some(self.start_telegram(Some(REMINDERS_EVERY)).await?),
            None => None,
        };
        let mut zalo = match self.settings.zalo_token {
            Some(_) => Some(self.start_zalo(telegram.is_none().then_some(REMINDERS_EVERY)).await?),
            None => None,
        };
        let failure = {
            let ended = |what: &str, r: Result<String, tokio::task::JoinError>| {
                format!("{what} ended: {:?}", r.map_err(|e| e.to_string()))
            };
            let tg = async {
                match telegram.as_mut() {
                    Some(rt) => rt.ended().await,
                    None => std::future::pending().await,
                }
            };
            let za = async {
                match zalo.as_mut() {
                    Some(rt) => rt.ended().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = stop_signal => None,
                (what, r) = tg => Some(ended(what, r)),
                (what, r) = za => Some(ended(what, r)),
            }
        };
        match failure {
            None => {
                tracing::info!("stopping: finishing the batch in flight");
                if let Some(rt) = telegram {
                    rt.stop().await;
                }
                if let Some(rt) = zalo {
                    rt.stop().await;
                }
                Ok(())
            }
            Some(why) => {
                tracing::error!(why, "a task stopped; exiting");
                anyhow::bail!(why)
            }
        }
    }
}

/// The first of a runtime's tasks to end: its name and outcome.
async fn first_ended(
    poller: (&'static str, &mut JoinHandle<anyhow::Result<()>>),
    sender: &mut JoinHandle<()>,
    reminders: Option<&mut JoinHandle<()>>,
) -> (&'static str, Result<String, tokio::task::JoinError>) {
    let reminders = async {
        match reminders {
            Some(h) => h.await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        r = poller.1 => (poller.0, r.map(|r| format!("{r:?}"))),
        r = sender => ("the outbox worker", r.map(|()| String::new())),
        r = reminders => ("the reminder loop", r.map(|()| String::new())),
    }
}

impl ZaloRuntime {
    /// Waits until one of the Zalo tasks ends (they run until stopped).
    async fn ended(&mut self) -> (&'static str, Result<String, tokio::task::JoinError>) {
        let what = if self.webhook.is_some() {
            "the Zalo webhook server"
        } else {
            "the Zalo poller"
        };
        first_ended((what, &mut self.inlet), &mut self.sender, self.reminders.as_mut()).await
    }

    /// Stops receiving after the update in flight; the worker finishes the sends in flight.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        match self.inlet.await {
            Ok(Err(e)) => tracing::error!(error.message = %e, "the Zalo side failed"),
            Err(e) => tracing::error!(error.message = %e, "the Zalo side panicked"),
            Ok(Ok(())) => {}
        }
        if let Some(r) = self.reminders {
            r.abort();
            let _ = r.await;
        }
        if tokio::time::timeout(Duration::from_secs(10), self.sender)
            .await
            .is_err()
        {
            tracing::warn!("the Zalo outbox worker did not finish in time; undelivered messages stay in the outbox");
        }
    }
}

impl TelegramRuntime {
    /// Waits until one of the Telegram tasks ends (they run until stopped).
    async fn ended(&mut self) -> (&'static str, Result<String, tokio::task::JoinError>) {
        let web = async {
            match self.web.as_mut() {
                Some(h) => h.await.map(|r| format!("{r:?}")),
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            r = first_ended(("the Telegram poller", &mut self.poller), &mut self.sender, self.reminders.as_mut()) => r,
            r = web => ("the web form server", r),
        }
    }

    /// Stops polling after the batch in flight; the worker finishes the sends in flight.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        if let Some(w) = self.web {
            let _ = w.await;
        }
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
