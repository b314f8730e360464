//! «Tiến độ»: every unit's status, then counts by status and a chart of them.

use rust_xlsxwriter::{Chart, ChartDataLabel, ChartFont, ChartType, Formula, Worksheet, XlsxError};

use super::style::{self, FONT, FONT_SIZE, Styles, span};
use super::{ExportError, ExportSnapshot, PROGRESS_SHEET, ReportStatus, UnitReport};
use crate::form::{FieldRole, ValueKind};

pub(super) const TITLE: &str = "TIẾN ĐỘ NỘP BÁO CÁO";
pub(super) const LATE_MARK: &str = " (muộn)";
pub(super) const COUNTS_TITLE: &str = "SỐ ĐƠN VỊ THEO TRẠNG THÁI";
pub(super) const TOTAL_LABEL: &str = "Tổng số đơn vị";
pub(super) const LATE_LABEL: &str = "Trong đó nộp muộn";
pub(super) const CHART_TITLE: &str = "Số đơn vị theo trạng thái";

/// Column headers and widths of the unit table.
pub(super) const COLUMNS: [(&str, f64); 12] = [
    ("TT", 4.0),
    ("Tên đơn vị", 24.0),
    ("Trạng thái", 10.0),
    ("Nộp lúc", 11.0),
    ("Số, ngày báo cáo", 13.0),
    ("Người ký", 16.0),
    ("Điện thoại", 11.0),
    ("Liên hệ qua chat", 13.0),
    ("Trả lại lúc, lý do", 24.0),
    ("Duyệt lúc", 11.0),
    ("Mức hoàn thành", 9.0),
    ("Cảnh báo chưa xác nhận", 34.0),
];
/// The unit table prints over two page widths, TT and the name repeated; the second starts
/// here.
const SECOND_PAGE_COL: u16 = 8;
pub(super) const NAME_COL: u16 = 1;
pub(super) const STATUS_COL: u16 = 2;
pub(super) const SUBMITTED_COL: u16 = 3;
pub(super) const NUMBER_COL: u16 = 4;
pub(super) const SIGNER_COL: u16 = 5;
pub(super) const PHONE_COL: u16 = 6;
pub(super) const CHAT_COL: u16 = 7;
pub(super) const RETURNED_COL: u16 = 8;
pub(super) const ACCEPTED_COL: u16 = 9;
pub(super) const COMPLETE_COL: u16 = 10;
pub(super) const WARNINGS_COL: u16 = 11;
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
    ws.set_row_height(0, 24.0)?;
    // The title lines span the first page width.
    let last_col = last_col.min(SECOND_PAGE_COL - 1);
    span(
        ws,
        (0, 0),
        (0, last_col),
        &format!("{TITLE}: {}", s.form.campaign.name),
        &st.title,
    )?;
    let when = format!("Tổng hợp lúc {}. Hạn nộp: {}.", s.generated_at, s.deadline);
    span(ws, (1, 0), (1, last_col), &when, &st.subtitle)?;
    let scope = if s.include_drafts {
        "Các biểu và đề cương tổng hợp cả báo cáo đã nộp, đã duyệt và bản nháp (bản nháp có ghi chú)."
    } else {
        "Các biểu và đề cương chỉ tổng hợp báo cáo đã nộp và đã duyệt."
    };
    span(ws, (2, 0), (2, last_col), scope, &st.subtitle)?;

    let header_height = COLUMNS
        .iter()
        .map(|(h, w)| style::text_height(h, *w, 11.0, true))
        .fold(style::default_height(), f64::max);
    ws.set_row_height(TABLE_HEADER_ROW, header_height)?;
    for (c, (h, _)) in COLUMNS.iter().enumerate() {
        ws.write_string_with_format(TABLE_HEADER_ROW, c as u16, *h, &st.head)?;
    }

    let first = TABLE_HEADER_ROW + 1;
    for (i, u) in s.units.iter().enumerate() {
        write_unit(ws, st, s, first + i as u32, i + 1, u)?;
    }
    // At least one (empty) row, so the count formulas have a valid range.
    let last = first + (s.units.len() as u32).max(1) - 1;
    let counts_top = last + 2;
    write_counts(ws, st, s, counts_top, (first, last))?;

    let width = |cols: &mut dyn Iterator<Item = usize>| style::columns_pt(cols.map(|c| COLUMNS[c].1));
    let first_page = width(&mut (0..usize::from(SECOND_PAGE_COL)));
    let second_page = width(&mut (0..2).chain(usize::from(SECOND_PAGE_COL)..COLUMNS.len()));
    let scale = style::scale_for(true, first_page.max(second_page));
    style::page_setup(ws, true, scale, None, Some((TABLE_HEADER_ROW, TABLE_HEADER_ROW)))?;
    ws.set_vertical_page_breaks(&[u32::from(SECOND_PAGE_COL)])?;
    ws.set_repeat_columns(0, NAME_COL)?;
    ws.set_page_order(false);
    ws.set_freeze_panes(first, 2)?;
    Ok(())
}

/// The value of the report header field with `role`, if the form has one and it is answered.
fn field<'u>(s: &ExportSnapshot, u: &'u UnitReport, role: FieldRole) -> &'u str {
    s.form
        .field_with_role(role)
        .and_then(|f| u.answer(&f.id, ""))
        .unwrap_or("")
}

/// The texts of a unit's row, column by column (TT and completeness excepted).
pub(super) fn unit_texts(s: &ExportSnapshot, u: &UnitReport) -> Vec<(u16, String)> {
    let number = [field(s, u, FieldRole::Number), field(s, u, FieldRole::Date)]
        .into_iter()
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join(", ");
    let signer = match (field(s, u, FieldRole::Signer), field(s, u, FieldRole::SignerTitle)) {
        (name, "") => name.to_owned(),
        ("", title) => title.to_owned(),
        (name, title) => format!("{name} ({title})"),
    };
    let returned = u
        .returned
        .as_ref()
        .map(|(at, why)| {
            if why.is_empty() {
                at.clone()
            } else {
                format!("{at}: {why}")
            }
        })
        .unwrap_or_default();
    let warnings = u
        .open_warnings
        .iter()
        .map(|w| format!("• {w}"))
        .collect::<Vec<_>>()
        .join("\n");
    vec![
        (NAME_COL, u.name.clone()),
        (STATUS_COL, u.status.label().to_owned()),
        (SUBMITTED_COL, submitted(u)),
        (NUMBER_COL, number),
        (SIGNER_COL, signer),
        (PHONE_COL, field(s, u, FieldRole::Phone).to_owned()),
        (CHAT_COL, u.secretaries.join(", ")),
        (RETURNED_COL, returned),
        (ACCEPTED_COL, u.accepted_at.clone().unwrap_or_default()),
        (WARNINGS_COL, warnings),
    ]
}

fn write_unit(
    ws: &mut Worksheet,
    st: &Styles,
    s: &ExportSnapshot,
    row: u32,
    tt: usize,
    u: &UnitReport,
) -> Result<(), XlsxError> {
    let texts = unit_texts(s, u);
    let height = texts
        .iter()
        .map(|(c, t)| style::text_height(t, COLUMNS[*c as usize].1, FONT_SIZE, false))
        .fold(style::default_height(), f64::max);
    ws.set_row_height(row, height)?;
    ws.write_number_with_format(row, 0, tt as f64, &st.cell_center)?;
    for (c, t) in &texts {
        let f = if matches!(*c, STATUS_COL | SUBMITTED_COL | ACCEPTED_COL) {
            &st.cell_center
        } else {
            &st.cell_text
        };
        ws.write_string_with_format(row, *c, t, f)?;
    }
    ws.write_number_with_format(row, COMPLETE_COL, u.completeness_pct / 100.0, &st.percent)?;
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
    let (label_col, count_col) = (NAME_COL, STATUS_COL);
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
