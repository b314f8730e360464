//! One builder for production and tests: settings -> store (migrated) -> engine.

use std::sync::Arc;

use anyhow::Context;
use chrono::{DateTime, Utc};

use crate::adapters::telegram::{self, TelegramDispatcher, TgBot};
use crate::config::Settings;
use crate::engine::Engine;
use crate::store::Store;

pub struct Application {
    pub settings: Settings,
    pub engine: Engine,
}

impl Application {
    pub async fn build(settings: Settings, now: DateTime<Utc>) -> anyhow::Result<Application> {
        let form = Arc::new(settings.load_form()?);
        let store = Store::open(&settings.database_url)
            .await
            .context("opening the database")?;
        let engine = Engine::new(store, form, settings.tz, now)
            .await
            .context("starting the engine")?;
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

    /// The Telegram side, ready to dispatch: menu registered, leftover messages delivered.
    pub async fn telegram(&self) -> anyhow::Result<(TelegramDispatcher, TgBot)> {
        let bot = self.bot()?;
        telegram::prepare(&self.engine, &bot).await?;
        Ok((telegram::dispatcher(self.engine.clone(), bot.clone()), bot))
    }

    /// Long-polls Telegram and runs the reminder loop until Ctrl-C.
    pub async fn run_telegram(self) -> anyhow::Result<()> {
        let (mut dispatcher, bot) = self.telegram().await?;
        let reminders = tokio::spawn(telegram::run_reminders(
            self.engine.clone(),
            bot,
            std::time::Duration::from_secs(60),
        ));
        let stop = dispatcher.shutdown_token();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                tracing::info!("stopping");
                if let Ok(f) = stop.shutdown() {
                    f.await;
                }
            }
        });
        tracing::info!("bot is polling Telegram");
        dispatcher.dispatch().await;
        reminders.abort();
        Ok(())
    }
}
