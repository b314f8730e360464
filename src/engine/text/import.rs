//! The Excel template round trip: what the bot says about the template and the files sent back.

use crate::template::read::{Problem, Refusal};

pub const BTN_TEMPLATE: &str = "📥 Mẫu Excel";
pub const BTN_WEBAPP: &str = "📝 Mở biểu mẫu";
pub const WEB_UNAUTHORIZED: &str =
    "Phiên mở biểu mẫu không hợp lệ hoặc đã quá 1 giờ. Đồng chí đóng biểu mẫu rồi mở lại từ nút «📝 Mở biểu mẫu».";
pub const WEB_TOO_FAST: &str = "Đồng chí lưu nhanh quá; chờ vài giây rồi bấm Lưu lại.";
pub const WEB_NOT_SECRETARY: &str =
    "Biểu mẫu dành cho bí thư chi bộ đã đăng ký. Đồng chí gửi mã mời cho bot trước, rồi mở lại biểu mẫu.";
pub const WEB_LOCKED: &str = "Báo cáo đã nộp nên chỉ xem được, không lưu được.";
pub const WEB_NOTHING_SAVED: &str = "Chưa lưu gì: có ô chưa đúng (ghi chú màu đỏ). Đồng chí sửa rồi bấm Lưu.";
pub const BTN_IMPORT_APPLY: &str = "✅ Áp dụng";
pub const BTN_IMPORT_CANCEL: &str = "❌ Hủy";
pub const TEMPLATE_CAPTION: &str = "📥 Mẫu Excel của đơn vị, đã điền sẵn những gì đã nhập. Đồng chí điền các ô màu vàng trên máy tính, lưu lại rồi gửi tệp vào đây. Bot kiểm tra và hỏi lại trước khi lưu.";
pub const TEMPLATE_NO_FILES: &str =
    "Kênh này không gửi nhận được tệp. Đồng chí lấy mẫu Excel qua Telegram (/mau), hoặc nhập trực tiếp ở đây.";
pub const TEMPLATE_FAILED: &str = "Xin lỗi, chưa tạo được mẫu Excel. Đồng chí thử lại sau ít phút.";
pub const FILE_UNFETCHED: &str = "Bot chưa tải được tệp vừa gửi. Đồng chí gửi lại tệp sau ít phút.";
pub const FILE_NOTHING_PENDING: &str =
    "Không có tệp nào đang chờ (đã áp dụng hoặc đã hủy). Muốn nhập từ tệp, đồng chí gửi lại tệp.";
pub const FILE_CANCELLED: &str = "Đã hủy, không lưu gì từ tệp.";

/// Why a whole file is refused, and what to do.
pub fn file_refused(name: &str, r: &Refusal) -> String {
    let name = super::shorten(name, 60);
    match r {
        Refusal::Empty => format!("Tệp «{name}» trống nên không đọc được. Đồng chí gửi lại tệp mẫu đã điền."),
        Refusal::TooLarge => {
            format!("Tệp «{name}» lớn quá 5 MB. Mẫu Excel của bot chỉ vài chục KB; đồng chí gửi lại đúng tệp mẫu.")
        }
        Refusal::NotXlsx => format!(
            "Tệp «{name}» không phải tệp Excel (.xlsx). Đồng chí lưu tệp dưới dạng .xlsx rồi gửi lại; cần mẫu thì gõ /mau."
        ),
        Refusal::ZipBomb => format!(
            "Tệp «{name}» có nội dung bất thường (giải nén ra quá lớn) nên bot không mở. Đồng chí gửi lại đúng tệp mẫu."
        ),
        Refusal::NotOurs => {
            format!("Tệp «{name}» không phải mẫu của bot. Đồng chí gõ /mau để lấy mẫu, điền vào đó rồi gửi lại.")
        }
        Refusal::OtherVersion => format!(
            "Tệp «{name}» là mẫu của đợt báo cáo khác hoặc mẫu cũ. Đồng chí gõ /mau để lấy mẫu mới rồi điền lại."
        ),
        Refusal::Tampered { sheet, cell, expected } => format!(
            "Tệp «{name}» đã bị thêm, xóa hoặc di chuyển hàng, cột: {sheet}, ô {cell} phải là «{}». Không lưu gì. Đồng chí dùng lại mẫu gốc (/mau), chỉ điền các ô màu vàng.",
            super::shorten(expected, 40)
        ),
    }
}

pub fn file_other_unit(name: &str, unit: &str) -> String {
    format!(
        "Tệp «{}» là mẫu của đơn vị mã {unit}, không phải của đơn vị đồng chí. Không lưu gì; đồng chí gõ /mau để lấy mẫu của đơn vị mình.",
        super::shorten(name, 60)
    )
}

pub fn file_locked(board: &str) -> String {
    format!("Báo cáo đã nộp nên không nhập từ tệp được. Nếu cần sửa, đồng chí đề nghị {board} trả lại báo cáo.")
}

/// "Biểu 1, ô E7: phải là số nguyên."
pub fn cell_error(sheet: &str, cell: &str, p: &Problem, answer_max: usize) -> String {
    format!("{sheet}, ô {cell}: {}", value_problem(p, answer_max))
}

/// Why a value is refused: "phải là số nguyên."
pub fn value_problem(p: &Problem, answer_max: usize) -> String {
    match p {
        Problem::Figure(e) => super::figure_error(e),
        Problem::BlankNotAllowed => super::BLANK_NOT_ALLOWED.to_owned(),
        Problem::Formula => "có công thức; chỉ gõ số.".to_owned(),
        Problem::WrongType => "không đúng kiểu; chỉ gõ số hoặc chữ.".to_owned(),
        Problem::Field(e) => super::field_error(e).to_owned(),
        Problem::TooLong(n) => format!("dài {n} ký tự, quá {answer_max} ký tự."),
    }
}

pub fn web_saved(figures: usize, answers: usize) -> String {
    format!("💾 Đã lưu từ biểu mẫu: {figures} số liệu, {answers} mục.")
}

pub fn file_cells_wrong(name: &str, errors: &[String]) -> String {
    const SHOWN: usize = 10;
    let mut list = errors.iter().take(SHOWN).cloned().collect::<Vec<_>>().join("\n• ");
    if errors.len() > SHOWN {
        list.push_str(&format!("\n… và {} ô khác", errors.len() - SHOWN));
    }
    format!(
        "❗ Chưa lưu gì: tệp «{}» có {} ô chưa đúng:\n• {list}\nĐồng chí sửa trong tệp rồi gửi lại.",
        super::shorten(name, 60),
        errors.len()
    )
}

pub fn file_unchanged(name: &str) -> String {
    format!(
        "📄 Tệp «{}» giống hệt báo cáo đã lưu, không có gì thay đổi.",
        super::shorten(name, 60)
    )
}

pub fn file_summary(name: &str, c: &crate::engine::import::Checked) -> String {
    let mut s = format!(
        "📄 Tệp «{}»: sẽ thay đổi {} số liệu và {} mục trả lời.",
        super::shorten(name, 60),
        c.figures,
        c.answers
    );
    let list = |title: &str, lines: &[String]| {
        let mut t = format!("\n{title}");
        for l in lines.iter().take(6) {
            t.push_str(&format!("\n• {}", super::shorten(l, 140)));
        }
        if lines.len() > 6 {
            t.push_str(&format!("\n{}", super::more(lines.len() - 6)));
        }
        t
    };
    if !c.rule_errors.is_empty() {
        s.push_str(&list(
            "❌ Sau khi lưu vẫn còn lỗi phải sửa trước khi nộp:",
            &c.rule_errors,
        ));
    }
    if !c.warnings.is_empty() {
        s.push_str(&list("⚠️ Cảnh báo cần xem lại:", &c.warnings));
    }
    s.push_str("\nChưa lưu gì. Bấm «Áp dụng» để lưu tất cả, hoặc «Hủy».");
    s
}

pub fn file_applied(figures: usize, answers: usize) -> String {
    format!("💾 Đã lưu từ tệp: {figures} số liệu, {answers} mục trả lời.")
}
