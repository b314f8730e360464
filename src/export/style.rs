//! Formats, page setup and the text-height estimate shared by every sheet.

use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, FormatUnderline, Worksheet, XlsxError};

use crate::form::ValueKind;

pub(super) const FONT: &str = "Times New Roman";
pub(super) const FONT_SIZE: f64 = 12.0;
/// Default row height and column width in pixels for Times New Roman 12 (Excel, Windows).
pub(super) const DEFAULT_ROW_PX: u32 = 21;
pub(super) const DEFAULT_COL_PX: u32 = 72;
/// Excel refuses rows taller than this (points).
pub(super) const MAX_ROW_HEIGHT: f64 = 409.0;
/// A4 in Excel's paper-size list.
const PAPER_A4: u8 = 9;

/// Number format of counts.
const COUNT_FORMAT: &str = "0";
/// Number format of averages and hours: two decimals, localised separator.
const DECIMAL_FORMAT: &str = "0.00";
/// Rates are stored as 0–100: two decimals and a percent sign, not scaled.
const RATE_FORMAT: &str = "0.00\"%\"";

/// A Times New Roman format of the given size; every format of the workbook starts here.
pub(super) fn base(size: f64) -> Format {
    Format::new().set_font_name(FONT).set_font_size(size)
}

fn boxed(f: Format) -> Format {
    f.set_border(FormatBorder::Thin).set_align(FormatAlign::VerticalCenter)
}

/// Every format the sheets use, built once.
pub(super) struct Styles {
    pub wrap_top: Format,
    pub bold_wrap_top: Format,
    pub title: Format,
    pub subtitle: Format,
    pub org: Format,
    pub org_bold: Format,
    pub motto: Format,
    pub place_date: Format,
    pub sign_title: Format,
    pub section: Format,
    pub heading: Format,
    /// Grid header cell: bold, centred, wrapped, bordered.
    pub head: Format,
    /// A short column label (the «Tổng hợp» sheet).
    pub head_small: Format,
    /// Grid column-number row: italic, centred.
    pub col_no: Format,
    pub cell_center: Format,
    pub cell_text: Format,
    pub total_center: Format,
    pub total_text: Format,
    pub unit_center: Format,
    pub unit_name: Format,
    pub percent: Format,
    pub helper: Format,
    /// The coverage line under a title: italic, wrapped, left.
    pub coverage: Format,
    pub recipients_title: Format,
    pub recipient: Format,
    /// An outline heading's guiding prompts: italic, wrapped.
    pub prompts: Format,
    /// A unit's name repeated where its block continues on a new page.
    pub continued: Format,
    count: Format,
    rate: Format,
    rate_total: Format,
    decimal: Format,
    count_total: Format,
    decimal_total: Format,
}

impl Styles {
    pub fn new() -> Styles {
        let b = || base(FONT_SIZE);
        let cell = || boxed(b());
        Styles {
            wrap_top: b().set_text_wrap().set_align(FormatAlign::Top),
            bold_wrap_top: b().set_bold().set_text_wrap().set_align(FormatAlign::Top),
            title: base(14.0)
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter),
            subtitle: b()
                .set_italic()
                .set_text_wrap()
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter),
            org: b().set_align(FormatAlign::Center).set_text_wrap(),
            org_bold: b().set_bold().set_align(FormatAlign::Center).set_text_wrap(),
            motto: b()
                .set_bold()
                .set_underline(FormatUnderline::Single)
                .set_align(FormatAlign::Center),
            place_date: b().set_italic().set_align(FormatAlign::Center).set_text_wrap(),
            sign_title: b().set_bold().set_align(FormatAlign::Center),
            section: base(13.0)
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::VerticalCenter),
            heading: b().set_bold().set_text_wrap().set_align(FormatAlign::VerticalCenter),
            head: boxed(base(11.0).set_bold().set_text_wrap().set_align(FormatAlign::Center)),
            head_small: boxed(base(10.0).set_bold().set_text_wrap().set_align(FormatAlign::Center)),
            col_no: boxed(base(FONT_SIZE).set_italic().set_align(FormatAlign::Center)),
            cell_center: cell().set_align(FormatAlign::Center),
            cell_text: cell().set_text_wrap(),
            total_center: cell().set_bold().set_align(FormatAlign::Center),
            total_text: cell().set_bold().set_text_wrap(),
            unit_center: cell().set_bold().set_align(FormatAlign::Center),
            unit_name: cell().set_bold().set_text_wrap(),
            percent: cell().set_align(FormatAlign::Right).set_num_format("0%"),
            helper: base(8.0),
            coverage: b()
                .set_italic()
                .set_text_wrap()
                .set_align(FormatAlign::Left)
                .set_align(FormatAlign::VerticalCenter),
            recipients_title: b().set_bold().set_italic(),
            recipient: base(11.0),
            prompts: base(11.0).set_italic().set_text_wrap().set_align(FormatAlign::Top),
            continued: cell().set_italic().set_text_wrap(),
            rate: cell().set_align(FormatAlign::Right).set_num_format(RATE_FORMAT),
            rate_total: cell()
                .set_bold()
                .set_align(FormatAlign::Right)
                .set_num_format(RATE_FORMAT),
            count: cell().set_align(FormatAlign::Right).set_num_format(COUNT_FORMAT),
            decimal: cell().set_align(FormatAlign::Right).set_num_format(DECIMAL_FORMAT),
            count_total: cell()
                .set_bold()
                .set_align(FormatAlign::Right)
                .set_num_format(COUNT_FORMAT),
            decimal_total: cell()
                .set_bold()
                .set_align(FormatAlign::Right)
                .set_num_format(DECIMAL_FORMAT),
        }
    }

    /// Format of a figure of the given kind, bold on total rows.
    pub fn number(&self, kind: ValueKind, total: bool) -> &Format {
        match (kind, total) {
            (ValueKind::Count, false) => &self.count,
            (ValueKind::Count, true) => &self.count_total,
            (ValueKind::Percent, false) => &self.rate,
            (ValueKind::Percent, true) => &self.rate_total,
            (_, false) => &self.decimal,
            (_, true) => &self.decimal_total,
        }
    }
}

/// A4 in points, the short and the long side.
const A4_PT: (f64, f64) = (595.3, 841.9);
/// Margins in inches: a 30 mm binding margin on the left.
const MARGIN_LEFT: f64 = 30.0 / 25.4;
const MARGIN_RIGHT: f64 = 10.0 / 25.4;
const MARGIN_TOP: f64 = 0.6;
const MARGIN_BOTTOM: f64 = 0.7;
const MARGIN_HEADER: f64 = 0.3;
const MARGIN_FOOTER: f64 = 0.3;
/// Share of the computed page height the plan fills: row heights print a little differently
/// from program to program.
const PAGE_SAFETY: f64 = 0.93;
/// Smallest print scale (%): 12-point data prints at 10 points or more.
pub(super) const MIN_SCALE: u16 = 84;

/// Printable width and height of an A4 page in points.
pub(super) fn printable(landscape: bool) -> (f64, f64) {
    let (w, h) = if landscape { (A4_PT.1, A4_PT.0) } else { A4_PT };
    (
        w - (MARGIN_LEFT + MARGIN_RIGHT) * 72.0,
        h - (MARGIN_TOP + MARGIN_BOTTOM) * 72.0,
    )
}

/// Room for rows on one page, in sheet points, at `scale` per cent.
pub(super) fn page_capacity(landscape: bool, scale: u16) -> f64 {
    printable(landscape).1 * PAGE_SAFETY * 100.0 / f64::from(scale)
}

/// Printed width of a column `width` Excel units wide, in points at 100%. LibreOffice draws a
/// Times New Roman 12 width unit about 10 pixels wide, Excel 8: the wider one is counted so
/// a page fits in both.
pub(super) fn column_pt(width: f64) -> f64 {
    (width + 0.625) * 7.6
}

/// Printed width of columns `widths` (Excel units) in points at 100%.
pub(super) fn columns_pt(widths: impl IntoIterator<Item = f64>) -> f64 {
    widths.into_iter().map(column_pt).sum()
}

/// Width in Excel units of a column printing `pt` points wide at 100%.
pub(super) fn width_for(pt: f64) -> f64 {
    pt / 7.6 - 0.625
}

/// Points of one page width at the smallest scale.
pub(super) fn page_width_at_min_scale(landscape: bool) -> f64 {
    printable(landscape).0 * 0.98 * 100.0 / f64::from(MIN_SCALE)
}

/// The largest scale (%) at which `width_pt` fits the printable width, at most 100.
pub(super) fn scale_for(landscape: bool, width_pt: f64) -> u16 {
    let s = (printable(landscape).0 * 0.98 / width_pt * 100.0).floor();
    s.clamp(10.0, 100.0) as u16
}

/// A4, the binding margin, an explicit scale, page numbers restarting on every sheet («Trang
/// 2/5» when the sheet's page count is known: spreadsheet programs count the whole file),
/// the rows repeated on every page.
pub(super) fn page_setup(
    ws: &mut Worksheet,
    landscape: bool,
    scale: u16,
    pages: Option<usize>,
    repeat: Option<(u32, u32)>,
) -> Result<(), XlsxError> {
    let of = pages.map(|n| format!("/{n}")).unwrap_or_default();
    ws.set_paper_size(PAPER_A4)
        .set_print_scale(scale)
        .set_print_first_page_number(1)
        .set_margins(
            MARGIN_LEFT,
            MARGIN_RIGHT,
            MARGIN_TOP,
            MARGIN_BOTTOM,
            MARGIN_HEADER,
            MARGIN_FOOTER,
        )
        .set_footer(format!("&C&\"{FONT},Regular\"Trang &P{of}"));
    if landscape {
        ws.set_landscape();
    } else {
        ws.set_portrait();
    }
    if let Some((first, last)) = repeat {
        ws.set_repeat_rows(first, last)?;
    }
    Ok(())
}

/// Writes `text` into a block of cells, merged unless it is a single cell.
pub(super) fn span(
    ws: &mut Worksheet,
    (r0, c0): (u32, u16),
    (r1, c1): (u32, u16),
    text: &str,
    f: &Format,
) -> Result<(), XlsxError> {
    if r0 == r1 && c0 == c1 {
        ws.write_string_with_format(r0, c0, text, f)?;
    } else {
        ws.merge_range(r0, c0, r1, c1, text, f)?;
    }
    Ok(())
}

/// Rough width of a character in Excel width units (the width of a digit of the default
/// font, half an em in Times New Roman) at `size` points; errs on the wide side.
fn char_width(c: char, size: f64, bold: bool) -> f64 {
    let w = if c == ' ' {
        0.5
    } else if matches!(c, 'M' | 'W' | 'Đ' | 'Ư' | 'Ơ') {
        1.8
    } else if c.is_uppercase() || matches!(c, 'm' | 'w') {
        1.45
    } else if matches!(
        c,
        'i' | 'l' | 'j' | 't' | 'f' | 'r' | '.' | ',' | ';' | ':' | '(' | ')' | '/' | '-' | '\''
    ) {
        0.62
    } else {
        0.95
    };
    w * size / FONT_SIZE * if bold { 1.1 } else { 1.0 }
}

/// How many lines `text` takes when wrapped in a cell `width` units wide (greedy word
/// wrap, with room for the cell's padding).
pub(super) fn wrapped_lines(text: &str, width: f64, size: f64, bold: bool) -> usize {
    let room = (width - 1.5).max(1.0);
    let space = char_width(' ', size, bold);
    let mut lines = 0;
    for para in text.split('\n') {
        let mut used = 0.0;
        lines += 1;
        for word in para.split_whitespace() {
            let w: f64 = word.chars().map(|c| char_width(c, size, bold)).sum();
            if used > 0.0 && used + space + w > room {
                lines += 1;
                used = 0.0;
            }
            if used > 0.0 {
                used += space;
            }
            used += w;
            // A word longer than a line runs over several lines.
            while used > room {
                lines += 1;
                used -= room;
            }
        }
    }
    lines.max(1)
}

/// Row height in points for `lines` lines of a `size`-point font.
pub(super) fn lines_height(lines: usize, size: f64) -> f64 {
    (lines as f64 * size * 1.3 + 4.0).min(MAX_ROW_HEIGHT)
}

/// Row height in points that shows `text` wrapped in a cell `width` units wide.
pub(super) fn text_height(text: &str, width: f64, size: f64, bold: bool) -> f64 {
    lines_height(wrapped_lines(text, width, size, bold), size)
}

/// Default row height in points.
pub(super) fn default_height() -> f64 {
    f64::from(DEFAULT_ROW_PX) * 0.75
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longer_text_needs_more_lines() {
        assert_eq!(wrapped_lines("Tổng số", 28.0, 12.0, false), 1);
        let long = "Về các giải pháp phòng, chống, khắc phục, sửa chữa các biểu hiện suy thoái";
        assert!(wrapped_lines(long, 11.0, 12.0, false) > wrapped_lines(long, 28.0, 12.0, false));
        assert_eq!(wrapped_lines("a\nb\nc", 28.0, 12.0, false), 3);
        assert!(text_height(&"x ".repeat(5000), 10.0, 12.0, false) <= MAX_ROW_HEIGHT);
    }
}
