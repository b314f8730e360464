//! The pure conversation step for a registered secretary: (state, input) -> (next state,
//! writes, replies). No I/O and no clock: everything comes in through [`Env`] and [`UnitCtx`].

use chrono::NaiveDate;

use super::check::{self, Finding, UnitCtx};
use super::reply::{Button, Reply};
use super::state::{Action, State};
use super::text;
use crate::domain::{self, Figure, Phone, clean_text, format_vi};
use crate::form::{FieldKind, Form, Node, NodeKind, Severity, Table};
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
    let mut replies = f.replies;
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

fn btn(label: impl Into<String>, action: Action) -> Button {
    Button {
        label: label.into(),
        data: action.encode(),
    }
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

    fn set_answer(&mut self, key: &str, row: &str, value: Option<String>) {
        if self.ctx.get(key, row) == Some(&value) {
            return;
        }
        if row.is_empty() && self.form.node(key).is_some() && self.ctx.confirmed.iter().any(|(_, r)| r == key) {
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
                self.menu()
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
        let when = self.env.submitted_text.clone().unwrap_or_default();
        let when = if when.is_empty() {
            String::new()
        } else {
            format!("lúc {when}")
        };
        self.say(
            text::locked(&when),
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
            "tonghop" | "tiendo" | "xem" | "tralai" | "duyet" | "nhacnho" => {
                self.say(text::BOARD_ONLY, vec![]);
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
            State::Answer { node, .. } => self.open_node(&node),
            State::ConfirmAnswer { node } => {
                self.say(text::WAITING_CONFIRM, confirm_buttons());
                State::ConfirmAnswer { node }
            }
            State::Field { id, guided } => self.open_field(&id, guided),
            State::ConfirmField { id, guided } => {
                self.say(text::WAITING_CONFIRM, confirm_buttons());
                State::ConfirmField { id, guided }
            }
            State::PickTypes { selected } => self.pick_types(selected),
            State::Row { table, row } => self.open_row(&table, &row),
            State::ConfirmRow { table, row, rules } => {
                self.say(text::WAITING_CONFIRM, confirm_buttons());
                State::ConfirmRow { table, row, rules }
            }
            State::ConfirmSubmit { second } => {
                self.say(text::WAITING_SUBMIT, submit_buttons(second));
                State::ConfirmSubmit { second }
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
            (Action::Outline, _) => self.outline(),
            (Action::OutlineNext, _) => self.outline_next(),
            (Action::Section(s), _) => self.section(&s),
            (Action::Open(n), _) => self.open_node(&n),
            (Action::Done, State::Answer { node, .. }) => {
                if self.ctx.text(&node).is_none() {
                    self.say(text::ANSWER_EMPTY_DONE, vec![]);
                } else if let Some(f) = answer_findings(self.form, &self.ctx)
                    .into_iter()
                    .find(|f| f.row == node && !self.ctx.is_confirmed(&f.rule_id, &node))
                {
                    self.say(text::row_warnings(&[f.message]), confirm_buttons());
                    return State::ConfirmAnswer { node };
                }
                self.after_node(&node, 1)
            }
            (Action::Confirm, State::ConfirmAnswer { node }) => {
                for f in answer_findings(self.form, &self.ctx)
                    .into_iter()
                    .filter(|f| f.row == node)
                {
                    self.writes.push(Write::ConfirmWarning {
                        rule: f.rule_id.clone(),
                        row: node.clone(),
                        message: f.message.clone(),
                    });
                    self.ctx.confirmed.push((f.rule_id, node.clone()));
                }
                self.after_node(&node, 1)
            }
            (Action::Fix, State::ConfirmAnswer { node }) => self.open_node(&node),
            (Action::Skip, State::Answer { node, .. }) => self.after_node(&node, 1),
            (Action::Prev, State::Answer { node, .. }) => self.after_node(&node, -1),
            (Action::Rewrite, State::Answer { node, .. }) => {
                self.say(
                    text::REWRITE_READY,
                    vec![vec![
                        btn(text::BTN_DONE, Action::Done),
                        btn(text::BTN_MENU, Action::Menu),
                    ]],
                );
                State::Answer { node, replace: true }
            }
            (Action::NotApplicable, State::Answer { node, .. }) => {
                let applies = self.form.node(&node).and_then(|n| n.applies);
                if !self.ctx.excluded_by(self.form, applies) {
                    self.say(text::APPLIES_HERE, vec![]);
                    return State::Answer { node, replace: false };
                }
                self.set_answer(&node, "", Some(text::NOT_APPLICABLE.to_owned()));
                self.say(format!("💾 Mục {node}: {}.", text::NOT_APPLICABLE), vec![]);
                self.after_node(&node, 1)
            }
            (Action::Tables, _) => self.tables(),
            (Action::TablesNext, _) => self.tables_next(None),
            (Action::Table(t), _) => self.table(&t),
            (Action::Row(t, r), _) => self.open_row(&t, &r),
            (Action::TypesEdit, _) => {
                let selected = self.ctx.rows.clone();
                self.pick_types(selected)
            }
            (Action::Toggle(code), State::PickTypes { mut selected }) => {
                if let Some(t) = self.form.cell_type(&code).filter(|t| t.active) {
                    if let Some(i) = selected.iter().position(|s| s == &t.code) {
                        selected.remove(i);
                    } else {
                        selected.push(t.code.clone());
                    }
                }
                self.pick_types(selected)
            }
            (Action::TypesDone, State::PickTypes { selected }) => {
                if selected.is_empty() {
                    self.say(text::TYPES_NEED_ONE, vec![]);
                    return self.pick_types(selected);
                }
                let ordered: Vec<String> = self
                    .form
                    .cell_types
                    .iter()
                    .filter(|t| selected.contains(&t.code))
                    .map(|t| t.code.clone())
                    .collect();
                if self.ctx.rows_chosen && self.ctx.rows.iter().any(|r| !ordered.contains(r)) {
                    self.say(text::TYPES_KEEP_DATA, vec![]);
                }
                self.ctx.rows = ordered.clone();
                self.ctx.rows_chosen = true;
                self.writes.push(Write::Rows(ordered));
                self.tables()
            }
            (Action::Confirm, State::ConfirmRow { table, row, rules }) => {
                for f in check::row_findings(self.form, &self.ctx, &row) {
                    if rules.contains(&f.rule_id) {
                        self.writes.push(Write::ConfirmWarning {
                            rule: f.rule_id.clone(),
                            row: row.clone(),
                            message: f.message.clone(),
                        });
                        self.ctx.confirmed.push((f.rule_id, row.clone()));
                    }
                }
                self.say(text::ROW_CONFIRMED, vec![]);
                self.tables_next(Some(&table))
            }
            (Action::Fix, State::ConfirmRow { table, row, .. }) => {
                self.say(text::ROW_FIX, vec![]);
                self.open_row(&table, &row)
            }
            (Action::Confirm, State::ConfirmField { id, guided }) => {
                for f in field_findings(self.form, &self.ctx) {
                    if f.row == id {
                        self.writes.push(Write::ConfirmWarning {
                            rule: f.rule_id.clone(),
                            row: id.clone(),
                            message: f.message.clone(),
                        });
                        self.ctx.confirmed.push((f.rule_id, id.clone()));
                    }
                }
                self.say(text::ROW_CONFIRMED, vec![]);
                self.after_field(&id, guided)
            }
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
            (Action::Resume, _) => self.resume(),
            (Action::Submit, _) => self.submit(),
            (Action::SubmitYes, State::ConfirmSubmit { second }) => self.submit_yes(second),
            // A button from an older message whose step is over.
            (_, state) => {
                self.say(text::STALE_BUTTON, vec![]);
                self.reprompt(state)
            }
        }
    }

    // ------------------------------------------------------------ free text

    fn text(&mut self, state: State, t: &str) -> State {
        match state {
            State::Answer { node, replace } => {
                if self.locked() {
                    return self.refuse_locked();
                }
                self.append_answer(&node, t, replace)
            }
            State::ConfirmAnswer { node } => {
                if self.locked() {
                    return self.refuse_locked();
                }
                self.append_answer(&node, t, false)
            }
            State::Field { id, guided } | State::ConfirmField { id, guided } => {
                if self.locked() {
                    return self.refuse_locked();
                }
                self.field_input(&id, t, guided)
            }
            State::Row { table, row } | State::ConfirmRow { table, row, .. } => {
                if self.locked() {
                    return self.refuse_locked();
                }
                self.row_input(&table, &row, t, false)
            }
            State::PickTypes { selected } => {
                self.say(text::PICK_TYPES_HINT, vec![]);
                self.pick_types(selected)
            }
            State::ConfirmSubmit { second } => {
                self.say(text::WAITING_SUBMIT, submit_buttons(second));
                State::ConfirmSubmit { second }
            }
            State::Menu | State::AwaitInvite | State::BoardReason { .. } => {
                self.say(text::MENU_HINT, vec![]);
                self.menu()
            }
        }
    }

    /// Opens the first thing still missing: a heading, a table row, a header field, or the review.
    fn resume(&mut self) -> State {
        if self.locked() {
            return self.refuse_locked();
        }
        if self.form.answer_nodes().any(|n| self.ctx.text(&n.id).is_none()) {
            return self.outline_next();
        }
        let m = check::missing(self.form, &self.ctx);
        if !self.ctx.rows_chosen || !m.rows.is_empty() {
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
                if check::row_complete(&self.ctx, t, r) {
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
        self.say(
            header,
            vec![
                vec![btn(text::btn_outline(a, at), Action::Outline)],
                vec![btn(text::btn_tables(r, rt), Action::Tables)],
                vec![btn(text::btn_fields(fd, ft), Action::Fields)],
                vec![btn(text::BTN_REVIEW, Action::Review), btn(text::BTN_HELP, Action::Help)],
            ],
        );
        State::Menu
    }

    fn help(&mut self) -> State {
        self.say(text::help(self.form), vec![vec![btn(text::BTN_MENU, Action::Menu)]]);
        State::Menu
    }

    // ------------------------------------------------------------ outline

    fn node_count(&self, section: &str) -> (usize, usize) {
        let prefix = format!("{section}.");
        let nodes: Vec<&Node> = self
            .form
            .answer_nodes()
            .filter(|n| n.id == section || n.id.starts_with(&prefix))
            .collect();
        (
            nodes.iter().filter(|n| self.ctx.text(&n.id).is_some()).count(),
            nodes.len(),
        )
    }

    fn outline(&mut self) -> State {
        let (a, at, ..) = self.progress();
        let mut rows = vec![vec![btn(text::BTN_CONTINUE_OUTLINE, Action::OutlineNext)]];
        for s in self.form.sections() {
            let (d, n) = self.node_count(&s.id);
            let mark = if d == n { "✅" } else { "⬜" };
            let label = format!("{mark} {} ({d}/{n})", text::shorten(&text::node_title(s), 34));
            rows.push(vec![btn(label, Action::Section(s.id.clone()))]);
        }
        rows.push(vec![btn(text::BTN_MENU, Action::Menu)]);
        self.screen(text::outline_intro(a, at), rows);
        State::Menu
    }

    fn outline_next(&mut self) -> State {
        let next = self
            .form
            .answer_nodes()
            .find(|n| self.ctx.text(&n.id).is_none())
            .map(|n| n.id.clone());
        match next {
            Some(id) => self.open_node(&id),
            None => {
                self.say(text::OUTLINE_ALL_DONE, vec![]);
                self.outline()
            }
        }
    }

    fn section(&mut self, id: &str) -> State {
        let Some(sec) = self.form.node(id).filter(|n| n.parent_id().is_none()) else {
            self.say(text::STALE_BUTTON, vec![]);
            return self.outline();
        };
        let title = text::node_title(sec);
        let prefix = format!("{}.", sec.id);
        let mut rows = Vec::new();
        for n in self
            .form
            .answer_nodes()
            .filter(|n| n.id == sec.id || n.id.starts_with(&prefix))
        {
            let mark = if self.ctx.text(&n.id).is_some() { "✅" } else { "⬜" };
            let label = format!("{mark} {}", text::shorten(&text::node_title(n), 40));
            rows.push(vec![btn(label, Action::Open(n.id.clone()))]);
        }
        rows.push(vec![
            btn(text::BTN_OUTLINE, Action::Outline),
            btn(text::BTN_MENU, Action::Menu),
        ]);
        self.screen(text::section_intro(&title), rows);
        State::Menu
    }

    fn open_node(&mut self, id: &str) -> State {
        let Some(node) = self.form.node(id).filter(|n| n.kind == NodeKind::Answer) else {
            self.say(text::STALE_BUTTON, vec![]);
            return self.outline();
        };
        if self.locked() {
            return self.refuse_locked();
        }
        let mut s = format!("📝 {} — {}", node.id, text::node_title(node));
        let mut crumbs = Vec::new();
        let mut p = node.parent_id();
        while let Some(pid) = p {
            if let Some(pn) = self.form.node(pid) {
                crumbs.push(text::shorten(&text::node_title(pn), 40));
                p = pn.parent_id();
            } else {
                break;
            }
        }
        if !crumbs.is_empty() {
            crumbs.reverse();
            s.push_str(&format!("\n({})", crumbs.join(" › ")));
        }
        // Prompts that concern other kinds of unit (e.g. commune committees) are left out.
        let relevant = |p: &&crate::form::Prompt| !self.ctx.excluded_by(self.form, p.applies);
        let mut prompts: Vec<&str> = node.prompts.iter().filter(relevant).map(|p| p.vi.as_str()).collect();
        if let Some(parent) = node.parent_id().and_then(|p| self.form.node(p))
            && parent.kind == NodeKind::Container
        {
            // Guiding questions attached to a container (III.2.2.q1–q4) apply to its children.
            prompts.extend(parent.prompts.iter().filter(relevant).map(|p| p.vi.as_str()));
        }
        if !prompts.is_empty() {
            s.push_str("\nGợi ý:\n• ");
            s.push_str(&prompts.join("\n• "));
        }
        if let Some(h) = &node.help {
            s.push_str(&format!("\n{h}"));
        }
        if node.compare_types && self.ctx.rows.len() > 1 {
            let names: Vec<String> = self
                .ctx
                .rows
                .iter()
                .filter_map(|r| self.form.cell_type(r))
                .map(|t| t.vi.clone())
                .collect();
            s.push_str(&format!("\n{}", text::compare_note(&names)));
        }
        let linked = self.linked_figures(node);
        if !linked.is_empty() {
            s.push_str(&format!("\n📊 Số liệu đã nhập:\n{linked}"));
        }
        let current = self.ctx.text(&node.id).map(str::to_owned);
        if let Some(c) = &current {
            s.push_str(&format!("\n\nCâu trả lời hiện tại:\n«{}»", text::shorten(c, 600)));
        }
        s.push_str(&format!("\n\n{}", text::answer_prompt(current.is_some())));
        let mut row1 = vec![btn(text::BTN_DONE, Action::Done), btn(text::BTN_SKIP, Action::Skip)];
        if current.is_some() {
            row1.push(btn(text::BTN_REWRITE, Action::Rewrite));
        }
        let mut row2 = vec![btn(text::BTN_PREV, Action::Prev)];
        if self.ctx.excluded_by(self.form, node.applies) {
            row2.push(btn(text::BTN_NA, Action::NotApplicable));
        }
        row2.push(btn(text::BTN_MENU, Action::Menu));
        self.say(s, vec![row1, row2]);
        State::Answer {
            node: node.id.clone(),
            replace: false,
        }
    }

    fn linked_figures(&self, node: &Node) -> String {
        let mut parts = Vec::new();
        for l in &node.links {
            let Some((_, col)) = self.form.column(l) else { continue };
            let vals: Vec<String> = self
                .ctx
                .rows
                .iter()
                .filter_map(|r| {
                    let v = self.ctx.figure(l, r)?.num()?;
                    let name = self.form.cell_type(r).map_or(r.as_str(), |t| t.vi.as_str());
                    Some(format!("{} {}", text::type_short(name), format_vi(v)))
                })
                .collect();
            if !vals.is_empty() {
                parts.push(format!("{}: {}", col.short, vals.join("; ")));
            }
        }
        parts.join("\n")
    }

    /// Moves `delta` answer headings from `id` (1 = next, -1 = previous).
    fn after_node(&mut self, id: &str, delta: isize) -> State {
        let nodes: Vec<&Node> = self.form.answer_nodes().collect();
        let pos = nodes.iter().position(|n| n.id == id).unwrap_or(0) as isize + delta;
        match usize::try_from(pos).ok().and_then(|p| nodes.get(p)) {
            Some(n) => {
                let nid = n.id.clone();
                self.open_node(&nid)
            }
            None => {
                self.say(text::OUTLINE_FINISHED, vec![]);
                self.outline()
            }
        }
    }

    fn append_answer(&mut self, node: &str, t: &str, replace: bool) -> State {
        let max = self.form.campaign.answer_max_chars;
        let incoming = clean_text(t);
        if incoming.is_empty() {
            return self.open_node(node);
        }
        let existing = if replace {
            None
        } else {
            self.ctx.text(node).map(str::to_owned)
        };
        let existing = existing.filter(|e| e != text::NOT_APPLICABLE);
        let have = existing.as_ref().map_or(0, |e| e.chars().count());
        let sent = incoming.chars().count();
        if have + sent + 1 > max + usize::from(have == 0) {
            self.say(
                text::answer_too_long(max, have, sent),
                vec![vec![
                    btn(text::BTN_DONE, Action::Done),
                    btn(text::BTN_REWRITE, Action::Rewrite),
                ]],
            );
            return State::Answer {
                node: node.to_owned(),
                replace,
            };
        }
        let combined = match existing {
            Some(e) => format!("{e}\n{incoming}"),
            None => incoming,
        };
        let chars = combined.chars().count();
        self.set_answer(node, "", Some(combined));
        self.say(
            text::answer_saved(chars),
            vec![vec![
                btn(text::BTN_DONE, Action::Done),
                btn(text::BTN_REWRITE, Action::Rewrite),
                btn(text::BTN_MENU, Action::Menu),
            ]],
        );
        State::Answer {
            node: node.to_owned(),
            replace: false,
        }
    }

    // ------------------------------------------------------------ header fields

    fn fields(&mut self) -> State {
        let total = self.form.report_fields.len();
        let done = self
            .form
            .report_fields
            .iter()
            .filter(|f| self.ctx.text(&f.id).is_some())
            .count();
        let mut rows = vec![vec![btn(text::BTN_CONTINUE_FIELDS, Action::FieldsNext)]];
        for f in &self.form.report_fields {
            let label = match self.ctx.text(&f.id) {
                Some(v) => format!("✅ {}: {}", f.label, text::shorten(v, 24)),
                None => format!("⬜ {}", f.label),
            };
            rows.push(vec![btn(label, Action::Field(f.id.clone()))]);
        }
        rows.push(vec![btn(text::BTN_MENU, Action::Menu)]);
        self.screen(text::fields_intro(done, total), rows);
        State::Menu
    }

    fn fields_next(&mut self) -> State {
        let next = self
            .form
            .report_fields
            .iter()
            .find(|f| self.ctx.text(&f.id).is_none())
            .map(|f| f.id.clone());
        match next {
            Some(id) => self.open_field(&id, true),
            None => {
                self.say(text::FIELDS_ALL_DONE, vec![]);
                self.fields()
            }
        }
    }

    fn open_field(&mut self, id: &str, guided: bool) -> State {
        if self.locked() {
            return self.refuse_locked();
        }
        let Some(f) = self.form.report_field(id) else {
            return self.fields();
        };
        let msg = text::field_prompt(&f.label, &f.prompt, self.ctx.text(&f.id));
        let id = f.id.clone();
        self.say(
            msg,
            vec![vec![
                btn(text::BTN_FIELDS, Action::Fields),
                btn(text::BTN_MENU, Action::Menu),
            ]],
        );
        State::Field { id, guided }
    }

    fn after_field(&mut self, id: &str, guided: bool) -> State {
        if guided {
            let pos = self.form.report_fields.iter().position(|f| f.id == id).unwrap_or(0);
            let next = self.form.report_fields[pos + 1..]
                .iter()
                .find(|f| self.ctx.text(&f.id).is_none())
                .map(|f| f.id.clone());
            if let Some(n) = next {
                return self.open_field(&n, true);
            }
        }
        self.fields()
    }

    /// Validates and saves a header field; `Err` carries the message to show.
    fn parse_field(&self, id: &str, t: &str) -> Result<String, String> {
        let Some(f) = self.form.report_field(id) else {
            return Err(text::STALE_BUTTON.to_owned());
        };
        let v = clean_text(t);
        if v.is_empty() {
            return Err(text::FIELD_EMPTY.to_owned());
        }
        match f.kind {
            FieldKind::Text if v.chars().count() > 200 => Err(text::FIELD_TOO_LONG.to_owned()),
            FieldKind::Text => Ok(v),
            FieldKind::Date => domain::parse_date(&v)
                .map(domain::format_date)
                .ok_or_else(|| text::DATE_INVALID.to_owned()),
            FieldKind::Phone => Phone::parse(&v)
                .map(|p| p.as_str().to_owned())
                .ok_or_else(|| text::PHONE_INVALID.to_owned()),
        }
    }

    fn field_input(&mut self, id: &str, t: &str, guided: bool) -> State {
        match self.parse_field(id, t) {
            Err(msg) => {
                self.say(
                    msg,
                    vec![vec![
                        btn(text::BTN_FIELDS, Action::Fields),
                        btn(text::BTN_MENU, Action::Menu),
                    ]],
                );
                State::Field {
                    id: id.to_owned(),
                    guided,
                }
            }
            Ok(value) => self.save_field(id, value, guided),
        }
    }

    fn save_field(&mut self, id: &str, value: String, guided: bool) -> State {
        let label = self.form.report_field(id).map(|f| f.label.clone()).unwrap_or_default();
        if self.ctx.text(id) != Some(value.as_str()) {
            self.ctx.confirmed.retain(|(_, r)| r != id);
            self.writes.push(Write::ClearWarnings {
                row: id.to_owned(),
                table: None,
            });
        }
        self.set_answer(id, "", Some(value.clone()));
        self.say(text::field_saved(&label, &value), vec![]);
        let warnings: Vec<String> = field_findings(self.form, &self.ctx)
            .into_iter()
            .filter(|f| f.row == id && !self.ctx.is_confirmed(&f.rule_id, id))
            .map(|f| f.message)
            .collect();
        if !warnings.is_empty() {
            self.say(text::row_warnings(&warnings), confirm_buttons());
            return State::ConfirmField {
                id: id.to_owned(),
                guided,
            };
        }
        self.after_field(id, guided)
    }

    // ------------------------------------------------------------ tables

    fn type_names(&self) -> Vec<String> {
        self.ctx
            .rows
            .iter()
            .filter_map(|r| self.form.cell_type(r))
            .map(|t| t.vi.clone())
            .collect()
    }

    fn pick_types(&mut self, selected: Vec<String>) -> State {
        let mut rows = Vec::new();
        let mut pair = Vec::new();
        for t in self.form.cell_types.iter().filter(|t| t.active) {
            let mark = if selected.contains(&t.code) { "✅" } else { "⬜" };
            pair.push(btn(
                format!("{mark} {}", text::shorten(&t.vi, 26)),
                Action::Toggle(t.code.clone()),
            ));
            if pair.len() == 2 {
                rows.push(std::mem::take(&mut pair));
            }
        }
        if !pair.is_empty() {
            rows.push(pair);
        }
        rows.push(vec![
            btn(text::BTN_TYPES_DONE, Action::TypesDone),
            btn(text::BTN_MENU, Action::Menu),
        ]);
        self.replies.push(Reply {
            text: text::pick_types_intro().to_owned(),
            buttons: rows,
            edit: true,
            numeric: false,
        });
        State::PickTypes { selected }
    }

    fn tables(&mut self) -> State {
        if !self.ctx.rows_chosen {
            if self.locked() {
                return self.refuse_locked();
            }
            let selected = self.ctx.rows.clone();
            return self.pick_types(selected);
        }
        let mut rows = vec![vec![btn(text::BTN_CONTINUE_TABLES, Action::TablesNext)]];
        for t in &self.form.tables {
            let all: Vec<&String> = self.ctx.table_rows(self.form, t).collect();
            let done = all.iter().filter(|r| check::row_complete(&self.ctx, t, r)).count();
            let mark = if done == all.len() { "✅" } else { "⬜" };
            let label = if all.is_empty() {
                format!("{mark} {} — không áp dụng", t.short_name)
            } else {
                format!("{mark} {} ({done}/{} dòng)", t.short_name, all.len())
            };
            rows.push(vec![btn(label, Action::Table(t.id.clone()))]);
        }
        rows.push(vec![
            btn(text::BTN_TYPES_EDIT, Action::TypesEdit),
            btn(text::BTN_MENU, Action::Menu),
        ]);
        let names = self.type_names();
        self.screen(text::tables_intro(&names), rows);
        State::Menu
    }

    fn table(&mut self, id: &str) -> State {
        let Some(t) = self.form.table(id) else {
            self.say(text::STALE_BUTTON, vec![]);
            return self.tables();
        };
        let rows_of: Vec<String> = self.ctx.table_rows(self.form, t).cloned().collect();
        if rows_of.is_empty() {
            self.say(format!("{} {}", t.short_name, text::NO_RESIDENTIAL), vec![]);
            return self.tables();
        }
        let mut buttons = Vec::new();
        for r in &rows_of {
            let mark = if check::row_complete(&self.ctx, t, r) {
                "✅"
            } else {
                "⬜"
            };
            let name = self
                .form
                .cell_type(r)
                .map(|c| c.vi.clone())
                .unwrap_or_else(|| r.clone());
            buttons.push(vec![btn(
                format!("{mark} {}", text::shorten(&name, 40)),
                Action::Row(t.id.clone(), r.clone()),
            )]);
        }
        buttons.push(vec![
            btn(text::BTN_TABLES, Action::Tables),
            btn(text::BTN_MENU, Action::Menu),
        ]);
        self.screen(text::table_intro(&t.short_name, &t.title), buttons);
        State::Menu
    }

    /// The next incomplete row: first in `from` (if given) and the tables after it.
    fn tables_next(&mut self, from: Option<&str>) -> State {
        if !self.ctx.rows_chosen {
            return self.tables();
        }
        let start = from
            .and_then(|f| self.form.tables.iter().position(|t| t.id == f))
            .unwrap_or(0);
        let order = self.form.tables[start..].iter().chain(self.form.tables[..start].iter());
        let mut next = None;
        'outer: for t in order {
            for r in self.ctx.table_rows(self.form, t) {
                if !check::row_complete(&self.ctx, t, r) {
                    next = Some((t.id.clone(), r.clone()));
                    break 'outer;
                }
            }
        }
        match next {
            Some((t, r)) => self.open_row(&t, &r),
            None => {
                self.say(text::TABLES_ALL_DONE, vec![]);
                self.tables()
            }
        }
    }

    fn row_screen(&self, t: &Table, row: &str) -> String {
        let name = self
            .form
            .cell_type(row)
            .map(|c| c.vi.clone())
            .unwrap_or_else(|| row.to_owned());
        let mut s = format!("📊 {} — {name}", t.short_name);
        for (i, c) in t.columns.iter().enumerate() {
            let v = match self.ctx.get(&format!("{}.{}", t.id, c.key), row) {
                None => "…".to_owned(),
                Some(None) => "(để trống)".to_owned(),
                Some(Some(v)) => v.parse::<f64>().map(format_vi).unwrap_or_else(|_| v.clone()),
            };
            s.push_str(&format!("\n{}. {}: {v}", i + 1, c.short));
        }
        s
    }

    fn open_row(&mut self, table: &str, row: &str) -> State {
        let Some(t) = self.form.table(table) else {
            self.say(text::STALE_BUTTON, vec![]);
            return self.tables();
        };
        if self.locked() {
            return self.refuse_locked();
        }
        if !self.ctx.table_rows(self.form, t).any(|r| r == row) {
            self.say(text::STALE_BUTTON, vec![]);
            return self.tables();
        }
        let mut s = self.row_screen(t, row);
        s.push_str(&format!("\n\n{}", text::row_instructions(t.columns.len())));
        if let Some(i) = check::first_missing_column(&self.ctx, t, row) {
            let c = &t.columns[i];
            s.push_str(&format!("\n{}", text::next_column(i + 1, &column_label(c), c.kind)));
        }
        let tid = t.id.clone();
        self.say(
            s,
            vec![vec![
                btn(text::BTN_TABLES, Action::Table(tid.clone())),
                btn(text::BTN_MENU, Action::Menu),
            ]],
        );
        State::Row {
            table: tid,
            row: row.to_owned(),
        }
    }

    /// Applies typed figures to a row: a whole row, one value for the next empty column, or
    /// `col=value` edits. Valid values are saved at once; then the row's rules are checked.
    fn row_input(&mut self, table: &str, row: &str, input: &str, shortcut: bool) -> State {
        let Some(t) = self.form.table(table).cloned() else {
            return self.tables();
        };
        let tokens: Vec<&str> = input
            .split(|c: char| c.is_whitespace() || c == ';')
            .filter(|s| !s.is_empty())
            .collect();
        let ncols = t.columns.len();
        let mut assignments: Vec<(usize, &str)> = Vec::new();
        let mut problems: Vec<String> = Vec::new();
        let edits = tokens.iter().any(|tok| tok.contains('='));
        // Prose where figures are expected: most likely meant for a heading, not a mistake.
        let words = tokens
            .iter()
            .filter(|tok| tok.chars().next().is_some_and(char::is_alphabetic))
            .count();
        if !edits && words >= 2 && words * 2 > tokens.len() {
            let row_name = self.form.cell_type(row).map_or(row, |c| c.vi.as_str());
            self.say(
                text::prose_in_row(&t.short_name, row_name),
                vec![vec![
                    btn(text::BTN_OUTLINE, Action::Outline),
                    btn(text::BTN_TABLES, Action::Table(t.id.clone())),
                    btn(text::BTN_MENU, Action::Menu),
                ]],
            );
            return State::Row {
                table: t.id.clone(),
                row: row.to_owned(),
            };
        }
        if edits {
            for tok in &tokens {
                match tok.split_once('=') {
                    Some((k, v)) => match k.trim().parse::<usize>() {
                        Ok(i) if (1..=ncols).contains(&i) && !v.is_empty() => assignments.push((i - 1, v)),
                        _ => problems.push(text::no_such_column(k, ncols)),
                    },
                    None => problems.push(text::no_such_column(tok, ncols)),
                }
            }
        } else if tokens.len() == ncols {
            assignments.extend(tokens.iter().enumerate().map(|(i, v)| (i, *v)));
        } else if tokens.len() == 1 && !shortcut {
            match check::first_missing_column(&self.ctx, &t, row) {
                Some(i) => assignments.push((i, tokens[0])),
                None => {
                    self.say(text::row_full_use_edit(ncols), vec![]);
                    return State::Row {
                        table: t.id.clone(),
                        row: row.to_owned(),
                    };
                }
            }
        } else {
            self.say(
                text::wrong_count(&t.short_name, ncols, tokens.len()),
                vec![vec![
                    btn(text::BTN_TABLES, Action::Table(t.id.clone())),
                    btn(text::BTN_MENU, Action::Menu),
                ]],
            );
            return State::Row {
                table: t.id.clone(),
                row: row.to_owned(),
            };
        }
        let mut changed = false;
        let single = assignments.len() == 1;
        let mut saved_one = None;
        for (i, tok) in assignments {
            let c = &t.columns[i];
            let key = format!("{}.{}", t.id, c.key);
            match Figure::parse(tok, c.kind) {
                Ok(Figure::Blank) if c.blank_when.is_none() => {
                    problems.push(text::bad_value(i + 1, &c.short, tok, text::BLANK_NOT_ALLOWED));
                }
                Ok(fig) => {
                    let value = fig.to_storage();
                    if self.ctx.get(&key, row) != Some(&value) {
                        changed = true;
                        self.set_answer(&key, row, value);
                    }
                    saved_one = Some((i + 1, fig));
                }
                Err(e) => problems.push(text::bad_value(i + 1, &c.short, tok, text::figure_error(&e))),
            }
        }
        if changed {
            let rules = rules_reading(self.form, &t.id);
            self.ctx.confirmed.retain(|(rule, r)| r != row || !rules.contains(rule));
            self.writes.push(Write::ClearWarnings {
                row: row.to_owned(),
                table: Some(t.id.clone()),
            });
        }
        let row_name = self
            .form
            .cell_type(row)
            .map(|c| c.vi.clone())
            .unwrap_or_else(|| row.to_owned());
        let mut msg = Vec::new();
        if changed {
            match saved_one.filter(|_| single) {
                // One value at a time: a short receipt.
                Some((i, fig)) => msg.push(text::value_saved(i, fig.num().map(format_vi).as_deref())),
                None => msg.push(text::row_saved(&t.short_name, &row_name)),
            }
        }
        if !problems.is_empty() {
            msg.push(problems.join("\n"));
        }
        let stay = vec![vec![
            btn(text::BTN_TABLES, Action::Table(t.id.clone())),
            btn(text::BTN_MENU, Action::Menu),
        ]];
        if let Some(i) = check::first_missing_column(&self.ctx, &t, row) {
            let c = &t.columns[i];
            msg.push(text::next_column(i + 1, &column_label(c), c.kind));
            self.say(msg.join("\n"), stay);
            return State::Row {
                table: t.id.clone(),
                row: row.to_owned(),
            };
        }
        // The row is complete: check it.
        let findings: Vec<Finding> = check::row_findings(self.form, &self.ctx, row)
            .into_iter()
            .filter(|f| f.tables.contains(&t.id))
            .collect();
        let errors: Vec<String> = findings
            .iter()
            .filter(|f| f.severity == Severity::Error && !f.cross)
            .map(|f| f.message.clone())
            .collect();
        let cross: Vec<String> = findings
            .iter()
            .filter(|f| f.severity == Severity::Error && f.cross)
            .map(|f| f.message.clone())
            .collect();
        let warnings: Vec<&Finding> = findings
            .iter()
            .filter(|f| f.severity == Severity::Warning && !self.ctx.is_confirmed(&f.rule_id, row))
            .collect();
        let infos: Vec<String> = findings
            .iter()
            .filter(|f| f.severity == Severity::Info)
            .map(|f| f.message.clone())
            .collect();
        if !infos.is_empty() {
            msg.push(text::row_infos(&infos));
        }
        if !cross.is_empty() {
            msg.push(text::row_cross(&cross));
        }
        if !errors.is_empty() || !problems.is_empty() {
            if !errors.is_empty() {
                msg.push(text::row_errors(&errors));
            }
            msg.push(text::ROW_FIX.to_owned());
            self.say(msg.join("\n"), stay);
            return State::Row {
                table: t.id.clone(),
                row: row.to_owned(),
            };
        }
        if !warnings.is_empty() {
            let lines: Vec<String> = warnings.iter().map(|f| f.message.clone()).collect();
            let rules: Vec<String> = warnings.iter().map(|f| f.rule_id.clone()).collect();
            msg.push(text::row_warnings(&lines));
            self.say(msg.join("\n"), confirm_buttons());
            return State::ConfirmRow {
                table: t.id.clone(),
                row: row.to_owned(),
                rules,
            };
        }
        msg.push(text::ROW_OK.to_owned());
        self.say(msg.join("\n"), vec![]);
        self.tables_next(Some(&t.id))
    }

    // ------------------------------------------------------------ shortcuts

    fn nhap(&mut self, state: State, args: &str) -> State {
        if self.locked() {
            return self.refuse_locked();
        }
        let mut parts = args.split_whitespace();
        let (Some(tid), Some(code)) = (parts.next(), parts.next()) else {
            self.say(text::NHAP_USAGE, vec![]);
            return self.reprompt(state);
        };
        let values: Vec<&str> = parts.collect();
        let all_tables: Vec<&str> = self.form.tables.iter().map(|t| t.id.as_str()).collect();
        let Some(t) = self.form.table(tid) else {
            self.say(text::no_such_table(tid, &all_tables.join(", ")), vec![]);
            return self.reprompt(state);
        };
        let Some(ct) = self.form.cell_type(code) else {
            let codes: Vec<&str> = self.form.cell_types.iter().map(|c| c.code.as_str()).collect();
            self.say(text::no_such_type(code, &codes.join(", ")), vec![]);
            return self.reprompt(state);
        };
        if t.residential_only && !ct.residential {
            self.say(text::type_not_residential(&t.short_name), vec![]);
            return self.reprompt(state);
        }
        if !self.ctx.rows.contains(&ct.code) {
            self.say(text::type_not_chosen(&ct.vi), vec![]);
            return self.reprompt(state);
        }
        if !self.ctx.rows_chosen {
            // Entering a row of a preselected type accepts the preselection.
            self.ctx.rows_chosen = true;
            self.writes.push(Write::Rows(self.ctx.rows.clone()));
        }
        if values.is_empty() {
            self.say(text::NHAP_USAGE, vec![]);
            let (tid, code) = (t.id.clone(), ct.code.clone());
            return self.open_row(&tid, &code);
        }
        let (tid, code) = (t.id.clone(), ct.code.clone());
        self.row_input(&tid, &code, &values.join(" "), true)
    }

    fn traloi(&mut self, state: State, args: &str) -> State {
        if self.locked() {
            return self.refuse_locked();
        }
        let (id, body) = match args.split_once(char::is_whitespace) {
            Some((i, b)) => (i, b.trim()),
            None => (args, ""),
        };
        if id.is_empty() {
            self.say(text::TRALOI_USAGE, vec![]);
            return self.reprompt(state);
        }
        if let Some(f) = self.form.report_field(id) {
            let fid = f.id.clone();
            return match self.parse_field(&fid, body) {
                Err(msg) => {
                    self.say(msg, vec![]);
                    State::Field { id: fid, guided: false }
                }
                Ok(v) => self.save_field(&fid, v, false),
            };
        }
        let Some(node) = self.form.outline.iter().find(|n| n.id.eq_ignore_ascii_case(id)) else {
            self.say(text::no_such_node(id), vec![]);
            return self.reprompt(state);
        };
        if node.kind == NodeKind::Container {
            let prefix = format!("{}.", node.id);
            let kids: Vec<&str> = self
                .form
                .answer_nodes()
                .filter(|n| n.id.starts_with(&prefix))
                .map(|n| n.id.as_str())
                .collect();
            self.say(text::container_node(&node.id, &kids.join(", ")), vec![]);
            return self.reprompt(state);
        }
        let nid = node.id.clone();
        if body.is_empty() {
            self.say(text::TRALOI_USAGE, vec![]);
            return self.open_node(&nid);
        }
        let max = self.form.campaign.answer_max_chars;
        let v = clean_text(body);
        let n = v.chars().count();
        if n > max {
            self.say(text::answer_too_long(max, 0, n), vec![]);
            return self.reprompt(state);
        }
        self.set_answer(&nid, "", Some(v));
        self.say(
            text::traloi_saved(&nid, n),
            vec![vec![
                btn(text::BTN_CONTINUE_OUTLINE, Action::OutlineNext),
                btn(text::BTN_MENU, Action::Menu),
            ]],
        );
        State::Menu
    }

    // ------------------------------------------------------------ review and submit

    fn describe_row(&self, t: &str, r: &str) -> String {
        let short = self
            .form
            .table(t)
            .map(|x| x.short_name.clone())
            .unwrap_or_else(|| t.to_owned());
        let name = self
            .form
            .cell_type(r)
            .map(|c| c.vi.clone())
            .unwrap_or_else(|| r.to_owned());
        format!("{short} — {name}")
    }

    fn missing_lines(&self, m: &check::Missing) -> Vec<String> {
        let mut lines = Vec::new();
        if !m.headings.is_empty() {
            lines.push(format!("Đề cương: {}", m.headings.join(", ")));
        }
        for (t, r) in &m.rows {
            lines.push(self.describe_row(t, r));
        }
        for f in &m.fields {
            if let Some(x) = self.form.report_field(f) {
                lines.push(x.label.clone());
            }
        }
        lines
    }

    fn findings(&self) -> (Vec<Finding>, Vec<Finding>) {
        let mut all = check::all_findings(self.form, &self.ctx);
        all.extend(field_findings(self.form, &self.ctx));
        all.extend(answer_findings(self.form, &self.ctx));
        let errors = all.iter().filter(|f| f.severity == Severity::Error).cloned().collect();
        let warnings = all
            .into_iter()
            .filter(|f| f.severity == Severity::Warning && !self.ctx.is_confirmed(&f.rule_id, &f.row))
            .collect();
        (errors, warnings)
    }

    fn finding_line(&self, f: &Finding) -> String {
        match self.form.cell_type(&f.row) {
            Some(t) => format!("{}: {}", t.vi, f.message),
            None => f.message.clone(),
        }
    }

    fn review(&mut self) -> State {
        let mut s = text::review_header(&self.ctx.unit_name, text::status_name(self.env.status));
        s.push_str("\nĐề cương:");
        for sec in self.form.sections() {
            let (d, n) = self.node_count(&sec.id);
            s.push_str(&format!(
                "\n  {} {}/{}",
                text::shorten(&text::node_title(sec), 34),
                d,
                n
            ));
        }
        s.push_str("\nBiểu số liệu:");
        for t in &self.form.tables {
            let all: Vec<&String> = self.ctx.table_rows(self.form, t).collect();
            let done = all.iter().filter(|r| check::row_complete(&self.ctx, t, r)).count();
            if all.is_empty() {
                s.push_str(&format!("\n  {}: không áp dụng", t.short_name));
            } else {
                s.push_str(&format!("\n  {}: {done}/{} dòng", t.short_name, all.len()));
            }
        }
        let (_, _, _, _, fd, ft) = self.progress();
        s.push_str(&format!("\nThông tin báo cáo: {fd}/{ft}"));
        for f in &self.form.report_fields {
            if let Some(v) = self.ctx.text(&f.id) {
                s.push_str(&format!("\n  {}: {v}", f.label));
            }
        }
        let m = check::missing(self.form, &self.ctx);
        let (errors, warnings) = self.findings();
        push_list(&mut s, "⬜ Còn thiếu:", &self.missing_lines(&m));
        push_list(
            &mut s,
            "❌ Lỗi phải sửa:",
            &errors.iter().map(|f| self.finding_line(f)).collect::<Vec<_>>(),
        );
        push_list(
            &mut s,
            "⚠️ Cảnh báo chưa xác nhận:",
            &warnings.iter().map(|f| self.finding_line(f)).collect::<Vec<_>>(),
        );
        let mut buttons = Vec::new();
        if !self.locked() {
            buttons.push(vec![btn(text::BTN_SUBMIT, Action::Submit)]);
        }
        buttons.push(vec![btn(text::BTN_MENU, Action::Menu)]);
        self.say(s, buttons);
        State::Menu
    }

    fn submit(&mut self) -> State {
        if self.locked() {
            return self.refuse_locked();
        }
        let (errors, warnings) = self.findings();
        if !errors.is_empty() {
            let mut s = String::new();
            push_list(
                &mut s,
                "❌ Lỗi phải sửa:",
                &errors.iter().map(|f| self.finding_line(f)).collect::<Vec<_>>(),
            );
            s.push_str(&format!("\n{}", text::submit_blocked(errors.len())));
            self.say(
                s.trim_start().to_owned(),
                vec![vec![
                    btn(text::BTN_REVIEW, Action::Review),
                    btn(text::BTN_MENU, Action::Menu),
                ]],
            );
            return State::Menu;
        }
        self.say(
            text::submit_confirm(&self.ctx.unit_name, warnings.len()),
            submit_buttons(false),
        );
        State::ConfirmSubmit { second: false }
    }

    fn submit_yes(&mut self, second: bool) -> State {
        let (errors, _) = self.findings();
        if !errors.is_empty() {
            return self.submit();
        }
        let m = check::missing(self.form, &self.ctx);
        if !second && !m.is_empty() {
            let lines = self.missing_lines(&m);
            let mut list = String::new();
            push_list(&mut list, "", &lines);
            self.say(text::submit_missing(m.count(), list.trim()), submit_buttons(true));
            return State::ConfirmSubmit { second: true };
        }
        let again = self.env.status == Status::Returned;
        self.writes.push(Write::Submit { again });
        self.writes.push(Write::NotifyBoard(text::board_submitted(
            &self.ctx.unit_name,
            &self.env.now_text,
            again,
        )));
        self.say(
            text::submitted(&self.env.now_text, self.env.past_deadline),
            vec![vec![btn(text::BTN_MENU, Action::Menu)]],
        );
        State::Menu
    }
}

fn push_list(s: &mut String, title: &str, lines: &[String]) {
    if lines.is_empty() {
        return;
    }
    const MAX: usize = 12;
    if !title.is_empty() {
        s.push_str(&format!("\n{title}"));
    }
    for l in lines.iter().take(MAX) {
        s.push_str(&format!("\n• {l}"));
    }
    if lines.len() > MAX {
        s.push_str(&format!("\n{}", text::more(lines.len() - MAX)));
    }
}

fn confirm_buttons() -> Vec<Vec<Button>> {
    vec![vec![
        btn(text::BTN_CONFIRM, Action::Confirm),
        btn(text::BTN_FIX, Action::Fix),
    ]]
}

fn submit_buttons(second: bool) -> Vec<Vec<Button>> {
    let yes = if second {
        text::BTN_SUBMIT_FORCE
    } else {
        text::BTN_SUBMIT
    };
    vec![vec![
        btn(yes, Action::SubmitYes),
        btn(text::BTN_NOT_YET, Action::Review),
    ]]
}

/// R-TXT-2: a heading that must compare cell types names fewer than two of the unit's types
/// (only when the unit has two or more). `row` is the heading id.
pub fn answer_findings(form: &Form, ctx: &UnitCtx) -> Vec<Finding> {
    if ctx.rows.len() < 2 {
        return vec![];
    }
    let types: Vec<&crate::form::CellType> = ctx.rows.iter().filter_map(|r| form.cell_type(r)).collect();
    let mut out = Vec::new();
    for n in form.answer_nodes().filter(|n| n.compare_types) {
        let Some(answer) = ctx.text(&n.id).filter(|t| *t != text::NOT_APPLICABLE) else {
            continue;
        };
        let lower = answer.to_lowercase();
        let named = types
            .iter()
            .filter(|t| t.keywords.iter().any(|k| lower.contains(k.as_str())))
            .count();
        if named < 2 {
            let names: Vec<String> = types.iter().map(|t| t.vi.clone()).collect();
            out.push(Finding {
                rule_id: "R-TXT-2".to_owned(),
                severity: Severity::Warning,
                row: n.id.clone(),
                message: text::compare_missing(&n.id, &names),
                cross: false,
                tables: vec![],
            });
        }
    }
    out
}

/// Report-level checks on the header fields (R-DOC-1, R-DOC-3, R-DOC-5); `row` is the field id.
pub fn field_findings(form: &Form, ctx: &UnitCtx) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut push = |rule: &str, row: &str, message: String| {
        out.push(Finding {
            rule_id: rule.to_owned(),
            severity: Severity::Warning,
            row: row.to_owned(),
            message,
            cross: false,
            tables: vec![],
        })
    };
    for f in &form.report_fields {
        let Some(v) = ctx.text(&f.id) else { continue };
        match f.kind {
            FieldKind::Date => {
                if let Some(d) = domain::parse_date(v) {
                    if let Some(letter) = domain::parse_date(&form.campaign.letter_date)
                        && d < letter
                    {
                        push(
                            "R-DOC-1",
                            &f.id,
                            text::doc_date_before_letter(&form.campaign.letter_date),
                        );
                    }
                    if chrono::Datelike::year(&d) != form.campaign.year {
                        push("R-DOC-3", &f.id, text::doc_year(form.campaign.year));
                    }
                }
            }
            FieldKind::Phone => {
                if !Phone::parse(v).is_some_and(|p| p.is_plausible()) {
                    push("R-DOC-5", &f.id, text::DOC_PHONE.to_owned());
                }
            }
            FieldKind::Text => {}
        }
    }
    out
}

/// "Tỷ lệ dự họp (%) — Tỷ lệ bình quân đảng viên dự 01 buổi sinh hoạt chi bộ"
fn column_label(c: &crate::form::Column) -> String {
    if c.short.to_lowercase() == c.vi.to_lowercase() {
        c.short.clone()
    } else {
        format!("{} — {}", c.short, c.vi)
    }
}

/// Ids of the rules that read `table`.
pub fn rules_reading(form: &Form, table: &str) -> Vec<String> {
    form.rules()
        .iter()
        .filter(|r| r.tables.contains(table))
        .map(|r| r.rule.id.clone())
        .collect()
}
