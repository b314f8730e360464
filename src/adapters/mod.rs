//! Channels on top of the engine: Telegram and a local console chat.

pub mod console;
pub mod telegram;
