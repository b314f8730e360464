//! The parts every merged sheet prints around its grid, all from the form's committee and the
//! board's report number and date: the header block, the date line, the title, the subtitle,
//! the coverage, and the signature with «Nơi nhận».

use rust_xlsxwriter::{Worksheet, XlsxError};

use super::ExportSnapshot;
use super::coverage::Coverage;
use super::style::{self, FONT_SIZE, Styles, span};

pub(super) const MOTTO: &str = "ĐẢNG CỘNG SẢN VIỆT NAM";
pub(super) const RECIPIENTS: &str = "Nơi nhận:";
/// Rows of the top part: header block (2), title, subtitle, coverage, a spacer.
pub(super) const TOP_ROWS: u32 = 6;
/// Placeholder of a report number the board has not set yet, to be written by hand.
pub(super) const NO_NUMBER: &str = "……";

/// Where the left and right blocks of a sheet's header and signature are, and its width.
pub(super) struct Frame<'a> {
    pub left: (u16, u16),
    pub right: (u16, u16),
    /// Columns of the full-width lines (title, subtitle, coverage).
    pub first_col: u16,
    pub last_col: u16,
    /// Width of columns `first..=last`, in Excel units.
    pub width: &'a dyn Fn(u16, u16) -> f64,
}

/// «Phong Thổ, ngày 15 tháng 12 năm 2023» from the place and "15/12/2023".
pub(super) fn date_line(place: &str, date: &str) -> String {
    match date.split('/').collect::<Vec<_>>().as_slice() {
        [d, m, y]
            if [d, m, y]
                .iter()
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit())) =>
        {
            format!("{place}, ngày {d} tháng {m} năm {y}")
        }
        _ => format!("{place}, ngày {date}"),
    }
}

/// «(Kèm theo Báo cáo số 25-BC/HU, ngày 15/12/2023 của Ban Thường vụ Huyện ủy)».
pub(super) fn subtitle(s: &ExportSnapshot) -> String {
    let number = s.report_number.as_deref().unwrap_or(NO_NUMBER);
    format!(
        "(Kèm theo Báo cáo số {number}, ngày {} của {})",
        s.report_date, s.form.committee.report_by
    )
}

/// Heights of the top rows, so a page plan can count them before they are written.
pub(super) fn top_heights(s: &ExportSnapshot, cov: &Coverage, f: &Frame, title: &str) -> [f64; TOP_ROWS as usize] {
    let c = &s.form.committee;
    let full = (f.width)(f.first_col, f.last_col);
    let (l0, l1) = f.left;
    let (r0, r1) = f.right;
    let line = |t: &str, w: f64, bold: bool| style::text_height(t, w, FONT_SIZE, bold);
    [
        line(&c.superior, (f.width)(l0, l1), false),
        line(&c.issuer, (f.width)(l0, l1), true).max(line(
            &date_line(&c.place, &s.report_date),
            (f.width)(r0, r1),
            false,
        )),
        style::text_height(title, full, 14.0, true).max(24.0),
        line(&subtitle(s), full, false),
        line(&cov.text(), full, false),
        8.0,
    ]
}

/// Writes the top part and returns the first free row.
pub(super) fn write_top(
    ws: &mut Worksheet,
    st: &Styles,
    s: &ExportSnapshot,
    cov: &Coverage,
    f: &Frame,
    title: &str,
) -> Result<u32, XlsxError> {
    let c = &s.form.committee;
    let heights = top_heights(s, cov, f, title);
    let (l0, l1) = f.left;
    let (r0, r1) = f.right;
    ws.set_row_height(0, heights[0])?;
    span(ws, (0, l0), (0, l1), &c.superior, &st.org)?;
    span(ws, (0, r0), (0, r1), MOTTO, &st.motto)?;
    ws.set_row_height(1, heights[1])?;
    span(ws, (1, l0), (1, l1), &c.issuer, &st.org_bold)?;
    span(
        ws,
        (1, r0),
        (1, r1),
        &date_line(&c.place, &s.report_date),
        &st.place_date,
    )?;
    ws.set_row_height(2, heights[2])?;
    span(ws, (2, f.first_col), (2, f.last_col), title, &st.title)?;
    ws.set_row_height(3, heights[3])?;
    span(ws, (3, f.first_col), (3, f.last_col), &subtitle(s), &st.subtitle)?;
    ws.set_row_height(4, heights[4])?;
    span(ws, (4, f.first_col), (4, f.last_col), &cov.text(), &st.coverage)?;
    ws.set_row_height(5, heights[5])?;
    Ok(TOP_ROWS)
}

/// Rows of the signature part: a spacer, then the longer of «Nơi nhận» and the signature.
pub(super) fn signature_rows(s: &ExportSnapshot) -> u32 {
    let c = &s.form.committee;
    let recipients = if c.recipients.is_empty() {
        0
    } else {
        1 + c.recipients.len()
    };
    1 + recipients.max(SIGN_ROWS) as u32
}

/// On behalf, title, room to sign (3 rows), name.
const SIGN_ROWS: usize = 6;

/// Height of the signature part in points.
pub(super) fn signature_height(s: &ExportSnapshot) -> f64 {
    f64::from(signature_rows(s)) * style::default_height()
}

/// «Nơi nhận:» and its lines on the left, «T/M …», the title, room to sign and the name on
/// the right, from row `top` (a spacer first). Returns the last row written.
pub(super) fn write_signature(
    ws: &mut Worksheet,
    st: &Styles,
    s: &ExportSnapshot,
    f: &Frame,
    top: u32,
) -> Result<u32, XlsxError> {
    let c = &s.form.committee;
    let rows = signature_rows(s);
    for r in top..top + rows {
        ws.set_row_height(r, style::default_height())?;
    }
    let first = top + 1;
    let (l0, l1) = f.left;
    let (r0, r1) = f.right;
    for r in 0..rows - 1 {
        let row = first + r;
        if !c.recipients.is_empty() {
            match r as usize {
                0 => span(ws, (row, l0), (row, l1), RECIPIENTS, &st.recipients_title)?,
                k if k <= c.recipients.len() => span(
                    ws,
                    (row, l0),
                    (row, l1),
                    &format!("- {}", c.recipients[k - 1]),
                    &st.recipient,
                )?,
                _ => {}
            }
        }
        let right = match r {
            0 => Some(c.signature.on_behalf.as_str()),
            1 => Some(c.signature.title.as_str()),
            5 => Some(c.signature.name.as_str()),
            _ => None,
        };
        if let Some(text) = right.filter(|t| !t.is_empty()) {
            span(ws, (row, r0), (row, r1), text, &st.sign_title)?;
        }
    }
    Ok(top + rows - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_lines() {
        assert_eq!(
            date_line("Phong Thổ", "05/12/2023"),
            "Phong Thổ, ngày 05 tháng 12 năm 2023"
        );
        assert_eq!(date_line("X", "hôm nay"), "X, ngày hôm nay");
    }
}
