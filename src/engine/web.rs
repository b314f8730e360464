//! The report as a web form (Telegram's Mini App): what the form shows, and a save applied
//! as one step of the engine: checked with the chat's rules, written in one transaction with
//! its idempotency key and the chat's receipt, once however often it is sent.

use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::check::{self, UnitCtx};
use super::{Engine, EngineError, flow, text};
use crate::form::{AnswerKey, FieldKind, Severity, ValueKind};
use crate::message::{Delivery, Outgoing};
use crate::store::{self, Member, Source};
use crate::template::read::value_for;

#[derive(Debug, Clone, Serialize)]
pub struct WebInput {
    pub key: String,
    pub row: String,
    pub label: String,
    /// "text", "date", "phone", "heading", or a figure's "count", "percent", "avg", "hours".
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    pub blank: bool,
    pub value: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WebHeading {
    pub input: WebInput,
    pub guidance: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WebRow {
    pub cell: String,
    pub name: String,
    pub inputs: Vec<WebInput>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WebTable {
    pub id: String,
    pub name: String,
    pub title: String,
    pub rows: Vec<WebRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WebFinding {
    pub rule: String,
    pub row: String,
    pub message: String,
}

/// Everything the form shows, for the member's own unit.
#[derive(Debug, Clone, Serialize)]
pub struct WebView {
    pub campaign: String,
    pub unit: String,
    pub deadline: String,
    pub status: &'static str,
    pub locked: bool,
    pub fields: Vec<WebInput>,
    pub headings: Vec<WebHeading>,
    pub tables: Vec<WebTable>,
    pub errors: Vec<WebFinding>,
    pub warnings: Vec<WebFinding>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct WebValue {
    pub key: String,
    #[serde(default)]
    pub row: String,
    pub value: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct WebConfirm {
    pub rule: String,
    pub row: String,
}

/// One save: an idempotency key, the values changed, the warnings ticked.
#[derive(Debug, Clone, Deserialize)]
pub struct WebSave {
    pub id: String,
    #[serde(default)]
    pub values: Vec<WebValue>,
    #[serde(default)]
    pub confirm: Vec<WebConfirm>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WebFieldError {
    pub key: String,
    pub row: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct WebSaved {
    pub figures: usize,
    pub answers: usize,
    /// The same save was applied before; nothing was written now.
    pub duplicate: bool,
    pub errors: Vec<WebFinding>,
    pub warnings: Vec<WebFinding>,
}

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("not a registered secretary")]
    NotSecretary,
    #[error("the report is submitted")]
    Locked,
    #[error("values refused")]
    Invalid(Vec<WebFieldError>),
    #[error(transparent)]
    Engine(#[from] EngineError),
}

impl From<store::StoreError> for WebError {
    fn from(e: store::StoreError) -> Self {
        WebError::Engine(EngineError::from(e))
    }
}

impl From<anyhow::Error> for WebError {
    fn from(e: anyhow::Error) -> Self {
        WebError::Engine(EngineError::from(e))
    }
}

fn kind_name(k: ValueKind) -> &'static str {
    match k {
        ValueKind::Count => "count",
        ValueKind::Percent => "percent",
        ValueKind::Avg => "avg",
        ValueKind::Hours => "hours",
    }
}

impl Engine {
    async fn web_member(&self, conn: &mut sqlx::SqliteConnection, user: i64) -> Result<Member, WebError> {
        match store::member_by_user(conn, user).await? {
            Some(m) if m.removed_at.is_none() && !m.is_board() && m.unit_id.is_some() => Ok(m),
            _ => Err(WebError::NotSecretary),
        }
    }

    fn findings_of(&self, ctx: &UnitCtx) -> (Vec<WebFinding>, Vec<WebFinding>) {
        let mut all = check::all_findings(&self.form, ctx);
        all.extend(flow::field_findings(&self.form, ctx));
        all.extend(flow::answer_findings(&self.form, ctx));
        let f = |x: &check::Finding| WebFinding {
            rule: x.rule_id.clone(),
            row: x.row.clone(),
            message: match self.form.cell_type(&x.row) {
                Some(t) => format!("{}: {}", t.short, x.message),
                None => x.message.clone(),
            },
        };
        let errors = all.iter().filter(|x| x.severity == Severity::Error).map(f).collect();
        let warnings = all
            .iter()
            .filter(|x| x.severity == Severity::Warning && !ctx.is_confirmed(&x.rule_id, &x.row))
            .map(f)
            .collect();
        (errors, warnings)
    }

    /// The form of the unit of Telegram user `user`.
    pub async fn web_view(&self, user: i64) -> Result<WebView, WebError> {
        let mut conn = self.store().read().await?;
        let m = self.web_member(&mut conn, user).await?;
        let unit = store::unit_by_id(&mut conn, m.unit_id.context("unit")?)
            .await?
            .context("member's unit")?;
        let (ctx, report) = self.load_ctx(&mut conn, &unit).await?;
        drop(conn);
        let value = |k: &AnswerKey| ctx.answer(k).cloned().flatten();
        let fields = self
            .form
            .report_fields
            .iter()
            .map(|f| WebInput {
                key: f.id.clone(),
                row: String::new(),
                label: f.label.clone(),
                kind: match f.kind {
                    FieldKind::Text => "text",
                    FieldKind::Date => "date",
                    FieldKind::Phone => "phone",
                },
                max: None,
                blank: false,
                value: value(&AnswerKey::Field(f.id.clone())),
            })
            .collect();
        let headings = self
            .form
            .answer_nodes()
            .map(|n| WebHeading {
                input: WebInput {
                    key: n.id.clone(),
                    row: String::new(),
                    label: text::heading_title(&n.id, &n.vi, n.parent_id().is_none())
                        .trim_start_matches("📝 ")
                        .to_owned(),
                    kind: "heading",
                    max: Some(self.form.campaign.answer_max_chars as f64),
                    blank: false,
                    value: value(&AnswerKey::Heading(n.id.clone())),
                },
                guidance: n.prompts.iter().map(|p| p.vi.clone()).collect(),
            })
            .collect();
        let tables = self
            .form
            .tables
            .iter()
            .map(|t| WebTable {
                id: t.id.clone(),
                name: t.short_name.clone(),
                title: t.title.clone(),
                rows: ctx
                    .table_rows(&self.form, t)
                    .map(|r| WebRow {
                        cell: r.clone(),
                        name: self.form.cell_type(r).map_or_else(|| r.clone(), |c| c.short.clone()),
                        inputs: t
                            .columns
                            .iter()
                            .map(|c| WebInput {
                                key: format!("{}.{}", t.id, c.key),
                                row: r.clone(),
                                label: c.short.clone(),
                                kind: kind_name(c.kind),
                                max: Some(c.max_value()),
                                blank: c.blank_when.is_some(),
                                value: value(&t.answer_key(c, r)),
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect();
        let (errors, warnings) = self.findings_of(&ctx);
        Ok(WebView {
            campaign: self.form.campaign.name.clone(),
            unit: unit.name.clone(),
            deadline: self.form.campaign.deadline.clone(),
            status: text::status_name(report.status),
            locked: report.status.locked(),
            fields,
            headings,
            tables,
            errors,
            warnings,
        })
    }

    /// Applies a save from the form, once per `save.id`; returns the chat's receipt to send.
    pub async fn web_save(
        &self,
        user: i64,
        save: WebSave,
        now: DateTime<Utc>,
    ) -> Result<(WebSaved, Vec<Delivery>), WebError> {
        let mut tx = self.store().begin().await?;
        let m = self.web_member(&mut tx, user).await?;
        let unit_id = m.unit_id.context("unit")?;
        let unit = store::unit_by_id(&mut tx, unit_id).await?.context("member's unit")?;
        let (mut ctx, report) = self.load_ctx(&mut tx, &unit).await?;
        if store::web_save_seen(&mut tx, &save.id).await? {
            let (errors, warnings) = self.findings_of(&ctx);
            let saved = WebSaved {
                figures: 0,
                answers: 0,
                duplicate: true,
                errors,
                warnings,
            };
            return Ok((saved, vec![]));
        }
        if report.status.locked() {
            return Err(WebError::Locked);
        }
        let mut changes = Vec::new();
        let mut refused = Vec::new();
        for v in &save.values {
            let Some(key) = AnswerKey::parse(&self.form, &v.key, &v.row) else {
                refused.push(WebFieldError {
                    key: v.key.clone(),
                    row: v.row.clone(),
                    message: text::no_such_node(&v.key),
                });
                continue;
            };
            match value_for(&self.form, &key, &v.value) {
                Ok(None) => {}
                Ok(Some(value)) if ctx.answer(&key) == Some(&value) => {}
                Ok(Some(value)) => changes.push((key, value)),
                Err(p) => refused.push(WebFieldError {
                    key: v.key.clone(),
                    row: v.row.clone(),
                    message: text::value_problem(&p, self.form.campaign.answer_max_chars),
                }),
            }
        }
        if !refused.is_empty() {
            return Err(WebError::Invalid(refused));
        }
        let rows: Vec<_> = changes
            .iter()
            .map(|(k, v)| (k.key(), k.row().to_owned(), v.clone()))
            .collect();
        let c = self.campaign().id;
        self.apply_changes_as(&mut tx, unit_id, &rows, Some(m.id), now, Source::Form)
            .await?;
        for (k, v) in &changes {
            ctx.set(&k.key(), k.row(), v.clone());
        }
        ctx.confirmed
            .retain(|(_, r)| !rows.iter().any(|(key, row, _)| r == row || r == key));
        let (_, open) = self.findings_of(&ctx);
        for cf in &save.confirm {
            if let Some(w) = open.iter().find(|w| w.rule == cf.rule && w.row == cf.row) {
                store::confirm_warning(&mut tx, c, unit_id, &w.rule, &w.row, &w.message, Some(m.id), now).await?;
                ctx.confirmed.push((w.rule.clone(), w.row.clone()));
            }
        }
        let figures = changes
            .iter()
            .filter(|(k, _)| matches!(k, AnswerKey::Figure { .. }))
            .count();
        let answers = changes.len() - figures;
        store::mark_web_save(&mut tx, &save.id, m.id, now).await?;
        let mut out = Vec::new();
        if !changes.is_empty() {
            store::touch_reports(&mut tx, c, &[unit_id], now).await?;
            let receipt = Outgoing::new(m.chat_id, text::web_saved(figures, answers), vec![]).via(m.channel());
            out.push(store::queue(&mut tx, receipt, now).await?);
        }
        tx.commit().await.context("committing a form save")?;
        let (errors, warnings) = self.findings_of(&ctx);
        Ok((
            WebSaved {
                figures,
                answers,
                duplicate: false,
                errors,
                warnings,
            },
            out,
        ))
    }
}
