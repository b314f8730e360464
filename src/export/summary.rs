//! «Tổng hợp»: the type totals of every Biểu on one printable page, each value a link to the
//! total on its Biểu sheet (cached), so printing it never needs the unit rows deleted.

use rust_xlsxwriter::utility::row_col_to_cell;
use rust_xlsxwriter::{Formula, Worksheet, XlsxError};

use super::coverage::Coverage;
use super::figures;
use super::header::{self, Frame};
use super::layout::{LEAD_COLS, grid_col};
use super::style::{self, FONT_SIZE, Styles, span};
use super::tables::{GRAND_TOTAL, TablePlan};
use super::{ExportError, ExportSnapshot, SUMMARY_SHEET};

pub(super) const TITLE: &str = "TỔNG HỢP SỐ LIỆU THEO LOẠI HÌNH CHI BỘ";
const TT_WIDTH: f64 = 4.0;
/// Wide enough for most type names on one line: the page is short of height, not width.
const TYPE_WIDTH: f64 = 40.0;
const DATA_WIDTH: f64 = 8.0;

pub(super) fn write(
    ws: &mut Worksheet,
    st: &Styles,
    s: &ExportSnapshot,
    cov: &Coverage,
    plans: &[TablePlan],
) -> Result<(), ExportError> {
    ws.set_name(SUMMARY_SHEET)?;
    let ncols = plans.iter().map(|p| p.table.columns.len()).max().unwrap_or(1) as u16;
    let last_col = LEAD_COLS + ncols - 1;
    let width = |c: u16| match c {
        0 => TT_WIDTH,
        1 => TYPE_WIDTH,
        _ => DATA_WIDTH,
    };
    for c in 0..=last_col {
        ws.set_column_width(c, width(c))?;
    }
    ws.set_formula_result_default("");
    let widths = |a: u16, b: u16| (a..=b).map(width).sum::<f64>();
    let frame = Frame {
        left: (0, 2),
        right: (last_col.saturating_sub(5).max(3), last_col),
        first_col: 0,
        last_col,
        width: &widths,
    };
    let mut row = header::write_top(ws, st, s, cov, &frame, TITLE)?;
    for plan in plans {
        row = write_table(ws, st, plan, row, last_col, &widths)?;
    }
    let last = header::write_signature(ws, st, s, &frame, row)?;
    style::page_setup(ws, true, 100, Some(1), None)?;
    ws.set_print_fit_to_pages(1, 1);
    ws.set_print_area(0, 0, last, last_col)?;
    Ok(())
}

/// A table's title, its short column labels, the grand total and the type totals, each a
/// link to the Biểu sheet. Returns the next free row.
fn write_table(
    ws: &mut Worksheet,
    st: &Styles,
    plan: &TablePlan,
    mut row: u32,
    last_col: u16,
    widths: &dyn Fn(u16, u16) -> f64,
) -> Result<u32, XlsxError> {
    let table = plan.table;
    let title = format!("{}: {}", table.short_name, table.title);
    ws.set_row_height(row, style::text_height(&title, widths(0, last_col), FONT_SIZE, true))?;
    span(ws, (row, 0), (row, last_col), &title, &st.heading)?;
    row += 1;
    let height = table
        .columns
        .iter()
        .map(|c| style::text_height(&c.short, DATA_WIDTH, 10.0, true))
        .fold(style::default_height(), f64::max);
    ws.set_row_height(row, height)?;
    ws.write_string_with_format(row, 0, "TT", &st.head)?;
    ws.write_string_with_format(row, 1, "Loại hình chi bộ", &st.head)?;
    for (j, c) in table.columns.iter().enumerate() {
        ws.write_string_with_format(row, grid_col(j), &c.short, &st.head_small)?;
    }
    row += 1;
    let label = table.total_row_label.as_deref().unwrap_or(GRAND_TOTAL);
    let all_rows = || plan.blocks.iter().flat_map(|b| b.rows.iter());
    let mut source = plan.total_row;
    let mut lines: Vec<(String, String, Option<String>)> = vec![(String::new(), label.to_owned(), None)];
    for (i, (code, name)) in plan.types.iter().enumerate() {
        lines.push(((i + 1).to_string(), name.clone(), Some(code.clone())));
    }
    for (tt, name, code) in lines {
        ws.set_row_height(row, style::text_height(&name, TYPE_WIDTH, FONT_SIZE, true))?;
        ws.write_string_with_format(row, 0, &tt, &st.total_center)?;
        ws.write_string_with_format(row, 1, &name, &st.total_text)?;
        for (j, c) in table.columns.iter().enumerate() {
            let value = match &code {
                None => figures::column_total(table, j, all_rows()),
                Some(code) => figures::column_total(table, j, all_rows().filter(|r| &r.code == code)),
            };
            let link = format!("='{}'!{}", table.short_name, row_col_to_cell(source, grid_col(j)));
            let f = Formula::new(link).set_result(figures::formula_result(value));
            ws.write_formula_with_format(row, grid_col(j), f, st.number(c.kind, true))?;
        }
        row += 1;
        source += 1;
    }
    ws.set_row_height(row, 8.0)?;
    Ok(row + 1)
}
