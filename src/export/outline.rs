//! «Đề cương»: the units' report header fields, then the outline in print order with every
//! merged unit's answer under each answer heading.

use rust_xlsxwriter::{Worksheet, XlsxError};

use super::style::{self, FONT_SIZE, MAX_ROW_HEIGHT, Styles, span};
use super::tables::{NO_UNITS, subtitle, unit_title};
use super::{ExportError, ExportSnapshot, OUTLINE_SHEET, UnitReport};
use crate::form::{Node, NodeKind};

pub(super) const FIELDS_TITLE: &str = "THÔNG TIN CHUNG CỦA BÁO CÁO CÁC ĐƠN VỊ";
pub(super) const NO_ANSWER: &str = "(chưa trả lời)";
pub(super) const UNIT_HEADER: &str = "Đơn vị";

const TT_WIDTH: f64 = 5.0;
const UNIT_WIDTH: f64 = 28.0;
/// Total width of the answer text (the field columns, merged).
const TEXT_WIDTH: f64 = 100.0;
/// First row of the report-field table's header.
pub(super) const FIELDS_HEADER_ROW: u32 = 5;

struct Geometry {
    last_col: u16,
    field_width: f64,
}

impl Geometry {
    fn text_width(&self) -> f64 {
        self.field_width * f64::from(self.last_col - 1)
    }

    fn full_width(&self) -> f64 {
        TT_WIDTH + UNIT_WIDTH + self.text_width()
    }
}

pub(super) fn write(ws: &mut Worksheet, st: &Styles, s: &ExportSnapshot) -> Result<(), ExportError> {
    ws.set_name(OUTLINE_SHEET)?;
    let text_cols = s.form.report_fields.len().max(4) as u16;
    let g = Geometry {
        last_col: 1 + text_cols,
        field_width: (TEXT_WIDTH / f64::from(text_cols)).max(12.0),
    };
    ws.set_column_width(0, TT_WIDTH)?;
    ws.set_column_width(1, UNIT_WIDTH)?;
    for c in 2..=g.last_col {
        ws.set_column_width(c, g.field_width)?;
    }
    let campaign = &s.form.campaign;
    span(ws, (0, 0), (0, g.last_col), &campaign.outline_heading, &st.title)?;
    ws.set_row_height(0, 24.0)?;
    span(ws, (1, 0), (1, g.last_col), &campaign.title, &st.org_bold)?;
    ws.set_row_height(1, style::text_height(&campaign.title, g.full_width(), FONT_SIZE, true))?;
    let sub = subtitle(&s.generated_at);
    span(ws, (2, 0), (2, g.last_col), &sub, &st.subtitle)?;

    let merged: Vec<&UnitReport> = s.units.iter().filter(|u| s.merged(u)).collect();
    let mut row = write_fields(ws, st, s, &g, &merged)?;
    row += 1;
    for node in &s.form.outline {
        row = write_node(ws, st, s, &g, row, node, &merged)?;
    }
    style::page_setup(ws, Some((0, 0)))?;
    ws.set_print_area(0, 0, row.saturating_sub(1), g.last_col)?;
    Ok(())
}

/// The table of report header fields (`HD.*`), one row per merged unit. Returns the next row.
fn write_fields(
    ws: &mut Worksheet,
    st: &Styles,
    s: &ExportSnapshot,
    g: &Geometry,
    merged: &[&UnitReport],
) -> Result<u32, XlsxError> {
    span(
        ws,
        (FIELDS_HEADER_ROW - 1, 0),
        (FIELDS_HEADER_ROW - 1, g.last_col),
        FIELDS_TITLE,
        &st.heading,
    )?;
    let h = FIELDS_HEADER_ROW;
    ws.write_string_with_format(h, 0, "TT", &st.head)?;
    ws.write_string_with_format(h, 1, UNIT_HEADER, &st.head)?;
    let fields = &s.form.report_fields;
    let mut height = style::default_height();
    for (i, f) in fields.iter().enumerate() {
        ws.write_string_with_format(h, 2 + i as u16, &f.label, &st.head)?;
        height = height.max(style::text_height(&f.label, g.field_width, 11.0, true));
    }
    ws.set_row_height(h, height)?;
    let mut row = h + 1;
    for (i, u) in merged.iter().enumerate() {
        ws.write_number_with_format(row, 0, (i + 1) as f64, &st.cell_center)?;
        let name = unit_title(s, u);
        ws.write_string_with_format(row, 1, &name, &st.cell_text)?;
        let mut height = style::text_height(&name, UNIT_WIDTH, FONT_SIZE, false);
        for (k, f) in fields.iter().enumerate() {
            let v = u.answer(&f.id, "").unwrap_or("");
            ws.write_string_with_format(row, 2 + k as u16, v, &st.cell_text)?;
            height = height.max(style::text_height(v, g.field_width, FONT_SIZE, false));
        }
        ws.set_row_height(row, height)?;
        row += 1;
    }
    if merged.is_empty() {
        span(ws, (row, 0), (row, g.last_col), NO_UNITS, &st.subtitle)?;
        row += 1;
    }
    Ok(row)
}

/// A heading row (label and text), then for an answer node one row per merged unit: its
/// name in bold and its answer, long answers continued on the next rows. Returns the next row.
fn write_node(
    ws: &mut Worksheet,
    st: &Styles,
    s: &ExportSnapshot,
    g: &Geometry,
    mut row: u32,
    node: &Node,
    merged: &[&UnitReport],
) -> Result<u32, XlsxError> {
    let heading = format!("{} {}", node.label, node.vi);
    let (f, size) = if node.parent_id().is_none() {
        (&st.section, 13.0)
    } else {
        (&st.heading, FONT_SIZE)
    };
    span(ws, (row, 0), (row, g.last_col), &heading, f)?;
    ws.set_row_height(row, style::text_height(&heading, g.full_width(), size, true))?;
    row += 1;
    if node.kind != NodeKind::Answer {
        return Ok(row);
    }
    if merged.is_empty() {
        span(ws, (row, 0), (row, g.last_col), NO_UNITS, &st.subtitle)?;
        return Ok(row + 1);
    }
    for u in merged {
        let name = unit_title(s, u);
        let text = u.answer(&node.id, "").unwrap_or(NO_ANSWER);
        for (i, chunk) in chunks(text, g.text_width()).iter().enumerate() {
            if i == 0 {
                ws.write_string_with_format(row, 1, &name, &st.bold_wrap_top)?;
            }
            span(ws, (row, 2), (row, g.last_col), chunk, &st.wrap_top)?;
            let name_height = if i == 0 {
                style::text_height(&name, UNIT_WIDTH, FONT_SIZE, true)
            } else {
                0.0
            };
            ws.set_row_height(
                row,
                style::text_height(chunk, g.text_width(), FONT_SIZE, false).max(name_height),
            )?;
            row += 1;
        }
    }
    Ok(row)
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
