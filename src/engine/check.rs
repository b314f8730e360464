//! Consistency checks over one unit's answers: the form's rules, completeness, and what
//! is still missing. Pure: reads a [`UnitCtx`], no I/O.

use std::collections::HashMap;

use crate::domain::{Figure, format_vi};
use crate::form::{Applies, Form, NodeKind, Severity, Table};

/// Everything the conversation needs to know about one unit's report.
#[derive(Debug, Clone, Default)]
pub struct UnitCtx {
    pub unit_name: String,
    pub chi_bo: bool,
    pub commune: bool,
    /// Cell types this report has rows for, in form order.
    pub rows: Vec<String>,
    /// Whether the secretary has confirmed the cell types yet.
    pub rows_chosen: bool,
    /// `(key, row) -> value`; `None` is an explicit blank.
    pub answers: HashMap<(String, String), Option<String>>,
    /// `(rule id, row)` of warnings confirmed as correct.
    pub confirmed: Vec<(String, String)>,
}

impl UnitCtx {
    pub fn get(&self, key: &str, row: &str) -> Option<&Option<String>> {
        self.answers.get(&(key.to_owned(), row.to_owned()))
    }

    /// The stored value of an answer: `None` when never given, `Some(None)` when left blank.
    pub fn answer(&self, key: &crate::form::AnswerKey) -> Option<&Option<String>> {
        self.get(&key.key(), key.row())
    }

    pub fn text(&self, key: &str) -> Option<&str> {
        self.get(key, "").and_then(|v| v.as_deref()).filter(|s| !s.is_empty())
    }

    pub fn figure(&self, key: &str, row: &str) -> Option<Figure> {
        self.get(key, row).and_then(|v| Figure::from_storage(v.as_deref()))
    }

    pub fn set(&mut self, key: &str, row: &str, value: Option<String>) {
        self.answers.insert((key.to_owned(), row.to_owned()), value);
    }

    pub fn is_confirmed(&self, rule: &str, row: &str) -> bool {
        self.confirmed.iter().any(|(r, w)| r == rule && w == row)
    }

    pub fn has_residential(&self, form: &Form) -> bool {
        self.rows
            .iter()
            .any(|r| form.cell_type(r).is_some_and(|t| t.residential))
    }

    /// Whether a node's `applies` condition excludes this unit ("Không áp dụng" allowed).
    pub fn excluded_by(&self, form: &Form, applies: Option<Applies>) -> bool {
        match applies {
            None => false,
            Some(Applies::Residential) => !self.has_residential(form),
            Some(Applies::DangBo) => self.chi_bo,
            Some(Applies::Commune) => !self.commune,
        }
    }

    /// The rows of `table` this unit must fill.
    pub fn table_rows<'a>(&'a self, form: &'a Form, table: &'a Table) -> impl Iterator<Item = &'a String> + 'a {
        self.rows
            .iter()
            .filter(move |r| !table.residential_only || form.cell_type(r).is_some_and(|t| t.residential))
    }
}

/// One rule outcome for one row.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub rule_id: String,
    pub severity: Severity,
    pub row: String,
    pub message: String,
    /// Reads more than one table: fixed anywhere, enforced at submission.
    pub cross: bool,
    pub tables: Vec<String>,
}

fn env<'a>(form: &'a Form, ctx: &'a UnitCtx, row: &'a str) -> impl Fn(&str) -> Option<f64> + 'a {
    move |var: &str| match var {
        "row.residential" => Some(f64::from(u8::from(form.cell_type(row).is_some_and(|t| t.residential)))),
        "unit.chi_bo" => Some(f64::from(u8::from(ctx.chi_bo))),
        "unit.dang_bo" => Some(f64::from(u8::from(!ctx.chi_bo))),
        "years" => Some(f64::from(form.campaign.period_years)),
        key => ctx.figure(key, row).and_then(Figure::num),
    }
}

/// Fills `{B1.cells_total}` placeholders with the row's values.
fn render(form: &Form, ctx: &UnitCtx, row: &str, message: &str) -> String {
    let lookup = env(form, ctx, row);
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        match rest[start..].find('}') {
            Some(end) => {
                let var = &rest[start + 1..start + end];
                out.push_str(&lookup(var).map(format_vi).unwrap_or_else(|| "–".into()));
                rest = &rest[start + end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// The form's rules, plus blank checks, evaluated on one row.
pub fn row_findings(form: &Form, ctx: &UnitCtx, row: &str) -> Vec<Finding> {
    let lookup = env(form, ctx, row);
    let mut out = Vec::new();
    for r in form.rules() {
        if let Some(w) = &r.when
            && w.eval(&lookup).truth() != Some(true)
        {
            continue;
        }
        if r.check.eval(&lookup).truth() == Some(false) {
            out.push(Finding {
                rule_id: r.rule.id.clone(),
                severity: r.rule.severity,
                row: row.to_owned(),
                message: render(form, ctx, row, &r.rule.message),
                cross: r.tables.len() > 1,
                tables: r.tables.iter().cloned().collect(),
            });
        }
    }
    for t in &form.tables {
        if !ctx.table_rows(form, t).any(|r| r == row) {
            continue;
        }
        for (i, c) in t.columns.iter().enumerate() {
            if !matches!(ctx.answer(&t.answer_key(c, row)), Some(None)) {
                continue;
            }
            let allowed = c
                .blank_when
                .as_deref()
                .and_then(|w| crate::form::expr::Expr::parse(w).ok());
            let ok = allowed.is_some_and(|e| e.eval(&lookup).truth() != Some(false));
            if !ok {
                out.push(Finding {
                    rule_id: format!("R-BLANK-{}", t.id),
                    severity: Severity::Error,
                    row: row.to_owned(),
                    message: format!("{} cột {} ({}) không được để trống.", t.short_name, i + 1, c.short),
                    cross: false,
                    tables: vec![t.id.clone()],
                });
            }
        }
    }
    out
}

/// Findings over every row of the report.
pub fn all_findings(form: &Form, ctx: &UnitCtx) -> Vec<Finding> {
    ctx.rows.iter().flat_map(|r| row_findings(form, ctx, r)).collect()
}

/// What is still empty, for the review and the submit confirmation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Missing {
    pub headings: Vec<String>,
    /// `(table id, row)` pairs with at least one column not entered.
    pub rows: Vec<(String, String)>,
    pub fields: Vec<String>,
}

impl Missing {
    pub fn is_empty(&self) -> bool {
        self.headings.is_empty() && self.rows.is_empty() && self.fields.is_empty()
    }
    pub fn count(&self) -> usize {
        self.headings.len() + self.rows.len() + self.fields.len()
    }
}

pub fn missing(form: &Form, ctx: &UnitCtx) -> Missing {
    let mut m = Missing::default();
    for n in form.outline.iter().filter(|n| n.kind == NodeKind::Answer) {
        if ctx.text(&n.id).is_none() {
            m.headings.push(n.id.clone());
        }
    }
    for t in &form.tables {
        for r in ctx.table_rows(form, t) {
            if !row_complete(ctx, t, r) {
                m.rows.push((t.id.clone(), r.clone()));
            }
        }
    }
    for f in &form.report_fields {
        if ctx.text(&f.id).is_none() {
            m.fields.push(f.id.clone());
        }
    }
    m
}

pub fn row_complete(ctx: &UnitCtx, table: &Table, row: &str) -> bool {
    table
        .columns
        .iter()
        .all(|c| ctx.get(&format!("{}.{}", table.id, c.key), row).is_some())
}

/// Index of the first column of `row` with nothing entered.
pub fn first_missing_column(ctx: &UnitCtx, table: &Table, row: &str) -> Option<usize> {
    table
        .columns
        .iter()
        .position(|c| ctx.get(&format!("{}.{}", table.id, c.key), row).is_none())
}
