//! «Tiến độ»: every unit's status, then counts by status and a chart of them.

use rust_xlsxwriter::{Chart, ChartDataLabel, ChartFont, ChartType, Formula, Worksheet, XlsxError};

use super::style::{self, FONT, FONT_SIZE, Styles, span};
use super::{ExportError, ExportSnapshot, PROGRESS_SHEET, ReportStatus, UnitReport};
use crate::form::ValueKind;

pub(super) const TITLE: &str = "TIẾN ĐỘ NỘP BÁO CÁO";
pub(super) const LATE_MARK: &str = " (muộn)";
pub(super) const COUNTS_TITLE: &str = "SỐ ĐƠN VỊ THEO TRẠNG THÁI";
pub(super) const TOTAL_LABEL: &str = "Tổng số đơn vị";
pub(super) const LATE_LABEL: &str = "Trong đó nộp muộn";
pub(super) const CHART_TITLE: &str = "Số đơn vị theo trạng thái";

/// Column headers and widths of the unit table.
pub(super) const COLUMNS: [(&str, f64); 9] = [
    ("TT", 5.0),
    ("Mã", 11.0),
    ("Tên đơn vị", 32.0),
    ("Bí thư", 24.0),
    ("Trạng thái", 14.0),
    ("Nộp lúc", 24.0),
    ("Mức hoàn thành", 12.0),
    ("Cảnh báo chưa xác nhận", 13.0),
    ("Nội dung cảnh báo chưa xác nhận", 55.0),
];
const STATUS_COL: u16 = 4;
const SUBMITTED_COL: u16 = 5;
const WARNINGS_COL: u16 = 8;
/// First row of the unit table's header.
pub(super) const TABLE_HEADER_ROW: u32 = 4;

pub(super) const STATUSES: [ReportStatus; 5] = [
    ReportStatus::NotStarted,
    ReportStatus::Draft,
    ReportStatus::Submitted,
    ReportStatus::Returned,
    ReportStatus::Accepted,
];

pub(super) fn write(ws: &mut Worksheet, st: &Styles, s: &ExportSnapshot) -> Result<(), ExportError> {
    ws.set_name(PROGRESS_SHEET)?;
    let last_col = COLUMNS.len() as u16 - 1;
    for (c, (_, w)) in COLUMNS.iter().enumerate() {
        ws.set_column_width(c as u16, *w)?;
    }
    span(
        ws,
        (0, 0),
        (0, last_col),
        &format!("{TITLE}: {}", s.form.campaign.name),
        &st.title,
    )?;
    ws.set_row_height(0, 24.0)?;
    let when = format!("Tổng hợp lúc {}. Hạn nộp: {}.", s.generated_at, s.deadline);
    span(ws, (1, 0), (1, last_col), &when, &st.subtitle)?;
    let scope = if s.include_drafts {
        "Các biểu và đề cương tổng hợp cả báo cáo đã nộp, đã duyệt và bản nháp (bản nháp có ghi chú)."
    } else {
        "Các biểu và đề cương chỉ tổng hợp báo cáo đã nộp và đã duyệt."
    };
    span(ws, (2, 0), (2, last_col), scope, &st.subtitle)?;

    for (c, (h, _)) in COLUMNS.iter().enumerate() {
        ws.write_string_with_format(TABLE_HEADER_ROW, c as u16, *h, &st.head)?;
    }
    let header_height = COLUMNS
        .iter()
        .map(|(h, w)| style::text_height(h, *w, 11.0, true))
        .fold(style::default_height(), f64::max);
    ws.set_row_height(TABLE_HEADER_ROW, header_height)?;

    let first = TABLE_HEADER_ROW + 1;
    for (i, u) in s.units.iter().enumerate() {
        write_unit(ws, st, first + i as u32, i + 1, u)?;
    }
    // At least one (empty) row, so the count formulas have a valid range.
    let last = first + (s.units.len() as u32).max(1) - 1;
    let counts_top = last + 2;
    write_counts(ws, st, s, counts_top, (first, last))?;

    style::page_setup(ws, Some((TABLE_HEADER_ROW, TABLE_HEADER_ROW)))?;
    ws.set_freeze_panes(first, 3)?;
    Ok(())
}

fn write_unit(ws: &mut Worksheet, st: &Styles, row: u32, tt: usize, u: &UnitReport) -> Result<(), XlsxError> {
    ws.write_number_with_format(row, 0, tt as f64, &st.cell_center)?;
    ws.write_string_with_format(row, 1, &u.code, &st.cell_text)?;
    ws.write_string_with_format(row, 2, &u.name, &st.cell_text)?;
    ws.write_string_with_format(row, 3, u.secretaries.join(", "), &st.cell_text)?;
    ws.write_string_with_format(row, STATUS_COL, u.status.label(), &st.cell_center)?;
    ws.write_string_with_format(row, SUBMITTED_COL, submitted(u), &st.cell_center)?;
    ws.write_number_with_format(row, 6, u.completeness_pct / 100.0, &st.percent)?;
    ws.write_number_with_format(row, 7, u.open_warnings.len() as f64, st.number(ValueKind::Count, false))?;
    let warnings = u
        .open_warnings
        .iter()
        .map(|w| format!("• {w}"))
        .collect::<Vec<_>>()
        .join("\n");
    ws.write_string_with_format(row, WARNINGS_COL, &warnings, &st.cell_text)?;
    let height = [
        (u.name.as_str(), COLUMNS[2].1),
        (&u.secretaries.join(", "), COLUMNS[3].1),
        (&warnings, COLUMNS[WARNINGS_COL as usize].1),
    ]
    .iter()
    .map(|(t, w)| style::text_height(t, *w, FONT_SIZE, false))
    .fold(style::default_height(), f64::max);
    ws.set_row_height(row, height)?;
    Ok(())
}

/// "05/12/2023 14:30", plus " (muộn)" when late.
pub(super) fn submitted(u: &UnitReport) -> String {
    let at = u.submitted_at.clone().unwrap_or_default();
    if u.late {
        format!("{at}{LATE_MARK}").trim().to_owned()
    } else {
        at
    }
}

/// The counts by status (COUNTIF over the status column, values cached), the total, the
/// late ones, and a column chart of the counts.
fn write_counts(
    ws: &mut Worksheet,
    st: &Styles,
    s: &ExportSnapshot,
    top: u32,
    (first, last): (u32, u32),
) -> Result<(), XlsxError> {
    let (label_col, count_col) = (2u16, 3u16);
    span(ws, (top, label_col), (top, count_col), COUNTS_TITLE, &st.heading)?;
    ws.write_string_with_format(top + 1, label_col, "Trạng thái", &st.head)?;
    ws.write_string_with_format(top + 1, count_col, "Số đơn vị", &st.head)?;
    let count_fmt = st.number(ValueKind::Count, false);
    let status_range = range(STATUS_COL, first, last);
    let first_count = top + 2;
    for (i, status) in STATUSES.iter().enumerate() {
        let row = first_count + i as u32;
        let n = s.units.iter().filter(|u| u.status == *status).count();
        ws.write_string_with_format(row, label_col, status.label(), &st.cell_text)?;
        let formula = format!("=COUNTIF({status_range},{})", cell(row, label_col));
        ws.write_formula_with_format(
            row,
            count_col,
            Formula::new(formula).set_result(n.to_string()),
            count_fmt,
        )?;
    }
    let last_count = first_count + STATUSES.len() as u32 - 1;
    let total_row = last_count + 1;
    ws.write_string_with_format(total_row, label_col, TOTAL_LABEL, &st.total_text)?;
    let total = format!("=SUM({})", range(count_col, first_count, last_count));
    let total_fmt = st.number(ValueKind::Count, true);
    let formula = Formula::new(total).set_result(s.units.len().to_string());
    ws.write_formula_with_format(total_row, count_col, formula, total_fmt)?;
    let late_row = total_row + 1;
    let late = s.units.iter().filter(|u| u.late).count();
    ws.write_string_with_format(late_row, label_col, LATE_LABEL, &st.cell_text)?;
    let formula = format!(
        "=COUNTIF({},\"*{}\")",
        range(SUBMITTED_COL, first, last),
        LATE_MARK.trim()
    );
    ws.write_formula_with_format(
        late_row,
        count_col,
        Formula::new(formula).set_result(late.to_string()),
        count_fmt,
    )?;

    let mut chart = Chart::new(ChartType::Column);
    let font = || {
        let mut f = ChartFont::new();
        f.set_name(FONT);
        f
    };
    chart
        .add_series()
        .set_categories((PROGRESS_SHEET, first_count, label_col, last_count, label_col))
        .set_values((PROGRESS_SHEET, first_count, count_col, last_count, count_col))
        .set_name(CHART_TITLE)
        .set_data_label(ChartDataLabel::new().show_value().set_font(&font()));
    chart.title().set_name(CHART_TITLE).set_font(font().set_bold());
    chart.legend().set_hidden();
    chart.x_axis().set_font(&font());
    chart.y_axis().set_font(&font());
    if STATUSES
        .iter()
        .all(|st| s.units.iter().filter(|u| u.status == *st).count() <= 10)
    {
        chart.y_axis().set_major_unit(1.0);
    }
    chart.set_width(520).set_height(300);
    ws.insert_chart(top, count_col + 2, &chart)?;
    Ok(())
}

fn cell(row: u32, col: u16) -> String {
    rust_xlsxwriter::utility::row_col_to_cell(row, col)
}

fn range(col: u16, first: u32, last: u32) -> String {
    let c = rust_xlsxwriter::utility::column_number_to_name(col);
    format!("${c}${}:${c}${}", first + 1, last + 1)
}
