//! «Biểu 1» … «Biểu 4»: one sheet per form table in the official layout (§3.5, §5): the
//! committee's header, the coverage, the totals by cell type, then the block of every merged
//! unit that has rows in the table, in the order of the imported list; rows streamed in order.

use rust_xlsxwriter::{Formula, Worksheet, XlsxError};

use super::coverage::{Coverage, unit_title};
use super::figures::{self, Figure, TypeRow, UnitBlock, UnitRange};
use super::header::{self, Frame, TOP_ROWS};
use super::layout::{self, HeaderCell, LEAD_COLS, grid_col};
use super::paginate::{self, Line, Page, Plan};
use super::style::{self, FONT_SIZE, Styles, span};
use super::{ExportError, ExportSnapshot};
use crate::form::{Table, ValueKind};

/// Label of the grand-total row when the form prints none.
pub(super) const GRAND_TOTAL: &str = "Tổng số";
/// Shown instead of unit blocks when no merged unit has rows in the table.
pub(super) const NO_UNITS: &str = "(Chưa có báo cáo nào được tổng hợp)";
/// After a unit's name where its block continues on a new page.
pub(super) const CONTINUED: &str = "(tiếp theo)";

const TT_WIDTH: f64 = 4.0;
const TYPE_WIDTH: f64 = 20.0;
/// Figure columns are never wider than this (numbers), nor narrower than the minimum.
const MAX_DATA_WIDTH: f64 = 11.0;
/// Narrowest figure column: a four-digit count at 12 points.
const MIN_DATA_WIDTH: f64 = 5.5;
/// Header texts longer than this (Biểu 3's topics) get wide columns over more page widths,
/// so the header is not taller than a screen.
const LONG_HEADER: usize = 100;
const LONG_MIN_WIDTH: f64 = 20.0;
const LONG_MAX_WIDTH: f64 = 24.0;
/// Width a unit's name row spans.
const NAME_WIDTH: f64 = 48.0;
/// What a rate column takes more than a count.
const RATE_EXTRA: f64 = 1.5;
const HEADER_FONT: f64 = 11.0;
/// First row of the column header.
const HEADER_TOP: u32 = TOP_ROWS;

/// Column widths, page widths and print scale of a table sheet.
pub(super) struct Geometry {
    /// Grid width: TT, «Loại hình chi bộ» and the figure columns.
    pub width: u16,
    pub helper_col: u16,
    pub header_rows: u32,
    /// The row of column numbers (A, B, 1, 2, …).
    pub numbers_row: u32,
    pub data_width: f64,
    /// Grid columns of rates, a little wider for «100.00%».
    rates: Vec<u16>,
    /// First grid column of every page width after the first (TT and «Loại hình chi bộ»
    /// repeat on each).
    pub splits: Vec<u16>,
    pub scale: u16,
}

impl Geometry {
    fn new(table: &Table) -> Geometry {
        let n = table.columns.len();
        let width = LEAD_COLS + n as u16;
        let longest = table.columns.iter().map(|c| c.vi.chars().count()).max().unwrap_or(0);
        let (min, max) = if longest > LONG_HEADER {
            (LONG_MIN_WIDTH, LONG_MAX_WIDTH)
        } else {
            (MIN_DATA_WIDTH, MAX_DATA_WIDTH)
        };
        let rates: Vec<u16> = (0..n)
            .filter(|&j| table.columns[j].kind == ValueKind::Percent)
            .map(grid_col)
            .collect();
        // Points of one page width at the smallest scale, less the row labels and what the
        // rates take more.
        let room = style::page_width_at_min_scale(true)
            - style::columns_pt([TT_WIDTH, TYPE_WIDTH])
            - rates.len() as f64 * RATE_EXTRA * 7.6;
        let per_page = ((room / style::column_pt(min)).floor() as usize).max(1);
        let pages_wide = n.div_ceil(per_page);
        let starts = page_starts(table, n.div_ceil(pages_wide), per_page);
        let cols_per_page = starts
            .iter()
            .zip(starts.iter().skip(1).chain([&n]))
            .map(|(a, b)| b - a)
            .max()
            .unwrap_or(n);
        let data_width = style::width_for(room / cols_per_page as f64).clamp(min, max);
        let data_width = (data_width * 4.0).floor() / 4.0;
        let splits = starts.into_iter().skip(1).map(grid_col).collect();
        let page_pt = style::columns_pt([TT_WIDTH, TYPE_WIDTH])
            + style::columns_pt(std::iter::repeat_n(data_width, cols_per_page))
            + rates.len() as f64 * RATE_EXTRA * 7.6;
        let header_rows = layout::header_depth(table);
        Geometry {
            width,
            helper_col: width,
            header_rows,
            numbers_row: HEADER_TOP + header_rows,
            data_width,
            rates,
            splits,
            scale: style::scale_for(true, page_pt).max(style::MIN_SCALE),
        }
    }

    /// Page widths the table prints over.
    pub fn pages_wide(&self) -> usize {
        self.splits.len() + 1
    }

    fn last_col(&self) -> u16 {
        self.width - 1
    }

    fn col_width(&self, col: u16) -> f64 {
        match col {
            0 => TT_WIDTH,
            1 => TYPE_WIDTH,
            c if self.rates.contains(&c) => self.data_width + RATE_EXTRA,
            _ => self.data_width,
        }
    }

    fn span_width(&self, first: u16, last: u16) -> f64 {
        (first..=last).map(|c| self.col_width(c)).sum()
    }

    /// Columns `first..=last` cut at the page widths' edges.
    pub fn pieces(&self, first: u16, last: u16) -> Vec<(u16, u16)> {
        let mut out = Vec::new();
        let mut from = first;
        for &split in self.splits.iter().filter(|&&c| c > first && c <= last) {
            out.push((from, split - 1));
            from = split;
        }
        out.push((from, last));
        out
    }

    /// Last column of the first page width.
    fn first_page_last(&self) -> u16 {
        self.splits.first().map_or(self.last_col(), |c| c - 1)
    }

    /// Columns of a right-hand block (motto, date, signature) ending at `last`.
    fn right_block(&self, last: u16) -> (u16, u16) {
        let mut first = last;
        while first > 3 && self.span_width(first, last) < 36.0 {
            first -= 1;
        }
        (first, last)
    }
}

/// First figure column of every page width: about `target` columns a page, never more than
/// `most`, moved to the nearest edge of a header group when one is near, so no group is cut
/// between two pages.
fn page_starts(table: &Table, target: usize, most: usize) -> Vec<usize> {
    let n = table.columns.len();
    let edge = |j: usize| table.columns[j - 1].groups != table.columns[j].groups;
    let mut starts = vec![0];
    let mut at = 0;
    while n - at > most {
        let ideal = at + target;
        let best = (at + 1..=at + most)
            .filter(|&j| j < n && edge(j) && j.abs_diff(ideal) <= target / 2)
            .min_by_key(|&j| j.abs_diff(ideal))
            .unwrap_or(ideal.min(at + most));
        starts.push(best);
        at = best;
    }
    starts
}

/// One written row of the unit part, in sheet order.
#[derive(Debug, Clone, Copy)]
enum Out {
    Name(usize),
    Type(usize, usize),
    /// The block's name again, first row of a page its block continues on.
    Continued(usize),
    NoUnits,
}

/// Everything about a table sheet decided before the first row is written.
pub(super) struct TablePlan<'a> {
    pub table: &'a Table,
    pub g: Geometry,
    pub blocks: Vec<UnitBlock<'a>>,
    /// Cell types with rows, in form order: (code, name).
    pub types: Vec<(String, String)>,
    /// Row of the grand total; the type totals follow it.
    pub total_row: u32,
    seq: Vec<Out>,
    /// Sheet rows that start a page.
    breaks: Vec<u32>,
    pub pages_down: usize,
}

impl<'a> TablePlan<'a> {
    pub fn new(s: &'a ExportSnapshot, cov: &Coverage, table: &'a Table) -> TablePlan<'a> {
        let g = Geometry::new(table);
        let blocks: Vec<UnitBlock> = figures::unit_blocks(s, table)
            .into_iter()
            .filter(|b| !b.rows.is_empty())
            .collect();
        let types = figures::present_types(&s.form, &blocks);
        let total_row = g.numbers_row + 1;
        let mut plan = TablePlan {
            table,
            g,
            blocks,
            types,
            total_row,
            seq: Vec::new(),
            breaks: Vec::new(),
            pages_down: 1,
        };
        plan.paginate(s, cov);
        plan
    }

    /// A unit's name spans the row, or only «Loại hình chi bộ» on a table printed over
    /// several page widths, where that column repeats on every page.
    /// On one page width, as many columns as a long name needs (a merge costs the writer
    /// memory for every cell it covers).
    fn name_last_col(&self) -> u16 {
        if !self.g.splits.is_empty() {
            return 1;
        }
        let mut last = 2.min(self.g.last_col());
        while last < self.g.last_col() && self.g.span_width(1, last) < NAME_WIDTH {
            last += 1;
        }
        last
    }

    fn name_height(&self, b: usize, continued: bool) -> f64 {
        let mut name = unit_title(self.blocks[b].unit);
        if continued {
            name = format!("{name} {CONTINUED}");
        }
        style::text_height(&name, self.g.span_width(1, self.name_last_col()), FONT_SIZE, true)
    }

    fn type_height(r: &TypeRow) -> f64 {
        style::text_height(&r.name, TYPE_WIDTH, FONT_SIZE, false)
    }

    fn total_height(label: &str) -> f64 {
        style::text_height(label, TYPE_WIDTH, FONT_SIZE, true)
    }

    fn grand_label(&self) -> &str {
        self.table.total_row_label.as_deref().unwrap_or(GRAND_TOTAL)
    }

    /// Decides the page breaks and where a split block repeats its name.
    fn paginate(&mut self, s: &ExportSnapshot, cov: &Coverage) {
        let frame_widths = |a: u16, b: u16| self.g.span_width(a, b);
        let frame = self.top_frame(&frame_widths);
        let top: f64 = header::top_heights(s, cov, &frame, &self.table.title).iter().sum();
        let header: f64 = header_heights(&layout::header_cells(self.table), &self.g)
            .iter()
            .sum::<f64>()
            + style::default_height();
        let mut lines = vec![Line::new(Self::total_height(self.grand_label()), None, true)];
        for (i, (_, name)) in self.types.iter().enumerate() {
            let last = i + 1 == self.types.len();
            lines.push(Line::new(Self::total_height(name), None, !last));
        }
        let mut outs = Vec::new();
        for (b, block) in self.blocks.iter().enumerate() {
            lines.push(Line::new(self.name_height(b, false), Some(b), false));
            outs.push(Out::Name(b));
            for (k, r) in block.rows.iter().enumerate() {
                lines.push(Line::new(Self::type_height(r), Some(b), false));
                outs.push(Out::Type(b, k));
            }
        }
        if self.blocks.is_empty() {
            lines.push(Line::new(style::default_height(), None, false));
            outs.push(Out::NoUnits);
        }
        let page = Page {
            capacity: style::page_capacity(true, self.g.scale),
            repeat: header,
            first: top + header,
            tail: header::signature_height(s),
            continuation: self
                .blocks
                .iter()
                .enumerate()
                .map(|(b, _)| self.name_height(b, true))
                .fold(0.0, f64::max),
        };
        let plan: Plan = paginate::plan(&lines, page);
        let totals = 1 + self.types.len();
        let first_unit_row = self.total_row + totals as u32;
        let mut row = first_unit_row;
        for (k, out) in outs.into_iter().enumerate() {
            let line = k + totals;
            if plan.breaks_before(line) {
                self.breaks.push(row);
            }
            if plan.continues(line)
                && let Out::Type(b, _) = out
            {
                self.seq.push(Out::Continued(b));
                row += 1;
            }
            self.seq.push(out);
            row += 1;
        }
        // A break inside the totals (a very long type list) is kept as planned.
        for line in plan.breaks.iter().filter(|&&l| l < totals) {
            self.breaks.insert(0, self.total_row + *line as u32);
        }
        self.pages_down = plan.pages();
    }

    fn first_unit_row(&self) -> u32 {
        self.total_row + 1 + self.types.len() as u32
    }

    /// The rows of the unit blocks, when there are any.
    fn unit_range(&self) -> Option<UnitRange> {
        (!self.blocks.is_empty()).then(|| UnitRange {
            first: self.first_unit_row(),
            last: self.first_unit_row() + self.seq.len() as u32 - 1,
            helper_col: self.g.helper_col,
        })
    }

    fn top_frame<'f>(&self, widths: &'f dyn Fn(u16, u16) -> f64) -> Frame<'f> {
        let last = self.g.first_page_last();
        // Over several page widths, TT and «Loại hình chi bộ» repeat on every page: the
        // header block fits in them, and the title lines stay out of them so the pages of
        // the other widths show no clipped piece of them.
        let split = !self.g.splits.is_empty();
        Frame {
            left: (0, if split { 1 } else { 2.min(last) }),
            right: self.g.right_block(last),
            first_col: if split { LEAD_COLS } else { 0 },
            last_col: last,
            width: widths,
        }
    }

    /// The signature under the last page width, «Nơi nhận» under the first.
    fn bottom_frame<'f>(&self, widths: &'f dyn Fn(u16, u16) -> f64) -> Frame<'f> {
        let split = !self.g.splits.is_empty();
        Frame {
            left: (0, if split { 1 } else { 2.min(self.g.first_page_last()) }),
            right: self.g.right_block(self.g.last_col()),
            first_col: 0,
            last_col: self.g.last_col(),
            width: widths,
        }
    }
}

pub(super) fn write(
    ws: &mut Worksheet,
    st: &Styles,
    s: &ExportSnapshot,
    cov: &Coverage,
    plan: &TablePlan,
) -> Result<(), ExportError> {
    let (g, table) = (&plan.g, plan.table);
    ws.set_name(&table.short_name)?;
    for c in 0..g.width {
        ws.set_column_width(c, g.col_width(c))?;
    }
    ws.set_column_hidden(g.helper_col)?;
    // A blank weighted mean is cached as "", not as rust_xlsxwriter's default 0.
    ws.set_formula_result_default("");
    let widths = |a: u16, b: u16| g.span_width(a, b);
    header::write_top(ws, st, s, cov, &plan.top_frame(&widths), &table.title)?;
    write_header(ws, st, plan)?;
    let units = plan.unit_range();
    write_totals(ws, st, plan, units)?;
    let mut row = plan.first_unit_row();
    let mut index = 0;
    for out in &plan.seq {
        match *out {
            Out::Name(b) => {
                index += 1;
                let name = unit_title(plan.blocks[b].unit);
                ws.set_row_height(row, plan.name_height(b, false))?;
                ws.write_string_with_format(row, 0, layout::roman(index), &st.unit_center)?;
                span(ws, (row, 1), (row, plan.name_last_col()), &name, &st.unit_name)?;
                for c in plan.name_last_col() + 1..=g.last_col() {
                    ws.write_blank(row, c, &st.unit_name)?;
                }
            }
            Out::Continued(b) => {
                let name = format!("{} {CONTINUED}", unit_title(plan.blocks[b].unit));
                ws.set_row_height(row, plan.name_height(b, true))?;
                ws.write_blank(row, 0, &st.unit_center)?;
                span(ws, (row, 1), (row, plan.name_last_col()), &name, &st.continued)?;
                for c in plan.name_last_col() + 1..=g.last_col() {
                    ws.write_blank(row, c, &st.continued)?;
                }
            }
            Out::Type(b, k) => write_type_row(ws, st, plan, row, k + 1, &plan.blocks[b].rows[k])?,
            Out::NoUnits => {
                ws.set_row_height(row, style::default_height())?;
                span(ws, (row, 0), (row, g.last_col()), NO_UNITS, &st.subtitle)?;
            }
        }
        row += 1;
    }
    let last = header::write_signature(ws, st, s, &plan.bottom_frame(&widths), row)?;
    let pages = plan.pages_down * g.pages_wide();
    style::page_setup(ws, true, g.scale, Some(pages), Some((HEADER_TOP, g.numbers_row)))?;
    let breaks: Vec<u32> = plan.breaks.iter().copied().take(1023).collect();
    ws.set_page_breaks(&breaks)?;
    if !g.splits.is_empty() {
        let splits: Vec<u32> = g.splits.iter().map(|&c| u32::from(c)).collect();
        ws.set_vertical_page_breaks(&splits)?;
        ws.set_repeat_columns(0, LEAD_COLS - 1)?;
        // Left and right halves of the same rows print one after the other.
        ws.set_page_order(false);
    }
    ws.set_print_area(0, 0, last, g.last_col())?;
    ws.set_freeze_panes(plan.total_row, LEAD_COLS)?;
    Ok(())
}

/// The multi-level column header (rows in order, for streaming) and the column numbers.
fn write_header(ws: &mut Worksheet, st: &Styles, plan: &TablePlan) -> Result<(), XlsxError> {
    let g = &plan.g;
    let mut cells = layout::header_cells(plan.table);
    cells.sort_by_key(|h| (h.first_row, h.first_col));
    let heights = header_heights(&cells, g);
    for (r, height) in heights.iter().enumerate() {
        ws.set_row_height(HEADER_TOP + r as u32, *height)?;
    }
    for h in &cells {
        // A group running over two page widths is written on each, so each page names it.
        for (first, last) in g.pieces(h.first_col, h.last_col) {
            span(
                ws,
                (HEADER_TOP + h.first_row, first),
                (HEADER_TOP + h.last_row, last),
                &h.text,
                &st.head,
            )?;
        }
    }
    ws.set_row_height(g.numbers_row, style::default_height())?;
    ws.write_string_with_format(g.numbers_row, 0, "A", &st.col_no)?;
    ws.write_string_with_format(g.numbers_row, 1, "B", &st.col_no)?;
    for j in 0..plan.table.columns.len() {
        ws.write_string_with_format(g.numbers_row, grid_col(j), (j + 1).to_string(), &st.col_no)?;
    }
    Ok(())
}

/// The grand-total row and one total row per cell type, formulas with their values cached.
fn write_totals(ws: &mut Worksheet, st: &Styles, plan: &TablePlan, units: Option<UnitRange>) -> Result<(), XlsxError> {
    let table = plan.table;
    let all_rows = || plan.blocks.iter().flat_map(|b| b.rows.iter());
    let first = plan.total_row;
    let label = plan.grand_label();
    ws.set_row_height(first, TablePlan::total_height(label))?;
    ws.write_blank(first, 0, &st.total_center)?;
    ws.write_string_with_format(first, 1, label, &st.total_text)?;
    write_total_figures(ws, st, table, first, units, None, |j| {
        figures::column_total(table, j, all_rows())
    })?;
    for (i, (code, name)) in plan.types.iter().enumerate() {
        let row = first + 1 + i as u32;
        ws.set_row_height(row, TablePlan::total_height(name))?;
        ws.write_number_with_format(row, 0, (i + 1) as f64, &st.total_center)?;
        ws.write_string_with_format(row, 1, name, &st.total_text)?;
        write_total_figures(ws, st, table, row, units, Some(row), |j| {
            figures::column_total(table, j, all_rows().filter(|r| &r.code == code))
        })?;
        ws.write_string_with_format(row, plan.g.helper_col, code, &st.helper)?;
    }
    Ok(())
}

/// One total row's figures: formulas over the unit rows with `total` cached, or plain values
/// when no unit is merged.
fn write_total_figures(
    ws: &mut Worksheet,
    st: &Styles,
    table: &Table,
    row: u32,
    units: Option<UnitRange>,
    type_row: Option<u32>,
    total: impl Fn(usize) -> Option<f64>,
) -> Result<(), XlsxError> {
    for (j, c) in table.columns.iter().enumerate() {
        let f = st.number(c.kind, true);
        let value = total(j);
        let col = grid_col(j);
        match (units, value) {
            (Some(units), _) => {
                let formula = Formula::new(figures::total_formula(table, j, units, type_row))
                    .set_result(figures::formula_result(value));
                ws.write_formula_with_format(row, col, formula, f)?
            }
            (None, Some(v)) => ws.write_number_with_format(row, col, v, f)?,
            (None, None) => ws.write_blank(row, col, f)?,
        };
    }
    Ok(())
}

fn write_type_row(
    ws: &mut Worksheet,
    st: &Styles,
    plan: &TablePlan,
    row: u32,
    tt: usize,
    r: &TypeRow,
) -> Result<(), XlsxError> {
    ws.set_row_height(row, TablePlan::type_height(r))?;
    ws.write_number_with_format(row, 0, tt as f64, &st.cell_center)?;
    ws.write_string_with_format(row, 1, &r.name, &st.cell_text)?;
    for (j, (c, fig)) in plan.table.columns.iter().zip(&r.figures).enumerate() {
        let f = st.number(c.kind, false);
        match fig {
            Figure::Number(v) => ws.write_number_with_format(row, grid_col(j), *v, f)?,
            Figure::Text(t) => ws.write_string_with_format(row, grid_col(j), t, f)?,
            Figure::Missing => ws.write_blank(row, grid_col(j), f)?,
        };
    }
    ws.write_string_with_format(row, plan.g.helper_col, &r.code, &st.helper)?;
    Ok(())
}

/// Heights of the header rows so every (wrapped) header text shows: single-row cells first,
/// then cells spanning several rows spread what they still miss over their rows.
fn header_heights(cells: &[HeaderCell], g: &Geometry) -> Vec<f64> {
    let need =
        |h: &HeaderCell| style::text_height(&h.text, g.span_width(h.first_col, h.last_col), HEADER_FONT, true) + 2.0;
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
