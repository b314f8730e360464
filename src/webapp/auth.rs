//! Telegram Mini App authentication: the `initData` the page is launched with, signed by
//! Telegram with a key derived from the bot token. Checked on every API call.
//!
//! The check string is every `key=value` pair but `hash`, sorted by key, joined by newlines;
//! the secret key is HMAC-SHA256 of the bot token keyed with "WebAppData"; the hash is
//! HMAC-SHA256 of the check string with that key, compared in constant time.

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// How long a launch stays valid.
pub const MAX_AGE: Duration = Duration::hours(1);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("no initData")]
    Missing,
    #[error("initData is not signed by this bot")]
    BadSignature,
    #[error("initData is older than an hour")]
    Expired,
    #[error("initData has no user")]
    NoUser,
}

/// The Telegram user of a valid `initData`.
pub fn verify(init_data: &str, bot_token: &str, now: DateTime<Utc>) -> Result<i64, AuthError> {
    if init_data.trim().is_empty() {
        return Err(AuthError::Missing);
    }
    let mut pairs: Vec<(String, String)> = url::form_urlencoded::parse(init_data.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let hash = pairs
        .iter()
        .position(|(k, _)| k == "hash")
        .map(|i| pairs.remove(i).1)
        .ok_or(AuthError::BadSignature)?;
    let expected = hex_decode(&hash).ok_or(AuthError::BadSignature)?;
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    let check: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(&secret_key(bot_token)).map_err(|_| AuthError::BadSignature)?;
    mac.update(check.join("\n").as_bytes());
    mac.verify_slice(&expected).map_err(|_| AuthError::BadSignature)?;
    let field = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let signed_at = field("auth_date")
        .and_then(|d| d.parse::<i64>().ok())
        .and_then(|s| DateTime::from_timestamp(s, 0))
        .ok_or(AuthError::BadSignature)?;
    if now - signed_at > MAX_AGE {
        return Err(AuthError::Expired);
    }
    let user: serde_json::Value = field("user")
        .and_then(|u| serde_json::from_str(u).ok())
        .ok_or(AuthError::NoUser)?;
    user.get("id")
        .and_then(serde_json::Value::as_i64)
        .ok_or(AuthError::NoUser)
}

fn secret_key(bot_token: &str) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(b"WebAppData").expect("any key length");
    mac.update(bot_token.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

fn hex_decode(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Signs launch data as Telegram does: for tests and the local demo.
pub fn sign(fields: &[(&str, String)], bot_token: &str) -> String {
    let mut sorted: Vec<&(&str, String)> = fields.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    let check: Vec<String> = sorted.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&secret_key(bot_token)).expect("any key length");
    mac.update(check.join("\n").as_bytes());
    let hash: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields {
        out.append_pair(k, v);
    }
    out.append_pair("hash", &hash);
    out.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "123456:TEST";

    fn launch(user: i64, at: DateTime<Utc>) -> String {
        sign(
            &[
                ("auth_date", at.timestamp().to_string()),
                ("query_id", "AAH".into()),
                ("user", format!(r#"{{"id":{user},"first_name":"Minh"}}"#)),
            ],
            TOKEN,
        )
    }

    #[test]
    fn signed_launch_data_names_its_user_and_anything_else_is_refused() {
        let now = Utc::now();
        assert_eq!(verify(&launch(42, now), TOKEN, now), Ok(42));
        assert_eq!(verify(&launch(42, now), "999:OTHER", now), Err(AuthError::BadSignature));
        let forged = launch(42, now).replace("%22id%22%3A42", "%22id%22%3A43");
        assert_ne!(forged, launch(42, now));
        assert_eq!(verify(&forged, TOKEN, now), Err(AuthError::BadSignature));
        let old = now - Duration::minutes(61);
        assert_eq!(verify(&launch(42, old), TOKEN, now), Err(AuthError::Expired));
        assert_eq!(verify("", TOKEN, now), Err(AuthError::Missing));
        assert_eq!(verify("user=1&hash=zz", TOKEN, now), Err(AuthError::BadSignature));
    }
}
