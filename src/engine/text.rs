//! Every sentence the bot says, in one place, so it can be reviewed and changed together.
//! Short, correct Vietnamese with diacritics, and each message says what to do next.

use crate::form::{Form, Node, ValueKind};

pub const GROUP_REFUSAL: &str =
    "Bot chỉ làm việc trong tin nhắn riêng. Đồng chí hãy bấm vào tên bot và nhắn riêng để nhập báo cáo.";
pub const TEMPORARY_ERROR: &str =
    "Xin lỗi, hệ thống đang gặp lỗi tạm thời nên chưa lưu được tin vừa gửi. Đồng chí vui lòng gửi lại sau ít phút.";
pub const ASK_INVITE: &str =
    "Chào đồng chí! Để bắt đầu, hãy gửi mã mời (16 ký tự) do Ban Tổ chức Huyện ủy cấp, hoặc bấm vào đường link mời.";
pub const INVITE_UNKNOWN: &str =
    "Mã mời không đúng. Đồng chí kiểm tra lại rồi gửi mã, hoặc liên hệ Ban Tổ chức Huyện ủy để được cấp mã.";
pub const INVITE_USED: &str =
    "Mã mời này đã được dùng. Mỗi mã chỉ dùng một lần; đề nghị Ban Tổ chức Huyện ủy cấp mã mới.";
pub const UNDELIVERED_HEAD: &str = "📵 Tin nhắn không gửi được sau nhiều lần thử (đề nghị liên hệ trực tiếp):";

pub fn undelivered_line(unit: &str, n: usize) -> String {
    format!("{unit} — {n} tin")
}

pub const MEMBER_REMOVED: &str = "Tài khoản của đồng chí đã được gỡ khỏi danh sách nhập báo cáo. Nếu đồng chí vẫn phụ trách báo cáo, đề nghị Ban Tổ chức cấp mã mời mới rồi gửi mã đó vào đây.";
pub const STILL_REGISTERED: &str = "Tài khoản của đồng chí vẫn giữ nguyên như trước. Gõ /menu để tiếp tục.";
pub const NOT_A_CODE: &str =
    "Đây không phải mã mời. Mã mời gồm 16 chữ và số, ví dụ: Ab3dE5fG7hJ9kL1m. Đồng chí hãy gửi lại mã.";
pub const MENU_HINT: &str = "Đồng chí đang ở menu chính. Chọn một việc bên dưới, hoặc gõ /trogiup để xem hướng dẫn.";
pub const CANCELLED: &str = "Đã thoát bước đang làm. Mọi nội dung đã gửi đều được lưu.";
pub const STALE_BUTTON: &str = "Nút này đã cũ. Đồng chí chọn lại từ menu bên dưới.";
pub const MEDIA_REFUSED: &str = "Bot chỉ nhận tin nhắn chữ. Ảnh, tệp, nhãn dán, tin thoại không lưu được vào báo cáo; đồng chí hãy gõ nội dung bằng chữ.";
pub const EDIT_IGNORED: &str = "Bot không đọc lại tin nhắn đã sửa, nên câu trả lời đã lưu vẫn như cũ. Muốn sửa, đồng chí gửi lại nội dung mới (hoặc bấm «Viết lại»).";
pub const BOARD_ONLY: &str = "Lệnh này chỉ dành cho Ban Tổ chức Huyện ủy.";
pub const NOT_APPLICABLE: &str = "Không áp dụng";
pub const APPLIES_HERE: &str =
    "Mục này áp dụng cho đơn vị của đồng chí nên cần trả lời, không chọn «Không áp dụng» được.";
pub const ANSWER_EMPTY_DONE: &str = "Mục này chưa có câu trả lời; khi nộp bot sẽ nhắc lại.";
pub const OUTLINE_FINISHED: &str = "Đã đến mục cuối của đề cương.";
pub const OUTLINE_ALL_DONE: &str = "Đề cương đã trả lời đủ các mục. Đồng chí có thể xem lại hoặc sửa bất kỳ mục nào.";
pub const TABLES_ALL_DONE: &str = "Các biểu đã nhập đủ. Đồng chí có thể mở lại một dòng để sửa.";
pub const FIELDS_ALL_DONE: &str = "Thông tin báo cáo đã đủ.";
pub const TYPES_NEED_ONE: &str =
    "Cần chọn ít nhất một loại hình chi bộ. Bấm vào loại hình để chọn, rồi bấm «Tiếp tục».";
pub const TYPES_KEEP_DATA: &str = "Số liệu đã nhập của loại hình bị bỏ chọn vẫn được giữ, nhưng không đưa vào báo cáo.";
pub const ROW_CONFIRMED: &str = "Đã ghi nhận số liệu đúng như đã nhập.";
pub const ROW_FIX: &str = "Đồng chí gửi số cần sửa theo dạng số cột=giá trị (ví dụ 3=5), hoặc gửi lại cả dòng.";
pub const FIELD_TOO_LONG: &str = "Nội dung dài quá 200 ký tự. Đồng chí rút gọn rồi gửi lại.";
pub const FIELD_EMPTY: &str = "Chưa có nội dung. Đồng chí gõ lại.";
pub const DATE_INVALID: &str = "Ngày chưa đúng. Đồng chí gõ theo dạng ngày/tháng/năm, ví dụ 05/12/2023.";
pub const PHONE_INVALID: &str = "Số điện thoại chưa đúng. Đồng chí gõ các chữ số, ví dụ 0912345678.";
pub const SUBMIT_CANCELLED: &str = "Chưa nộp. Báo cáo vẫn được lưu, đồng chí có thể tiếp tục sửa.";
pub const WAITING_CONFIRM: &str = "Đồng chí bấm một nút bên dưới để xác nhận, hoặc gửi số liệu sửa lại.";
pub const WAITING_SUBMIT: &str = "Đồng chí bấm «Nộp báo cáo» để nộp, hoặc «Chưa nộp» để quay lại.";
pub const PICK_TYPES_HINT: &str = "Đồng chí bấm vào loại hình để chọn hoặc bỏ, rồi bấm «Tiếp tục».";
pub const NO_RESIDENTIAL: &str = "chỉ dành cho chi bộ thôn, bản, tổ dân phố; đơn vị không có loại hình này nên bỏ qua.";

pub const BTN_MENU: &str = "🏠 Menu";
pub const BTN_DONE: &str = "✅ Xong";
pub const BTN_SKIP: &str = "⏭ Bỏ qua";
pub const BTN_PREV: &str = "⬅️ Mục trước";
pub const BTN_REWRITE: &str = "✏️ Viết lại";
pub const BTN_NA: &str = "🚫 Không áp dụng";
pub const BTN_CONTINUE_OUTLINE: &str = "▶️ Điền tiếp";
pub const BTN_CONTINUE_TABLES: &str = "▶️ Nhập tiếp";
pub const BTN_CONTINUE_FIELDS: &str = "▶️ Điền lần lượt";
pub const BTN_OUTLINE: &str = "⬅️ Đề cương";
pub const BTN_TABLES: &str = "⬅️ Các biểu";
pub const BTN_TYPES_DONE: &str = "➡️ Tiếp tục";
pub const BTN_TYPES_EDIT: &str = "🔁 Đổi loại hình";
pub const BTN_CONFIRM: &str = "✅ Đúng, giữ nguyên";
pub const BTN_FIX: &str = "✏️ Sửa lại";
pub const BTN_REVIEW: &str = "✅ Xem lại và nộp";
pub const BTN_SUBMIT: &str = "📤 Nộp báo cáo";
pub const BTN_SUBMIT_FORCE: &str = "📤 Vẫn nộp";
pub const BTN_NOT_YET: &str = "↩️ Chưa nộp";
pub const BTN_HELP: &str = "❓ Hướng dẫn";
pub const BTN_FIELDS: &str = "⬅️ Thông tin báo cáo";
pub const BTN_CONTINUE: &str = "▶️ Tiếp tục nhập";

pub fn welcome_secretary(name: &str, unit: &str) -> String {
    format!(
        "Chào đồng chí {name}! Đồng chí đã được đăng ký nhập báo cáo cho {unit}. Mọi câu trả lời được lưu ngay khi gửi."
    )
}

pub fn welcome_board(name: &str) -> String {
    format!("Chào đồng chí {name}! Đồng chí đã được đăng ký là thành viên Ban Tổ chức Huyện ủy.")
}

pub fn invite_expired(date: &str) -> String {
    format!("Mã mời đã hết hạn ngày {date}. Đề nghị Ban Tổ chức Huyện ủy cấp mã mới.")
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

pub fn help(form: &Form) -> String {
    let example_table = form.tables.first().map(|t| t.id.as_str()).unwrap_or("B1");
    let example_type = form.cell_types.first().map(|t| t.code.as_str()).unwrap_or("thon");
    let codes: Vec<&str> = form
        .cell_types
        .iter()
        .filter(|t| t.active)
        .map(|t| t.code.as_str())
        .collect();
    format!(
        "❓ Hướng dẫn\n\
         Bot hỏi lần lượt từng mục của đề cương và từng dòng của các biểu. Mọi câu trả lời được lưu ngay khi gửi.\n\n\
         Các lệnh:\n\
         /menu — menu chính\n\
         /decuong — điền đề cương\n\
         /bieu — nhập biểu số liệu\n\
         /loaihinh — chọn loại hình chi bộ của đơn vị\n\
         /thongtin — số, ngày báo cáo, người lập, người ký, điện thoại\n\
         /kiemtra — xem lại: còn thiếu gì, lỗi, cảnh báo\n\
         /nop — nộp báo cáo\n\
         /huy — thoát bước đang làm (không mất gì)\n\n\
         Nhập nhanh:\n\
         /nhap <biểu> <loại hình> <các số> — nhập cả một dòng, ví dụ /nhap {example_table} {example_type} 12 3 ...\n\
         /traloi <mục> <nội dung> — trả lời một mục, ví dụ /traloi III.2.2.a Chi bộ duy trì sinh hoạt đều…\n\
         /traloi HD.dien_thoai 0912345678 — điền thông tin báo cáo\n\n\
         Số liệu: dấu phẩy hoặc dấu chấm đều được (87,5 hoặc 87.5). Để trống một ô: gõ -. Sửa một cột: số cột=giá trị, ví dụ 3=5.\n\
         Mã loại hình: {}",
        codes.join(", ")
    )
}

/// "Chi bộ cơ quan hành chính (Đảng, …)" -> "cơ quan hành chính".
pub fn type_short(vi: &str) -> String {
    let s = vi.strip_prefix("Chi bộ ").unwrap_or(vi);
    s.split(" (").next().unwrap_or(s).trim().to_owned()
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

pub fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t = t.trim_end().to_owned();
        t.push('…');
        t
    }
}

pub fn outline_intro(done: usize, total: usize) -> String {
    format!(
        "📝 Đề cương báo cáo: đã trả lời {done}/{total} mục.\nBấm «Điền tiếp» để làm mục chưa xong đầu tiên, hoặc chọn một phần."
    )
}

pub fn section_intro(title: &str) -> String {
    format!("📝 {title}\nChọn mục để trả lời hoặc sửa (✅ là đã trả lời):")
}

pub fn answer_saved(chars: usize) -> String {
    format!("Đã lưu ({chars} ký tự). Gửi tiếp nếu còn, hoặc bấm «Xong» để sang mục sau.")
}

pub fn answer_too_long(max: usize, have: usize, sent: usize) -> String {
    if have == 0 {
        format!("Câu trả lời dài quá {max} ký tự (tin vừa gửi có {sent} ký tự). Đồng chí rút gọn rồi gửi lại.")
    } else {
        format!(
            "Mỗi mục tối đa {max} ký tự; mục này đã có {have}, tin vừa gửi thêm {sent}. Đồng chí rút gọn, hoặc bấm «Viết lại» để thay toàn bộ."
        )
    }
}

pub fn answer_prompt(has_answer: bool) -> &'static str {
    if has_answer {
        "✍️ Gửi thêm để viết tiếp vào câu trả lời, hoặc bấm «Viết lại» để thay toàn bộ. Xong thì bấm «Xong»."
    } else {
        "✍️ Gõ câu trả lời (có thể gửi nhiều tin). Gửi xong bấm «Xong»."
    }
}

pub const REWRITE_READY: &str =
    "Tin nhắn tiếp theo sẽ thay toàn bộ câu trả lời cũ (câu cũ vẫn được lưu trong lịch sử). Đồng chí gõ nội dung mới.";

pub fn compare_note(types: &[String]) -> String {
    format!(
        "⚖️ Lưu ý: phải so sánh giữa các loại hình chi bộ của đơn vị: {}.",
        types.join("; ")
    )
}

pub fn compare_missing(node: &str, types: &[String]) -> String {
    format!(
        "Mục {node} cần so sánh giữa các loại hình chi bộ của đơn vị ({}), nhưng câu trả lời chưa nêu ít nhất hai loại hình. Đồng chí bổ sung, hoặc xác nhận nếu đã đúng.",
        types.join("; ")
    )
}

pub fn tables_intro(types: &[String]) -> String {
    format!(
        "📊 Biểu số liệu. Loại hình chi bộ của đơn vị:\n• {}\nChọn biểu để nhập (✅ là đã đủ):",
        types.join("\n• ")
    )
}

pub fn pick_types_intro() -> &'static str {
    "Chọn các loại hình chi bộ mà đơn vị có (✅ là đã chọn, đã chọn sẵn theo danh sách của Huyện ủy). Mỗi loại hình là một dòng trong các biểu. Chọn xong bấm «Tiếp tục»."
}

pub fn table_intro(short: &str, title: &str) -> String {
    format!("📊 {short}: {title}\nChọn dòng (loại hình) để nhập hoặc sửa (✅ là đã đủ):")
}

pub fn kind_hint(kind: ValueKind) -> &'static str {
    match kind {
        ValueKind::Count => "số nguyên",
        ValueKind::Percent => "tỷ lệ %, từ 0 đến 100",
        ValueKind::Avg => "số bình quân, có thể có phần thập phân",
        ValueKind::Hours => "số giờ, ví dụ 1,5 hoặc 90p",
    }
}

pub fn row_instructions(ncols: usize) -> String {
    format!(
        "✍️ Gửi cả dòng {ncols} số cách nhau bởi dấu cách (theo thứ tự cột), hoặc gửi từng số một. Sửa một cột: số cột=giá trị (ví dụ 3=5). Ô để trống: gõ -."
    )
}

pub fn next_column(i: usize, label: &str, kind: ValueKind) -> String {
    format!("➡️ Cột {i}: {label} ({}). Gửi số:", kind_hint(kind))
}

pub fn wrong_count(short: &str, ncols: usize, got: usize) -> String {
    format!(
        "{short} có {ncols} cột, đồng chí gửi {got} số. Gửi đủ {ncols} số theo thứ tự cột, hoặc gửi từng số một, hoặc sửa một cột bằng số cột=giá trị."
    )
}

pub fn prose_in_row(short: &str, row: &str) -> String {
    format!(
        "Đồng chí đang nhập số liệu {short} — {row}, nên tin vừa gửi chưa được lưu. Để viết đề cương, bấm «Đề cương» rồi chọn mục; để nhập tiếp, gửi các số."
    )
}

pub fn bad_value(i: usize, label: &str, token: &str, why: &str) -> String {
    format!("Cột {i} ({label}): «{token}» {why}")
}

pub fn figure_error(e: &crate::domain::FigureError) -> &'static str {
    use crate::domain::FigureError::*;
    match e {
        NotANumber => "không phải là số.",
        NotWhole => "phải là số nguyên.",
        Negative => "không được âm.",
        OverHundred => "là tỷ lệ %, không được quá 100.",
    }
}

pub const BLANK_NOT_ALLOWED: &str = "không được để trống ở cột này.";

pub fn no_such_column(i: &str, ncols: usize) -> String {
    format!("Không có cột {i}; biểu này có các cột từ 1 đến {ncols}.")
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
        "⚠️ Cần xác nhận:\n• {}\nNếu số liệu đúng, bấm «Đúng, giữ nguyên»; nếu sai, gửi số sửa lại.",
        lines.join("\n• ")
    )
}

pub fn row_infos(lines: &[String]) -> String {
    format!("💡 {}", lines.join("\n💡 "))
}

pub fn field_prompt(label: &str, prompt: &str, current: Option<&str>) -> String {
    match current {
        Some(v) => format!("🧾 {label}\nHiện tại: {v}\n{prompt}"),
        None => format!("🧾 {label}\n{prompt}"),
    }
}

pub fn field_saved(label: &str, value: &str) -> String {
    format!("💾 Đã lưu {label}: {value}")
}

pub fn fields_intro(done: usize, total: usize) -> String {
    format!("🧾 Thông tin báo cáo ({done}/{total}). Chọn mục để điền hoặc sửa:")
}

pub fn doc_date_before_letter(letter: &str) -> String {
    format!("Ngày báo cáo trước ngày công văn của Huyện ủy ({letter}). Đồng chí kiểm tra lại.")
}

pub fn doc_year(year: i32) -> String {
    format!("Ngày báo cáo không thuộc năm {year} như mẫu biểu.")
}

pub const DOC_PHONE: &str =
    "Số điện thoại không giống số di động (10 số, bắt đầu bằng 0) hay số cố định (02…). Đồng chí kiểm tra lại.";

pub fn locked(when: &str) -> String {
    format!(
        "Báo cáo đã nộp {when} nên chỉ xem được, không sửa được. Nếu cần sửa, đề nghị Ban Tổ chức Huyện ủy trả lại báo cáo."
    )
}

pub fn unknown_command(name: &str) -> String {
    format!("Không có lệnh /{name}. Gõ /trogiup để xem các lệnh.")
}

pub const NHAP_USAGE: &str =
    "Cách dùng: /nhap <biểu> <mã loại hình> <các số theo thứ tự cột>, ví dụ /nhap B1 thon 12 3 4 …";
pub const TRALOI_USAGE: &str = "Cách dùng: /traloi <mục> <nội dung>, ví dụ /traloi I.2.1 Đảng bộ có nhiều thuận lợi… hoặc /traloi HD.dien_thoai 0912345678";

pub fn no_such_table(t: &str, all: &str) -> String {
    format!("Không có biểu «{t}». Các biểu: {all}.")
}

pub fn no_such_type(t: &str, all: &str) -> String {
    format!("Không có loại hình «{t}». Mã loại hình: {all}.")
}

pub fn type_not_chosen(name: &str) -> String {
    format!("Đơn vị chưa chọn loại hình «{name}». Gõ /loaihinh để thêm, rồi nhập lại.")
}

pub fn type_not_residential(short: &str) -> String {
    format!("{short} chỉ có dòng cho chi bộ thôn, bản, tổ dân phố.")
}

pub fn no_such_node(id: &str) -> String {
    format!("Không có mục «{id}». Mục ghi theo số thứ tự đề cương, ví dụ I.1, III.2.2.a, hoặc HD.so, HD.ngay.")
}

pub fn container_node(id: &str, children: &str) -> String {
    format!("Mục {id} là mục nhóm, không trả lời trực tiếp. Hãy trả lời các mục con: {children}.")
}

pub fn traloi_saved(id: &str, chars: usize) -> String {
    format!("💾 Đã lưu mục {id} ({chars} ký tự).")
}

pub fn review_header(unit: &str, status: &str) -> String {
    format!("📋 Xem lại báo cáo — {unit}\nTrạng thái: {status}")
}

pub fn more(n: usize) -> String {
    format!("… và {n} mục khác")
}

pub fn submit_blocked(n: usize) -> String {
    format!("Chưa nộp được vì còn {n} lỗi phải sửa (xem danh sách ở trên). Sửa xong rồi bấm nộp lại.")
}

pub fn submit_confirm(unit: &str, open_warnings: usize) -> String {
    let mut s = format!("Nộp báo cáo của {unit}? Sau khi nộp sẽ không sửa được, trừ khi Ban Tổ chức Huyện ủy trả lại.");
    if open_warnings > 0 {
        s.push_str(&format!(
            "\nCòn {open_warnings} cảnh báo chưa xác nhận; Ban Tổ chức sẽ thấy các cảnh báo này."
        ));
    }
    s
}

pub fn submit_missing(n: usize, list: &str) -> String {
    format!("⚠️ Báo cáo còn {n} mục trống:\n{list}\nĐồng chí vẫn muốn nộp?")
}

pub fn submitted(when: &str, late: bool) -> String {
    if late {
        format!("📤 Đã nộp báo cáo lúc {when} (sau hạn nộp; Ban Tổ chức sẽ thấy là nộp muộn). Cảm ơn đồng chí!")
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

// ------------------------------------------------------------ board (Ban Tổ chức)

pub const BTN_PROGRESS: &str = "📈 Tiến độ";
pub const BTN_EXPORT: &str = "📥 Tổng hợp Excel";
pub const BTN_EXPORT_ALL: &str = "📥 Kèm bản nháp";
pub const BTN_UNITS: &str = "🔎 Xem báo cáo đơn vị";
pub const BTN_PAGE_PREV: &str = "◀️ Trang trước";
pub const BTN_PAGE_NEXT: &str = "Trang sau ▶️";
pub const BTN_RETURN: &str = "↩️ Trả lại";
pub const BTN_ACCEPT: &str = "✅ Duyệt";
pub const SECRETARY_ONLY: &str =
    "Lệnh này dành cho bí thư chi bộ nhập báo cáo. Ban Tổ chức dùng các nút bên dưới hoặc /trogiup.";
pub const BOARD_HINT: &str = "Đồng chí chọn một việc bên dưới, hoặc gõ /trogiup để xem các lệnh.";
pub const ASK_RETURN_REASON: &str = "Đồng chí gõ lý do trả lại (bí thư sẽ nhận được nguyên văn), hoặc gõ /huy để thôi.";
pub const EXPORT_FAILED: &str = "Xin lỗi, chưa tạo được tệp tổng hợp. Đồng chí thử lại sau ít phút.";
pub const NO_UNITS: &str = "Chưa có đơn vị nào. Nạp danh sách bằng lệnh «chibo-bot units import».";

pub fn board_menu(campaign: &str, deadline: &str, days: i64, submitted: usize, total: usize) -> String {
    let left = days_left(days);
    format!(
        "🏛 Ban Tổ chức Huyện ủy — {campaign}\nHạn nộp: {deadline} ({left})\nĐã nộp: {submitted}/{total} đơn vị\n\nChọn việc cần làm:"
    )
}

pub fn board_help() -> &'static str {
    "❓ Lệnh của Ban Tổ chức\n\
     /tiendo — tiến độ nộp báo cáo của các đơn vị\n\
     /tonghop — tệp Excel tổng hợp các báo cáo đã nộp, đã duyệt\n\
     /tonghop tatca — kèm cả bản nháp (có đánh dấu)\n\
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

pub fn returned_to_secretary(unit: &str, reason: &str) -> String {
    format!(
        "↩️ Ban Tổ chức Huyện ủy đã trả lại báo cáo của {unit} để sửa.\nLý do: {reason}\nĐồng chí sửa xong thì gõ /nop để nộp lại."
    )
}

pub fn returned_to_board(unit: &str, n: usize) -> String {
    format!("Đã trả lại báo cáo của {unit} và báo cho {n} bí thư.")
}

pub fn accepted_to_secretary(unit: &str) -> String {
    format!("✅ Báo cáo của {unit} đã được Ban Tổ chức Huyện ủy duyệt. Cảm ơn đồng chí!")
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
    manual: bool,
) -> String {
    let when = match days_left {
        d if d > 1 => format!("Hạn nộp: {deadline}, còn {d} ngày."),
        1 => format!("Hạn nộp: {deadline}, chỉ còn 1 ngày."),
        0 => format!("Hôm nay ({deadline}) là hạn nộp."),
        d => format!("Báo cáo đã quá hạn {} ngày (hạn {deadline}). Đề nghị nộp ngay.", -d),
    };
    let head = if manual {
        "⏰ Ban Tổ chức Huyện ủy nhắc nộp báo cáo"
    } else {
        "⏰ Nhắc hạn nộp báo cáo"
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
    s.push_str("\nBấm «Tiếp tục nhập» để làm tiếp.");
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
