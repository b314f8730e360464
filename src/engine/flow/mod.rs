//! The pure conversation step for a registered secretary: (state, input) -> (next state,
//! writes, replies). No I/O and no clock: everything comes in through [`Env`] and [`UnitCtx`].
//!
//! Every input gets exactly one reply: what was saved, then what comes next, in one message.
//! The report is walked in one line: cell types, the outline, the table rows, the header
//! fields, the review; each part hands over to the next by itself.
//!
//! Split by the report's parts: [`outline`], [`tables`], [`fields`], [`shortcuts`],
//! [`review`].

mod fields;
mod outline;
mod review;
mod shortcuts;
mod tables;

use chrono::NaiveDate;

pub use self::fields::field_findings;
pub use self::review::answer_findings;
pub use self::tables::rules_reading;
use super::check::UnitCtx;
use super::reply::{Button, Reply};
use super::state::{Action, State};
use super::text;
use crate::domain;
use crate::form::Form;
use crate::store::Status;

/// What the step needs to know besides the unit's answers.
#[derive(Debug, Clone)]
pub struct Env {
    /// Today in Vietnam.
    pub today: NaiveDate,
    /// "10/12/2023"
    pub deadline: NaiveDate,
    /// "dd/mm/yyyy hh:mm" of now, Vietnam time (for the submission receipt).
    pub now_text: String,
    pub past_deadline: bool,
    pub status: Status,
    /// When the report was submitted, "dd/mm/yyyy hh:mm".
    pub submitted_text: Option<String>,
    /// When the platform says the input was sent (unix seconds), if it says.
    pub sent_at: Option<i64>,
    /// The channel can carry files (the Excel template).
    pub files: bool,
    /// The web form's address, where the channel can open it.
    pub webapp: Option<String>,
}

/// An input the secretary gave.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    Text(String),
    Command {
        name: String,
        args: String,
    },
    Button(Action),
    /// Callback data that does not decode.
    StaleButton,
    /// A photo, sticker, voice note, document …
    Media,
    /// An earlier message was edited.
    Edited,
}

/// A change to persist in the same transaction as the new state.
#[derive(Debug, Clone, PartialEq)]
pub enum Write {
    Answer {
        key: String,
        row: String,
        value: Option<String>,
    },
    Rows(Vec<String>),
    /// Forget confirmations on `row` for the rules reading `table` (all, for a header field).
    ClearWarnings {
        row: String,
        table: Option<String>,
    },
    ConfirmWarning {
        rule: String,
        row: String,
        message: String,
    },
    Submit {
        again: bool,
    },
    NotifyBoard(String),
    /// Send the unit's Excel template; the reply is its caption.
    SendTemplate,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub next: State,
    pub writes: Vec<Write>,
    pub replies: Vec<Reply>,
}

struct Flow<'a> {
    form: &'a Form,
    env: &'a Env,
    ctx: UnitCtx,
    writes: Vec<Write>,
    replies: Vec<Reply>,
}

pub fn step(form: &Form, env: &Env, ctx: UnitCtx, state: State, input: Input) -> Step {
    let mut f = Flow {
        form,
        env,
        ctx,
        writes: Vec::new(),
        replies: Vec::new(),
    };
    let next = f.dispatch(state, input);
    let mut replies = merge(f.replies);
    if matches!(next, State::Row { .. } | State::ConfirmRow { .. })
        && let Some(last) = replies.last_mut()
    {
        last.numeric = true;
    }
    Step {
        next,
        writes: f.writes,
        replies,
    }
}

/// One reply per input: a receipt and the next screen become one message (one notification
/// on the phone). It replaces the pressed message when the first part would have, and keeps
/// the last buttons given.
pub fn merge(replies: Vec<Reply>) -> Vec<Reply> {
    if replies.len() < 2 {
        return replies;
    }
    let edit = replies[0].edit;
    let mut text = String::new();
    let mut buttons = Vec::new();
    let mut numeric = false;
    for r in replies {
        if !text.is_empty() {
            text.push_str("\n\n");
        }
        text.push_str(&r.text);
        if !r.buttons.is_empty() {
            buttons = r.buttons;
        }
        numeric = r.numeric;
    }
    vec![Reply {
        text,
        buttons,
        edit,
        numeric,
    }]
}

fn btn(label: impl Into<String>, action: Action) -> Button {
    Button::new(label.into(), action.encode())
}

fn menu_row() -> Vec<Button> {
    vec![btn(text::BTN_MENU, Action::Menu)]
}

impl Flow<'_> {
    fn say(&mut self, text: impl Into<String>, buttons: Vec<Vec<Button>>) {
        self.replies.push(Reply {
            text: text.into(),
            buttons,
            edit: false,
            numeric: false,
        });
    }

    /// A navigation screen: replaces the message whose button was pressed, when it is the
    /// first reply (so menus do not pile up in the chat).
    fn screen(&mut self, text: impl Into<String>, buttons: Vec<Vec<Button>>) {
        self.replies.push(Reply {
            text: text.into(),
            buttons,
            edit: true,
            numeric: false,
        });
    }

    fn board(&self) -> &str {
        &self.form.campaign.board
    }

    fn set_answer(&mut self, key: &str, row: &str, value: Option<String>) {
        if self.ctx.get(key, row) == Some(&value) {
            return;
        }
        if row.is_empty() && self.ctx.confirmed.iter().any(|(_, r)| r == key) {
            // A changed answer needs its warning confirmed again.
            self.ctx.confirmed.retain(|(_, r)| r != key);
            self.writes.push(Write::ClearWarnings {
                row: key.to_owned(),
                table: None,
            });
        }
        self.ctx.set(key, row, value.clone());
        self.writes.push(Write::Answer {
            key: key.to_owned(),
            row: row.to_owned(),
            value,
        });
    }

    fn dispatch(&mut self, state: State, input: Input) -> State {
        match input {
            Input::Command { name, args } => self.command(state, &name, args.trim()),
            Input::Button(a) => self.button(state, a),
            Input::StaleButton => {
                self.say(text::STALE_BUTTON, vec![]);
                self.reprompt(state)
            }
            Input::Media => {
                self.say(text::MEDIA_REFUSED, vec![]);
                self.reprompt(state)
            }
            Input::Edited => {
                self.say(text::EDIT_IGNORED, vec![]);
                self.reprompt(state)
            }
            Input::Text(t) => self.text(state, &t),
        }
    }

    fn locked(&self) -> bool {
        self.env.status.locked()
    }

    fn refuse_locked(&mut self) -> State {
        let when = match self.env.submitted_text.as_deref() {
            Some(w) if !w.is_empty() => format!("lúc {w}"),
            _ => String::new(),
        };
        self.say(
            text::locked(&when, self.board()),
            vec![vec![
                btn(text::BTN_REVIEW, Action::Review),
                btn(text::BTN_MENU, Action::Menu),
            ]],
        );
        State::Menu
    }

    // ------------------------------------------------------------ commands

    fn command(&mut self, state: State, name: &str, args: &str) -> State {
        match name {
            "start" | "menu" => self.menu(),
            "huy" => {
                self.say(text::CANCELLED, vec![]);
                self.menu()
            }
            "trogiup" | "help" => self.help(),
            "tieptuc" => self.resume(),
            "decuong" => self.outline(),
            "bieu" => self.tables(),
            "loaihinh" => {
                if self.locked() {
                    return self.refuse_locked();
                }
                let selected = self.ctx.rows.clone();
                self.pick_types(selected)
            }
            "thongtin" => self.fields(),
            "kiemtra" => self.review(),
            "nop" => self.submit(),
            "nhap" => self.nhap(state, args),
            "traloi" => self.traloi(state, args),
            "goiy" => self.guide(args),
            "mau" => self.template(),
            "tonghop" | "tiendo" | "xem" | "tralai" | "duyet" | "nhacnho" | "baocao" => {
                self.say(text::board_only(self.board()), vec![]);
                self.reprompt(state)
            }
            other => {
                self.say(text::unknown_command(other), vec![]);
                self.reprompt(state)
            }
        }
    }

    /// Repeats what the current step waits for, so no input is left without guidance.
    fn reprompt(&mut self, state: State) -> State {
        match state {
            State::Answer { node, replace, .. } => self.open_node(&node, replace, None),
            State::ConfirmAnswer { node } => {
                self.say(text::WAITING_CONFIRM, review::confirm_buttons());
                State::ConfirmAnswer { node }
            }
            State::Field { id, guided } => self.open_field(&id, guided),
            State::ConfirmField { id, guided } => {
                self.say(text::WAITING_CONFIRM, review::confirm_buttons());
                State::ConfirmField { id, guided }
            }
            State::PickTypes { selected } => self.pick_types(selected),
            State::Row { table, row } => self.open_row(&table, &row, false),
            State::ConfirmRow { table, row, rules } => {
                self.say(text::WAITING_CONFIRM, review::confirm_buttons());
                State::ConfirmRow { table, row, rules }
            }
            State::ConfirmSubmit { .. } => {
                self.say(text::WAITING_SUBMIT, review::submit_buttons());
                State::ConfirmSubmit { second: false }
            }
            State::Menu | State::AwaitInvite | State::BoardReason { .. } => self.menu(),
        }
    }

    // ------------------------------------------------------------ buttons

    fn button(&mut self, state: State, a: Action) -> State {
        let editing = matches!(
            a,
            Action::Open(_)
                | Action::OutlineNext
                | Action::Done
                | Action::Append(_)
                | Action::Replace(_)
                | Action::Skip
                | Action::Prev
                | Action::Rewrite
                | Action::NotApplicable
                | Action::TablesNext
                | Action::Row(..)
                | Action::Toggle(_)
                | Action::TypesDone
                | Action::TypesEdit
                | Action::Confirm
                | Action::Fix
                | Action::FieldsNext
                | Action::Field(_)
                | Action::Submit
                | Action::SubmitYes
        );
        if editing && self.locked() {
            return self.refuse_locked();
        }
        match (a, state) {
            (Action::Menu, _) => self.menu(),
            (Action::Help, _) => self.help(),
            (Action::Resume, _) => self.resume(),
            (Action::Template, _) => self.template(),
            (Action::Outline, _) => self.outline(),
            (Action::OutlineNext, _) => self.outline_next(None),
            (Action::Section(s), _) => self.section(&s),
            (Action::Open(n), _) => self.open_node(&n, false, None),
            (Action::Guide(n), state) => {
                self.guide(&n);
                state
            }
            (Action::Append(n), _) => self.open_node(&n, false, None),
            (Action::Replace(n), _) | (Action::Rewrite, State::Answer { node: n, .. }) => {
                self.say(text::REWRITE_READY, vec![menu_row()]);
                State::Answer {
                    node: n,
                    replace: true,
                    prev: None,
                }
            }
            (Action::Done | Action::Skip, State::Answer { node, .. }) => self.after_node(&node),
            (Action::Prev, State::Answer { node, .. }) => self.prev_node(&node),
            (Action::NotApplicable, State::Answer { node, .. }) => self.not_applicable(&node),
            (Action::Confirm, State::ConfirmAnswer { node }) => self.confirm_answer(&node),
            (Action::Fix, State::ConfirmAnswer { node }) => self.open_node(&node, false, None),
            (Action::Tables, _) => self.tables(),
            (Action::TablesNext, _) => self.tables_next(None),
            (Action::Table(t), _) => self.table(&t),
            (Action::Row(t, r), _) => self.open_row(&t, &r, false),
            (Action::Columns(t, r), _) => self.open_row(&t, &r, true),
            (Action::TypesEdit, _) => {
                let selected = self.ctx.rows.clone();
                self.pick_types(selected)
            }
            (Action::Toggle(code), State::PickTypes { selected }) => self.toggle_type(selected, &code),
            (Action::TypesDone, State::PickTypes { selected }) => self.types_done(selected),
            (Action::Confirm, State::ConfirmRow { table, row, rules }) => self.confirm_row(&table, &row, &rules),
            (Action::Fix, State::ConfirmRow { table, row, .. }) => {
                self.say(text::ROW_FIX, vec![]);
                self.open_row(&table, &row, false)
            }
            (Action::Confirm, State::ConfirmField { id, guided }) => self.confirm_field(&id, guided),
            (Action::Fix, State::ConfirmField { id, guided }) => self.open_field(&id, guided),
            (Action::Fields, _) => self.fields(),
            (Action::FieldsNext, _) => self.fields_next(),
            (Action::Field(id), _) => match self.form.report_field(&id) {
                Some(f) => {
                    let id = f.id.clone();
                    self.open_field(&id, false)
                }
                None => {
                    self.say(text::STALE_BUTTON, vec![]);
                    self.menu()
                }
            },
            (Action::Review, _) => self.review(),
            (Action::Submit, _) => self.submit(),
            (Action::SubmitYes, State::ConfirmSubmit { .. }) => self.submit_yes(),
            // A button from an older message whose step is over.
            (_, state) => {
                self.say(text::STALE_BUTTON, vec![]);
                self.reprompt(state)
            }
        }
    }

    // ------------------------------------------------------------ free text

    fn text(&mut self, state: State, t: &str) -> State {
        if self.locked()
            && matches!(
                state,
                State::Answer { .. }
                    | State::ConfirmAnswer { .. }
                    | State::Field { .. }
                    | State::ConfirmField { .. }
                    | State::Row { .. }
                    | State::ConfirmRow { .. }
            )
        {
            return self.refuse_locked();
        }
        match state {
            State::Answer { node, replace, prev } => self.answer_text(&node, t, replace, prev),
            State::ConfirmAnswer { node } => self.answer_text(&node, t, false, None),
            State::Field { id, guided } | State::ConfirmField { id, guided } => self.field_input(&id, t, guided),
            State::Row { table, row } | State::ConfirmRow { table, row, .. } => self.row_input(&table, &row, t, false),
            State::PickTypes { selected } => self.types_typed(selected, t),
            State::ConfirmSubmit { .. } => {
                self.say(text::WAITING_SUBMIT, review::submit_buttons());
                State::ConfirmSubmit { second: false }
            }
            State::Menu | State::AwaitInvite | State::BoardReason { .. } => {
                self.say(text::MENU_HINT, vec![]);
                self.menu()
            }
        }
    }

    /// Opens the first thing still missing: the cell types, a heading, a table row, a header
    /// field, or else the review. Each part of the report hands over to the next through it.
    fn resume(&mut self) -> State {
        if self.locked() {
            return self.refuse_locked();
        }
        if !self.ctx.rows_chosen {
            let selected = self.ctx.rows.clone();
            return self.pick_types(selected);
        }
        if self.form.answer_nodes().any(|n| self.ctx.text(&n.id).is_none()) {
            return self.outline_next(None);
        }
        let m = super::check::missing(self.form, &self.ctx);
        if !m.rows.is_empty() {
            return self.tables_next(None);
        }
        if !m.fields.is_empty() {
            return self.fields_next();
        }
        self.review()
    }

    // ------------------------------------------------------------ menu, help

    fn progress(&self) -> (usize, usize, usize, usize, usize, usize) {
        let total_nodes = self.form.answer_nodes().count();
        let answered = self
            .form
            .answer_nodes()
            .filter(|n| self.ctx.text(&n.id).is_some())
            .count();
        let mut rows_total = 0;
        let mut rows_done = 0;
        for t in &self.form.tables {
            for r in self.ctx.table_rows(self.form, t) {
                rows_total += 1;
                if super::check::row_complete(&self.ctx, t, r) {
                    rows_done += 1;
                }
            }
        }
        let fields_total = self.form.report_fields.len();
        let fields_done = self
            .form
            .report_fields
            .iter()
            .filter(|f| self.ctx.text(&f.id).is_some())
            .count();
        (answered, total_nodes, rows_done, rows_total, fields_done, fields_total)
    }

    fn menu(&mut self) -> State {
        let (a, at, r, rt, fd, ft) = self.progress();
        let days_left = (self.env.deadline - self.env.today).num_days();
        let header = text::menu_header(
            &self.form.campaign.name,
            &self.ctx.unit_name,
            &domain::format_date(self.env.deadline),
            days_left,
            text::status_name(self.env.status),
        );
        let mut rows = Vec::new();
        if !self.locked() {
            rows.push(vec![btn(text::BTN_CONTINUE, Action::Resume)]);
        }
        rows.push(vec![btn(text::btn_outline(a, at), Action::Outline)]);
        rows.push(vec![btn(text::btn_tables(r, rt), Action::Tables)]);
        rows.push(vec![btn(text::btn_fields(fd, ft), Action::Fields)]);
        if let Some(url) = self.env.webapp.as_ref().filter(|_| !self.locked()) {
            rows.push(vec![Button::web_app(text::BTN_WEBAPP, url.clone())]);
        }
        if self.env.files && !self.locked() {
            rows.push(vec![btn(text::BTN_TEMPLATE, Action::Template)]);
        }
        rows.push(vec![
            btn(text::BTN_REVIEW, Action::Review),
            btn(text::BTN_HELP, Action::Help),
        ]);
        self.say(header, rows);
        State::Menu
    }

    /// The Excel template, on channels that carry files.
    fn template(&mut self) -> State {
        if !self.env.files {
            self.say(text::TEMPLATE_NO_FILES, vec![menu_row()]);
            return State::Menu;
        }
        if self.locked() {
            return self.refuse_locked();
        }
        self.writes.push(Write::SendTemplate);
        self.say(text::TEMPLATE_CAPTION, vec![]);
        State::Menu
    }

    fn help(&mut self) -> State {
        self.say(text::help(self.form), vec![menu_row()]);
        State::Menu
    }
}
