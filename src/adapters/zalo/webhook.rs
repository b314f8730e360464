//! Webhook mode: Zalo posts each update to `POST /zalo/webhook` with the secret given to
//! `setWebhook` in the `X-Bot-Api-Secret-Token` header. A request without the right secret is
//! refused (403, compared in constant time). An update is answered 200 only after it has been
//! committed; if the database cannot be written the answer is 500, so Zalo may deliver it
//! again, and its key makes it apply once.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use subtle::ConstantTimeEq;
use tokio::sync::watch;

use super::{Inlet, SECRET_HEADER, ZaloUpdate};
use crate::config::Token;

/// Where Zalo posts updates.
pub const PATH: &str = "/zalo/webhook";
/// The largest body accepted.
const MAX_BODY: usize = 1 << 20;

struct Hook {
    inlet: Arc<Inlet>,
    secret: Token,
}

fn secret_matches(headers: &HeaderMap, secret: &Token) -> bool {
    let Some(got) = headers.get(SECRET_HEADER) else {
        return false;
    };
    let (got, want) = (got.as_bytes(), secret.expose().as_bytes());
    // Lengths are compared first (the secret's length is no secret); the bytes in constant time.
    got.len() == want.len() && bool::from(got.ct_eq(want))
}

async fn receive(State(hook): State<Arc<Hook>>, headers: HeaderMap, body: Bytes) -> (StatusCode, &'static str) {
    if !secret_matches(&headers, &hook.secret) {
        tracing::warn!("a webhook request without the right secret was refused");
        return (StatusCode::FORBIDDEN, r#"{"ok":false,"description":"forbidden"}"#);
    }
    let update = match ZaloUpdate::from_body(&body) {
        Ok(u) => u,
        Err(e) => {
            tracing::warn!(error.message = %e, "an unreadable webhook body was refused");
            return (StatusCode::BAD_REQUEST, r#"{"ok":false,"description":"bad request"}"#);
        }
    };
    let batch = match hook.inlet.translate(std::slice::from_ref(&update)).await {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error.cause_chain = ?e, error.message = %e, "Zalo update not read");
            return (StatusCode::INTERNAL_SERVER_ERROR, r#"{"ok":false}"#);
        }
    };
    match hook.inlet.apply(batch.clone()).await {
        Ok(()) => (StatusCode::OK, r#"{"ok":true}"#),
        Err(e) => {
            tracing::error!(error.cause_chain = ?e, error.message = %e, "Zalo update not committed; Zalo may send it again");
            hook.inlet.apologise(&batch);
            (StatusCode::INTERNAL_SERVER_ERROR, r#"{"ok":false}"#)
        }
    }
}

/// The webhook's routes.
pub fn router(inlet: Arc<Inlet>, secret: Token) -> Router {
    Router::new()
        .route(PATH, post(receive))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .with_state(Arc::new(Hook { inlet, secret }))
}

/// Binds `listen`; the bound address (a port 0 becomes a real one) and the server, which runs
/// until `stop` turns true.
pub async fn bind(
    listen: SocketAddr,
    inlet: Arc<Inlet>,
    secret: Token,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<(SocketAddr, impl std::future::Future<Output = anyhow::Result<()>>)> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| anyhow::anyhow!("ZALO_WEBHOOK_LISTEN {listen}: {e}"))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, path = PATH, "receiving Zalo updates by webhook");
    let app = router(inlet, secret);
    let serve = async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                while !*stop.borrow() {
                    if stop.changed().await.is_err() {
                        break;
                    }
                }
            })
            .await
            .map_err(|e| anyhow::anyhow!("the Zalo webhook server failed: {e}"))
    };
    Ok((addr, serve))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_secret_is_accepted() {
        let secret = Token::new("s3cret-token");
        let mut h = HeaderMap::new();
        assert!(!secret_matches(&h, &secret));
        h.insert(SECRET_HEADER, "s3cret-tokem".parse().unwrap());
        assert!(!secret_matches(&h, &secret));
        h.insert(SECRET_HEADER, "s3cret-token-longer".parse().unwrap());
        assert!(!secret_matches(&h, &secret));
        h.insert(SECRET_HEADER, "s3cret-token".parse().unwrap());
        assert!(secret_matches(&h, &secret));
    }
}
