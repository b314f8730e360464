//! What the bot says to the board, and the reminders it sends to units.

use super::days_left;

pub const BTN_PROGRESS: &str = "📈 Tiến độ";
pub const BTN_EXPORT: &str = "📥 Tổng hợp Excel";
pub const BTN_EXPORT_ALL: &str = "📥 Kèm bản nháp";
pub const BTN_UNITS: &str = "🔎 Xem báo cáo đơn vị";
pub const BTN_PAGE_PREV: &str = "◀️ Trang trước";
pub const BTN_PAGE_NEXT: &str = "Trang sau ▶️";
pub const BTN_RETURN: &str = "↩️ Trả lại";
pub const BTN_ACCEPT: &str = "✅ Duyệt";
pub const SECRETARY_ONLY: &str =
    "Lệnh này dành cho bí thư chi bộ nhập báo cáo. Đồng chí dùng các nút bên dưới hoặc /trogiup.";
pub const BOARD_HINT: &str = "Đồng chí chọn một việc bên dưới, hoặc gõ /trogiup để xem các lệnh.";
pub const ASK_RETURN_REASON: &str = "Đồng chí gõ lý do trả lại (bí thư sẽ nhận được nguyên văn), hoặc gõ /huy để thôi.";
pub const EXPORT_FAILED: &str = "Xin lỗi, chưa tạo được tệp tổng hợp. Đồng chí thử lại sau ít phút.";
pub const NO_UNITS: &str = "Chưa có đơn vị nào. Nạp danh sách bằng lệnh «chibo-bot units import».";

pub fn board_menu(board: &str, campaign: &str, deadline: &str, days: i64, submitted: usize, total: usize) -> String {
    let left = days_left(days);
    format!(
        "🏛 {board} — {campaign}\nHạn nộp: {deadline} ({left})\nĐã nộp: {submitted}/{total} đơn vị\n\nChọn việc cần làm:"
    )
}

pub fn board_help() -> &'static str {
    "❓ Lệnh của Ban Tổ chức\n\
     /tiendo — tiến độ nộp báo cáo của các đơn vị\n\
     /tonghop — tệp Excel tổng hợp các báo cáo đã nộp, đã duyệt\n\
     /tonghop tatca — kèm cả bản nháp (có đánh dấu)\n\
     /tonghop so 25-BC/HU ngay 15/12/2023 — số, ngày báo cáo của cấp ủy in trên biểu\n\
     /baocao — dự thảo báo cáo của cấp ủy (tệp Word), /baocao tatca kèm bản nháp\n\
     /xem <mã đơn vị> — xem báo cáo của một đơn vị (không có mã: chọn từ danh sách)\n\
     /tralai <mã đơn vị> <lý do> — trả lại báo cáo để đơn vị sửa\n\
     /duyet <mã đơn vị> — duyệt báo cáo\n\
     /nhacnho — gửi nhắc nhở ngay tới các đơn vị chưa nộp\n\
     /menu — menu chính"
}

pub fn progress_bar(done: usize, total: usize) -> String {
    const WIDTH: usize = 12;
    let filled = (done * WIDTH + total / 2).checked_div(total).unwrap_or(0).min(WIDTH);
    let pct = (done * 100 + total / 2).checked_div(total).unwrap_or(0);
    format!("{}{} {pct}%", "▓".repeat(filled), "░".repeat(WIDTH - filled))
}

pub fn no_such_unit(code: &str) -> String {
    format!("Không có đơn vị mã «{code}». Gõ /xem để chọn từ danh sách.")
}

pub fn pick_unit() -> &'static str {
    "Chọn đơn vị để xem báo cáo:"
}

pub fn not_submitted(unit: &str) -> String {
    format!("Báo cáo của {unit} chưa nộp nên chưa trả lại hoặc duyệt được.")
}

pub fn already_accepted(unit: &str) -> String {
    format!("Báo cáo của {unit} đã được duyệt trước đó.")
}

pub fn returned_to_secretary(unit: &str, reason: &str, board: &str) -> String {
    format!(
        "↩️ {board} đã trả lại báo cáo của {unit} để sửa.\nLý do: {reason}\nĐồng chí sửa xong thì gõ /nop để nộp lại."
    )
}

pub fn returned_to_board(unit: &str, n: usize) -> String {
    format!("Đã trả lại báo cáo của {unit} và báo cho {n} bí thư.")
}

pub fn accepted_to_secretary(unit: &str, board: &str) -> String {
    format!("✅ Báo cáo của {unit} đã được {board} duyệt. Cảm ơn đồng chí!")
}

pub fn accepted_to_board(unit: &str) -> String {
    format!("Đã duyệt báo cáo của {unit}.")
}

pub fn export_caption(merged: usize, drafts: usize, when: &str) -> String {
    if drafts > 0 {
        format!("📥 Tổng hợp {merged} báo cáo (trong đó {drafts} bản nháp), lúc {when}.")
    } else {
        format!("📥 Tổng hợp {merged} báo cáo đã nộp, lúc {when}.")
    }
}

pub fn unreachable_line(name: &str, unit: &str) -> String {
    format!("{name} ({unit})")
}

// ------------------------------------------------------------ reminders

pub fn reminder(
    campaign: &str,
    unit: &str,
    deadline: &str,
    days_left: i64,
    returned: bool,
    missing: &str,
    manual_by: Option<&str>,
) -> String {
    let when = match days_left {
        d if d > 1 => format!("Hạn nộp: {deadline}, còn {d} ngày."),
        1 => format!("Hạn nộp: {deadline}, chỉ còn 1 ngày."),
        0 => format!("Hôm nay ({deadline}) là hạn nộp."),
        d => format!("Báo cáo đã quá hạn {} ngày (hạn {deadline}). Đề nghị nộp ngay.", -d),
    };
    let head = match manual_by {
        Some(board) => format!("⏰ {board} nhắc nộp báo cáo"),
        None => "⏰ Nhắc hạn nộp báo cáo".to_owned(),
    };
    let mut s = format!("{head} {campaign}\nĐơn vị: {unit}\n{when}");
    if returned {
        s.push_str("\nBáo cáo đã được trả lại để sửa, chưa nộp lại.");
    }
    if missing.is_empty() {
        s.push_str("\nBáo cáo đã đủ, chỉ còn bấm nộp (/nop).");
    } else {
        s.push_str(&format!("\nCòn thiếu: {missing}."));
    }
    s.push_str("\nBấm «Làm tiếp» để nhập tiếp.");
    s
}

pub fn reminded_now(units: usize, messages: usize, unreachable: usize) -> String {
    let mut s = format!("⏰ Đã gửi nhắc nhở tới {units} đơn vị chưa nộp ({messages} tin nhắn).");
    if unreachable > 0 {
        s.push_str(&format!(
            " {unreachable} đơn vị chưa có bí thư liên lạc được (xem /tiendo)."
        ));
    }
    s
}

pub const BTN_REPORT: &str = "📄 Dự thảo báo cáo";

pub fn report_caption(merged: usize, total: usize) -> String {
    format!(
        "📄 Dự thảo báo cáo của cấp ủy, tổng hợp từ {merged}/{total} đơn vị: từng mục đề cương với số liệu tổng hợp và nội dung các đơn vị. Đồng chí biên tập lại trong Word; biểu chi tiết ở /tonghop."
    )
}
