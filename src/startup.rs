//! One builder for production and tests: settings -> store (migrated) -> engine.

use std::sync::Arc;

use anyhow::Context;
use chrono::{DateTime, Utc};

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

    /// Long-polls Telegram until Ctrl-C.
    pub async fn run_telegram(self) -> anyhow::Result<()> {
        let token = self
            .settings
            .token
            .clone()
            .context("TELOXIDE_TOKEN is not set: create a bot with @BotFather and put its token in .env")?;
        let bot = crate::adapters::telegram::bot(token.expose(), self.settings.api_url.clone());
        crate::adapters::telegram::prepare(&self.engine, &bot).await?;
        let mut dispatcher = crate::adapters::telegram::dispatcher(self.engine, bot);
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
        Ok(())
    }
}
