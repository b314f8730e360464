//! The channel-agnostic conversation engine: an incoming event becomes one database
//! transaction (answers, conversation state, outgoing messages) and a list of messages.

pub mod batch;
pub mod board;
pub mod check;
mod documents;
pub mod export_args;
pub mod flow;
pub mod import;
pub mod web;
/// The message types, where the engine's code has always found them.
pub mod reply {
    pub use crate::message::*;
}
pub mod state;
#[cfg(test)]
mod tests;
pub mod text;
pub mod text_channel;
pub mod views;

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::Context;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use tracing::instrument;

use crate::domain;
use crate::form::Form;
use crate::store::{self, Campaign, Member, Store, Tx};
pub use batch::{Applied, Update, UpdateKey};
use check::UnitCtx;
use flow::{Env, Input, Write};
pub use reply::{Button, Channel, Delivery, Document, Outgoing, Reply};
use state::{Action, State};

/// What a step knows and produces besides its input and replies.
#[derive(Debug, Default)]
pub(crate) struct StepExtra {
    /// When the platform says the input was sent.
    pub sent_at: Option<DateTime<Utc>>,
    /// Send this unit's Excel template after the commit.
    pub template: Option<i64>,
    /// Messages to other chats (the board, told of a submission).
    pub others: Vec<Outgoing>,
    /// The unit whose report the step changed (marked started with the batch).
    pub touched: Option<i64>,
}

/// Who wrote, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatRef {
    pub channel: Channel,
    pub chat_id: i64,
    /// `None` when the platform gave no sender (channel posts, anonymous admins).
    pub user_id: Option<i64>,
    pub name: String,
    pub private: bool,
    /// The message whose button was pressed, for in-place edits.
    pub message_id: Option<i32>,
    /// When the platform says the input was sent; `None` where it does not say.
    pub sent_at: Option<DateTime<Utc>>,
}

/// An incoming event, already stripped of any platform type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inbound {
    Text(String),
    /// `/name args`; the name is lower-case, without `@botname`.
    Command {
        name: String,
        args: String,
    },
    /// Raw button data.
    Button(String),
    /// Photo, sticker, voice, location … (and a file a channel cannot fetch).
    Media,
    /// A file sent to the bot, fetched by the channel (at most [`crate::template::MAX_FILE_BYTES`]).
    File {
        name: String,
        bytes: Vec<u8>,
    },
    /// A file too large to fetch.
    FileTooLarge {
        name: String,
    },
    /// A file the channel has not fetched (yet): reaching the engine, it could not be.
    FileRef {
        id: String,
        name: String,
        size: u64,
    },
    /// An earlier message was edited (the answer it gave is not changed by that).
    Edited,
}

impl Inbound {
    /// Splits a typed line into a command or plain text.
    pub fn from_text(text: &str) -> Inbound {
        let t = text.trim();
        if let Some(rest) = t.strip_prefix('/') {
            let (head, args) = match rest.split_once(char::is_whitespace) {
                Some((h, a)) => (h, a.trim()),
                None => (rest, ""),
            };
            let name = head.split('@').next().unwrap_or(head).to_lowercase();
            if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Inbound::Command {
                    name,
                    args: args.to_owned(),
                };
            }
        }
        Inbound::Text(text.to_owned())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<store::StoreError> for EngineError {
    fn from(e: store::StoreError) -> Self {
        match e {
            store::StoreError::Unexpected(e) => EngineError::Unexpected(e),
        }
    }
}

#[derive(Clone)]
pub struct Engine {
    store: Store,
    form: Arc<Form>,
    /// Re-read at every step, so an operator's deadline change reaches the running bot.
    campaign: Arc<std::sync::RwLock<Campaign>>,
    tz: Tz,
    reminders: crate::config::ReminderSettings,
    /// `(channel, owner, how long)`: the sender in this process that a batch's messages of
    /// that channel are claimed for as they are committed (handed over without a claim).
    presend: Option<(Channel, String, chrono::Duration)>,
    /// The web form's public address, offered to Telegram secretaries as a Mini App button.
    webapp: Option<String>,
}

/// The deadline of a form as a UTC instant (the form gives a Vietnam date and time).
pub fn form_deadline(form: &Form, tz: Tz) -> anyhow::Result<DateTime<Utc>> {
    let date = form.deadline_date().context("form deadline")?;
    let time = chrono::NaiveTime::parse_from_str(&form.campaign.deadline_time, "%H:%M")
        .context("form deadline_time must be HH:MM")?;
    let local = date
        .and_time(time)
        .and_local_timezone(tz)
        .single()
        .context("deadline is not a valid local time")?;
    Ok(local.with_timezone(&Utc))
}

impl Engine {
    /// Binds the engine to the form's campaign (created on first start).
    pub async fn new(store: Store, form: Arc<Form>, tz: Tz, now: DateTime<Utc>) -> Result<Engine, EngineError> {
        let deadline = form_deadline(&form, tz)?;
        let mut tx = store.begin().await?;
        let campaign = store::ensure_campaign(&mut tx, &form.campaign.code, &form.campaign.name, deadline, now).await?;
        tx.commit().await.context("committing campaign")?;
        Ok(Engine {
            store,
            form,
            campaign: Arc::new(std::sync::RwLock::new(campaign)),
            tz,
            reminders: Default::default(),
            webapp: None,
            presend: None,
        })
    }

    /// Uses this reminder schedule (for `/nhacnho` and the scheduler).
    /// Offers the web form at `url` (Telegram only).
    pub fn with_webapp(mut self, url: &str) -> Engine {
        self.webapp = Some(url.to_owned());
        self
    }

    pub fn with_reminders(mut self, r: crate::config::ReminderSettings) -> Engine {
        self.reminders = r;
        self
    }

    /// Claims the messages of `channel` for the sender `owner` as they are committed.
    pub fn with_presend(mut self, channel: Channel, owner: &str, claim_for: std::time::Duration) -> Engine {
        let d = chrono::Duration::from_std(claim_for).unwrap_or_else(|_| chrono::Duration::seconds(60));
        self.presend = Some((channel, owner.to_owned(), d));
        self
    }

    /// The channel whose messages a batch claims for this process's sender, if any.
    pub fn presend_channel(&self) -> Option<Channel> {
        self.presend.as_ref().map(|(c, _, _)| *c)
    }

    pub fn reminder_settings(&self) -> &crate::config::ReminderSettings {
        &self.reminders
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn form(&self) -> &Form {
        &self.form
    }

    pub fn campaign(&self) -> Campaign {
        self.campaign
            .read()
            .map(|c| c.clone())
            .unwrap_or_else(|e| e.into_inner().clone())
    }

    /// Reloads the campaign row (the deadline may have been changed from the command line).
    pub async fn refresh_campaign(&self, conn: &mut sqlx::SqliteConnection) -> Result<(), EngineError> {
        let current = self.campaign();
        let fresh = store::campaign_by_id(conn, current.id).await?;
        if let Ok(mut c) = self.campaign.write() {
            *c = fresh;
        }
        Ok(())
    }

    pub fn tz(&self) -> Tz {
        self.tz
    }

    /// Handles one event in its own transaction (a batch of one, without an update key);
    /// the messages are committed to the outbox before they are returned, so a crash between
    /// commit and send loses nothing.
    #[instrument(name = "engine.handle", skip_all, fields(chat_id = chat.chat_id))]
    pub async fn handle(
        &self,
        chat: &ChatRef,
        input: Inbound,
        now: DateTime<Utc>,
    ) -> Result<Vec<Delivery>, EngineError> {
        let update = Update {
            key: None,
            chat: chat.clone(),
            input,
        };
        Ok(self.apply(vec![update], now).await?.deliveries)
    }

    fn out(&self, to: (Channel, i64), text: &str, buttons: Vec<Vec<Button>>, edit: Option<i32>) -> Outgoing {
        Outgoing {
            edit_message: edit,
            ..Outgoing::new(to.1, text, buttons).via(to.0)
        }
    }

    // ------------------------------------------------------------ registration

    async fn registration(
        &self,
        tx: &mut Tx,
        chat: &ChatRef,
        state: State,
        input: &Inbound,
        now: DateTime<Utc>,
    ) -> Result<(State, Vec<Reply>), EngineError> {
        let say = |t: &str| Reply {
            text: t.to_owned(),
            buttons: vec![],
            edit: false,
            numeric: false,
        };
        let board = &self.form.campaign.board;
        let code = match input {
            Inbound::Command { name, args } if name == "start" => {
                if args.is_empty() {
                    return Ok((State::AwaitInvite, vec![say(&text::ask_invite(board))]));
                }
                args.clone()
            }
            Inbound::Text(t) if state == State::AwaitInvite || domain::parse_invite_code(t).is_some() => t.clone(),
            _ => return Ok((State::AwaitInvite, vec![say(&text::ask_invite(board))])),
        };
        let Some(code) = domain::parse_invite_code(&code) else {
            return Ok((State::AwaitInvite, vec![say(text::NOT_A_CODE)]));
        };
        let Some(inv) = store::invite(tx, code).await? else {
            return Ok((State::AwaitInvite, vec![say(&text::invite_unknown(board))]));
        };
        if inv.used_at.is_some() {
            return Ok((State::AwaitInvite, vec![say(&text::invite_used(board))]));
        }
        let expires = store::parse_ts(&inv.expires_at).unwrap_or(now);
        if expires <= now {
            let d = domain::format_date(expires.with_timezone(&self.tz).date_naive());
            return Ok((State::AwaitInvite, vec![say(&text::invite_expired(&d, board))]));
        }
        let Some(user) = chat.user_id else {
            return Ok((State::AwaitInvite, vec![say(&text::invite_unknown(board))]));
        };
        let member_id = store::upsert_member(
            tx,
            chat.channel,
            user,
            chat.chat_id,
            &chat.name,
            &inv.role,
            inv.unit_id,
            now,
        )
        .await?;
        store::use_invite(tx, code, member_id, now).await?;
        let member = store::member_by_user(tx, user).await?.context("member just saved")?;
        if member.is_board() {
            let mut replies = vec![say(&text::welcome_board(&chat.name, board))];
            let menu = Inbound::Command {
                name: "menu".into(),
                args: String::new(),
            };
            replies.extend(self.board(tx, &member, State::Menu, menu, now, None).await?.replies);
            return Ok((State::Menu, replies));
        }
        let unit = match member.unit_id {
            Some(u) => store::unit_by_id(tx, u).await?,
            None => None,
        };
        let unit_name = unit.map(|u| u.name).unwrap_or_default();
        // Straight on with the report: the cell types first (or wherever it stands).
        let mut extra = StepExtra::default();
        let go = Inbound::Command {
            name: "tieptuc".into(),
            args: String::new(),
        };
        let (next, mut replies) = self.secretary(tx, &member, State::Menu, go, now, &mut extra).await?;
        replies.insert(0, say(&text::welcome_secretary(&chat.name, &unit_name)));
        Ok((next, flow::merge(replies)))
    }

    // ------------------------------------------------------------ secretary

    /// Loads what the pure step needs about a unit's report.
    pub async fn unit_ctx(&self, tx: &mut Tx, unit_id: i64) -> Result<(UnitCtx, store::Report), EngineError> {
        let d = store::unit_data(tx, self.campaign().id, unit_id)
            .await?
            .context("member's unit is missing")?;
        Ok((self.ctx_from(&d.unit, d.rows, d.answers, d.confirmed), d.report))
    }

    pub async fn load_ctx(
        &self,
        conn: &mut sqlx::SqliteConnection,
        unit: &store::Unit,
    ) -> Result<(UnitCtx, store::Report), EngineError> {
        let c = self.campaign().id;
        let report = store::report(conn, c, unit.id).await?;
        let chosen = store::report_rows(conn, c, unit.id).await?;
        let answers = store::answers(conn, c, unit.id)
            .await?
            .into_iter()
            .map(|a| (a.key, a.row, a.value))
            .collect();
        let confirmed = store::confirmed_warnings(conn, c, unit.id)
            .await?
            .into_iter()
            .map(|w| (w.rule_id, w.row))
            .collect();
        Ok((self.ctx_from(unit, chosen, answers, confirmed), report))
    }

    /// A unit's context from its stored parts (one unit's reads or a bulk read).
    pub fn ctx_from(
        &self,
        unit: &store::Unit,
        chosen: Vec<String>,
        answers: Vec<(String, String, Option<String>)>,
        confirmed: Vec<(String, String)>,
    ) -> UnitCtx {
        let rows_chosen = !chosen.is_empty();
        let wanted = if rows_chosen { chosen } else { unit.default_cell_types() };
        let rows: Vec<String> = self
            .form
            .cell_types
            .iter()
            .filter(|t| wanted.iter().any(|w| w.eq_ignore_ascii_case(&t.code)))
            .map(|t| t.code.clone())
            .collect();
        let answers: HashMap<(String, String), Option<String>> =
            answers.into_iter().map(|(k, r, v)| ((k, r), v)).collect();
        UnitCtx {
            unit_name: unit.name.clone(),
            chi_bo: unit.is_chi_bo(),
            commune: unit.commune,
            rows,
            rows_chosen,
            answers,
            confirmed,
        }
    }

    /// The deadline's date in the campaign's time zone.
    pub fn deadline_day(&self) -> chrono::NaiveDate {
        self.campaign().deadline.with_timezone(&self.tz).date_naive()
    }

    /// Whole days from `now`'s local date to the deadline day (negative when overdue).
    pub fn days_left(&self, now: DateTime<Utc>) -> i64 {
        (self.deadline_day() - now.with_timezone(&self.tz).date_naive()).num_days()
    }

    pub fn local_text(&self, t: DateTime<Utc>) -> String {
        t.with_timezone(&self.tz).format("%d/%m/%Y %H:%M").to_string()
    }

    async fn secretary(
        &self,
        tx: &mut Tx,
        m: &Member,
        state: State,
        input: Inbound,
        now: DateTime<Utc>,
        extra: &mut StepExtra,
    ) -> Result<(State, Vec<Reply>), EngineError> {
        let unit_id = m.unit_id.context("secretary without unit")?;
        // Files and their confirmation are the engine's, not the pure flow's.
        match &input {
            Inbound::File { name, bytes } => {
                return Ok((import::AFTER_FILE, self.upload(tx, m, name, bytes, now).await?));
            }
            Inbound::FileTooLarge { name } => return Ok((state, vec![import::unfetched(name, true)])),
            Inbound::FileRef { name, .. } => return Ok((state, vec![import::unfetched(name, false)])),
            Inbound::Button(data) => match Action::decode(data) {
                Some(Action::ImportApply) => {
                    return Ok((import::AFTER_FILE, self.import_decision(tx, m, true, now, extra).await?));
                }
                Some(Action::ImportCancel) => {
                    return Ok((
                        import::AFTER_FILE,
                        self.import_decision(tx, m, false, now, extra).await?,
                    ));
                }
                _ => {}
            },
            _ => {}
        }
        let (ctx, report) = self.unit_ctx(tx, unit_id).await?;
        let env = Env {
            today: now.with_timezone(&self.tz).date_naive(),
            deadline: self.deadline_day(),
            now_text: self.local_text(now),
            past_deadline: now > self.campaign().deadline,
            status: report.status,
            submitted_text: report.submitted_at.map(|t| self.local_text(t)),
            sent_at: extra.sent_at.map(|t| t.timestamp()),
            files: m.channel().sends_documents(),
            webapp: self.webapp.clone().filter(|_| m.channel() == Channel::Telegram),
        };
        let input = match input {
            Inbound::Text(t) => Input::Text(t),
            Inbound::Command { name, args } => Input::Command { name, args },
            Inbound::Button(data) => match Action::decode(&data) {
                Some(a) => Input::Button(a),
                None => Input::StaleButton,
            },
            Inbound::Media | Inbound::File { .. } | Inbound::FileTooLarge { .. } | Inbound::FileRef { .. } => {
                Input::Media
            }
            Inbound::Edited => Input::Edited,
        };
        let step = flow::step(&self.form, &env, ctx, state, input);
        let c = self.campaign().id;
        // Answers are saved together (one statement), in order with the other writes.
        let mut answers: Vec<(String, String, Option<String>)> = Vec::new();
        let touched = step
            .writes
            .iter()
            .any(|w| matches!(w, Write::Answer { .. } | Write::Rows(_)));
        if touched {
            // Marked started once per batch, with the batch's other writes.
            extra.touched = Some(unit_id);
        }
        for w in step.writes {
            if let Write::Answer { key, row, value } = w {
                answers.push((key, row, value));
                continue;
            }
            store::set_answers(tx, c, unit_id, &std::mem::take(&mut answers), Some(m.id), now).await?;
            match w {
                Write::Answer { .. } => {}
                Write::Rows(rows) => store::set_report_rows(tx, c, unit_id, &rows).await?,
                Write::ClearWarnings { row, table } => {
                    let rules = table.map(|t| flow::rules_reading(&self.form, &t));
                    store::clear_warnings(tx, c, unit_id, &row, rules.as_deref()).await?
                }
                Write::ConfirmWarning { rule, row, message } => {
                    store::confirm_warning(tx, c, unit_id, &rule, &row, &message, Some(m.id), now).await?
                }
                Write::Submit { .. } => {
                    store::set_status(tx, c, unit_id, store::Status::Submitted, Some(m.id), None, now).await?
                }
                Write::NotifyBoard(t) => {
                    for b in store::board_members(tx).await? {
                        if b.unreachable_at.is_none() {
                            extra.others.push(self.out((b.channel(), b.chat_id), &t, vec![], None));
                        }
                    }
                }
                Write::SendTemplate => extra.template = Some(unit_id),
            }
        }
        store::set_answers(tx, c, unit_id, &answers, Some(m.id), now).await?;
        Ok((step.next, step.replies))
    }
}
