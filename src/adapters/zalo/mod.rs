//! Zalo through its Bot API (bot.zaloplatforms.com/docs), text only. It only translates: a
//! Zalo update becomes an engine update ([`inlet`]), fetched by long polling ([`poll`]) or
//! received on a webhook ([`webhook`]); outgoing messages become `sendMessage` calls
//! ([`send`]), with buttons shown as numbered options (`crate::adapters::text_only`).
//!
//! Zalo's ids are strings; each gets a number in the database (`external_ids`), so the
//! engine, members and the outbox keep integer chat ids.
//!
//! The shapes below follow the public API documentation (request `{BASE}/bot{TOKEN}/{method}`
//! with a JSON body; answer `{"ok": true, "result": …}` or `{"ok": false, "error_code": …,
//! "description": …}`; `getUpdates` answers one update, or error 408 when the long poll ends
//! empty) and the SDKs built on it (python-zalo-bot, and the npm, Go and .NET clients).

use std::time::Duration;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use url::Url;

pub mod inlet;
pub mod poll;
pub mod send;
pub mod text;
pub mod webhook;

pub use inlet::Inlet;
pub use poll::{POLL_TIMEOUT_SECS, Poller};
pub use send::ZaloPort;

/// The channel name under which Zalo's updates are recorded.
pub const CHANNEL: &str = "zalo";
/// The public Bot API.
pub const DEFAULT_API_URL: &str = "https://bot-api.zaloplatforms.com";
/// The header carrying the webhook's secret (`setWebhook`'s `secret_token`).
pub const SECRET_HEADER: &str = "X-Bot-Api-Secret-Token";

/// Zalo's string ids stand as numbers far below any Telegram id (users are positive, groups
/// above −10^13) or console id (−10^12 … −1): members' user ids are unique across channels.
const ID_BASE: i64 = -(1 << 60);

/// The chat (or user) number of an `external_ids` row.
pub fn number_of(row: i64) -> i64 {
    ID_BASE - row
}

/// The `external_ids` row of a chat number.
pub fn row_of(number: i64) -> i64 {
    ID_BASE - number
}

/// An id as Zalo sends it: a string (documented), or a number (seen in some SDK tests).
fn de_id<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => s,
        Value::Number(n) => n.to_string(),
        other => return Err(serde::de::Error::custom(format!("an id, not {other}"))),
    })
}

fn de_opt_id<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::String(s)) => Some(s),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    })
}

/// An update: `getUpdates`' `result`, or a webhook's body.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct ZaloUpdate {
    /// `message.text.received`, `message.image.received`, `message.sticker.received`,
    /// `message.unsupported.received` (and newer kinds, treated like unsupported ones).
    pub event_name: String,
    /// Absent for some unsupported events (nothing to answer then).
    #[serde(default)]
    pub message: Option<ZaloMessage>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct ZaloMessage {
    #[serde(default, deserialize_with = "de_opt_id")]
    pub message_id: Option<String>,
    #[serde(default)]
    pub from: Option<ZaloUser>,
    pub chat: ZaloChat,
    /// Milliseconds since 1970.
    #[serde(default)]
    pub date: Option<i64>,
    #[serde(default)]
    pub text: Option<String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct ZaloUser {
    #[serde(deserialize_with = "de_id")]
    pub id: String,
    /// Webhook payloads say `display_name`; the getUpdates sample says `first_name`.
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub is_bot: bool,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct ZaloChat {
    #[serde(deserialize_with = "de_id")]
    pub id: String,
    /// `PRIVATE` or `GROUP`.
    #[serde(default)]
    pub chat_type: Option<String>,
}

impl ZaloUpdate {
    /// Reads a webhook body: the update itself, or wrapped as `{"ok": true, "result": …}`
    /// (both are seen in the SDKs).
    pub fn from_body(body: &[u8]) -> Result<ZaloUpdate, serde_json::Error> {
        let v: Value = serde_json::from_slice(body)?;
        match v.get("result") {
            Some(r) if r.get("event_name").is_some() => serde_json::from_value(r.clone()),
            _ => serde_json::from_value(v),
        }
    }
}

/// Why a call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// Zalo answered `ok: false` (or an HTTP error): its error code and description.
    #[error("Zalo error {code}: {description}")]
    Api {
        code: i64,
        description: String,
        retry_after: Option<Duration>,
    },
    /// No answer: a timeout, a refused or dropped connection.
    #[error("network: {0}")]
    Network(String),
    /// An answer that is not the documented JSON.
    #[error("unreadable answer: {0}")]
    Decode(String),
}

impl ApiError {
    /// The long poll ended without an update.
    pub fn is_poll_timeout(&self) -> bool {
        matches!(self, ApiError::Api { code: 408, .. })
    }
}

#[derive(Deserialize)]
struct Envelope {
    ok: bool,
    #[serde(default)]
    result: Option<Value>,
    #[serde(default)]
    error_code: Option<i64>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    parameters: Option<Parameters>,
}

#[derive(Deserialize)]
struct Parameters {
    #[serde(default)]
    retry_after: Option<u64>,
}

/// A thin client of the Bot API: reqwest (the HTTP client teloxide already uses, with rustls).
#[derive(Clone)]
pub struct ZaloClient {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl ZaloClient {
    /// `timeout`: how long one call may take (a long poll adds its own time).
    pub fn new(token: &str, api_url: Option<&Url>, timeout: Duration) -> anyhow::Result<ZaloClient> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| anyhow::anyhow!("building the Zalo HTTP client: {e}"))?;
        let base = api_url.map_or(DEFAULT_API_URL, |u| u.as_str());
        Ok(ZaloClient {
            http,
            base: base.trim_end_matches('/').to_owned(),
            token: token.to_owned(),
        })
    }

    /// Calls `method` with a JSON body; `result` on success.
    pub async fn call<T: DeserializeOwned>(
        &self,
        method: &str,
        body: &Value,
        timeout: Option<Duration>,
    ) -> Result<T, ApiError> {
        let url = format!("{}/bot{}/{method}", self.base, self.token);
        let mut req = self.http.post(url).json(body);
        if let Some(t) = timeout {
            req = req.timeout(t);
        }
        // The token is part of the URL: errors are reported without it.
        let resp = req
            .send()
            .await
            .map_err(|e| ApiError::Network(e.without_url().to_string()))?;
        let status = resp.status();
        let header_wait = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| ApiError::Network(e.without_url().to_string()))?;
        let envelope: Option<Envelope> = serde_json::from_slice(&bytes).ok();
        match envelope {
            Some(e) if e.ok && status.is_success() => {
                serde_json::from_value(e.result.unwrap_or(Value::Null)).map_err(|e| ApiError::Decode(e.to_string()))
            }
            Some(e) => Err(ApiError::Api {
                code: e.error_code.unwrap_or(i64::from(status.as_u16())),
                description: e.description.unwrap_or_else(|| status.to_string()),
                retry_after: e
                    .parameters
                    .and_then(|p| p.retry_after)
                    .or(header_wait)
                    .map(Duration::from_secs),
            }),
            None if !status.is_success() => Err(ApiError::Api {
                code: i64::from(status.as_u16()),
                description: status.to_string(),
                retry_after: header_wait.map(Duration::from_secs),
            }),
            None => Err(ApiError::Decode(
                String::from_utf8_lossy(&bytes).chars().take(200).collect(),
            )),
        }
    }

    /// One update, waiting up to `timeout_secs`; `None` when the poll ended empty.
    pub async fn get_update(&self, timeout_secs: u32) -> Result<Option<ZaloUpdate>, ApiError> {
        // The documentation gives `timeout` as a string of seconds.
        let body = json!({ "timeout": timeout_secs.to_string() });
        let wait = Some(Duration::from_secs(u64::from(timeout_secs) + 10));
        match self.call::<Option<ZaloUpdate>>("getUpdates", &body, wait).await {
            Ok(u) => Ok(u),
            Err(e) if e.is_poll_timeout() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Sends a text of 1–2,000 characters.
    pub async fn send_message(&self, chat_id: &str, text: &str) -> Result<(), ApiError> {
        self.call::<Value>("sendMessage", &json!({ "chat_id": chat_id, "text": text }), None)
            .await
            .map(|_| ())
    }

    /// Checks the token (`getMe`): the bot's account name.
    pub async fn get_me(&self) -> Result<String, ApiError> {
        let v: Value = self.call("getMe", &json!({}), None).await?;
        Ok(v.get("account_name")
            .or_else(|| v.get("display_name"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_shapes_are_read() {
        // getUpdates' documented sample: `first_name`, no event name inside `message`.
        let sample = json!({
            "event_name": "message.text.received",
            "message": {
                "chat": { "id": "e4ea2cd5189df1c3a88c", "chat_type": "PRIVATE" },
                "text": "Xin chào",
                "message_id": "16f6366b3f02645a3d15",
                "date": 1766619597466_i64,
                "from": { "id": "e4ea2cd5189df1c3a88c", "first_name": "Nguyen Van A" }
            }
        });
        let u: ZaloUpdate = serde_json::from_value(sample.clone()).unwrap();
        let m = u.message.as_ref().unwrap();
        assert_eq!(m.text.as_deref(), Some("Xin chào"));
        assert_eq!(m.from.as_ref().unwrap().first_name.as_deref(), Some("Nguyen Van A"));
        // A webhook body, bare or wrapped; numeric ids are read as strings.
        let wrapped = serde_json::to_vec(&json!({ "ok": true, "result": sample })).unwrap();
        assert_eq!(ZaloUpdate::from_body(&wrapped).unwrap(), u);
        let numeric = json!({ "event_name": "message.sticker.received",
            "message": { "chat": { "id": 42, "chat_type": "PRIVATE" }, "from": { "id": 42, "display_name": "A", "is_bot": false }, "message_id": 7 } });
        let n = ZaloUpdate::from_body(&serde_json::to_vec(&numeric).unwrap()).unwrap();
        assert_eq!(n.message.unwrap().chat.id, "42");
        // An unsupported event may come without a message.
        let bare = ZaloUpdate::from_body(br#"{"event_name":"message.unsupported.received"}"#).unwrap();
        assert!(bare.message.is_none() && inlet::update_key(&bare).is_none());
    }

    #[test]
    fn a_message_keeps_its_key_and_other_messages_get_others() {
        let u = |chat: &str, id: &str| ZaloUpdate {
            event_name: "message.text.received".into(),
            message: Some(ZaloMessage {
                message_id: Some(id.into()),
                from: None,
                chat: ZaloChat {
                    id: chat.into(),
                    chat_type: None,
                },
                date: None,
                text: Some("1".into()),
            }),
        };
        let k = inlet::update_key(&u("a", "m1")).unwrap();
        assert_eq!(inlet::update_key(&u("a", "m1")), Some(k));
        assert!(k.id >= 0);
        assert_ne!(inlet::update_key(&u("a", "m2")), Some(k));
        assert_ne!(inlet::update_key(&u("b", "m1")), Some(k));
    }

    #[test]
    fn zalo_errors_mean_what_they_say_for_delivery() {
        use crate::outbox::SendError;
        let api = |code, retry_after| ApiError::Api {
            code,
            description: "x".into(),
            retry_after,
        };
        assert_eq!(
            send::classify(api(429, Some(Duration::from_secs(2)))),
            SendError::RetryAfter(Duration::from_secs(2))
        );
        assert!(matches!(send::classify(api(429, None)), SendError::RetryAfter(_)));
        assert!(matches!(send::classify(api(500, None)), SendError::Transient(_)));
        assert!(matches!(send::classify(api(502, None)), SendError::Transient(_)));
        assert_eq!(send::classify(api(403, None)), SendError::Unreachable);
        assert!(matches!(send::classify(api(400, None)), SendError::Permanent(_)));
        assert!(matches!(
            send::classify(ApiError::Network("reset".into())),
            SendError::Transient(_)
        ));
    }
}
