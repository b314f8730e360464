//! The merged district workbook in the official layout (rust_xlsxwriter). Pure: takes a
//! snapshot of every unit's report, returns the .xlsx bytes.

mod figures;
mod layout;
mod outline;
mod progress;
mod style;
mod tables;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::Arc;

use rust_xlsxwriter::Workbook;

use crate::form::Form;

/// Sheet name of the progress overview.
pub const PROGRESS_SHEET: &str = "Tiến độ";
/// Sheet name of the merged narrative answers.
pub const OUTLINE_SHEET: &str = "Đề cương";

/// The merged district workbook: «Tiến độ», one sheet per form table («Biểu 1» …) in form
/// order, then «Đề cương». Returns the .xlsx file's bytes.
pub fn build_workbook(s: &ExportSnapshot) -> Result<Vec<u8>, ExportError> {
    let mut workbook = Workbook::new();
    workbook.set_default_format(
        &style::base(style::FONT_SIZE),
        style::DEFAULT_ROW_PX,
        style::DEFAULT_COL_PX,
    )?;
    let styles = style::Styles::new();
    progress::write(workbook.add_worksheet(), &styles, s)?;
    for table in &s.form.tables {
        tables::write(workbook.add_worksheet(), &styles, s, table)?;
    }
    outline::write(workbook.add_worksheet(), &styles, s)?;
    Ok(workbook.save_to_buffer()?)
}

/// Report status as the board sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportStatus {
    NotStarted,
    Draft,
    Submitted,
    Returned,
    Accepted,
}

impl ReportStatus {
    /// «chưa bắt đầu», «đang nhập», «đã nộp», «trả lại», «đã duyệt».
    pub fn label(self) -> &'static str {
        match self {
            ReportStatus::NotStarted => "chưa bắt đầu",
            ReportStatus::Draft => "đang nhập",
            ReportStatus::Submitted => "đã nộp",
            ReportStatus::Returned => "trả lại",
            ReportStatus::Accepted => "đã duyệt",
        }
    }
}

/// One unit's report as stored.
#[derive(Debug, Clone)]
pub struct UnitReport {
    pub code: String,
    pub name: String,
    pub status: ReportStatus,
    /// "dd/mm/yyyy hh:mm", Vietnam time.
    pub submitted_at: Option<String>,
    /// Submitted after the deadline.
    pub late: bool,
    pub secretaries: Vec<String>,
    /// 0–100: answered headings, complete table rows and header fields over all of them.
    pub completeness_pct: f64,
    /// Texts of warnings not confirmed by the secretary.
    pub open_warnings: Vec<String>,
    /// Cell-type codes this unit reports, in form order.
    pub rows: Vec<String>,
    /// `(key, row) -> value`: narrative headings and `HD.*` fields with row "", table
    /// figures (`B1.cells_total`) with the cell-type code as row, numbers as text ("87.5");
    /// `None` is an explicit blank.
    pub answers: HashMap<(String, String), Option<String>>,
}

impl UnitReport {
    /// The stored answer for `(key, row)`, trimmed; `None` when missing, blank or empty.
    pub fn answer(&self, key: &str, row: &str) -> Option<&str> {
        self.answers
            .get(&(key.to_owned(), row.to_owned()))
            .and_then(|v| v.as_deref())
            .map(str::trim)
            .filter(|t| !t.is_empty())
    }
}

/// Everything the workbook shows.
#[derive(Debug, Clone)]
pub struct ExportSnapshot {
    pub form: Arc<Form>,
    /// "dd/mm/yyyy hh:mm", Vietnam time.
    pub generated_at: String,
    /// "dd/mm/yyyy"
    pub deadline: String,
    /// `/tonghop tatca`: drafts are merged too, marked as such.
    pub include_drafts: bool,
    /// Every unit, in a stable order (by code).
    pub units: Vec<UnitReport>,
}

impl ExportSnapshot {
    /// Whether a unit's figures and answers go into the merged sheets.
    pub fn merged(&self, u: &UnitReport) -> bool {
        match u.status {
            ReportStatus::Submitted | ReportStatus::Accepted => true,
            ReportStatus::Draft | ReportStatus::Returned => self.include_drafts,
            ReportStatus::NotStarted => false,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("could not build the workbook: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
}
