//! One message's journey through a port: the rate limits, the parts of a long text, an edit
//! that becomes a message when it is refused; a button's answer; the pause between attempts.

use std::sync::Arc;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter};
use tokio::time::Instant;

use super::{Item, Policy, Port, SendError, port};

pub(super) fn pause(policy: &Policy, attempts: u32) -> Duration {
    let factor = 2u32.saturating_pow(attempts.saturating_sub(1).min(16));
    (policy.first_pause * factor).min(policy.max_pause)
}

/// Sends one message (all its parts), waiting for the rate limits first.
pub(super) async fn send(
    port: &dyn Port,
    overall: &DefaultDirectRateLimiter,
    per_chat: &DefaultKeyedRateLimiter<i64>,
    item: &mut Item,
) -> Result<(), SendError> {
    let m = &item.message;
    let chat = m.chat_id;
    if let Some(doc) = &m.document {
        per_chat.until_key_ready(&chat).await;
        overall.until_ready().await;
        return port.send_document(chat, doc, &m.text).await;
    }
    let parts = port::split_text(&m.text, port.max_text());
    let last = parts.len() - 1;
    while item.part <= last {
        let i = item.part;
        let buttons: &[Vec<crate::message::Button>] = if i == last { &m.buttons } else { &[] };
        per_chat.until_key_ready(&chat).await;
        overall.until_ready().await;
        let edit = if i == 0 && !item.as_new { m.edit_message } else { None };
        match edit {
            Some(message_id) => match port.edit_text(chat, message_id, &parts[i], buttons).await {
                Ok(()) => {}
                Err(SendError::Permanent(_)) => {
                    // Too old or gone: the text goes out as a new message.
                    item.as_new = true;
                    continue;
                }
                Err(e) => return Err(e),
            },
            None => port.send_message(chat, &parts[i], buttons, m.numeric).await?,
        }
        item.part += 1;
    }
    Ok(())
}

/// Answers a button press, retrying while the press is still valid.
pub(super) async fn answer(port: Arc<dyn Port>, id: String, policy: Policy) {
    let until = Instant::now() + policy.answer_valid_for;
    let mut attempts = 0;
    loop {
        let wait = match port.answer_button(&id).await {
            Ok(()) | Err(SendError::Unreachable | SendError::Permanent(_)) => return,
            Err(SendError::RetryAfter(d)) => d,
            Err(SendError::Transient(e)) => {
                attempts += 1;
                tracing::debug!(error = %e, "answering a button failed; trying again");
                pause(&policy, attempts)
            }
        };
        if Instant::now() + wait > until {
            tracing::info!("a button press could not be answered in time");
            return;
        }
        tokio::time::sleep(wait).await;
    }
}
