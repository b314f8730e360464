//! «Biểu 1» … «Biểu 4»: one sheet per form table, in the official layout (§3.5, §5), with the
//! district totals at the top and every merged unit's rows below.

use rust_xlsxwriter::{Formula, Worksheet, XlsxError};

use super::figures::{self, Figure, TypeRow, UnitBlock, UnitRange};
use super::layout::{self, HeaderCell, LEAD_COLS, grid_col};
use super::style::{self, FONT_SIZE, Styles, span};
use super::{ExportError, ExportSnapshot, ReportStatus, UnitReport};
use crate::form::Table;

/// Top-left second line: the merged report speaks for every cell and base organisation.
pub(super) const MERGED_ISSUER: &str = "CÁC CHI, ĐẢNG BỘ CƠ SỞ";
pub(super) const MOTTO: &str = "ĐẢNG CỘNG SẢN VIỆT NAM";
/// Label of the grand-total row when the form prints none.
pub(super) const GRAND_TOTAL: &str = "Tổng số";
/// Appended to the name of a draft unit merged by `/tonghop tatca`.
pub(super) const DRAFT_MARK: &str = " (bản nháp)";
/// Shown instead of unit blocks when no report is merged.
pub(super) const NO_UNITS: &str = "(Chưa có báo cáo nào được tổng hợp)";

const TT_WIDTH: f64 = 5.0;
const TYPE_WIDTH: f64 = 28.0;
const DATA_WIDTH: f64 = 11.0;
/// Wider figure columns for tables whose headers are long sentences (Biểu 3).
const WIDE_DATA_WIDTH: f64 = 14.0;
const HEADER_FONT: f64 = 11.0;
/// First row of the column header (after the header block, title and subtitle).
const HEADER_TOP: u32 = 6;

/// Where the parts of a table sheet are.
struct Geometry {
    /// Grid width: TT, «Loại hình chi bộ» and the figure columns.
    width: u16,
    helper_col: u16,
    header_rows: u32,
    /// The row of column numbers (A, B, 1, 2, …).
    numbers_row: u32,
    data_width: f64,
    /// Left and right blocks of the header and signature lines: (first, last) columns.
    left: (u16, u16),
    right: (u16, u16),
}

impl Geometry {
    fn new(table: &Table) -> Geometry {
        let ncols = table.columns.len() as u16;
        let width = LEAD_COLS + ncols;
        let longest = table.columns.iter().map(|c| c.vi.chars().count()).max().unwrap_or(0);
        let data_width = if longest > 100 { WIDE_DATA_WIDTH } else { DATA_WIDTH };
        let left_end = if width >= 6 { 2 } else { 0 };
        let right_len = (ncols / 3).max(4);
        let right_start = width.saturating_sub(right_len).max(left_end + 1);
        let header_rows = layout::header_depth(table);
        Geometry {
            width,
            helper_col: width,
            header_rows,
            numbers_row: HEADER_TOP + header_rows,
            data_width,
            left: (0, left_end),
            right: (right_start, width - 1),
        }
    }

    fn last_col(&self) -> u16 {
        self.width - 1
    }

    fn col_width(&self, col: u16) -> f64 {
        match col {
            0 => TT_WIDTH,
            1 => TYPE_WIDTH,
            _ => self.data_width,
        }
    }

    fn span_width(&self, first: u16, last: u16) -> f64 {
        (first..=last).map(|c| self.col_width(c)).sum()
    }
}

/// What every part of a table sheet needs.
struct Sheet<'a> {
    st: &'a Styles,
    s: &'a ExportSnapshot,
    table: &'a Table,
    g: Geometry,
}

pub(super) fn write(ws: &mut Worksheet, st: &Styles, s: &ExportSnapshot, table: &Table) -> Result<(), ExportError> {
    ws.set_name(&table.short_name)?;
    let sheet = Sheet {
        st,
        s,
        table,
        g: Geometry::new(table),
    };
    let g = &sheet.g;
    for c in 0..g.width {
        ws.set_column_width(c, g.col_width(c))?;
    }
    ws.set_column_hidden(g.helper_col)?;
    // A blank weighted mean is cached as "", not as rust_xlsxwriter's default 0.
    ws.set_formula_result_default("");
    sheet.write_top(ws)?;
    sheet.write_header(ws)?;

    let blocks = figures::unit_blocks(s, table);
    let types = figures::present_types(&s.form, &blocks);
    let first_total = g.numbers_row + 1;
    let first_unit_row = first_total + 1 + types.len() as u32;
    let mut row = first_unit_row;
    for (i, block) in blocks.iter().enumerate() {
        row = sheet.write_unit_block(ws, row, i, block)?;
    }
    let units = (row > first_unit_row).then(|| UnitRange {
        first: first_unit_row,
        last: row - 1,
        helper_col: g.helper_col,
    });
    sheet.write_totals(ws, first_total, &types, &blocks, units)?;
    if blocks.is_empty() {
        span(ws, (row, 0), (row, g.last_col()), NO_UNITS, &st.subtitle)?;
        row += 1;
    }

    let last = sheet.write_signature(ws, row + 1)?;
    style::page_setup(ws, Some((HEADER_TOP, g.numbers_row)))?;
    ws.set_print_area(0, 0, last, g.last_col())?;
    ws.set_freeze_panes(first_total, LEAD_COLS)?;
    Ok(())
}

pub(super) fn subtitle(generated_at: &str) -> String {
    format!("(Tổng hợp từ báo cáo của các chi, đảng bộ cơ sở, đến {generated_at})")
}

/// The unit's name as shown on its block, marked when it is a draft.
pub(super) fn unit_title(s: &ExportSnapshot, u: &UnitReport) -> String {
    match u.status {
        ReportStatus::Draft | ReportStatus::Returned if s.include_drafts => format!("{}{DRAFT_MARK}", u.name),
        _ => u.name.clone(),
    }
}

impl Sheet<'_> {
    /// The §3.5 header block, the title and the subtitle.
    fn write_top(&self, ws: &mut Worksheet) -> Result<(), XlsxError> {
        let (st, g) = (self.st, &self.g);
        let campaign = &self.s.form.campaign;
        let (l0, l1) = g.left;
        let (r0, r1) = g.right;
        span(ws, (0, l0), (0, l1), &campaign.issuer, &st.org)?;
        span(ws, (1, l0), (1, l1), MERGED_ISSUER, &st.org_bold)?;
        span(ws, (0, r0), (0, r1), MOTTO, &st.motto)?;
        let place = layout::place_date_line(&layout::place_name(&campaign.issuer), &self.s.generated_at);
        span(ws, (1, r0), (1, r1), &place, &st.place_date)?;
        ws.set_row_height(1, style::text_height(&place, g.span_width(r0, r1), FONT_SIZE, false))?;

        let full = g.span_width(0, g.last_col());
        let title = &self.table.title;
        span(ws, (3, 0), (3, g.last_col()), title, &st.title)?;
        ws.set_row_height(3, style::text_height(title, full, 14.0, true).max(24.0))?;
        let subtitle = subtitle(&self.s.generated_at);
        span(ws, (4, 0), (4, g.last_col()), &subtitle, &st.subtitle)?;
        ws.set_row_height(4, style::text_height(&subtitle, full, FONT_SIZE, false))?;
        Ok(())
    }

    /// The multi-level column header, its row heights, and the row of column numbers.
    fn write_header(&self, ws: &mut Worksheet) -> Result<(), XlsxError> {
        let (st, g) = (self.st, &self.g);
        let cells = layout::header_cells(self.table);
        for h in &cells {
            span(
                ws,
                (HEADER_TOP + h.first_row, h.first_col),
                (HEADER_TOP + h.last_row, h.last_col),
                &h.text,
                &st.head,
            )?;
        }
        for (r, height) in header_heights(&cells, g).into_iter().enumerate() {
            ws.set_row_height(HEADER_TOP + r as u32, height)?;
        }
        ws.write_string_with_format(g.numbers_row, 0, "A", &st.col_no)?;
        ws.write_string_with_format(g.numbers_row, 1, "B", &st.col_no)?;
        for j in 0..self.table.columns.len() {
            ws.write_string_with_format(g.numbers_row, grid_col(j), (j + 1).to_string(), &st.col_no)?;
        }
        Ok(())
    }

    /// The grand-total row and one total row per cell type, formulas with their values cached.
    fn write_totals(
        &self,
        ws: &mut Worksheet,
        first: u32,
        types: &[(String, String)],
        blocks: &[UnitBlock],
        units: Option<UnitRange>,
    ) -> Result<(), XlsxError> {
        let (st, table) = (self.st, self.table);
        let all_rows = || blocks.iter().flat_map(|b| b.rows.iter());
        let label = table.total_row_label.as_deref().unwrap_or(GRAND_TOTAL);
        ws.write_blank(first, 0, &st.total_center)?;
        ws.write_string_with_format(first, 1, label, &st.total_text)?;
        ws.set_row_height(first, style::text_height(label, TYPE_WIDTH, FONT_SIZE, true))?;
        self.write_total_figures(ws, first, units, None, |j| figures::column_total(table, j, all_rows()))?;
        for (i, (code, name)) in types.iter().enumerate() {
            let row = first + 1 + i as u32;
            ws.write_number_with_format(row, 0, (i + 1) as f64, &st.total_center)?;
            ws.write_string_with_format(row, 1, name, &st.total_text)?;
            ws.write_string_with_format(row, self.g.helper_col, code, &st.helper)?;
            ws.set_row_height(row, style::text_height(name, TYPE_WIDTH, FONT_SIZE, true))?;
            self.write_total_figures(ws, row, units, Some(row), |j| {
                figures::column_total(table, j, all_rows().filter(|r| &r.code == code))
            })?;
        }
        Ok(())
    }

    /// One total row's figures: formulas over the unit rows with `total` cached, or plain
    /// values when no unit is merged.
    fn write_total_figures(
        &self,
        ws: &mut Worksheet,
        row: u32,
        units: Option<UnitRange>,
        type_row: Option<u32>,
        total: impl Fn(usize) -> Option<f64>,
    ) -> Result<(), XlsxError> {
        for (j, c) in self.table.columns.iter().enumerate() {
            let f = self.st.number(c.kind, true);
            let value = total(j);
            let col = grid_col(j);
            match (units, value) {
                (Some(units), _) => {
                    let formula = Formula::new(figures::total_formula(self.table, j, units, type_row))
                        .set_result(figures::formula_result(value));
                    ws.write_formula_with_format(row, col, formula, f)?
                }
                (None, Some(v)) => ws.write_number_with_format(row, col, v, f)?,
                (None, None) => ws.write_blank(row, col, f)?,
            };
        }
        Ok(())
    }

    /// A unit's name row (Roman numeral, bold, drafts marked) and its cell-type rows; returns
    /// the next free row.
    fn write_unit_block(
        &self,
        ws: &mut Worksheet,
        mut row: u32,
        index: usize,
        block: &UnitBlock,
    ) -> Result<u32, XlsxError> {
        let (st, g) = (self.st, &self.g);
        let name = unit_title(self.s, block.unit);
        ws.write_string_with_format(row, 0, layout::roman(index + 1), &st.unit_center)?;
        span(ws, (row, 1), (row, g.last_col()), &name, &st.unit_name)?;
        ws.set_row_height(
            row,
            style::text_height(&name, g.span_width(1, g.last_col()), FONT_SIZE, true),
        )?;
        row += 1;
        for (i, r) in block.rows.iter().enumerate() {
            self.write_type_row(ws, row, i + 1, r)?;
            row += 1;
        }
        Ok(row)
    }

    fn write_type_row(&self, ws: &mut Worksheet, row: u32, tt: usize, r: &TypeRow) -> Result<(), XlsxError> {
        let st = self.st;
        ws.write_number_with_format(row, 0, tt as f64, &st.cell_center)?;
        ws.write_string_with_format(row, 1, &r.name, &st.cell_text)?;
        ws.write_string_with_format(row, self.g.helper_col, &r.code, &st.helper)?;
        ws.set_row_height(row, style::text_height(&r.name, TYPE_WIDTH, FONT_SIZE, false))?;
        for (j, (c, fig)) in self.table.columns.iter().zip(&r.figures).enumerate() {
            let f = st.number(c.kind, false);
            match fig {
                Figure::Number(v) => ws.write_number_with_format(row, grid_col(j), *v, f)?,
                Figure::Text(t) => ws.write_string_with_format(row, grid_col(j), t, f)?,
                Figure::Missing => ws.write_blank(row, grid_col(j), f)?,
            };
        }
        Ok(())
    }

    /// «NGƯỜI LẬP BIỂU» left, «T/M BAN CHẤP HÀNH» right, their notes, room to sign, the phone
    /// line under the preparer. Returns the last row written.
    fn write_signature(&self, ws: &mut Worksheet, row: u32) -> Result<u32, XlsxError> {
        let (st, g) = (self.st, &self.g);
        let sig = &self.s.form.campaign.signature;
        let (l0, l1) = g.left;
        let (r0, r1) = g.right;
        span(ws, (row, l0), (row, l1), &sig.preparer, &st.sign_title)?;
        span(ws, (row, r0), (row, r1), &sig.signer, &st.sign_title)?;
        span(ws, (row + 1, l0), (row + 1, l1), &sig.preparer_note, &st.sign_note)?;
        span(ws, (row + 1, r0), (row + 1, r1), &sig.signer_note, &st.sign_note)?;
        let phone = row + 5;
        span(ws, (phone, l0), (phone, l1), &sig.phone, &st.plain)?;
        Ok(phone)
    }
}

/// Heights of the header rows so every (wrapped) header text shows: single-row cells first,
/// then cells spanning several rows spread what they still miss over their rows.
fn header_heights(cells: &[HeaderCell], g: &Geometry) -> Vec<f64> {
    let need =
        |h: &HeaderCell| style::text_height(&h.text, g.span_width(h.first_col, h.last_col), HEADER_FONT, true) + 4.0;
    let mut heights = vec![style::default_height(); g.header_rows as usize];
    for h in cells.iter().filter(|h| h.first_row == h.last_row) {
        let r = h.first_row as usize;
        heights[r] = heights[r].max(need(h));
    }
    for h in cells.iter().filter(|h| h.first_row != h.last_row) {
        let rows = h.first_row as usize..=h.last_row as usize;
        let have: f64 = heights[rows.clone()].iter().sum();
        let missing = need(h) - have;
        if missing > 0.0 {
            let each = missing / rows.clone().count() as f64;
            for r in rows {
                heights[r] += each;
            }
        }
    }
    heights.into_iter().map(|h| h.min(style::MAX_ROW_HEIGHT)).collect()
}
