//! «Đề cương»: the committee's header and the coverage, the units' report header fields, then
//! the outline in print order: every heading with its guiding prompts, every merged unit's
//! answer under each answer heading, and a line for the units not merged. Headings stay with
//! what follows them; an answer continued on a new page repeats the unit's name.

use rust_xlsxwriter::{Worksheet, XlsxError};

use super::coverage::{Coverage, unit_title};
use super::header::{self, Frame, TOP_ROWS};
use super::paginate::{self, Line, Page};
use super::style::{self, FONT_SIZE, MAX_ROW_HEIGHT, Styles, span};
use super::tables::NO_UNITS;
use super::{ExportError, ExportSnapshot, OUTLINE_SHEET, UnitReport};
use crate::form::{Node, NodeKind};

pub(super) const FIELDS_TITLE: &str = "THÔNG TIN CHUNG CỦA BÁO CÁO CÁC ĐƠN VỊ";
pub(super) const NO_ANSWER: &str = "(chưa trả lời)";
pub(super) const UNIT_HEADER: &str = "Đơn vị";
pub(super) const FIELDS_HEADER: &str = "Số, ngày báo cáo, người ký, điện thoại";
pub(super) const PROMPTS_LABEL: &str = "Gợi ý:";
/// After a unit's name where its answer continues on a new page.
pub(super) const CONTINUED: &str = "(tiếp theo)";

const TT_WIDTH: f64 = 4.0;
const UNIT_WIDTH: f64 = 22.0;
/// First row of the report-field table's header.
pub(super) const FIELDS_HEADER_ROW: u32 = TOP_ROWS + 1;

/// Three columns: TT, the unit, and one wide column for the text (no merged cell per
/// answer: a merge costs the writer memory for every cell it covers).
struct Geometry {
    last_col: u16,
    text_width: f64,
    scale: u16,
}

impl Geometry {
    fn new() -> Geometry {
        // The text column fills one page width at the smallest scale.
        let room = style::page_width_at_min_scale(true) - style::columns_pt([TT_WIDTH, UNIT_WIDTH]);
        let text_width = (style::width_for(room) * 4.0).floor() / 4.0;
        Geometry {
            last_col: 2,
            text_width,
            scale: style::scale_for(true, style::columns_pt([TT_WIDTH, UNIT_WIDTH, text_width])).max(style::MIN_SCALE),
        }
    }

    fn text_width(&self) -> f64 {
        self.text_width
    }

    fn col_width(&self, c: u16) -> f64 {
        match c {
            0 => TT_WIDTH,
            1 => UNIT_WIDTH,
            _ => self.text_width,
        }
    }

    fn span_width(&self, a: u16, b: u16) -> f64 {
        (a..=b).map(|c| self.col_width(c)).sum()
    }

    fn full_width(&self) -> f64 {
        self.span_width(0, self.last_col)
    }

    fn frame<'f>(&self, widths: &'f dyn Fn(u16, u16) -> f64) -> Frame<'f> {
        Frame {
            left: (0, 1),
            right: (2, 2),
            first_col: 0,
            last_col: self.last_col,
            width: widths,
        }
    }
}

/// One row of the sheet below the field table, in order.
#[derive(Debug, Clone, Copy)]
enum Row {
    Heading(usize),
    Prompts(usize),
    /// Piece `k` of merged unit `u`'s answer to node `n`, and its height.
    Answer {
        n: usize,
        u: usize,
        k: usize,
        height: f64,
        /// The answer fits one row: written as it is, never split.
        whole: bool,
    },
    NoUnits,
    Missing,
}

struct Sheet<'a> {
    st: &'a Styles,
    s: &'a ExportSnapshot,
    g: Geometry,
    merged: Vec<&'a UnitReport>,
    /// «Chưa có báo cáo của …» for the units not merged, or empty.
    missing: String,
    /// Height of each merged unit's name (with «(tiếp theo)»), the least an answer row takes.
    name_heights: Vec<f64>,
}

pub(super) fn write(ws: &mut Worksheet, st: &Styles, s: &ExportSnapshot, cov: &Coverage) -> Result<(), ExportError> {
    ws.set_name(OUTLINE_SHEET)?;
    let merged: Vec<&UnitReport> = s.units.iter().filter(|u| s.merged(u)).collect();
    let name_heights = merged
        .iter()
        .map(|u| style::text_height(&format!("{} {CONTINUED}", unit_title(u)), UNIT_WIDTH, FONT_SIZE, true))
        .collect();
    let sh = Sheet {
        st,
        s,
        g: Geometry::new(),
        merged,
        name_heights,
        missing: if cov.missing.is_empty() {
            String::new()
        } else {
            cov.missing.clone()
        },
    };
    let g = &sh.g;
    for c in 0..=g.last_col {
        ws.set_column_width(c, g.col_width(c))?;
    }
    let widths = |a: u16, b: u16| g.span_width(a, b);
    let frame = g.frame(&widths);
    let title = format!("{}\n{}", s.form.campaign.outline_heading, s.form.campaign.title);
    header::write_top(ws, st, s, cov, &frame, &title)?;
    let top: f64 = header::top_heights(s, cov, &frame, &title).iter().sum();

    // Plan every row's height, then the page breaks, then write in order.
    let mut lines = Vec::new();
    let field_rows = sh.field_lines(&mut lines);
    let rows = sh.rows();
    let mut block = 0;
    for r in &rows {
        let keep_next = matches!(r, Row::Heading(_) | Row::Prompts(_));
        let b = match r {
            Row::Answer { k: 0, .. } => {
                block += 1;
                Some(block)
            }
            Row::Answer { .. } => Some(block),
            _ => None,
        };
        lines.push(Line::new(sh.height(r), b, keep_next));
    }
    let plan = paginate::plan(
        &lines,
        Page {
            capacity: style::page_capacity(true, g.scale),
            repeat: 0.0,
            first: top,
            tail: 0.0,
            continuation: 0.0,
        },
    );
    let mut row = sh.write_fields(ws)?;
    debug_assert_eq!(row + 1 - FIELDS_HEADER_ROW, field_rows as u32);
    let mut breaks = Vec::new();
    // The pieces of the answer being written: split once, not once per piece.
    let mut pieces: Option<((usize, usize), Vec<String>)> = None;
    for (i, r) in rows.iter().enumerate() {
        let line = field_rows + i;
        if plan.breaks_before(line) {
            breaks.push(row);
        }
        let piece = match *r {
            Row::Answer { n, u, whole: true, .. } => sh.answer(sh.merged[u], &s.form.outline[n]),
            Row::Answer { n, u, k, .. } => {
                if pieces.as_ref().is_none_or(|(at, _)| *at != (n, u)) {
                    let text = sh.answer(sh.merged[u], &s.form.outline[n]);
                    pieces = Some(((n, u), chunks(text, g.text_width())));
                }
                pieces.as_ref().map_or("", |(_, p)| p[k].as_str())
            }
            _ => "",
        };
        sh.write_row(ws, row, r, plan.continues(line), piece)?;
        row += 1;
    }
    for i in 0..field_rows {
        if plan.breaks_before(i) {
            breaks.push(FIELDS_HEADER_ROW - 1 + i as u32);
        }
    }
    breaks.sort_unstable();
    breaks.truncate(1023);
    style::page_setup(ws, true, g.scale, Some(plan.pages()), None)?;
    ws.set_page_breaks(&breaks)?;
    ws.set_print_area(0, 0, row.saturating_sub(1), g.last_col)?;
    Ok(())
}

impl Sheet<'_> {
    /// Every row after the field table, in print order.
    fn rows(&self) -> Vec<Row> {
        let mut out = Vec::new();
        for (n, node) in self.s.form.outline.iter().enumerate() {
            out.push(Row::Heading(n));
            if !node.prompts.is_empty() {
                out.push(Row::Prompts(n));
            }
            if node.kind != NodeKind::Answer {
                continue;
            }
            if self.merged.is_empty() {
                out.push(Row::NoUnits);
            }
            for (u, unit) in self.merged.iter().enumerate() {
                let name = self.name_heights[u];
                let text = self.answer(unit, node);
                // Most answers fit one row: measured once, not split.
                let lines = style::wrapped_lines(text, self.g.text_width(), FONT_SIZE, false);
                if lines <= max_lines() {
                    let height = style::lines_height(lines, FONT_SIZE).max(name);
                    out.push(Row::Answer {
                        n,
                        u,
                        k: 0,
                        height,
                        whole: true,
                    });
                    continue;
                }
                let pieces = chunks(text, self.g.text_width());
                out.extend(pieces.iter().enumerate().map(|(k, p)| Row::Answer {
                    n,
                    u,
                    k,
                    height: style::text_height(p, self.g.text_width(), FONT_SIZE, false).max(name),
                    whole: false,
                }));
            }
            if !self.missing.is_empty() {
                out.push(Row::Missing);
            }
        }
        out
    }

    fn answer<'u>(&self, u: &'u UnitReport, node: &Node) -> &'u str {
        u.answer(&node.id, "").unwrap_or(NO_ANSWER)
    }

    fn heading(node: &Node) -> String {
        format!("{} {}", node.label, node.vi)
    }

    fn prompts(node: &Node) -> String {
        let lines: Vec<String> = node.prompts.iter().map(|p| format!("- {}", p.vi)).collect();
        format!("{PROMPTS_LABEL}\n{}", lines.join("\n"))
    }

    fn height(&self, r: &Row) -> f64 {
        let form = &self.s.form;
        let g = &self.g;
        match *r {
            Row::Heading(n) => {
                let node = &form.outline[n];
                let size = if node.parent_id().is_none() { 13.0 } else { FONT_SIZE };
                style::text_height(&Self::heading(node), g.full_width(), size, true)
            }
            Row::Prompts(n) => style::text_height(&Self::prompts(&form.outline[n]), g.full_width(), 11.0, false),
            Row::Answer { height, .. } => height,
            Row::NoUnits => style::default_height(),
            Row::Missing => style::text_height(&self.missing, g.full_width(), FONT_SIZE, false),
        }
    }

    /// Writes one row; `piece` is its part of the answer when it is an answer row.
    fn write_row(&self, ws: &mut Worksheet, row: u32, r: &Row, continued: bool, piece: &str) -> Result<(), XlsxError> {
        let (st, g, form) = (self.st, &self.g, &self.s.form);
        ws.set_row_height(row, self.height(r))?;
        match *r {
            Row::Heading(n) => {
                let node = &form.outline[n];
                let f = if node.parent_id().is_none() {
                    &st.section
                } else {
                    &st.heading
                };
                span(ws, (row, 0), (row, g.last_col), &Self::heading(node), f)?;
            }
            Row::Prompts(n) => {
                span(
                    ws,
                    (row, 0),
                    (row, g.last_col),
                    &Self::prompts(&form.outline[n]),
                    &st.prompts,
                )?;
            }
            Row::Answer { u, k, .. } => {
                let unit = self.merged[u];
                if k == 0 {
                    ws.write_string_with_format(row, 1, unit_title(unit), &st.bold_wrap_top)?;
                } else if continued {
                    let name = format!("{} {CONTINUED}", unit_title(unit));
                    ws.write_string_with_format(row, 1, name, &st.bold_wrap_top)?;
                }
                ws.write_string_with_format(row, 2, piece, &st.wrap_top)?;
            }
            Row::NoUnits => span(ws, (row, 0), (row, g.last_col), NO_UNITS, &st.subtitle)?,
            Row::Missing => span(ws, (row, 0), (row, g.last_col), &self.missing, &st.coverage)?,
        }
        Ok(())
    }

    /// Lines of the field table (title, header, one per merged unit); returns how many.
    fn field_lines(&self, lines: &mut Vec<Line>) -> usize {
        lines.push(Line::new(style::default_height(), None, true));
        lines.push(Line::new(self.fields_header_height(), None, true));
        for u in &self.merged {
            lines.push(Line::new(self.field_row_height(u), None, false));
        }
        if self.merged.is_empty() {
            lines.push(Line::new(style::default_height(), None, false));
        }
        lines.push(Line::new(style::default_height(), None, false));
        lines.len()
    }

    fn fields_header_height(&self) -> f64 {
        style::default_height()
    }

    fn field_row_height(&self, u: &UnitReport) -> f64 {
        style::text_height(&unit_title(u), UNIT_WIDTH, FONT_SIZE, false).max(style::text_height(
            &fields_text(&self.s.form, u),
            self.g.text_width,
            FONT_SIZE,
            false,
        ))
    }

    /// The table of report header fields (`HD.*`), one row per merged unit, and a spacer.
    /// Returns the next row.
    fn write_fields(&self, ws: &mut Worksheet) -> Result<u32, XlsxError> {
        let (st, g) = (self.st, &self.g);
        let title = FIELDS_HEADER_ROW - 1;
        ws.set_row_height(title, style::default_height())?;
        span(ws, (title, 0), (title, g.last_col), FIELDS_TITLE, &st.heading)?;
        let h = FIELDS_HEADER_ROW;
        ws.set_row_height(h, self.fields_header_height())?;
        ws.write_string_with_format(h, 0, "TT", &st.head)?;
        ws.write_string_with_format(h, 1, UNIT_HEADER, &st.head)?;
        ws.write_string_with_format(h, 2, FIELDS_HEADER, &st.head)?;
        let mut row = h + 1;
        for (i, u) in self.merged.iter().enumerate() {
            ws.set_row_height(row, self.field_row_height(u))?;
            ws.write_number_with_format(row, 0, (i + 1) as f64, &st.cell_center)?;
            ws.write_string_with_format(row, 1, unit_title(u), &st.cell_text)?;
            ws.write_string_with_format(row, 2, fields_text(&self.s.form, u), &st.cell_text)?;
            row += 1;
        }
        if self.merged.is_empty() {
            ws.set_row_height(row, style::default_height())?;
            span(ws, (row, 0), (row, g.last_col), NO_UNITS, &st.subtitle)?;
            row += 1;
        }
        ws.set_row_height(row, style::default_height())?;
        Ok(row + 1)
    }
}

/// A unit's answered report header fields, «Số báo cáo: 15-BC/ĐU; Ngày báo cáo: …».
pub(super) fn fields_text(form: &crate::form::Form, u: &UnitReport) -> String {
    form.report_fields
        .iter()
        .filter_map(|f| u.answer(&f.id, "").map(|v| format!("{}: {v}", f.label)))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Most lines one row can show.
fn max_lines() -> usize {
    ((MAX_ROW_HEIGHT - 4.0) / (FONT_SIZE * 1.3)) as usize
}

fn fits(text: &str, width: f64) -> bool {
    style::wrapped_lines(text, width, FONT_SIZE, false) <= max_lines()
}

/// Splits a long answer into pieces that each fit one row: at line breaks when possible,
/// else between words. Joining the pieces with line breaks or spaces gives the text back.
pub(super) fn chunks(text: &str, width: f64) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for para in text.lines() {
        let candidate = if current.is_empty() {
            para.to_owned()
        } else {
            format!("{current}\n{para}")
        };
        if fits(&candidate, width) {
            current = candidate;
            continue;
        }
        if !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        if fits(para, width) {
            current = para.to_owned();
            continue;
        }
        for word in para.split_whitespace() {
            let candidate = if current.is_empty() {
                word.to_owned()
            } else {
                format!("{current} {word}")
            };
            if current.is_empty() || fits(&candidate, width) {
                current = candidate;
            } else {
                out.push(std::mem::replace(&mut current, word.to_owned()));
            }
        }
    }
    if !current.is_empty() || out.is_empty() {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn squash(s: &str) -> String {
        s.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn short_text_is_one_chunk() {
        assert_eq!(chunks("Một câu trả lời ngắn.", 100.0), ["Một câu trả lời ngắn."]);
        assert_eq!(chunks("a\nb", 100.0), ["a\nb"]);
    }

    #[test]
    fn long_text_is_split_without_losing_words() {
        let para = "Chi bộ đã tổ chức sinh hoạt đều đặn hằng tháng theo đúng quy định. ".repeat(80);
        let text = format!("{para}\n{para}\nKết thúc.");
        let parts = chunks(&text, 100.0);
        assert!(parts.len() > 3, "{}", parts.len());
        for p in &parts {
            assert!(fits(p, 100.0));
        }
        assert_eq!(squash(&parts.join(" ")), squash(&text));
    }
}
