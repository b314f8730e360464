//! What the bot says about the cell types and the table rows.

use super::{DATE_INVALID, FIELD_EMPTY, FIELD_TOO_LONG, PHONE_INVALID, shorten};
use crate::form::ValueKind;

pub fn tables_intro(types: &[String]) -> String {
    format!(
        "📊 Biểu số liệu. Loại hình chi bộ của đơn vị: {}.\nChọn biểu để nhập (✅ là đã đủ):",
        types.join(", ")
    )
}

pub fn pick_types_intro(list: &str) -> String {
    format!(
        "Đơn vị có những loại hình chi bộ nào? Mỗi loại hình là một dòng trong các biểu số liệu (✅ là đã chọn sẵn theo danh sách đơn vị).\n{list}\n\nBấm để chọn hoặc bỏ, rồi bấm «Xong, tiếp tục». Hoặc gõ số thứ tự, ví dụ: 1 3 4."
    )
}

pub fn types_saved(types: &[String]) -> String {
    format!("💾 Loại hình chi bộ của đơn vị: {}.", types.join(", "))
}

pub fn table_intro(short: &str, title: &str) -> String {
    format!("📊 {short}: {title}\nChọn dòng (loại hình) để nhập hoặc sửa (✅ là đã đủ):")
}

pub fn kind_hint(kind: ValueKind) -> &'static str {
    match kind {
        ValueKind::Count => "số nguyên",
        ValueKind::Percent => "tỷ lệ %, từ 0 đến 100",
        ValueKind::Avg => "có thể có phần thập phân",
        ValueKind::Hours => "số giờ, ví dụ 1,5 hoặc 90p",
    }
}

/// "📊 Biểu 1 — Cơ quan (dòng 2/3)"
pub fn row_title(short: &str, row: &str, pos: usize, total: usize) -> String {
    format!("📊 {short} — {row} (dòng {pos}/{total})")
}

pub fn row_instructions(ncols: usize) -> String {
    format!(
        "✍️ Gửi {ncols} số theo thứ tự cột, cách nhau bởi dấu cách. Hoặc sao chép danh sách trên, điền số thay dấu … rồi gửi lại. Ô để trống: gõ -."
    )
}

pub fn row_short_instructions(ncols: usize, first: &str) -> String {
    format!(
        "✍️ Gửi {ncols} số theo thứ tự cột như dòng {first}, cách nhau bởi dấu cách. Quên thứ tự cột thì bấm «Danh sách cột»."
    )
}

pub fn next_column(i: usize, label: &str, kind: ValueKind) -> String {
    format!(
        "➡️ Hoặc gửi từng số; số tiếp theo là cột {i}: {label} ({}).",
        kind_hint(kind)
    )
}

pub fn wrong_count(short: &str, ncols: usize, got: usize) -> String {
    format!(
        "❗ Chưa lưu số nào: {short} cần {ncols} số, đồng chí gửi {got} số. Đồng chí gửi lại đủ {ncols} số theo thứ tự cột, hoặc từng số một."
    )
}

pub fn nothing_saved(problems: &[String]) -> String {
    const SHOWN: usize = 5;
    let mut list = problems.iter().take(SHOWN).cloned().collect::<Vec<_>>().join("\n• ");
    if problems.len() > SHOWN {
        list.push_str(&format!("\n… và {} chỗ khác", problems.len() - SHOWN));
    }
    format!("❗ Chưa lưu số nào vì:\n• {list}\nĐồng chí sửa rồi gửi lại.")
}

pub fn prose_in_row(short: &str, row: &str) -> String {
    format!(
        "Đồng chí đang nhập số liệu {short} — {row}, nên tin vừa gửi chưa được lưu. Để viết đề cương, bấm «Đề cương»; để nhập tiếp, gửi các số."
    )
}

pub fn bad_value(i: usize, label: &str, token: &str, why: &str) -> String {
    format!("cột {i} ({label}): «{}» {why}", shorten(token, 24))
}

pub fn figure_error(e: &crate::domain::FigureError) -> String {
    use crate::domain::FigureError::*;
    match e {
        NotANumber => "không phải là số.".to_owned(),
        NotWhole => "phải là số nguyên.".to_owned(),
        Negative => "không được âm.".to_owned(),
        OverHundred => "là tỷ lệ %, không được quá 100.".to_owned(),
        TooLarge(max) => format!("lớn quá; cột này không quá {}.", crate::domain::format_vi(*max as f64)),
    }
}

pub fn field_error(e: &crate::domain::FieldError) -> &'static str {
    use crate::domain::FieldError::*;
    match e {
        Empty => FIELD_EMPTY,
        TooLong => FIELD_TOO_LONG,
        BadDate => DATE_INVALID,
        BadPhone => PHONE_INVALID,
    }
}

pub const BLANK_NOT_ALLOWED: &str = "không được để trống ở cột này.";

pub fn no_such_column(i: &str, ncols: usize) -> String {
    format!("không có cột {i}; biểu này có các cột từ 1 đến {ncols}.")
}

pub fn row_full_use_edit(ncols: usize) -> String {
    format!(
        "Dòng này đã đủ {ncols} cột. Để sửa một cột, gõ số cột=giá trị (ví dụ 3=5), hoặc gửi lại cả dòng {ncols} số."
    )
}

pub fn value_saved(col: usize, value: Option<&str>) -> String {
    match value {
        Some(v) => format!("💾 Cột {col}: {v}"),
        None => format!("💾 Cột {col}: để trống"),
    }
}

pub fn row_saved(short: &str, row: &str) -> String {
    format!("💾 Đã lưu {short} — {row}.")
}

pub const ROW_OK: &str = "✅ Dòng đã đủ và hợp lệ.";

pub fn row_errors(lines: &[String]) -> String {
    format!("❌ Lỗi cần sửa:\n• {}", lines.join("\n• "))
}

pub fn row_cross(lines: &[String]) -> String {
    format!(
        "❌ Chưa khớp giữa các biểu (sửa ở biểu nào cũng được, phải khớp trước khi nộp):\n• {}",
        lines.join("\n• ")
    )
}

pub fn row_warnings(lines: &[String]) -> String {
    format!(
        "⚠️ Cần xác nhận:\n• {}\nNếu đúng, bấm «Đúng, giữ nguyên»; nếu sai, gửi nội dung sửa lại.",
        lines.join("\n• ")
    )
}

pub fn row_infos(lines: &[String]) -> String {
    format!("💡 {}", lines.join("\n💡 "))
}
