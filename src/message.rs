//! Messages, channel-agnostic: what the engine says (text with buttons, a document) and
//! where it goes (a channel and that channel's chat id). Below both the engine and the store.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Button {
    pub label: String,
    /// Encoded `crate::engine::state::Action`.
    pub data: String,
    /// Opens this web page inside the chat instead (Telegram's Mini App); channels without
    /// web pages leave such a button out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web_app: Option<String>,
}

impl Button {
    pub fn new(label: impl Into<String>, data: impl Into<String>) -> Button {
        Button {
            label: label.into(),
            data: data.into(),
            web_app: None,
        }
    }

    /// A button that opens `url` as a Mini App.
    pub fn web_app(label: impl Into<String>, url: impl Into<String>) -> Button {
        Button {
            label: label.into(),
            data: String::new(),
            web_app: Some(url.into()),
        }
    }
}

/// One message to the chat the input came from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    pub text: String,
    pub buttons: Vec<Vec<Button>>,
    /// Replace the message whose button was pressed, instead of sending a new one.
    #[serde(default)]
    pub edit: bool,
    /// The bot now waits for figures (a table row): a channel whose buttons are pressed by
    /// typing a number (the console) must then tell the two apart.
    #[serde(default)]
    pub numeric: bool,
}

/// The messaging channel of an address; with the channel's own chat id it says where a
/// message goes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    #[default]
    Telegram,
    Console,
    Zalo,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Telegram => "telegram",
            Channel::Console => "console",
            Channel::Zalo => "zalo",
        }
    }

    /// Unknown names read as Telegram (the only channel before addresses were stored).
    pub fn parse(s: &str) -> Channel {
        match s {
            "console" => Channel::Console,
            "zalo" => Channel::Zalo,
            _ => Channel::Telegram,
        }
    }

    /// Whether the channel can deliver a file (the board's workbook). Zalo's Bot API sends
    /// text, photos by URL and stickers only.
    pub fn sends_documents(self) -> bool {
        !matches!(self, Channel::Zalo)
    }
}

/// A message to deliver, with its outbox id once committed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outgoing {
    #[serde(default)]
    pub channel: Channel,
    pub chat_id: i64,
    pub text: String,
    pub buttons: Vec<Vec<Button>>,
    /// The message to edit in place (the one whose button was pressed).
    #[serde(default)]
    pub edit_message: Option<i32>,
    /// See [`Reply::numeric`].
    #[serde(default)]
    pub numeric: bool,
    #[serde(skip)]
    pub document: Option<Document>,
}

impl Outgoing {
    /// A plain message with buttons to `chat_id`.
    pub fn new(chat_id: i64, text: impl Into<String>, buttons: Vec<Vec<Button>>) -> Outgoing {
        Outgoing {
            channel: Channel::Telegram,
            chat_id,
            text: text.into(),
            buttons,
            edit_message: None,
            numeric: false,
            document: None,
        }
    }

    /// The same message on another channel.
    pub fn via(mut self, channel: Channel) -> Outgoing {
        self.channel = channel;
        self
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// An outgoing message and its outbox row (to mark it delivered).
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub outbox_id: Option<i64>,
    pub message: Outgoing,
}
