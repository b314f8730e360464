//! The Excel template round trip: the unit's template sent as a document, a filled one sent
//! back, checked with the chat's rules, summarised, and applied in one transaction only when
//! the secretary confirms. The same check and apply serve `chibo-bot import`.

use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

use super::check::{self, UnitCtx};
use super::reply::{Button, Reply};
use super::state::{Action, State};
use super::{Engine, EngineError, StepExtra, Tx, flow, text};
use crate::form::{AnswerKey, Severity};
use crate::message::{Document, Outgoing};
use crate::store::{self, Change, Member, Source, Unit};
use crate::template::{self, read::Refusal};

/// A file checked against a unit's stored report.
#[derive(Debug, Clone, Default)]
pub struct Checked {
    /// What applying would write (only values that differ from the stored ones).
    pub changes: Vec<Change>,
    pub figures: usize,
    pub answers: usize,
    /// Cells refused, "Biểu 1, ô E7: phải là số nguyên." (nothing can be applied then).
    pub cell_errors: Vec<String>,
    /// The report's rule errors and warnings once the changes are in.
    pub rule_errors: Vec<String>,
    pub warnings: Vec<String>,
}

impl Engine {
    /// Checks a file for `unit` whose stored report is `ctx`; `Err` is the refusal to show.
    pub fn check_file(&self, unit: &Unit, ctx: &UnitCtx, name: &str, bytes: &[u8]) -> Result<Checked, String> {
        let filled = template::read::read(&self.form, bytes).map_err(|r| text::file_refused(name, &r))?;
        if filled.meta.unit != unit.code {
            return Err(text::file_other_unit(name, &filled.meta.unit));
        }
        let mut out = Checked {
            cell_errors: filled
                .errors
                .iter()
                .map(|e| text::cell_error(&e.sheet, &e.cell, &e.problem, self.form.campaign.answer_max_chars))
                .collect(),
            ..Checked::default()
        };
        let mut after = ctx.clone();
        for (key, value) in filled.values {
            if ctx.answer(&key) == Some(&value) {
                continue;
            }
            match key {
                AnswerKey::Figure { .. } => out.figures += 1,
                _ => out.answers += 1,
            }
            after.set(&key.key(), key.row(), value.clone());
            out.changes.push((key.key(), key.row().to_owned(), value));
        }
        let mut findings = check::all_findings(&self.form, &after);
        findings.extend(flow::field_findings(&self.form, &after));
        findings.extend(flow::answer_findings(&self.form, &after));
        for f in findings {
            let line = match self.form.cell_type(&f.row) {
                Some(t) => format!("{}: {}", t.short, f.message),
                None => f.message.clone(),
            };
            match f.severity {
                Severity::Error => out.rule_errors.push(line),
                Severity::Warning if !after.is_confirmed(&f.rule_id, &f.row) => out.warnings.push(line),
                _ => {}
            }
        }
        Ok(out)
    }

    /// Writes a checked file's changes as coming from a file, in the caller's transaction;
    /// confirmations of the warnings on the rows it changed are asked again.
    pub async fn apply_changes(
        &self,
        conn: &mut SqliteConnection,
        unit: i64,
        changes: &[Change],
        by: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<(), EngineError> {
        self.apply_changes_as(conn, unit, changes, by, now, Source::File).await
    }

    /// [`Self::apply_changes`] from a given source (a file, the web form).
    pub async fn apply_changes_as(
        &self,
        conn: &mut SqliteConnection,
        unit: i64,
        changes: &[Change],
        by: Option<i64>,
        now: DateTime<Utc>,
        source: Source,
    ) -> Result<(), EngineError> {
        if changes.is_empty() {
            return Ok(());
        }
        let c = self.campaign().id;
        store::set_answers_from(conn, c, unit, changes, by, now, source).await?;
        let mut cleared: Vec<(String, Option<String>)> = Vec::new();
        for (key, row, _) in changes {
            let table = self.form.column(key).map(|(t, _)| t.id.clone());
            let (row, table) = if row.is_empty() {
                (key.clone(), None)
            } else {
                (row.clone(), table)
            };
            if !cleared.contains(&(row.clone(), table.clone())) {
                let rules = table.as_ref().map(|t| flow::rules_reading(&self.form, t));
                store::clear_warnings(conn, c, unit, &row, rules.as_deref()).await?;
                cleared.push((row, table));
            }
        }
        if store::report_rows(conn, c, unit).await?.is_empty() {
            // Figures for the preselected cell types accept them, as `/nhap` does.
            let u = store::unit_by_id(conn, unit).await?.context("unit of an import")?;
            let ctx = self.ctx_from(&u, vec![], vec![], vec![]);
            store::set_report_rows(conn, c, unit, &ctx.rows).await?;
        }
        Ok(())
    }

    /// `chibo-bot import`: checks a file for a unit and, with `apply`, saves it in one
    /// transaction. Returns what to print, and whether the file was usable.
    pub async fn import_file(
        &self,
        unit_code: &str,
        name: &str,
        bytes: &[u8],
        apply: bool,
        now: DateTime<Utc>,
    ) -> anyhow::Result<(String, bool)> {
        let mut tx = self.store().begin().await?;
        let unit = store::unit_by_code(&mut tx, unit_code)
            .await?
            .with_context(|| format!("there is no unit with code «{unit_code}»"))?;
        let (ctx, report) = self.load_ctx(&mut tx, &unit).await?;
        if report.status.locked() {
            return Ok((text::file_locked(&self.form.campaign.board), false));
        }
        let checked = match self.check_file(&unit, &ctx, name, bytes) {
            Ok(c) => c,
            Err(why) => return Ok((why, false)),
        };
        if !checked.cell_errors.is_empty() {
            return Ok((text::file_cells_wrong(name, &checked.cell_errors), false));
        }
        if checked.changes.is_empty() {
            return Ok((text::file_unchanged(name), true));
        }
        if !apply {
            return Ok((
                format!(
                    "{}
(dry run: add --apply to save)",
                    text::file_summary(name, &checked)
                ),
                true,
            ));
        }
        self.apply_changes(&mut tx, unit.id, &checked.changes, None, now)
            .await?;
        store::touch_reports(&mut tx, self.campaign().id, &[unit.id], now).await?;
        tx.commit().await.context("committing the import")?;
        Ok((text::file_applied(checked.figures, checked.answers), true))
    }

    /// A file sent by a secretary: checked, then waiting for «Áp dụng».
    pub(super) async fn upload(
        &self,
        tx: &mut Tx,
        m: &Member,
        name: &str,
        bytes: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Vec<Reply>, EngineError> {
        let unit_id = m.unit_id.context("secretary without unit")?;
        let unit = store::unit_by_id(tx, unit_id).await?.context("member's unit")?;
        let (ctx, report) = self.unit_ctx(tx, unit_id).await?;
        if report.status.locked() {
            return Ok(vec![say(text::file_locked(&self.form.campaign.board), vec![])]);
        }
        let checked = match self.check_file(&unit, &ctx, name, bytes) {
            Ok(c) => c,
            Err(why) => return Ok(vec![say(why, vec![])]),
        };
        if !checked.cell_errors.is_empty() {
            return Ok(vec![say(text::file_cells_wrong(name, &checked.cell_errors), vec![])]);
        }
        if checked.changes.is_empty() {
            return Ok(vec![say(text::file_unchanged(name), vec![])]);
        }
        store::create_import(tx, self.campaign().id, unit_id, Some(m.id), name, &checked.changes, now).await?;
        Ok(vec![say(
            text::file_summary(name, &checked),
            vec![vec![
                btn(text::BTN_IMPORT_APPLY, Action::ImportApply),
                btn(text::BTN_IMPORT_CANCEL, Action::ImportCancel),
            ]],
        )])
    }

    /// «Áp dụng» or «Hủy» on the newest file waiting; either happens once.
    pub(super) async fn import_decision(
        &self,
        tx: &mut Tx,
        m: &Member,
        apply: bool,
        now: DateTime<Utc>,
        extra: &mut StepExtra,
    ) -> Result<Vec<Reply>, EngineError> {
        let unit_id = m.unit_id.context("secretary without unit")?;
        let c = self.campaign().id;
        let Some(pending) = store::open_import(tx, c, unit_id).await? else {
            return Ok(vec![say(text::FILE_NOTHING_PENDING, vec![resume_row()])]);
        };
        if !apply {
            store::close_import(tx, pending.id, false, now).await?;
            return Ok(vec![say(text::FILE_CANCELLED, vec![resume_row()])]);
        }
        let (_, report) = self.unit_ctx(tx, unit_id).await?;
        if report.status.locked() {
            return Ok(vec![say(text::file_locked(&self.form.campaign.board), vec![])]);
        }
        let changes = pending.changes()?;
        self.apply_changes(tx, unit_id, &changes, Some(m.id), now).await?;
        store::close_import(tx, pending.id, true, now).await?;
        extra.touched = Some(unit_id);
        let figures = changes.iter().filter(|(_, row, _)| !row.is_empty()).count();
        Ok(vec![say(
            text::file_applied(figures, changes.len() - figures),
            vec![resume_row()],
        )])
    }

    /// The unit's template as a document with `caption`.
    pub async fn template_document(&self, chat_id: i64, unit_id: i64, caption: String) -> Outgoing {
        match self.build_template(unit_id).await {
            Ok(document) => Outgoing {
                document: Some(document),
                ..Outgoing::new(chat_id, caption, vec![])
            },
            Err(e) => {
                tracing::error!(error.cause_chain = ?e, error.message = %e, "template failed");
                Outgoing::new(chat_id, text::TEMPLATE_FAILED, vec![])
            }
        }
    }

    async fn build_template(&self, unit_id: i64) -> anyhow::Result<Document> {
        let mut conn = self.store().read().await?;
        let unit = store::unit_by_id(&mut conn, unit_id).await?.context("unit")?;
        let (ctx, _) = self.load_ctx(&mut conn, &unit).await?;
        drop(conn);
        let meta = template::Meta {
            campaign: self.form.campaign.code.clone(),
            unit: unit.code.clone(),
            version: template::form_version(&self.form),
            rows: ctx.rows.clone(),
        };
        let form = std::sync::Arc::clone(&self.form);
        let file_name = format!("mau-{}-{}.xlsx", self.form.campaign.code, unit.code);
        let bytes = tokio::task::spawn_blocking(move || {
            template::write(&form, &meta, &unit.name, |k| ctx.answer(k).cloned().flatten())
        })
        .await??;
        Ok(Document { file_name, bytes })
    }
}

fn say(text: impl Into<String>, buttons: Vec<Vec<Button>>) -> Reply {
    Reply {
        text: text.into(),
        buttons,
        edit: false,
        numeric: false,
    }
}

fn btn(label: &str, a: Action) -> Button {
    Button::new(label.to_owned(), a.encode())
}

fn resume_row() -> Vec<Button> {
    vec![btn(text::BTN_CONTINUE, Action::Resume)]
}

/// The state after a file step: the menu (the file's buttons carry on from there).
pub(super) const AFTER_FILE: State = State::Menu;

/// A refusal the engine gives for a file it could not fetch.
pub(super) fn unfetched(name: &str, too_large: bool) -> Reply {
    if too_large {
        say(text::file_refused(name, &Refusal::TooLarge), vec![])
    } else {
        say(text::FILE_UNFETCHED, vec![])
    }
}
