//! Black-box tests: the real application, teloxide's real HTTP client, a fake Bot API
//! server on 127.0.0.1 and a real SQLite file in a temporary folder.

mod board;
mod browser;
mod committee_report;
mod console;
mod crash;
mod delivery;
mod delivery_wiring;
mod effort;
mod exactly_once;
mod fake_selftest;
mod fake_telegram;
mod fake_zalo;
mod helpers;
mod input_rules;
mod operations;
mod registration;
mod reminders;
mod reporting;
mod template;
mod webapp;
mod xlsx_edit;
mod zalo;
