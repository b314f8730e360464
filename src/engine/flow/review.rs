//! The review (what is missing, errors, open warnings) and the submission: one press on
//! «Nộp báo cáo», one confirmation.

use super::{Flow, Write, btn};
use crate::engine::check::{self, Finding, UnitCtx};
use crate::engine::reply::Button;
use crate::engine::state::{Action, State};
use crate::engine::text;
use crate::form::{Form, Severity};
use crate::store::Status;

/// At most this many lines of a list on one screen.
const LIST_MAX: usize = 8;

impl Flow<'_> {
    fn describe_row(&self, t: &str, r: &str) -> String {
        let short = self
            .form
            .table(t)
            .map_or_else(|| t.to_owned(), |x| x.short_name.clone());
        let name = self.form.cell_type(r).map_or_else(|| r.to_owned(), |c| c.short.clone());
        format!("{short} — {name}")
    }

    fn missing_lines(&self, m: &check::Missing) -> Vec<String> {
        let mut lines = Vec::new();
        if !m.headings.is_empty() {
            lines.push(format!("Đề cương: mục {}", m.headings.join(", ")));
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
        all.extend(super::field_findings(self.form, &self.ctx));
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
            Some(t) => format!("{}: {}", t.short, f.message),
            None => f.message.clone(),
        }
    }

    pub(super) fn review(&mut self) -> State {
        let (a, at, r, rt, fd, ft) = self.progress();
        let mut s = text::review_header(&self.ctx.unit_name, text::status_name(self.env.status));
        s.push_str(&format!("\n{}", text::review_counts(a, at, r, rt, fd, ft)));
        let m = check::missing(self.form, &self.ctx);
        let (errors, warnings) = self.findings();
        push_list(&mut s, text::MISSING_HEAD, &self.missing_lines(&m));
        push_list(
            &mut s,
            text::ERRORS_HEAD,
            &errors.iter().map(|f| self.finding_line(f)).collect::<Vec<_>>(),
        );
        push_list(
            &mut s,
            text::WARNINGS_HEAD,
            &warnings.iter().map(|f| self.finding_line(f)).collect::<Vec<_>>(),
        );
        let mut buttons = Vec::new();
        if !self.locked() {
            if errors.is_empty() {
                s.push_str(&format!("\n\n{}", text::REVIEW_READY));
                buttons.push(vec![btn(text::BTN_SUBMIT, Action::Submit)]);
            }
            if !m.is_empty() || !errors.is_empty() {
                buttons.push(vec![btn(text::BTN_CONTINUE, Action::Resume)]);
            }
        }
        buttons.push(vec![btn(text::BTN_MENU, Action::Menu)]);
        self.say(s, buttons);
        State::Menu
    }

    pub(super) fn submit(&mut self) -> State {
        if self.locked() {
            return self.refuse_locked();
        }
        let (errors, warnings) = self.findings();
        if !errors.is_empty() {
            let mut s = String::new();
            push_list(
                &mut s,
                text::ERRORS_HEAD,
                &errors.iter().map(|f| self.finding_line(f)).collect::<Vec<_>>(),
            );
            s.push_str(&format!("\n{}", text::submit_blocked(errors.len())));
            self.say(
                s.trim_start().to_owned(),
                vec![vec![
                    btn(text::BTN_CONTINUE, Action::Resume),
                    btn(text::BTN_MENU, Action::Menu),
                ]],
            );
            return State::Menu;
        }
        let m = check::missing(self.form, &self.ctx);
        self.screen(
            text::submit_confirm(&self.ctx.unit_name, m.count(), warnings.len(), self.board()),
            submit_buttons(),
        );
        State::ConfirmSubmit { second: false }
    }

    pub(super) fn submit_yes(&mut self) -> State {
        let (errors, _) = self.findings();
        if !errors.is_empty() {
            return self.submit();
        }
        let again = self.env.status == Status::Returned;
        self.writes.push(Write::Submit { again });
        self.writes.push(Write::NotifyBoard(text::board_submitted(
            &self.ctx.unit_name,
            &self.env.now_text,
            again,
        )));
        self.screen(
            text::submitted(&self.env.now_text, self.env.past_deadline, self.board()),
            vec![super::menu_row()],
        );
        State::Menu
    }
}

fn push_list(s: &mut String, title: &str, lines: &[String]) {
    if lines.is_empty() {
        return;
    }
    if !title.is_empty() {
        s.push_str(&format!("\n{title}"));
    }
    for l in lines.iter().take(LIST_MAX) {
        s.push_str(&format!("\n• {}", text::shorten(l, 160)));
    }
    if lines.len() > LIST_MAX {
        s.push_str(&format!("\n{}", text::more(lines.len() - LIST_MAX)));
    }
}

pub(super) fn confirm_buttons() -> Vec<Vec<Button>> {
    vec![vec![
        btn(text::BTN_CONFIRM, Action::Confirm),
        btn(text::BTN_FIX, Action::Fix),
    ]]
}

pub(super) fn submit_buttons() -> Vec<Vec<Button>> {
    vec![vec![
        btn(text::BTN_SUBMIT_YES, Action::SubmitYes),
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
            let names: Vec<String> = types.iter().map(|t| t.short.clone()).collect();
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
