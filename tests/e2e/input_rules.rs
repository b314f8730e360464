//! Input the bot refuses: each gets a Vietnamese reply saying what to do, and the database
//! is left exactly as it was (answers and their history).

use crate::helpers::{TestBot, joined, spawn_bot};

const CHAT: i64 = 9_101;

/// Every stored answer and history row, as text, to compare before and after.
async fn snapshot(bot: &TestBot) -> (Vec<String>, i64) {
    let answers: Vec<String> = sqlx::query_scalar(
        "SELECT key || '|' || row || '|' || COALESCE(value, '') FROM answers ORDER BY unit_id, key, row",
    )
    .fetch_all(bot.pool())
    .await
    .expect("answers");
    let history: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM answer_history")
        .fetch_one(bot.pool())
        .await
        .expect("history");
    (answers, history)
}

#[tokio::test]
async fn refused_input_is_explained_and_changes_nothing() {
    let bot = spawn_bot().await;
    let code = bot.invite(Some("mgso"), "secretary").await;
    bot.say(CHAT, CHAT, &format!("/start {code}")).await;
    bot.say(CHAT, CHAT, "1 3 4").await;
    bot.say(CHAT, CHAT, "Mục I.1 đã trả lời.").await;
    let before = snapshot(&bot).await;
    assert!(!before.0.is_empty(), "something is stored to compare with");

    // An answer made only of invisible characters is empty.
    let r = bot.say(CHAT, CHAT, "\u{200B}\u{200B}\u{FEFF}").await;
    assert!(joined(&r).contains("không có chữ nào nên chưa lưu"), "{}", joined(&r));
    assert_eq!(snapshot(&bot).await, before);

    // Figures: a 20-digit count, a decimal of hundreds of digits, a count past the column's
    // maximum, the wrong number of figures, words.
    bot.say(CHAT, CHAT, "/bieu").await;
    let r = bot.say(CHAT, CHAT, "/nhap B1 thon").await;
    assert!(joined(&r).contains("Biểu 1 — Thôn, bản"), "{}", joined(&r));
    let huge = "9".repeat(400);
    for (typed, expect) in [
        ("1=99999999999999999999", "lớn quá; cột này không quá 1000"),
        (&format!("10={huge},5") as &str, "lớn quá; cột này không quá 100"),
        ("10 2 1 3 4 0 0 120 90 12 4 5 2000", "lớn quá; cột này không quá 12"),
        ("1=5000", "lớn quá; cột này không quá 1000"),
        ("10 2 1", "Chưa lưu số nào: Biểu 1 cần 13 số, đồng chí gửi 3 số"),
        ("10 2 1 3 4 0 0 120 abc 12 4 5 2", "«abc» không phải là số"),
        ("99=1", "không có cột 99"),
    ] {
        let r = bot.say(CHAT, CHAT, typed).await;
        let t = joined(&r);
        assert!(t.contains(expect), "{typed}: {t}");
        assert!(t.contains("Chưa lưu"), "{typed} says nothing was saved: {t}");
        assert_eq!(snapshot(&bot).await, before, "{typed} changed the database");
    }
    bot.stop().await;
}
