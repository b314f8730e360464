//! Registration and authorisation: codes, units, group chats, strangers, a broken database.

use chibo_bot::store;
use chrono::{Duration, Utc};

use crate::helpers::{joined, spawn_bot};

#[tokio::test]
async fn invite_codes_are_checked_and_single_use() {
    let bot = spawn_bot().await;
    let code = bot.invite(Some("khonglao"), "secretary").await;

    let r = bot.say(11, 11, "/start AAAAAAAAAAAAAAAA").await;
    assert!(joined(&r).contains("Mã mời không đúng"), "{}", joined(&r));
    let r = bot.say(11, 11, "xin chào").await;
    assert!(joined(&r).contains("mã mời"), "{}", joined(&r));

    // /start, then the code as plain text.
    let r = bot.say(11, 11, "/start").await;
    assert!(joined(&r).contains("gửi mã mời"), "{}", joined(&r));
    let r = bot.say(11, 11, &code).await;
    assert!(joined(&r).contains("Đảng bộ xã Khổng Lào"), "{}", joined(&r));

    // The link opened again by the same secretary: still registered, nothing changes.
    let r = bot.say(11, 11, &format!("/start {code}")).await;
    assert!(
        joined(&r).contains("đã được dùng") && joined(&r).contains("vẫn giữ nguyên"),
        "{}",
        joined(&r)
    );
    let r = bot.say(11, 11, "/menu").await;
    assert!(joined(&r).contains("Đảng bộ xã Khổng Lào"), "{}", joined(&r));

    // The same code again, from someone else.
    let r = bot.say(12, 12, &format!("/start {code}")).await;
    assert!(joined(&r).contains("đã được dùng"), "{}", joined(&r));

    // An expired code.
    let mut tx = bot.engine.store().begin().await.unwrap();
    let unit = store::unit_by_code(&mut tx, "namxe").await.unwrap().unwrap();
    let old = Utc::now() - Duration::days(20);
    store::insert_invite(
        &mut tx,
        "ExpiredCode12345",
        Some(unit.id),
        "secretary",
        old,
        old + Duration::days(14),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let r = bot.say(13, 13, "/start ExpiredCode12345").await;
    assert!(joined(&r).contains("hết hạn"), "{}", joined(&r));

    let members: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM members")
        .fetch_one(bot.pool())
        .await
        .unwrap();
    assert_eq!(members, 1);
    bot.stop().await;
}

#[tokio::test]
async fn a_secretary_acts_for_their_own_unit_only() {
    let bot = spawn_bot().await;
    let a = bot.invite(Some("mgso"), "secretary").await;
    let b = bot.invite(Some("daosan"), "secretary").await;
    bot.say(21, 21, &format!("/start {a}")).await;
    bot.say(22, 22, &format!("/start {b}")).await;
    bot.say(21, 21, "/traloi I.2.1 Thuận lợi của Mường So").await;
    bot.say(22, 22, "/traloi I.2.1 Thuận lợi của Dào San").await;
    assert_eq!(
        bot.answer("mgso", "I.2.1", "").await,
        Some(Some("Thuận lợi của Mường So".into()))
    );
    assert_eq!(
        bot.answer("daosan", "I.2.1", "").await,
        Some(Some("Thuận lợi của Dào San".into()))
    );
    // A secretary cannot use the board's commands.
    let r = bot.say(21, 21, "/tonghop").await;
    assert!(joined(&r).contains("chỉ dành cho Ban Tổ chức"), "{}", joined(&r));
    // A crafted button for a table row of a type the unit does not have is refused.
    let r = bot.say(21, 21, "/nhap B4 coquan 1 2 3 4 5 6 7").await;
    assert!(joined(&r).contains("chỉ có dòng cho chi bộ thôn"), "{}", joined(&r));
    bot.stop().await;
}

#[tokio::test]
async fn group_chats_get_a_polite_refusal_and_nothing_is_stored() {
    let bot = spawn_bot().await;
    let code = bot.invite(Some("mgso"), "secretary").await;
    bot.fake.send_group_text(-100_777, 31, &format!("/start {code}"));
    let r = bot
        .fake
        .next_for(-100_777, crate::helpers::WAIT)
        .await
        .expect("a reply in the group");
    assert!(
        r.text_or_caption().contains("tin nhắn riêng"),
        "{}",
        r.text_or_caption()
    );
    let used: Option<String> = sqlx::query_scalar("SELECT used_at FROM invites WHERE code = ?")
        .bind(&code)
        .fetch_one(bot.pool())
        .await
        .unwrap();
    assert_eq!(used, None, "the invite is still unused");
    bot.stop().await;
}

#[tokio::test]
async fn a_broken_database_gets_the_temporary_error_text_and_the_bot_keeps_polling() {
    let bot = spawn_bot().await;
    let code = bot.invite(Some("mgso"), "secretary").await;
    bot.say(41, 41, &format!("/start {code}")).await;
    sqlx::query("DROP TABLE confirmed_warnings")
        .execute(bot.pool())
        .await
        .unwrap();
    let r = bot.say(41, 41, "/menu").await;
    assert!(joined(&r).contains("lỗi tạm thời"), "{}", joined(&r));
    // Still alive for a stranger, whose path does not touch the dropped table.
    let r = bot.say(42, 42, "xin chào").await;
    assert!(joined(&r).contains("mã mời"), "{}", joined(&r));
    bot.stop().await;
}

#[tokio::test]
async fn editing_a_sent_message_gets_an_explanation_and_changes_nothing() {
    let bot = spawn_bot().await;
    let code = bot.invite(Some("mgso"), "secretary").await;
    bot.say(51, 51, &format!("/start {code}")).await;
    bot.say(51, 51, "/traloi I.2.1 Thuận lợi ban đầu").await;
    let before = bot.fake.calls("getUpdates").len();
    let id = bot.fake.send_text(51, 51, "Một tin nhắn");
    bot.fake
        .next_for(51, crate::helpers::WAIT)
        .await
        .expect("reply to the message");
    bot.fake.edit_text(51, 51, id, "Một tin nhắn đã sửa");
    let mut seen = Vec::new();
    while let Some(m) = bot.fake.next_for(51, crate::helpers::WAIT).await {
        let done = m.text_or_caption().contains("tin nhắn đã sửa");
        seen.push(m.text_or_caption().to_owned());
        if done {
            break;
        }
    }
    assert!(
        seen.iter().any(|t| t.contains("không đọc lại tin nhắn đã sửa")),
        "{seen:?}"
    );
    assert!(bot.fake.calls("getUpdates").len() > before);
    assert_eq!(
        bot.answer("mgso", "I.2.1", "").await,
        Some(Some("Thuận lợi ban đầu".into()))
    );
    bot.stop().await;
}
