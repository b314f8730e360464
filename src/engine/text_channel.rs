//! Texts about what a channel cannot do (kept apart from `text.rs`, which is about the
//! report itself). Short, polite, and each says what to do instead.

/// A board member asked for the merged workbook on a channel that cannot carry files (Zalo).
pub const EXPORT_NOT_ON_THIS_CHANNEL: &str = "Zalo không gửi được tệp, nên tệp Excel tổng hợp (/tonghop) chỉ có trên Telegram và từ dòng lệnh (chibo-bot export) trên máy chủ. Trên Zalo, đồng chí xem tiến độ bằng /tiendo, xem từng đơn vị bằng /xem, duyệt bằng /duyet, trả lại bằng /tralai, nhắc các đơn vị bằng /nhacnho.";
