//! What the Zalo side itself says (everything else comes from the engine).

/// Sent instead of a file, which Zalo's Bot API cannot deliver.
pub fn no_files(file_name: &str) -> String {
    format!(
        "📎 Tệp «{file_name}» không gửi được qua Zalo. Đồng chí lấy tệp trên Telegram (/tonghop), hoặc nhờ cán bộ quản trị chạy lệnh «chibo-bot export» trên máy chủ."
    )
}
