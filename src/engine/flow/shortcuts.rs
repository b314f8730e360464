//! Shortcuts for those who know the report: `/nhap B1 thon 12 3 …` enters a row,
//! `/traloi ID nội dung` answers a heading or a header field; several `/traloi` lines (or
//! `ID nội dung` lines after one `/traloi`) fill several at once.

use super::{Flow, btn};
use crate::domain::clean_text;
use crate::engine::state::{Action, State};
use crate::engine::text;
use crate::form::NodeKind;

impl Flow<'_> {
    pub(super) fn nhap(&mut self, state: State, args: &str) -> State {
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
            self.say(text::type_not_chosen(&ct.short), vec![]);
            return self.reprompt(state);
        }
        if !self.ctx.rows_chosen {
            // Entering a row of a preselected type accepts the preselection.
            self.ctx.rows_chosen = true;
            self.writes.push(super::Write::Rows(self.ctx.rows.clone()));
        }
        let (tid, code) = (t.id.clone(), ct.code.clone());
        if values.is_empty() {
            self.say(text::NHAP_USAGE, vec![]);
            return self.open_row(&tid, &code, true);
        }
        self.row_input(&tid, &code, &values.join(" "), true)
    }

    /// `/traloi ID nội dung`; with several lines, each line is `ID nội dung` (a leading
    /// `/traloi` on a line is allowed).
    pub(super) fn traloi(&mut self, state: State, args: &str) -> State {
        if self.locked() {
            return self.refuse_locked();
        }
        let lines: Vec<&str> = args
            .lines()
            .map(|l| l.trim().trim_start_matches("/traloi").trim())
            .filter(|l| !l.is_empty())
            .collect();
        let many = lines.len() > 1
            && lines.iter().all(|l| {
                let id = l.split_whitespace().next().unwrap_or("");
                self.form.report_field(id).is_some() || self.form.node(id).is_some()
            });
        if many {
            return self.traloi_many(&lines);
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
            return self.open_node(&nid, false, None);
        }
        let max = self.form.campaign.answer_max_chars;
        let v = clean_text(body);
        let n = v.chars().count();
        if v.is_empty() {
            self.say(text::ANSWER_EMPTY, vec![]);
            return self.reprompt(state);
        }
        if n > max {
            self.say(text::answer_too_long(max, 0, n), vec![]);
            return self.reprompt(state);
        }
        self.set_answer(&nid, "", Some(v));
        self.say(
            text::traloi_saved(&nid),
            vec![vec![
                btn(text::BTN_CONTINUE, Action::Resume),
                btn(text::BTN_MENU, Action::Menu),
            ]],
        );
        State::Menu
    }

    /// Several `ID nội dung` lines: every one is checked first; all are saved, or none.
    fn traloi_many(&mut self, lines: &[&str]) -> State {
        let mut saves = Vec::new();
        let mut problems = Vec::new();
        let max = self.form.campaign.answer_max_chars;
        for l in lines {
            let (id, body) = l.split_once(char::is_whitespace).unwrap_or((l, ""));
            if let Some(f) = self.form.report_field(id) {
                match self.parse_field(&f.id, body) {
                    Ok(v) => saves.push((f.id.clone(), v)),
                    Err(msg) => problems.push(format!("{}: {msg}", f.id)),
                }
            } else if let Some(n) = self.form.node(id).filter(|n| n.kind == NodeKind::Answer) {
                let v = clean_text(body);
                if v.is_empty() {
                    problems.push(format!("{}: {}", n.id, text::ANSWER_EMPTY));
                } else if v.chars().count() > max {
                    problems.push(format!(
                        "{}: {}",
                        n.id,
                        text::answer_too_long(max, 0, v.chars().count())
                    ));
                } else {
                    saves.push((n.id.clone(), v));
                }
            } else {
                problems.push(text::container_node(id, ""));
            }
        }
        if !problems.is_empty() {
            self.say(text::nothing_saved(&problems), vec![]);
            return State::Menu;
        }
        let ids: Vec<String> = saves.iter().map(|(id, _)| id.clone()).collect();
        for (id, v) in saves {
            self.set_answer(&id, "", Some(v));
        }
        let warnings: Vec<String> = ids.iter().flat_map(|id| self.field_warnings(id)).collect();
        let mut msg = text::many_saved(&ids);
        if !warnings.is_empty() {
            msg.push_str(&format!("\n{}", text::warnings_later(&warnings)));
        }
        self.say(msg, vec![]);
        self.resume()
    }
}
