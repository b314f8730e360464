//! The report as a web form inside Telegram (a Mini App), served by the bot itself: one page
//! with its script embedded (no build step), and a small JSON API. Every API call carries the
//! `initData` Telegram launched the page with (header `X-Telegram-Init-Data`), checked
//! against the bot token; the user must be a registered secretary, who reads and writes only
//! their own unit. Saves go through the engine ([`crate::engine::web`]).

pub mod auth;

use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde_json::json;

use crate::engine::Engine;
use crate::engine::web::{WebError, WebSave};
use crate::outbox::OutboxHandle;

const PAGE: &str = include_str!("page.html");
const SCRIPT: &str = include_str!("app.js");
/// The largest request body accepted (a whole report is far smaller).
pub const MAX_BODY: usize = 256 * 1024;
/// Saves and reads per member: a burst of 10, then 2 a second.
const PER_SECOND: u32 = 2;
const BURST: u32 = 10;

#[derive(Clone)]
pub struct WebApp {
    engine: Engine,
    outbox: Option<OutboxHandle>,
    token: Arc<str>,
    limiter: Arc<DefaultKeyedRateLimiter<i64>>,
}

impl WebApp {
    /// `outbox` sends the chat's receipt at once (without it, the worker finds it queued).
    pub fn new(engine: Engine, token: &str, outbox: Option<OutboxHandle>) -> WebApp {
        let quota = Quota::per_second(NonZeroU32::new(PER_SECOND).expect("non-zero"))
            .allow_burst(NonZeroU32::new(BURST).expect("non-zero"));
        WebApp {
            engine,
            outbox,
            token: Arc::from(token),
            limiter: Arc::new(RateLimiter::keyed(quota)),
        }
    }

    pub fn router(self) -> Router {
        Router::new()
            .route("/", get(page))
            .route("/app.js", get(script))
            .route("/api/form", get(form))
            .route("/api/save", post(save))
            .layer(DefaultBodyLimit::max(MAX_BODY))
            .with_state(self)
    }

    /// The Telegram user of a request, rate-limited; `Err` is the response to give.
    fn user(&self, headers: &HeaderMap) -> Result<i64, (StatusCode, &'static str)> {
        let init = headers
            .get("x-telegram-init-data")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let user = auth::verify(init, &self.token, Utc::now()).map_err(|e| {
            tracing::info!(error.message = %e, "web form request refused");
            (StatusCode::UNAUTHORIZED, crate::engine::text::WEB_UNAUTHORIZED)
        })?;
        if self.limiter.check_key(&user).is_err() {
            return Err((StatusCode::TOO_MANY_REQUESTS, crate::engine::text::WEB_TOO_FAST));
        }
        Ok(user)
    }
}

fn refuse(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

fn web_error(e: WebError) -> Response {
    use crate::engine::text;
    match e {
        WebError::NotSecretary => refuse(StatusCode::FORBIDDEN, text::WEB_NOT_SECRETARY),
        WebError::Locked => refuse(StatusCode::CONFLICT, text::WEB_LOCKED),
        WebError::Invalid(errors) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({ "error": text::WEB_NOTHING_SAVED, "errors": errors })),
        )
            .into_response(),
        WebError::Engine(e) => {
            tracing::error!(error.message = %e, "web form request failed");
            refuse(StatusCode::INTERNAL_SERVER_ERROR, text::TEMPORARY_ERROR)
        }
    }
}

async fn page() -> impl IntoResponse {
    (
        [
            (header::CACHE_CONTROL, "no-cache"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        Html(PAGE),
    )
}

async fn script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        SCRIPT,
    )
}

async fn form(State(app): State<WebApp>, headers: HeaderMap) -> Response {
    let user = match app.user(&headers) {
        Ok(u) => u,
        Err((status, why)) => return refuse(status, why),
    };
    match app.engine.web_view(user).await {
        Ok(view) => Json(view).into_response(),
        Err(e) => web_error(e),
    }
}

async fn save(State(app): State<WebApp>, headers: HeaderMap, Json(body): Json<WebSave>) -> Response {
    let user = match app.user(&headers) {
        Ok(u) => u,
        Err((status, why)) => return refuse(status, why),
    };
    if body.id.is_empty() || body.id.len() > 100 {
        return refuse(StatusCode::BAD_REQUEST, crate::engine::text::TEMPORARY_ERROR);
    }
    match app.engine.web_save(user, body, Utc::now()).await {
        Ok((saved, receipts)) => {
            match &app.outbox {
                Some(o) => o.deliver(receipts),
                None if !receipts.is_empty() => tracing::debug!("receipt queued for the worker"),
                None => {}
            }
            Json(saved).into_response()
        }
        Err(e) => web_error(e),
    }
}

/// Serves until `stop` turns true.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: WebApp,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<()> {
    tracing::info!(address = %listener.local_addr()?, "serving the web form");
    axum::serve(listener, app.router())
        .with_graceful_shutdown(async move {
            let _ = stop.wait_for(|s| *s).await;
        })
        .await?;
    Ok(())
}
