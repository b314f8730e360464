//! What the tests see of the fake: the failures they inject and what the bot sent.

use super::*;

/// An error to inject with [`FakeTelegram::fail_next`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// HTTP 429 with `parameters.retry_after`; teloxide: `RequestError::RetryAfter`.
    TooManyRequests { retry_after: u32 },
    /// HTTP 403 "Forbidden: bot was blocked by the user"; teloxide:
    /// `RequestError::Api(ApiError::BotBlocked)`.
    Forbidden,
    /// `{"ok":false,"error_code":500,"description":"Internal Server Error"}`
    /// sent with HTTP status 200; teloxide: `ApiError::Unknown(..)`. The status
    /// is 200 because teloxide sleeps 10 s before reading any 5xx answer.
    ServerError,
    /// The same as [`Failure::ServerError`] with the real HTTP status 500:
    /// teloxide then waits 10 s before it returns the error.
    ServerErrorHttp500,
    /// Any other error; `code` is used as the HTTP status too.
    Api { code: u16, description: String },
    /// The call is carried out (the message is sent) but the answer comes only after
    /// `after`: a client with a shorter timeout sees a timeout for a call that succeeded.
    SlowAnswer { after: Duration },
    /// The connection is dropped before any answer; nothing is carried out.
    DroppedConnection,
}

/// One button of an inline keyboard.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Button {
    pub text: String,
    /// `callback_data`.
    pub data: Option<String>,
    pub url: Option<String>,
    /// `web_app.url`: a Mini App button.
    pub web_app: Option<String>,
}

/// Something the bot did that a user sees, in the order it happened.
#[derive(Clone, Debug)]
pub struct Sent {
    /// `sendMessage`, `editMessageText`, `editMessageReplyMarkup`,
    /// `sendDocument` or `deleteMessage`.
    pub method: String,
    pub chat_id: i64,
    /// The new message's id, or the id of the message edited / deleted.
    pub message_id: i64,
    /// The message text as the user sees it (markup of `parse_mode` removed).
    /// For `editMessageReplyMarkup`, the message's current text.
    pub text: Option<String>,
    /// The message's inline keyboard after this action (empty if none).
    pub buttons: Vec<Vec<Button>>,
    /// Labels of a reply keyboard (`reply_markup.keyboard`), if one was sent.
    pub reply_keyboard: Vec<Vec<String>>,
    /// `(file name, bytes)` of a `sendDocument`; for a document sent by
    /// file id or URL, `(that string, empty)`.
    pub document: Option<(String, Vec<u8>)>,
    /// Caption as the user sees it.
    pub caption: Option<String>,
    pub parse_mode: Option<String>,
    /// The request's parameters, as [`FakeTelegram::calls`] gives them.
    pub raw: Value,
}

impl Sent {
    /// The first inline button whose label contains `label_contains`.
    pub fn button(&self, label_contains: &str) -> Option<&Button> {
        self.buttons.iter().flatten().find(|b| b.text.contains(label_contains))
    }

    pub fn has_button(&self, label_contains: &str) -> bool {
        self.button(label_contains).is_some()
    }

    /// The `callback_data` of the first inline button whose label contains
    /// `label_contains`.
    pub fn button_data(&self, label_contains: &str) -> Option<&str> {
        self.button(label_contains)?.data.as_deref()
    }

    /// All inline button labels, row by row flattened.
    pub fn button_labels(&self) -> Vec<&str> {
        self.buttons.iter().flatten().map(|b| b.text.as_str()).collect()
    }

    /// The text, else the caption, else "".
    pub fn text_or_caption(&self) -> &str {
        self.text.as_deref().or(self.caption.as_deref()).unwrap_or("")
    }
}
