//! The unit's own Excel template: the four tables with the unit's cell-type rows, the header
//! fields and the outline, current values filled in, input cells unlocked and checked by
//! Excel's data validation, everything else protected. A hidden sheet marks the unit, the
//! campaign and the form version.
//!
//! [`layout`] says where every answer goes; the writer and the reader ([`read`]) both follow
//! it, so a cell of the template maps to exactly one [`AnswerKey`].

pub mod read;
#[cfg(test)]
mod tests;

use rust_xlsxwriter::{DataValidation, DataValidationRule, Format, FormatAlign, FormatBorder, Workbook, XlsxError};
use sha2::{Digest, Sha256};

use crate::form::{AnswerKey, FieldKind, Form, ValueKind};

/// The hidden sheet holding the template's marker.
pub const MARKER_SHEET: &str = "_chibo";
/// The marker's first cell: says this is one of ours.
pub const MARKER: &str = "chibo-bot template";
pub const GUIDE_SHEET: &str = "Hướng dẫn";
pub const FIELDS_SHEET: &str = "Thông tin";
pub const OUTLINE_SHEET: &str = "Đề cương";
/// Largest file accepted back, in bytes.
pub const MAX_FILE_BYTES: usize = 5 * 1024 * 1024;

/// Who and what a template is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    pub campaign: String,
    pub unit: String,
    pub version: String,
    /// The cell types (rows) the template was made with.
    pub rows: Vec<String>,
}

/// What an input cell takes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum InputKind {
    Heading,
    Field(FieldKind),
    Figure { kind: ValueKind, max: f64, blank: bool },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    pub sheet: String,
    pub row: u32,
    pub col: u16,
    pub key: AnswerKey,
    pub kind: InputKind,
}

/// A fixed text that must be where the template put it (moved rows or columns break it).
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    pub sheet: String,
    pub row: u32,
    pub col: u16,
    pub text: String,
}

#[derive(Debug, Clone, Default)]
pub struct Layout {
    pub labels: Vec<Label>,
    pub inputs: Vec<Input>,
}

/// "E7" for row 6, column 4 (both from 0).
pub fn cell_ref(row: u32, col: u16) -> String {
    let mut letters = String::new();
    let mut c = u32::from(col) + 1;
    while c > 0 {
        let r = (c - 1) % 26;
        letters.insert(0, char::from(b'A' + r as u8));
        c = (c - 1) / 26;
    }
    format!("{letters}{}", row + 1)
}

/// A fingerprint of the form's structure: a template made for another version of the form
/// is refused.
pub fn form_version(form: &Form) -> String {
    let mut h = Sha256::new();
    h.update(form.campaign.code.as_bytes());
    for n in form.answer_nodes() {
        h.update(format!("|n:{}", n.id).as_bytes());
    }
    for f in &form.report_fields {
        h.update(format!("|f:{}", f.id).as_bytes());
    }
    for t in &form.tables {
        h.update(format!("|t:{}", t.id).as_bytes());
        for c in &t.columns {
            h.update(format!(",{}", c.key).as_bytes());
        }
    }
    h.finalize().iter().take(6).map(|b| format!("{b:02x}")).collect()
}

/// Where every label and input of a template for these cell types goes.
pub fn layout(form: &Form, rows: &[String]) -> Layout {
    let mut l = Layout::default();
    let mut label = |sheet: &str, row: u32, col: u16, text: &str| {
        l.labels.push(Label {
            sheet: sheet.to_owned(),
            row,
            col,
            text: text.to_owned(),
        })
    };
    for (i, t) in ["Mã", "Thông tin", "Nội dung"].iter().enumerate() {
        label(FIELDS_SHEET, 0, i as u16, t);
    }
    for (i, f) in form.report_fields.iter().enumerate() {
        label(FIELDS_SHEET, i as u32 + 1, 0, &f.id);
    }
    for (i, t) in ["Mã mục", "Mục", "Gợi ý", "Câu trả lời"].iter().enumerate() {
        label(OUTLINE_SHEET, 0, i as u16, t);
    }
    for (i, n) in form.answer_nodes().enumerate() {
        label(OUTLINE_SHEET, i as u32 + 1, 0, &n.id);
    }
    for t in &form.tables {
        label(&t.short_name, 1, 0, "Loại hình chi bộ");
        for (j, c) in t.columns.iter().enumerate() {
            label(&t.short_name, 1, j as u16 + 1, &c.short);
        }
        for (i, r) in table_rows(form, t, rows).iter().enumerate() {
            let name = form.cell_type(r).map_or(r.as_str(), |c| c.vi.as_str());
            label(&t.short_name, i as u32 + 3, 0, name);
        }
    }
    for (i, f) in form.report_fields.iter().enumerate() {
        l.inputs.push(Input {
            sheet: FIELDS_SHEET.to_owned(),
            row: i as u32 + 1,
            col: 2,
            key: AnswerKey::Field(f.id.clone()),
            kind: InputKind::Field(f.kind),
        });
    }
    for (i, n) in form.answer_nodes().enumerate() {
        l.inputs.push(Input {
            sheet: OUTLINE_SHEET.to_owned(),
            row: i as u32 + 1,
            col: 3,
            key: AnswerKey::Heading(n.id.clone()),
            kind: InputKind::Heading,
        });
    }
    for t in &form.tables {
        for (i, r) in table_rows(form, t, rows).iter().enumerate() {
            for (j, c) in t.columns.iter().enumerate() {
                l.inputs.push(Input {
                    sheet: t.short_name.clone(),
                    row: i as u32 + 3,
                    col: j as u16 + 1,
                    key: t.answer_key(c, r),
                    kind: InputKind::Figure {
                        kind: c.kind,
                        max: c.max_value(),
                        blank: c.blank_when.is_some(),
                    },
                });
            }
        }
    }
    l
}

/// What the input of answer `key` takes.
pub fn input_kind(form: &Form, key: &AnswerKey) -> Option<InputKind> {
    match key {
        AnswerKey::Heading(_) => Some(InputKind::Heading),
        AnswerKey::Field(id) => form.report_field(id).map(|f| InputKind::Field(f.kind)),
        AnswerKey::Figure { .. } => form.column(&key.key()).map(|(_, c)| InputKind::Figure {
            kind: c.kind,
            max: c.max_value(),
            blank: c.blank_when.is_some(),
        }),
    }
}

/// The cell types of `rows` that have a row in table `t`, in the form's order.
fn table_rows(form: &Form, t: &crate::form::Table, rows: &[String]) -> Vec<String> {
    form.cell_types
        .iter()
        .filter(|c| rows.contains(&c.code) && (!t.residential_only || c.residential))
        .map(|c| c.code.clone())
        .collect()
}

struct Styles {
    title: Format,
    header: Format,
    label: Format,
    text_input: Format,
    number_input: Format,
    guide: Format,
}

fn styles() -> Styles {
    let border = |f: Format| f.set_border(FormatBorder::Thin).set_font_name("Times New Roman");
    Styles {
        title: Format::new()
            .set_bold()
            .set_font_size(13)
            .set_font_name("Times New Roman"),
        header: border(Format::new().set_bold().set_text_wrap().set_align(FormatAlign::Center))
            .set_background_color(0xE7E6E6),
        label: border(Format::new().set_text_wrap()),
        text_input: border(Format::new().set_unlocked().set_text_wrap().set_num_format("@"))
            .set_background_color(0xFFF2CC),
        number_input: border(Format::new().set_unlocked()).set_background_color(0xFFF2CC),
        guide: Format::new().set_text_wrap().set_font_name("Times New Roman"),
    }
}

/// The unit's template, with the values `value` gives already filled in.
pub fn write(
    form: &Form,
    meta: &Meta,
    unit_name: &str,
    value: impl Fn(&AnswerKey) -> Option<String>,
) -> Result<Vec<u8>, XlsxError> {
    let lay = layout(form, &meta.rows);
    let st = styles();
    let mut wb = Workbook::new();

    let guide = wb.add_worksheet().set_name(GUIDE_SHEET)?;
    guide.set_column_width(0, 100)?;
    let lines = [
        format!("{} — {}", form.campaign.name, unit_name),
        format!("Hạn nộp: {}", form.campaign.deadline),
        String::new(),
        "Cách điền:".to_owned(),
        "1. Điền vào các ô màu vàng ở các trang Thông tin, Đề cương, Biểu 1–4. Các ô khác được khóa.".to_owned(),
        "2. Số liệu: chỉ gõ số (không gõ công thức). Ô để trống có chủ ý: gõ dấu -.".to_owned(),
        "3. Không thêm, xóa hay di chuyển hàng, cột, trang; không đổi tên trang.".to_owned(),
        "4. Lưu tệp (định dạng .xlsx) rồi gửi lại tệp vào cuộc trò chuyện với bot.".to_owned(),
        "5. Bot kiểm tra và báo số mục sẽ thay đổi; chỉ khi đồng chí bấm «Áp dụng» mới lưu.".to_owned(),
        "Ô để trống thì giữ nguyên câu trả lời đã có.".to_owned(),
    ];
    for (i, l) in lines.iter().enumerate() {
        let f = if i == 0 { &st.title } else { &st.guide };
        guide.write_string_with_format(i as u32, 0, l, f)?;
    }
    guide.protect();

    let fields = wb.add_worksheet().set_name(FIELDS_SHEET)?;
    fields.set_column_width(0, 16)?;
    fields.set_column_width(1, 28)?;
    fields.set_column_width(2, 40)?;
    for (i, f) in form.report_fields.iter().enumerate() {
        fields.write_string_with_format(i as u32 + 1, 1, &f.label, &st.label)?;
    }
    fields.protect();

    let outline = wb.add_worksheet().set_name(OUTLINE_SHEET)?;
    outline.set_column_width(0, 11)?;
    outline.set_column_width(1, 36)?;
    outline.set_column_width(2, 50)?;
    outline.set_column_width(3, 80)?;
    for (i, n) in form.answer_nodes().enumerate() {
        let r = i as u32 + 1;
        outline.write_string_with_format(r, 1, &n.vi, &st.label)?;
        let guidance: Vec<&str> = n.prompts.iter().map(|p| p.vi.as_str()).collect();
        outline.write_string_with_format(r, 2, guidance.join("\n"), &st.label)?;
        outline.set_row_height(r, 90)?;
    }
    outline.protect();

    for t in &form.tables {
        let ws = wb.add_worksheet().set_name(&t.short_name)?;
        ws.write_string_with_format(0, 0, format!("{}: {}", t.short_name, t.title), &st.title)?;
        ws.set_column_width(0, 34)?;
        ws.set_row_height(1, 75)?;
        for (j, _) in t.columns.iter().enumerate() {
            let col = j as u16 + 1;
            ws.set_column_width(col, 14)?;
            ws.write_string_with_format(2, col, format!("({})", j + 1), &st.header)?;
        }
        ws.write_string_with_format(2, 0, "", &st.header)?;
        ws.set_freeze_panes(3, 1)?;
        ws.protect();
    }

    for l in &lay.labels {
        let ws = wb.worksheet_from_name(&l.sheet)?;
        let plain_sheet = l.sheet == FIELDS_SHEET || l.sheet == OUTLINE_SHEET;
        let header_row = if plain_sheet { 0 } else { 1 };
        let f = if l.row == header_row { &st.header } else { &st.label };
        ws.write_string_with_format(l.row, l.col, &l.text, f)?;
    }
    for i in &lay.inputs {
        let ws = wb.worksheet_from_name(&i.sheet)?;
        let current = value(&i.key);
        match i.kind {
            InputKind::Heading | InputKind::Field(_) => {
                match current {
                    Some(v) => ws.write_string_with_format(i.row, i.col, v, &st.text_input)?,
                    None => ws.write_blank(i.row, i.col, &st.text_input)?,
                };
            }
            InputKind::Figure { kind, max, .. } => {
                match current.as_deref().map(str::parse::<f64>) {
                    Some(Ok(n)) => ws.write_number_with_format(i.row, i.col, n, &st.number_input)?,
                    _ if current.is_some() => ws.write_string_with_format(i.row, i.col, "-", &st.number_input)?,
                    _ => ws.write_blank(i.row, i.col, &st.number_input)?,
                };
                ws.add_data_validation(i.row, i.col, i.row, i.col, &validation(kind, max)?)?;
            }
        }
    }

    let marker = wb.add_worksheet().set_name(MARKER_SHEET)?;
    marker.write_string(0, 0, MARKER)?;
    marker.write_string(1, 0, &meta.campaign)?;
    marker.write_string(2, 0, &meta.unit)?;
    marker.write_string(3, 0, &meta.version)?;
    marker.write_string(4, 0, meta.rows.join(";"))?;
    marker.set_hidden(true);
    marker.protect();
    wb.save_to_buffer()
}

/// Excel's own check of a figure cell: a whole number or a decimal from 0 to the column's
/// maximum ("-" for a blank is typed as text, which Excel lets through with a warning).
fn validation(kind: ValueKind, max: f64) -> Result<DataValidation, XlsxError> {
    let dv = match kind {
        ValueKind::Count => DataValidation::new()
            .allow_whole_number(DataValidationRule::Between(0, max.min(f64::from(i32::MAX)) as i32)),
        _ => DataValidation::new().allow_decimal_number(DataValidationRule::Between(0.0, max)),
    };
    let what = match kind {
        ValueKind::Count => "số nguyên",
        ValueKind::Percent => "tỷ lệ %",
        _ => "số",
    };
    dv.set_error_title("Số liệu chưa đúng")?
        .set_error_message(format!(
            "Ô này nhận {what} từ 0 đến {}. Ô để trống có chủ ý: gõ dấu -.",
            crate::domain::format_vi(max)
        ))
        .map(|d| d.set_error_style(rust_xlsxwriter::DataValidationErrorStyle::Warning))
}
