//! Every sentence the bot says, in one place, so it can be reviewed and changed together.
//! Short, correct Vietnamese with diacritics; each message says what to do next. The board's
//! name («Ban Tổ chức Huyện ủy») comes from the form file, never from here.
//!
//! Every text a secretary can get stays under [`SCREEN_LIMIT`] characters, except the full
//! guidance of a heading, which is asked for.

use crate::form::{Form, Node};

/// The longest message a secretary gets without asking for it.
pub const SCREEN_LIMIT: usize = 1000;

pub const GROUP_REFUSAL: &str =
    "Bot chỉ làm việc trong tin nhắn riêng. Đồng chí bấm vào tên bot và nhắn riêng để nhập báo cáo.";
pub const TEMPORARY_ERROR: &str =
    "Xin lỗi, hệ thống đang gặp lỗi tạm thời nên chưa lưu được tin vừa gửi. Đồng chí vui lòng gửi lại sau ít phút.";
pub const UNDELIVERED_HEAD: &str = "📵 Tin nhắn không gửi được sau nhiều lần thử (đề nghị liên hệ trực tiếp):";

pub fn ask_invite(board: &str) -> String {
    format!("Chào đồng chí! Để bắt đầu, đồng chí gửi mã mời do {board} cấp, hoặc bấm vào đường link mời.")
}

pub fn invite_unknown(board: &str) -> String {
    format!("Mã mời không đúng. Đồng chí kiểm tra lại rồi gửi mã, hoặc đề nghị {board} cấp mã mới.")
}

pub fn invite_used(board: &str) -> String {
    format!("Mã mời này đã được dùng. Mỗi mã chỉ dùng một lần; đồng chí đề nghị {board} cấp mã mới.")
}

pub fn undelivered_line(unit: &str, n: usize) -> String {
    format!("{unit} — {n} tin")
}

pub fn member_removed(board: &str) -> String {
    format!(
        "Tài khoản của đồng chí đã được gỡ khỏi danh sách nhập báo cáo. Nếu đồng chí vẫn phụ trách báo cáo, đề nghị {board} cấp mã mời mới rồi gửi mã đó vào đây."
    )
}

pub const STILL_REGISTERED: &str = "Tài khoản của đồng chí vẫn giữ nguyên như trước. Gõ /menu để tiếp tục.";
pub const NOT_A_CODE: &str = "Đây không phải mã mời. Mã mời gồm 16 ký tự: chữ, số và có thể có dấu - hoặc _, ví dụ Ab3dE5fG7h-J9kL1. Đồng chí gửi lại mã.";
pub const MENU_HINT: &str =
    "Đồng chí đang ở Menu. Bấm «Làm tiếp» để nhập tiếp báo cáo, hoặc gõ /trogiup để xem hướng dẫn.";
pub const CANCELLED: &str = "Đã thoát bước đang làm. Mọi nội dung đã gửi đều được lưu.";
pub const STALE_BUTTON: &str =
    "Nút đó thuộc một bước đã qua nên không dùng được nữa. Đồng chí dùng các nút ở tin nhắn mới nhất.";
pub const MEDIA_REFUSED: &str = "Bot chỉ nhận tin nhắn chữ. Ảnh, tệp, nhãn dán, tin thoại không lưu được vào báo cáo; đồng chí gõ nội dung bằng chữ.";
pub const EDIT_IGNORED: &str =
    "Bot không đọc lại tin nhắn đã sửa, nên câu trả lời đã lưu vẫn như cũ. Muốn sửa, đồng chí gửi lại nội dung mới.";

pub fn board_only(board: &str) -> String {
    format!("Lệnh này chỉ dành cho {board}.")
}

pub const NOT_APPLICABLE: &str = "Không áp dụng";
pub const APPLIES_HERE: &str =
    "Mục này áp dụng cho đơn vị của đồng chí nên cần trả lời, không chọn «Không áp dụng» được.";
pub const ANSWER_EMPTY: &str = "Tin vừa gửi không có chữ nào nên chưa lưu. Đồng chí gõ câu trả lời rồi gửi.";
pub const OUTLINE_ALL_DONE: &str = "✅ Đề cương đã trả lời đủ các mục.";
pub const TABLES_ALL_DONE: &str = "✅ Các biểu số liệu đã nhập đủ.";
pub const FIELDS_ALL_DONE: &str = "✅ Thông tin báo cáo đã đủ.";
pub const TYPES_NEED_ONE: &str =
    "Cần chọn ít nhất một loại hình chi bộ. Bấm vào loại hình để chọn, rồi bấm «Xong, tiếp tục».";
pub const TYPES_KEEP_DATA: &str = "Số liệu đã nhập của loại hình bị bỏ chọn vẫn được giữ, nhưng không đưa vào báo cáo.";
pub const ROW_CONFIRMED: &str = "Đã ghi nhận: giữ nguyên như đã nhập.";
pub const ROW_FIX: &str = "Đồng chí gửi số cần sửa theo dạng số cột=giá trị (ví dụ 3=5), hoặc gửi lại cả dòng.";
pub const FIELD_TOO_LONG: &str = "Nội dung dài quá 200 ký tự nên chưa lưu. Đồng chí rút gọn rồi gửi lại.";
pub const FIELD_EMPTY: &str = "Chưa có nội dung nên chưa lưu. Đồng chí gõ lại.";
pub const DATE_INVALID: &str = "Ngày chưa đúng nên chưa lưu. Đồng chí gõ theo dạng ngày/tháng/năm, ví dụ 05/12/2023.";
pub const PHONE_INVALID: &str = "Số điện thoại chưa đúng nên chưa lưu. Đồng chí gõ các chữ số, ví dụ 0912345678.";
pub const WAITING_CONFIRM: &str = "Đồng chí bấm một nút bên dưới để xác nhận, hoặc gửi nội dung sửa lại.";
pub const WAITING_SUBMIT: &str = "Đồng chí bấm «Nộp ngay» để nộp, hoặc «Chưa nộp» để quay lại.";
pub const PICK_TYPES_HINT: &str =
    "Đồng chí bấm vào loại hình để chọn hoặc bỏ, hoặc gõ số thứ tự các loại hình đơn vị có (ví dụ: 1 3 4).";
pub const NO_RESIDENTIAL: &str = "chỉ dành cho chi bộ thôn, bản, tổ dân phố; đơn vị không có loại hình này nên bỏ qua.";
pub const CURRENT_ANSWER: &str = "Câu trả lời đã lưu";
pub const GUIDANCE: &str = "Gợi ý:";

pub const BTN_MENU: &str = "🏠 Menu";
pub const BTN_SKIP: &str = "⏭ Bỏ qua";
pub const BTN_PREV: &str = "⬅️ Mục trước";
pub const BTN_REWRITE: &str = "✏️ Viết lại";
pub const BTN_NA: &str = "🚫 Không áp dụng";
pub const BTN_GUIDE: &str = "📖 Xem đủ gợi ý";
pub const BTN_COLUMNS: &str = "📋 Danh sách cột";
pub const BTN_CONTINUE_OUTLINE: &str = "▶️ Điền tiếp";
pub const BTN_CONTINUE_TABLES: &str = "▶️ Nhập tiếp";
pub const BTN_CONTINUE_FIELDS: &str = "▶️ Điền lần lượt";
pub const BTN_OUTLINE: &str = "⬅️ Đề cương";
pub const BTN_TABLES: &str = "⬅️ Các biểu";
pub const BTN_TYPES_DONE: &str = "➡️ Xong, tiếp tục";
pub const BTN_TYPES_EDIT: &str = "🔁 Đổi loại hình";
pub const BTN_CONFIRM: &str = "✅ Đúng, giữ nguyên";
pub const BTN_FIX: &str = "✏️ Sửa lại";
pub const BTN_REVIEW: &str = "📋 Xem lại và nộp";
pub const BTN_SUBMIT: &str = "📤 Nộp báo cáo";
pub const BTN_SUBMIT_YES: &str = "✅ Nộp ngay";
pub const BTN_NOT_YET: &str = "↩️ Chưa nộp";
pub const BTN_HELP: &str = "❓ Hướng dẫn";
pub const BTN_FIELDS: &str = "⬅️ Thông tin báo cáo";
pub const BTN_CONTINUE: &str = "▶️ Làm tiếp";

pub fn btn_append(node: &str) -> String {
    format!("➕ Bổ sung mục {node}")
}

pub fn btn_replace(node: &str) -> String {
    format!("✏️ Viết lại mục {node}")
}

pub fn welcome_secretary(name: &str, unit: &str) -> String {
    format!(
        "Chào đồng chí {name}! Đồng chí đã được đăng ký nhập báo cáo cho {unit}. Mỗi câu trả lời được lưu ngay khi gửi."
    )
}

pub fn welcome_board(name: &str, board: &str) -> String {
    format!("Chào đồng chí {name}! Đồng chí đã được đăng ký là thành viên {board}.")
}

pub fn invite_expired(date: &str, board: &str) -> String {
    format!("Mã mời đã hết hạn ngày {date}. Đồng chí đề nghị {board} cấp mã mới.")
}

/// "còn 3 ngày", "hạn là hôm nay", "đã quá hạn 2 ngày".
pub fn days_left(days: i64) -> String {
    match days {
        d if d > 0 => format!("còn {d} ngày"),
        0 => "hạn là hôm nay".to_owned(),
        d => format!("đã quá hạn {} ngày", -d),
    }
}

pub fn menu_header(campaign: &str, unit: &str, deadline: &str, days: i64, status: &str) -> String {
    let left = days_left(days);
    format!("📋 {campaign}\nĐơn vị: {unit}\nHạn nộp: {deadline} ({left})\nTrạng thái: {status}\n\nChọn việc cần làm:")
}

pub fn status_name(s: crate::store::Status) -> &'static str {
    use crate::store::Status::*;
    match s {
        Draft => "đang nhập",
        Submitted => "đã nộp",
        Returned => "được trả lại để sửa",
        Accepted => "đã được duyệt",
    }
}

pub fn btn_outline(done: usize, total: usize) -> String {
    format!("📝 Đề cương ({done}/{total})")
}
pub fn btn_tables(done: usize, total: usize) -> String {
    format!("📊 Biểu số liệu ({done}/{total} dòng)")
}
pub fn btn_fields(done: usize, total: usize) -> String {
    format!("🧾 Thông tin báo cáo ({done}/{total})")
}

/// Every command and every shortcut id, with an example of each.
pub fn help(form: &Form) -> String {
    let table_ids: Vec<&str> = form.tables.iter().map(|t| t.id.as_str()).collect();
    let example_type = form.cell_types.first().map_or("thon", |t| t.code.as_str());
    let types: Vec<&str> = form
        .cell_types
        .iter()
        .filter(|t| t.active)
        .map(|t| t.code.as_str())
        .collect();
    let fields: Vec<String> = form
        .report_fields
        .iter()
        .map(|f| format!("{} {}", f.id, f.label.to_lowercase()))
        .collect();
    let first = form.answer_nodes().next().map_or("I.1", |n| n.id.as_str());
    let last = form.answer_nodes().last().map_or("IV.3", |n| n.id.as_str());
    format!(
        "❓ Hướng dẫn\n\
         Bot hỏi lần lượt loại hình chi bộ, đề cương, các biểu, thông tin báo cáo, rồi xem lại để nộp. Mỗi câu trả lời được lưu ngay khi gửi.\n\
         /tieptuc — làm tiếp; /menu — Menu\n\
         /kiemtra — xem lại; /nop — nộp\n\
         /loaihinh — đổi loại hình chi bộ\n\
         /huy — thoát bước đang làm (không mất gì)\n\n\
         Nhập nhanh:\n\
         /traloi <mã mục> <nội dung>: mã mục từ {first} đến {last}, in ở đầu mỗi mục\n\
         /goiy <mã mục>: đủ gợi ý của mục\n\
         /nhap <biểu> <loại hình> <các số>: biểu {}, ví dụ /nhap {} {example_type} 12 3 …\n\
         Thông tin báo cáo gửi một lần, mỗi dòng một mục:\n/traloi {}\n\n\
         Số liệu: 87,5 hay 87.5 đều được; ô trống gõ -; sửa một cột gõ số cột=giá trị, ví dụ 3=5.\n\
         Mã loại hình: {}",
        table_ids.join(", "),
        table_ids.first().unwrap_or(&"B1"),
        fields.join("\n"),
        types.join(", ")
    )
}

pub fn sentence_case(s: &str) -> String {
    let lower = s.to_lowercase();
    let mut chars = lower.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `a) Sinh hoạt thường kỳ hằng tháng`; upper-case section titles in sentence case.
pub fn node_title(n: &Node) -> String {
    let title = if n.parent_id().is_none() {
        sentence_case(&n.vi)
    } else {
        n.vi.clone()
    };
    format!("{} {}", n.label, title)
}

/// "📝 Mục III.2.2.a — Sinh hoạt thường kỳ": the number once, then the title.
pub fn heading_title(id: &str, vi: &str, top: bool) -> String {
    let title = if top { sentence_case(vi) } else { vi.to_owned() };
    format!("📝 Mục {id} — {title}")
}

/// Cuts at a word boundary, with "…".
pub fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let cut: String = s.chars().take(max.saturating_sub(1)).collect();
    let at_word = match cut.rfind(char::is_whitespace) {
        Some(i) if cut[..i].chars().count() * 2 > max => &cut[..i],
        _ => cut.as_str(),
    };
    format!("{}…", at_word.trim_end_matches([' ', ',', ';', ':', '.']))
}

/// Up to `n` guidance lines in `budget` characters; `true` when some were left out or cut.
pub fn key_lines(prompts: &[String], n: usize, budget: usize) -> (Vec<String>, bool) {
    let mut out = Vec::new();
    let mut cut = prompts.len() > n;
    let per = (budget / n.max(1)).max(60);
    let mut left = budget;
    for p in prompts.iter().take(n) {
        if left < 40 {
            cut = true;
            break;
        }
        let line = shorten(p, per.min(left));
        if line.chars().count() < p.chars().count() {
            cut = true;
        }
        left = left.saturating_sub(line.chars().count() + 3);
        out.push(line);
    }
    (out, cut)
}

pub fn full_guidance(title: &str, prompts: &[String]) -> String {
    if prompts.is_empty() {
        return format!("{title}\nMục này không có gợi ý thêm. Đồng chí gõ câu trả lời và gửi.");
    }
    format!(
        "{title}\n📖 Gợi ý đầy đủ:\n• {}\n\nĐồng chí gõ câu trả lời và gửi.",
        prompts.join("\n• ")
    )
}

pub fn outline_intro(done: usize, total: usize) -> String {
    format!(
        "📝 Đề cương báo cáo: đã trả lời {done}/{total} mục.\nBấm «Điền tiếp» để làm mục chưa xong đầu tiên, hoặc chọn một phần."
    )
}

pub fn section_intro(title: &str) -> String {
    format!("📝 {title}\nChọn mục để trả lời hoặc sửa (✅ là đã trả lời):")
}

pub fn answer_saved(node: &str) -> String {
    format!("💾 Đã lưu mục {node}.")
}

pub fn answer_continued(prev: &str, node: &str) -> String {
    format!("💾 Đã nối tin vừa gửi vào câu trả lời mục {prev}. Mục tiếp theo vẫn là {node} (ở tin nhắn trên).")
}

pub fn not_applicable_saved(node: &str) -> String {
    format!("💾 Mục {node}: {NOT_APPLICABLE}.")
}

pub fn answer_too_long(max: usize, have: usize, sent: usize) -> String {
    if have == 0 {
        format!("Câu trả lời dài quá {max} ký tự (tin vừa gửi có {sent}) nên chưa lưu. Đồng chí rút gọn rồi gửi lại.")
    } else {
        format!(
            "Mỗi mục tối đa {max} ký tự; mục này đã có {have}, tin vừa gửi thêm {sent}, nên chưa lưu. Đồng chí rút gọn, hoặc bấm «Viết lại» để thay toàn bộ."
        )
    }
}

pub fn answer_prompt(has_answer: bool, replace: bool) -> &'static str {
    match (has_answer, replace) {
        (_, true) => "✍️ Đồng chí gõ nội dung mới và gửi; nội dung này sẽ thay câu trả lời cũ.",
        (true, false) => "✍️ Gửi thêm nội dung thì bot nối vào câu trả lời đã lưu. Đủ rồi thì bấm «Bỏ qua».",
        (false, false) => "✍️ Đồng chí gõ câu trả lời và gửi. Bot lưu ngay và chuyển sang mục sau.",
    }
}

pub const REWRITE_READY: &str =
    "✏️ Đồng chí gõ nội dung mới và gửi; nội dung này sẽ thay câu trả lời cũ (câu cũ vẫn lưu trong lịch sử).";

pub fn compare_note(types: &[String]) -> String {
    format!(
        "⚖️ Nên so sánh giữa các loại hình chi bộ của đơn vị: {}.",
        types.join(", ")
    )
}

pub fn compare_missing(node: &str, types: &[String]) -> String {
    format!(
        "Mục {node} nên so sánh giữa các loại hình chi bộ của đơn vị ({}), nhưng câu trả lời chưa nêu ít nhất hai loại hình.",
        types.join(", ")
    )
}

pub fn field_prompt(label: &str, prompt: &str, current: Option<&str>, id: &str, pos: usize, total: usize) -> String {
    let now = current.map(|v| format!("\nĐã lưu: {v}")).unwrap_or_default();
    format!("🧾 {label} ({pos}/{total}, mã {id}){now}\n{prompt}")
}

pub fn field_saved(label: &str, value: &str) -> String {
    format!("💾 {label}: {value}")
}

pub fn fields_intro(done: usize, total: usize) -> String {
    format!("🧾 Thông tin báo cáo ({done}/{total}). Chọn mục để điền hoặc sửa:")
}

pub fn doc_date_before_letter(letter: &str) -> String {
    format!("Ngày báo cáo trước ngày của văn bản hướng dẫn ({letter}). Đồng chí kiểm tra lại.")
}

pub fn doc_year(year: i32) -> String {
    format!("Ngày báo cáo không thuộc năm {year} như mẫu biểu.")
}

pub const DOC_PHONE: &str =
    "Số điện thoại không giống số di động (10 số, bắt đầu bằng 0) hay số cố định (02…). Đồng chí kiểm tra lại.";

pub fn locked(when: &str, board: &str) -> String {
    format!(
        "Báo cáo đã nộp {when} nên chỉ xem được, không sửa được. Nếu cần sửa, đồng chí đề nghị {board} trả lại báo cáo."
    )
}

pub fn unknown_command(name: &str) -> String {
    format!("Không có lệnh /{}. Gõ /trogiup để xem các lệnh.", shorten(name, 30))
}

pub const NHAP_USAGE: &str =
    "Cách dùng: /nhap <biểu> <mã loại hình> <các số theo thứ tự cột>, ví dụ /nhap B1 thon 12 3 4 …";
pub const TRALOI_USAGE: &str =
    "Cách dùng: /traloi <mã mục> <nội dung>, ví dụ /traloi I.1 Đảng bộ có… hoặc /traloi HD.dien_thoai 0912345678";

pub fn no_such_table(t: &str, all: &str) -> String {
    format!("Không có biểu «{}». Các biểu: {all}.", shorten(t, 20))
}

pub fn no_such_type(t: &str, all: &str) -> String {
    format!("Không có loại hình «{}». Mã loại hình: {all}.", shorten(t, 20))
}

pub fn type_not_chosen(name: &str) -> String {
    format!("Đơn vị chưa chọn loại hình «{name}». Gõ /loaihinh để thêm, rồi nhập lại.")
}

pub fn type_not_residential(short: &str) -> String {
    format!("{short} chỉ có dòng cho chi bộ thôn, bản, tổ dân phố.")
}

pub fn no_such_node(id: &str) -> String {
    format!(
        "Không có mục «{}». Mã mục in ở đầu mỗi mục, ví dụ I.1, III.2.2.a, hoặc HD.so, HD.ngay; gõ /trogiup để xem.",
        shorten(id, 20)
    )
}

pub fn container_node(id: &str, children: &str) -> String {
    if children.is_empty() {
        return format!("«{}» không phải mã mục trả lời được.", shorten(id, 20));
    }
    format!("Mục {id} là mục nhóm, không trả lời trực tiếp. Hãy trả lời các mục con: {children}.")
}

pub fn traloi_saved(id: &str) -> String {
    format!("💾 Đã lưu mục {id}.")
}

pub fn many_saved(ids: &[String]) -> String {
    format!("💾 Đã lưu {} mục: {}.", ids.len(), ids.join(", "))
}

pub fn warnings_later(lines: &[String]) -> String {
    format!("⚠️ Lưu ý (xem lại trước khi nộp):\n• {}", lines.join("\n• "))
}

pub fn review_header(unit: &str, status: &str) -> String {
    format!("📋 Xem lại báo cáo — {unit}\nTrạng thái: {status}")
}

pub fn review_counts(a: usize, at: usize, r: usize, rt: usize, f: usize, ft: usize) -> String {
    format!("Đề cương {a}/{at} mục · Biểu {r}/{rt} dòng · Thông tin {f}/{ft}")
}

pub const MISSING_HEAD: &str = "⬜ Còn thiếu:";
pub const ERRORS_HEAD: &str = "❌ Lỗi phải sửa:";
pub const WARNINGS_HEAD: &str = "⚠️ Cảnh báo chưa xác nhận:";
pub const REVIEW_READY: &str = "Kiểm tra xong thì bấm «Nộp báo cáo».";

pub fn more(n: usize) -> String {
    format!("… và {n} mục khác")
}

pub fn submit_blocked(n: usize) -> String {
    format!("Chưa nộp được vì còn {n} lỗi phải sửa (xem ở trên). Sửa xong rồi nộp lại.")
}

pub fn submit_confirm(unit: &str, missing: usize, open_warnings: usize, board: &str) -> String {
    let mut s = format!("Nộp báo cáo của {unit}? Sau khi nộp sẽ không sửa được, trừ khi {board} trả lại.");
    if missing > 0 {
        s.push_str(&format!("\n⬜ Báo cáo còn {missing} mục trống."));
    }
    if open_warnings > 0 {
        s.push_str(&format!(
            "\n⚠️ Còn {open_warnings} cảnh báo chưa xác nhận; {board} sẽ thấy các cảnh báo này."
        ));
    }
    s
}

pub fn submitted(when: &str, late: bool, board: &str) -> String {
    if late {
        format!("📤 Đã nộp báo cáo lúc {when}, sau hạn nộp; {board} sẽ thấy là nộp muộn. Cảm ơn đồng chí!")
    } else {
        format!("📤 Đã nộp báo cáo lúc {when}. Cảm ơn đồng chí!")
    }
}

pub fn board_submitted(unit: &str, when: &str, again: bool) -> String {
    if again {
        format!("📥 {unit} đã nộp lại báo cáo sau khi sửa, lúc {when}.")
    } else {
        format!("📥 {unit} đã nộp báo cáo lúc {when}.")
    }
}

mod board;
mod import;
mod tables;
pub use board::*;
pub use import::*;
pub use tables::*;
