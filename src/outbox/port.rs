//! The channel port: the four things the outbox worker asks of a messaging channel, with
//! typed errors. A channel adapter only translates (its message types, its error codes);
//! when to retry, how fast to send and in what order is the worker's business.

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::Duration;

use crate::message::{Button, Channel, Document};

/// Why a call failed, as far as delivery is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// The person cannot be reached (blocked the bot, deleted the account).
    Unreachable,
    /// The channel asked to wait this long (Telegram's 429).
    RetryAfter(Duration),
    /// Worth trying again: a timeout, a dropped connection, a server error.
    Transient(String),
    /// Trying again will not help (a malformed request, a message that cannot be edited).
    Permanent(String),
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SendError::Unreachable => write!(f, "unreachable"),
            SendError::RetryAfter(d) => write!(f, "retry after {} s", d.as_secs()),
            SendError::Transient(e) => write!(f, "transient: {e}"),
            SendError::Permanent(e) => write!(f, "permanent: {e}"),
        }
    }
}

pub type PortFuture<'a> = Pin<Box<dyn Future<Output = Result<(), SendError>> + Send + 'a>>;

pub trait Port: Send + Sync {
    fn channel(&self) -> Channel;
    /// The longest text one message may carry; the worker splits longer ones on line breaks.
    fn max_text(&self) -> usize;
    fn send_text<'a>(&'a self, chat: i64, text: &'a str, buttons: &'a [Vec<Button>]) -> PortFuture<'a>;
    /// [`Port::send_text`] for a message that may wait for figures (`numeric`): a channel
    /// that shows buttons as numbered options must then tell a figure from a choice.
    fn send_message<'a>(
        &'a self,
        chat: i64,
        text: &'a str,
        buttons: &'a [Vec<Button>],
        numeric: bool,
    ) -> PortFuture<'a> {
        let _ = numeric;
        self.send_text(chat, text, buttons)
    }
    /// Replaces the text of an earlier message. `Permanent` means it cannot be edited (too
    /// old, deleted): the worker then sends the text as a new message.
    fn edit_text<'a>(&'a self, chat: i64, message_id: i32, text: &'a str, buttons: &'a [Vec<Button>])
    -> PortFuture<'a>;
    /// Stops the spinner of a pressed button.
    fn answer_button<'a>(&'a self, callback_id: &'a str) -> PortFuture<'a>;
    fn send_document<'a>(&'a self, chat: i64, document: &'a Document, caption: &'a str) -> PortFuture<'a>;
}

/// One call a [`RecordingPort`] received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    Send { chat: i64, text: String },
    Edit { chat: i64, message_id: i32, text: String },
    Answer { callback_id: String },
    Document { chat: i64, file_name: String },
}

/// A port for tests: records what succeeded and fails on demand.
#[derive(Default)]
pub struct RecordingPort {
    pub channel: Channel,
    calls: Mutex<Vec<Call>>,
    failures: Mutex<Vec<SendError>>,
}

impl RecordingPort {
    pub fn new(channel: Channel) -> RecordingPort {
        RecordingPort {
            channel,
            ..RecordingPort::default()
        }
    }
    /// The next calls fail with these errors, in order.
    pub fn fail_next(&self, errors: impl IntoIterator<Item = SendError>) {
        self.failures.lock().unwrap_or_else(|e| e.into_inner()).extend(errors);
    }
    /// The calls that succeeded, in order.
    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
    fn record(&self, call: Call) -> Result<(), SendError> {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if !failures.is_empty() {
            return Err(failures.remove(0));
        }
        self.calls.lock().unwrap_or_else(|e| e.into_inner()).push(call);
        Ok(())
    }
}

impl Port for RecordingPort {
    fn channel(&self) -> Channel {
        self.channel
    }
    fn max_text(&self) -> usize {
        4000
    }
    fn send_text<'a>(&'a self, chat: i64, text: &'a str, _buttons: &'a [Vec<Button>]) -> PortFuture<'a> {
        let r = self.record(Call::Send {
            chat,
            text: text.to_owned(),
        });
        Box::pin(async move { r })
    }
    fn edit_text<'a>(
        &'a self,
        chat: i64,
        message_id: i32,
        text: &'a str,
        _buttons: &'a [Vec<Button>],
    ) -> PortFuture<'a> {
        let r = self.record(Call::Edit {
            chat,
            message_id,
            text: text.to_owned(),
        });
        Box::pin(async move { r })
    }
    fn answer_button<'a>(&'a self, callback_id: &'a str) -> PortFuture<'a> {
        let r = self.record(Call::Answer {
            callback_id: callback_id.to_owned(),
        });
        Box::pin(async move { r })
    }
    fn send_document<'a>(&'a self, chat: i64, document: &'a Document, _caption: &'a str) -> PortFuture<'a> {
        let r = self.record(Call::Document {
            chat,
            file_name: document.file_name.clone(),
        });
        Box::pin(async move { r })
    }
}

/// Splits a long text on line breaks into pieces of at most `max` characters.
pub fn split_text(text: &str, max: usize) -> Vec<String> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    for line in text.split('\n') {
        let mut line = line.to_owned();
        while line.chars().count() > max {
            let head: String = line.chars().take(max).collect();
            line = line.chars().skip(max).collect();
            if !cur.is_empty() {
                parts.push(std::mem::take(&mut cur));
            }
            parts.push(head);
        }
        if cur.chars().count() + line.chars().count() + 1 > max && !cur.is_empty() {
            parts.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push('\n');
        }
        cur.push_str(&line);
    }
    if !cur.is_empty() || parts.is_empty() {
        parts.push(cur);
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_texts_are_split_on_line_breaks_under_the_limit() {
        let line = "x".repeat(1500);
        let text = [line.as_str(); 5].join("\n");
        let parts = split_text(&text, 4000);
        assert_eq!(parts.len(), 3);
        assert!(parts.iter().all(|p| p.chars().count() <= 4000));
        assert_eq!(parts.join("\n"), text);
        assert_eq!(split_text("ngắn", 4000), vec!["ngắn".to_owned()]);
    }

    #[test]
    fn a_single_huge_line_is_cut() {
        let parts = split_text(&"y".repeat(9000), 4000);
        assert_eq!(parts.len(), 3);
        assert!(parts.iter().all(|p| p.chars().count() <= 4000));
    }
}
