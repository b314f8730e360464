//! The documents the board gets after a step commits: the merged workbook and the draft of
//! the committee's own report, both built from one snapshot read in bulk, off the async
//! threads.

use std::sync::Arc;

use anyhow::Context;
use chrono::{DateTime, Utc};

use super::{Engine, EngineError, text};
use crate::export::{ExportSnapshot, ReportStatus, UnitReport};
use crate::message::{Document, Outgoing};
use crate::store;

impl Engine {
    /// What the merged workbook shows, read now.
    pub async fn snapshot(&self, include_drafts: bool, now: DateTime<Utc>) -> Result<ExportSnapshot, EngineError> {
        // One consistent moment, read without the write lock.
        let mut read = self.store.read().await?;
        let views = self.unit_views(&mut read).await?;
        let report = store::report_ref(&mut read, self.campaign().id).await?;
        read.rollback().await.context("ending the read")?;
        let units = views
            .into_iter()
            .map(|v| UnitReport {
                completeness_pct: self.completeness(&v.ctx),
                open_warnings: self.open_warnings(&v.ctx),
                code: v.unit.code,
                name: v.unit.name,
                status: v.status,
                submitted_at: v.submitted_at.map(|t| self.local_text(t)),
                returned: v.review.returned.map(|(t, why)| (self.local_text(t), why)),
                accepted_at: v.review.accepted_at.map(|t| self.local_text(t)),
                late: v.submitted_at.is_some_and(|t| t > self.campaign().deadline),
                secretaries: v.secretaries.into_iter().map(|m| m.display_name).collect(),
                rows: v.ctx.rows,
                answers: v.ctx.answers,
            })
            .collect();
        Ok(ExportSnapshot {
            form: Arc::clone(&self.form),
            generated_at: self.local_text(now),
            deadline: crate::domain::format_date(self.deadline_day()),
            report_number: report.number,
            // Never the export clock: the board's date, else the deadline's.
            report_date: crate::domain::format_date(report.date.unwrap_or_else(|| self.deadline_day())),
            include_drafts,
            units,
        })
    }

    /// The merged workbook as an outgoing document (built off the async threads).
    pub async fn export_document(&self, chat_id: i64, include_drafts: bool, now: DateTime<Utc>) -> Outgoing {
        let failed = |chat_id| Outgoing::new(chat_id, text::EXPORT_FAILED, vec![]);
        let snap = match self.snapshot(include_drafts, now).await {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error.cause_chain = ?e, error.message = %e, "export snapshot failed");
                return failed(chat_id);
            }
        };
        let merged = snap.units.iter().filter(|u| snap.merged(u)).count();
        let drafts = snap
            .units
            .iter()
            .filter(|u| snap.merged(u) && matches!(u.status, ReportStatus::Draft | ReportStatus::Returned))
            .count();
        let span = tracing::Span::current();
        let built = tokio::task::spawn_blocking(move || span.in_scope(|| crate::export::build_workbook(&snap))).await;
        match built {
            Ok(Ok(bytes)) => Outgoing {
                document: Some(super::reply::Document {
                    file_name: format!(
                        "tong-hop-{}-{}.xlsx",
                        self.campaign().code,
                        now.with_timezone(&self.tz).format("%Y%m%d-%H%M")
                    ),
                    bytes,
                }),
                ..Outgoing::new(
                    chat_id,
                    text::export_caption(merged, drafts, &self.local_text(now)),
                    vec![],
                )
            },
            Ok(Err(e)) => {
                tracing::error!(error.message = %e, "export failed");
                failed(chat_id)
            }
            Err(e) => {
                tracing::error!(error.message = %e, "export task failed");
                failed(chat_id)
            }
        }
    }

    /// The draft of the committee's own report as a document (built off the async threads).
    pub async fn report_document(&self, chat_id: i64, include_drafts: bool, now: DateTime<Utc>) -> Outgoing {
        let failed = |chat_id| Outgoing::new(chat_id, text::EXPORT_FAILED, vec![]);
        let snap = match self.snapshot(include_drafts, now).await {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error.cause_chain = ?e, error.message = %e, "report snapshot failed");
                return failed(chat_id);
            }
        };
        let merged = snap.units.iter().filter(|u| snap.merged(u)).count();
        let total = snap.units.len();
        let built = tokio::task::spawn_blocking(move || crate::committee_report::build(&snap)).await;
        match built {
            Ok(Ok(bytes)) => Outgoing {
                document: Some(Document {
                    file_name: format!(
                        "bao-cao-{}-{}.docx",
                        self.campaign().code,
                        now.with_timezone(&self.tz).format("%Y%m%d-%H%M")
                    ),
                    bytes,
                }),
                ..Outgoing::new(chat_id, text::report_caption(merged, total), vec![])
            },
            Ok(Err(e)) => {
                tracing::error!(error.message = %e, "report failed");
                failed(chat_id)
            }
            Err(e) => {
                tracing::error!(error.message = %e, "report task failed");
                failed(chat_id)
            }
        }
    }
}
