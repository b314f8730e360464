//! The cell types (the rows of every table) and the table rows: a whole row in one message,
//! a value at a time, `cột=giá trị` edits, or the numbered column list pasted back.

use super::{Flow, Write, btn, review};
use crate::domain::{Figure, format_vi};
use crate::engine::check::{self, Finding};
use crate::engine::state::{Action, State};
use crate::engine::text;
use crate::form::{Column, Form, Severity, Table};

impl Flow<'_> {
    /// The cell types as buttons (two a line, short names) and as a numbered list, so they
    /// can also be chosen by typing their numbers.
    pub(super) fn pick_types(&mut self, selected: Vec<String>) -> State {
        let mut rows = Vec::new();
        let mut pair = Vec::new();
        let mut list = Vec::new();
        for (i, t) in self.form.cell_types.iter().filter(|t| t.active).enumerate() {
            let mark = if selected.contains(&t.code) { "✅" } else { "⬜" };
            list.push(format!("{}. {mark} {}", i + 1, t.short));
            pair.push(btn(format!("{mark} {}", t.short), Action::Toggle(t.code.clone())));
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
        self.screen(text::pick_types_intro(&list.join("\n")), rows);
        State::PickTypes { selected }
    }

    pub(super) fn toggle_type(&mut self, mut selected: Vec<String>, code: &str) -> State {
        if let Some(t) = self.form.cell_type(code).filter(|t| t.active) {
            if let Some(i) = selected.iter().position(|s| s == &t.code) {
                selected.remove(i);
            } else {
                selected.push(t.code.clone());
            }
        }
        self.pick_types(selected)
    }

    /// "1 3 4": exactly these types, then on as with «Tiếp tục».
    pub(super) fn types_typed(&mut self, selected: Vec<String>, t: &str) -> State {
        let active: Vec<&crate::form::CellType> = self.form.cell_types.iter().filter(|t| t.active).collect();
        let picked: Option<Vec<String>> = t
            .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
            .filter(|s| !s.is_empty())
            .map(|s| {
                let i: usize = s.trim_start_matches('#').parse().ok()?;
                active.get(i.checked_sub(1)?).map(|t| t.code.clone())
            })
            .collect();
        match picked {
            Some(p) if !p.is_empty() => self.types_done(p),
            _ => {
                self.say(text::PICK_TYPES_HINT, vec![]);
                self.pick_types(selected)
            }
        }
    }

    pub(super) fn types_done(&mut self, selected: Vec<String>) -> State {
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
        self.say(text::types_saved(&self.type_shorts()), vec![]);
        self.resume()
    }

    pub(super) fn tables(&mut self) -> State {
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
        self.screen(text::tables_intro(&self.type_shorts()), rows);
        State::Menu
    }

    pub(super) fn table(&mut self, id: &str) -> State {
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
            buttons.push(vec![btn(
                format!("{mark} {}", self.type_short(r)),
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

    fn type_short(&self, row: &str) -> String {
        self.form
            .cell_type(row)
            .map_or_else(|| row.to_owned(), |c| c.short.clone())
    }

    /// The next incomplete row: first in `from` (if given) and the tables after it; when
    /// every row is in, the report moves on to its next part.
    pub(super) fn tables_next(&mut self, from: Option<&str>) -> State {
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
            Some((t, r)) => self.open_row(&t, &r, false),
            None => {
                self.say(text::TABLES_ALL_DONE, vec![]);
                self.resume()
            }
        }
    }

    /// The numbered column list with the values entered so far, grouped under the table's
    /// header groups, so it can be copied, filled in and sent back.
    fn column_list(&self, t: &Table, row: &str) -> String {
        let mut s = String::new();
        let mut group = String::new();
        for (i, c) in t.columns.iter().enumerate() {
            let g = column_group(c);
            if g != group {
                if !g.is_empty() {
                    s.push_str(&format!("\n{g}:"));
                }
                group = g;
            }
            let label = if group.is_empty() { &c.short } else { &c.vi };
            let v = match self.ctx.answer(&t.answer_key(c, row)) {
                None => "…".to_owned(),
                Some(None) => "-".to_owned(),
                Some(Some(v)) => v.parse::<f64>().map(format_vi).unwrap_or_else(|_| v.clone()),
            };
            s.push_str(&format!("\n{}. {label}: {v}", i + 1));
        }
        s
    }

    /// A row's screen: the full column list on a table's first row (or when asked), a short
    /// reminder on the rows after it.
    pub(super) fn open_row(&mut self, table: &str, row: &str, full: bool) -> State {
        let Some(t) = self.form.table(table).cloned() else {
            self.say(text::STALE_BUTTON, vec![]);
            return self.tables();
        };
        if self.locked() {
            return self.refuse_locked();
        }
        let rows: Vec<String> = self.ctx.table_rows(self.form, &t).cloned().collect();
        let Some(pos) = rows.iter().position(|r| r == row) else {
            self.say(text::STALE_BUTTON, vec![]);
            return self.tables();
        };
        let name = self.type_short(row);
        let started = check::first_missing_column(&self.ctx, &t, row) != Some(0);
        let mut s = text::row_title(&t.short_name, &name, pos + 1, rows.len());
        let mut buttons = Vec::new();
        if full || pos == 0 || started {
            s.push_str(&self.column_list(&t, row));
            s.push_str(&format!("\n\n{}", text::row_instructions(t.columns.len())));
        } else {
            let first = self.type_short(&rows[0]);
            s.push_str(&format!("\n{}", text::row_short_instructions(t.columns.len(), &first)));
            buttons.push(btn(text::BTN_COLUMNS, Action::Columns(t.id.clone(), row.to_owned())));
        }
        if let Some(i) = check::first_missing_column(&self.ctx, &t, row) {
            let c = &t.columns[i];
            s.push_str(&format!("\n{}", text::next_column(i + 1, &column_label(c), c.kind)));
        }
        buttons.push(btn(text::BTN_TABLES, Action::Table(t.id.clone())));
        buttons.push(btn(text::BTN_MENU, Action::Menu));
        self.say(s, vec![buttons]);
        State::Row {
            table: t.id.clone(),
            row: row.to_owned(),
        }
    }

    fn stay(&mut self, t: &Table, row: &str, msg: String) -> State {
        self.say(
            msg,
            vec![vec![
                btn(text::BTN_COLUMNS, Action::Columns(t.id.clone(), row.to_owned())),
                btn(text::BTN_MENU, Action::Menu),
            ]],
        );
        State::Row {
            table: t.id.clone(),
            row: row.to_owned(),
        }
    }

    /// Applies typed figures to a row: a whole row, one value for the next empty column,
    /// `col=value` edits, or the pasted column list. Nothing is saved unless every value is
    /// valid; then the row's rules are checked. `shortcut` (from `/nhap`) answers with a
    /// receipt only.
    pub(super) fn row_input(&mut self, table: &str, row: &str, input: &str, shortcut: bool) -> State {
        let Some(t) = self.form.table(table).cloned() else {
            return self.tables();
        };
        let assignments = match parse_row(&t, &self.ctx, row, input, shortcut) {
            Ok(a) => a,
            Err(RowInput::Prose) => {
                let msg = text::prose_in_row(&t.short_name, &self.type_short(row));
                self.say(
                    msg,
                    vec![vec![
                        btn(text::BTN_OUTLINE, Action::Outline),
                        btn(text::BTN_MENU, Action::Menu),
                    ]],
                );
                return State::Row {
                    table: t.id.clone(),
                    row: row.to_owned(),
                };
            }
            Err(RowInput::Problem(msg)) => return self.stay(&t, row, msg),
        };
        // Every value is checked before anything is saved.
        let mut values = Vec::new();
        let mut problems = Vec::new();
        for (i, tok) in assignments {
            let c = &t.columns[i];
            match Figure::parse_max(&tok, c.kind, c.max_value()) {
                Ok(Figure::Blank) if c.blank_when.is_none() => {
                    problems.push(text::bad_value(i + 1, &c.short, &tok, text::BLANK_NOT_ALLOWED));
                }
                Ok(fig) => values.push((i, fig)),
                Err(e) => problems.push(text::bad_value(i + 1, &c.short, &tok, &text::figure_error(&e))),
            }
        }
        if !problems.is_empty() {
            return self.stay(&t, row, text::nothing_saved(&problems));
        }
        let single = values.len() == 1;
        let mut changed = false;
        for (i, fig) in &values {
            let key = t.answer_key(&t.columns[*i], row);
            let value = fig.to_storage();
            if self.ctx.answer(&key) != Some(&value) {
                changed = true;
                self.set_answer(&key.key(), row, value);
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
        let mut msg = Vec::new();
        match values.first().filter(|_| single) {
            Some((i, fig)) => msg.push(text::value_saved(i + 1, fig.num().map(format_vi).as_deref())),
            None => msg.push(text::row_saved(&t.short_name, &self.type_short(row))),
        }
        if let Some(i) = check::first_missing_column(&self.ctx, &t, row) {
            let c = &t.columns[i];
            msg.push(text::next_column(i + 1, &column_label(c), c.kind));
            return self.stay(&t, row, msg.join("\n"));
        }
        self.check_row(&t, row, msg, shortcut)
    }

    /// A complete row: errors keep it open, warnings wait for a confirmation, else on to
    /// the next row.
    fn check_row(&mut self, t: &Table, row: &str, mut msg: Vec<String>, shortcut: bool) -> State {
        let findings: Vec<Finding> = check::row_findings(self.form, &self.ctx, row)
            .into_iter()
            .filter(|f| f.tables.contains(&t.id))
            .collect();
        let pick = |sev: Severity, cross: bool| -> Vec<String> {
            findings
                .iter()
                .filter(|f| f.severity == sev && f.cross == cross)
                .map(|f| f.message.clone())
                .collect()
        };
        let (errors, cross) = (pick(Severity::Error, false), pick(Severity::Error, true));
        let mut infos = pick(Severity::Info, false);
        infos.extend(pick(Severity::Info, true));
        let warnings: Vec<&Finding> = findings
            .iter()
            .filter(|f| f.severity == Severity::Warning && !self.ctx.is_confirmed(&f.rule_id, row))
            .collect();
        if !infos.is_empty() {
            msg.push(text::row_infos(&infos));
        }
        if !cross.is_empty() {
            msg.push(text::row_cross(&cross));
        }
        if !errors.is_empty() {
            msg.push(text::row_errors(&errors));
            msg.push(text::ROW_FIX.to_owned());
            return self.stay(t, row, msg.join("\n"));
        }
        if !warnings.is_empty() {
            let lines: Vec<String> = warnings.iter().map(|f| f.message.clone()).collect();
            let rules: Vec<String> = warnings.iter().map(|f| f.rule_id.clone()).collect();
            msg.push(text::row_warnings(&lines));
            self.say(msg.join("\n"), review::confirm_buttons());
            return State::ConfirmRow {
                table: t.id.clone(),
                row: row.to_owned(),
                rules,
            };
        }
        if shortcut {
            msg.push(text::ROW_OK.to_owned());
            self.say(msg.join("\n"), vec![vec![btn(text::BTN_CONTINUE, Action::Resume)]]);
            return State::Menu;
        }
        self.say(msg.join("\n"), vec![]);
        self.tables_next(Some(&t.id))
    }

    pub(super) fn confirm_row(&mut self, table: &str, row: &str, rules: &[String]) -> State {
        for f in check::row_findings(self.form, &self.ctx, row) {
            if rules.contains(&f.rule_id) {
                self.writes.push(Write::ConfirmWarning {
                    rule: f.rule_id.clone(),
                    row: row.to_owned(),
                    message: f.message.clone(),
                });
                self.ctx.confirmed.push((f.rule_id, row.to_owned()));
            }
        }
        self.say(text::ROW_CONFIRMED, vec![]);
        self.tables_next(Some(table))
    }
}

enum RowInput {
    /// Words where figures are expected: most likely meant for a heading.
    Prose,
    /// Nothing can be saved; the message says why and what to send.
    Problem(String),
}

/// Which column gets which typed token.
fn parse_row(
    t: &Table,
    ctx: &check::UnitCtx,
    row: &str,
    input: &str,
    shortcut: bool,
) -> Result<Vec<(usize, String)>, RowInput> {
    let ncols = t.columns.len();
    let lines: Vec<&str> = input.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    // The column list pasted back: "3. Chi bộ có 3 đảng viên trở xuống: 2".
    let listed: Vec<(usize, String)> = lines.iter().filter_map(|l| listed_value(l)).collect();
    if !listed.is_empty() && (lines.len() > 1 || listed.len() == lines.len()) {
        let mut out = Vec::new();
        for (i, v) in listed {
            if !(1..=ncols).contains(&i) {
                return Err(RowInput::Problem(text::nothing_saved(&[text::no_such_column(
                    &i.to_string(),
                    ncols,
                )])));
            }
            if v != "…" {
                out.push((i - 1, v));
            }
        }
        return Ok(out);
    }
    let tokens: Vec<&str> = input
        .split(|c: char| c.is_whitespace() || c == ';')
        .filter(|s| !s.is_empty())
        .collect();
    let edits = tokens.iter().any(|tok| tok.contains('='));
    let words = tokens
        .iter()
        .filter(|tok| tok.chars().next().is_some_and(char::is_alphabetic))
        .count();
    if !edits && words >= 2 && words * 2 > tokens.len() {
        return Err(RowInput::Prose);
    }
    if edits {
        let mut out = Vec::new();
        let mut problems = Vec::new();
        for tok in &tokens {
            match tok.split_once('=') {
                Some((k, v)) => match k.trim().parse::<usize>() {
                    Ok(i) if (1..=ncols).contains(&i) && !v.is_empty() => out.push((i - 1, v.to_owned())),
                    _ => problems.push(text::no_such_column(k, ncols)),
                },
                None => problems.push(text::no_such_column(tok, ncols)),
            }
        }
        if !problems.is_empty() {
            return Err(RowInput::Problem(text::nothing_saved(&problems)));
        }
        return Ok(out);
    }
    if tokens.len() == ncols {
        return Ok(tokens.iter().enumerate().map(|(i, v)| (i, (*v).to_owned())).collect());
    }
    if tokens.len() == 1 && !shortcut {
        return match check::first_missing_column(ctx, t, row) {
            Some(i) => Ok(vec![(i, tokens[0].to_owned())]),
            None => Err(RowInput::Problem(text::row_full_use_edit(ncols))),
        };
    }
    Err(RowInput::Problem(text::wrong_count(&t.short_name, ncols, tokens.len())))
}

/// "12. Label: 5" -> (12, "5").
fn listed_value(line: &str) -> Option<(usize, String)> {
    let (num, rest) = line.split_once(['.', ')'])?;
    let i: usize = num.trim().parse().ok()?;
    let (_, value) = rest.rsplit_once(':')?;
    let value = value.trim();
    (!value.is_empty() && !value.contains(char::is_whitespace)).then(|| (i, value.to_owned()))
}

/// "Bí thư chi bộ, trình độ lý luận chính trị" for a column under two or more header
/// groups; empty for plain columns (their own label says it all).
fn column_group(c: &Column) -> String {
    if c.groups.len() < 2 {
        return String::new();
    }
    let first = &c.groups[0];
    let last = c.groups.last().map(|g| g.to_lowercase()).unwrap_or_default();
    format!("{first}, {last}")
}

/// "Tỷ lệ đảng viên dự sinh hoạt bình quân (%)" with the printed header when it says more.
pub(super) fn column_label(c: &Column) -> String {
    c.short.clone()
}

/// Ids of the rules that read `table`.
pub fn rules_reading(form: &Form, table: &str) -> Vec<String> {
    form.rules()
        .iter()
        .filter(|r| r.tables.contains(table))
        .map(|r| r.rule.id.clone())
        .collect()
}
