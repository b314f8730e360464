//! The merged district workbook in the official layout (rust_xlsxwriter). Pure: takes a
//! snapshot of every unit's report, returns the .xlsx bytes.

mod coverage;
pub use coverage::Coverage;
mod figures;
mod header;
mod layout;
mod outline;
mod paginate;
mod progress;
mod style;
mod summary;
mod tables;
#[cfg(test)]
pub(crate) mod tests;

use std::collections::HashMap;
use std::sync::Arc;

use rust_xlsxwriter::Workbook;

use crate::form::Form;

/// Sheet name of the progress overview.
pub const PROGRESS_SHEET: &str = "Tiến độ";
/// Sheet name of the merged narrative answers.
pub const OUTLINE_SHEET: &str = "Đề cương";
/// Sheet name of the one-page type totals.
pub const SUMMARY_SHEET: &str = "Tổng hợp";

/// The merged workbook: «Tiến độ», «Tổng hợp», one sheet per form table («Biểu 1» …) in
/// form order, then «Đề cương». Every sheet streams its rows in order (constant memory).
/// Returns the .xlsx file's bytes.
/// The district total of a column (`B1.cells_total`) over the merged units, exactly as the
/// workbook's «Tổng số» row computes it: a sum, or a weighted mean. The committee's report
/// quotes these, so the two documents never disagree.
pub fn district_total(s: &ExportSnapshot, key: &str) -> Option<f64> {
    let (t, c) = s.form.column(key)?;
    let j = t.column_index(&c.key)?;
    let blocks = figures::unit_blocks(s, t);
    figures::column_total(t, j, blocks.iter().flat_map(|b| b.rows.iter()))
}

pub fn build_workbook(s: &ExportSnapshot) -> Result<Vec<u8>, ExportError> {
    let mut workbook = Workbook::new();
    // The sheets of a large district are mostly text: the fastest deflate level costs a
    // little size and saves most of the time.
    workbook.set_zip_compression_level(1);
    workbook.set_default_format(
        &style::base(style::FONT_SIZE),
        style::DEFAULT_ROW_PX,
        style::DEFAULT_COL_PX,
    )?;
    let styles = style::Styles::new();
    let cov = coverage::Coverage::of(s);
    progress::write(workbook.add_worksheet_with_constant_memory()?, &styles, s)?;
    let plans: Vec<tables::TablePlan> = s
        .form
        .tables
        .iter()
        .map(|t| tables::TablePlan::new(s, &cov, t))
        .collect();
    summary::write(workbook.add_worksheet_with_constant_memory()?, &styles, s, &cov, &plans)?;
    for plan in &plans {
        tables::write(workbook.add_worksheet_with_constant_memory()?, &styles, s, &cov, plan)?;
    }
    outline::write(workbook.add_worksheet_with_constant_memory()?, &styles, s, &cov)?;
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
    /// Last return by the board: when ("dd/mm/yyyy hh:mm") and why.
    pub returned: Option<(String, String)>,
    /// When the board accepted it, "dd/mm/yyyy hh:mm".
    pub accepted_at: Option<String>,
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
    /// The merged report's number («25-BC/HU») as the board set it.
    pub report_number: Option<String>,
    /// The merged report's date, "dd/mm/yyyy": the board's, else the deadline's date.
    pub report_date: String,
    /// `/tonghop tatca`: drafts are merged too, marked as such.
    pub include_drafts: bool,
    /// Every unit, in the order of the imported list.
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

impl ReportStatus {
    /// The mark after a unit's name wherever its figures are merged though not submitted.
    pub fn draft_mark(self) -> Option<&'static str> {
        match self {
            ReportStatus::Draft => Some("(bản nháp, chưa nộp)"),
            ReportStatus::Returned => Some("(bị trả lại, chưa nộp lại)"),
            _ => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("could not build the workbook: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
}
