//! Channels on top of the engine: Telegram, Zalo and a local console chat. Text-only
//! channels share one rendering of buttons as numbered options ([`text_only`]).

pub mod console;
pub mod telegram;
pub mod text_only;
pub mod zalo;
