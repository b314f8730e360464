//! The report's header fields (number, date, preparer, signer, title, phone), asked one by
//! one; the last one leads to the review.

use super::{Flow, Write, btn, review};
use crate::domain::{self, Phone};
use crate::engine::check::{Finding, UnitCtx};
use crate::engine::state::{Action, State};
use crate::engine::text;
use crate::form::{FieldKind, Form, Severity};

impl Flow<'_> {
    pub(super) fn fields(&mut self) -> State {
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
        rows.push(super::menu_row());
        self.screen(text::fields_intro(done, total), rows);
        State::Menu
    }

    /// The first empty field; when all are filled, the report moves on (to the review).
    pub(super) fn fields_next(&mut self) -> State {
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
                self.resume()
            }
        }
    }

    pub(super) fn open_field(&mut self, id: &str, guided: bool) -> State {
        if self.locked() {
            return self.refuse_locked();
        }
        let Some(f) = self.form.report_field(id) else {
            return self.fields();
        };
        let (done, total) = (
            self.form.report_fields.iter().position(|x| x.id == f.id).unwrap_or(0) + 1,
            self.form.report_fields.len(),
        );
        let msg = text::field_prompt(&f.label, &f.prompt, self.ctx.text(&f.id), &f.id, done, total);
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

    pub(super) fn after_field(&mut self, id: &str, guided: bool) -> State {
        if guided {
            let pos = self.form.report_fields.iter().position(|f| f.id == id).unwrap_or(0);
            let next = self.form.report_fields[pos + 1..]
                .iter()
                .find(|f| self.ctx.text(&f.id).is_none())
                .map(|f| f.id.clone());
            if let Some(n) = next {
                return self.open_field(&n, true);
            }
            return self.resume();
        }
        self.fields()
    }

    /// Validates a header field; `Err` carries the message to show.
    pub(super) fn parse_field(&self, id: &str, t: &str) -> Result<String, String> {
        let Some(f) = self.form.report_field(id) else {
            return Err(text::STALE_BUTTON.to_owned());
        };
        domain::parse_field(f.kind, t).map_err(|e| text::field_error(&e).to_owned())
    }

    pub(super) fn field_input(&mut self, id: &str, t: &str, guided: bool) -> State {
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

    /// Saves a valid field; a warning waits for a confirmation, else the next field.
    pub(super) fn save_field(&mut self, id: &str, value: String, guided: bool) -> State {
        self.store_field(id, value);
        let warnings = self.field_warnings(id);
        if !warnings.is_empty() {
            self.say(text::row_warnings(&warnings), review::confirm_buttons());
            return State::ConfirmField {
                id: id.to_owned(),
                guided,
            };
        }
        self.after_field(id, guided)
    }

    /// Writes the field with its receipt.
    pub(super) fn store_field(&mut self, id: &str, value: String) {
        let label = self.form.report_field(id).map(|f| f.label.clone()).unwrap_or_default();
        self.set_answer(id, "", Some(value.clone()));
        self.say(text::field_saved(&label, &value), vec![]);
    }

    pub(super) fn field_warnings(&self, id: &str) -> Vec<String> {
        field_findings(self.form, &self.ctx)
            .into_iter()
            .filter(|f| f.row == id && !self.ctx.is_confirmed(&f.rule_id, id))
            .map(|f| f.message)
            .collect()
    }

    pub(super) fn confirm_field(&mut self, id: &str, guided: bool) -> State {
        for f in field_findings(self.form, &self.ctx) {
            if f.row == id {
                self.writes.push(Write::ConfirmWarning {
                    rule: f.rule_id.clone(),
                    row: id.to_owned(),
                    message: f.message.clone(),
                });
                self.ctx.confirmed.push((f.rule_id, id.to_owned()));
            }
        }
        self.say(text::ROW_CONFIRMED, vec![]);
        self.after_field(id, guided)
    }
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
