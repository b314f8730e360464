//! chibo-bot: collects a Party organisation's periodic report by chat.

pub mod adapters;
pub mod admin;
pub mod committee_report;
pub mod config;
pub mod domain;
pub mod engine;
pub mod export;
pub mod form;
pub mod message;
pub mod outbox;
pub mod reminders;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod template;
pub mod webapp;
