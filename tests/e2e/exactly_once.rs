//! Every update applied exactly once: re-delivered updates are skipped, a failing step is
//! isolated in its batch, an unwritable database leaves the batch unacknowledged until it
//! recovers, and a removed member is refused.

use std::time::Duration;

use chibo_bot::engine::{ChatRef, Inbound, Update, UpdateKey};
use chrono::Utc;

use crate::helpers::{TestBot, joined, last, spawn_bot};

async fn history_count(bot: &TestBot, key: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM answer_history WHERE key = ?")
        .bind(key)
        .fetch_one(bot.pool())
        .await
        .unwrap()
}

async fn register(bot: &TestBot, chat: i64, unit: &str) {
    let code = bot.invite(Some(unit), "secretary").await;
    let r = bot.say(chat, chat, &format!("/start {code}")).await;
    assert!(joined(&r).contains("đã được đăng ký"), "{}", joined(&r));
}

#[tokio::test]
async fn an_update_delivered_twice_is_applied_once_and_answered_once() {
    let bot = spawn_bot().await;
    register(&bot, 61, "mgso").await;

    // A shortcut answer, then Telegram delivers the same update again.
    let r = bot.say(61, 61, "/traloi IV.2.1 Kiến nghị lần đầu").await;
    assert!(joined(&r).contains("Đã lưu mục IV.2.1"), "{}", joined(&r));
    let id = bot.fake.last_update_id();
    bot.fake.redeliver(id);
    assert!(
        bot.fake.expect_silence(61, Duration::from_millis(700)).await,
        "a second reply"
    );
    assert_eq!(history_count(&bot, "IV.2.1").await, 1);

    // A guided-outline answer, added to, then delivered twice: stored once.
    let m = bot.say(61, 61, "/decuong").await;
    bot.press(61, 61, last(&m), "Điền tiếp").await;
    let m = bot.say(61, 61, "Dòng thứ nhất.").await;
    let first = bot.fake.last_update_id();
    bot.press(61, 61, last(&m), "Bổ sung mục I.1").await;
    bot.say(61, 61, "Dòng thứ hai.").await;
    bot.fake.redeliver(first);
    assert!(
        bot.fake.expect_silence(61, Duration::from_millis(700)).await,
        "a second reply"
    );
    let stored = bot.answer("mgso", "I.1", "").await.flatten().unwrap_or_default();
    assert_eq!(stored.matches("Dòng thứ nhất.").count(), 1, "{stored}");
    assert!(stored.contains("Dòng thứ hai."), "{stored}");

    // Polling went on past the redelivered update: a new message is answered.
    let r = bot.say(61, 61, "/traloi IV.2.2 Đề xuất").await;
    assert!(joined(&r).contains("Đã lưu mục IV.2.2"), "{}", joined(&r));
    bot.stop().await;
}

fn update(chat: i64, id: i64, text: &str) -> Update {
    Update {
        key: Some(UpdateKey {
            channel: "telegram",
            id,
        }),
        chat: ChatRef {
            channel: chibo_bot::engine::Channel::Telegram,
            chat_id: chat,
            user_id: Some(chat),
            name: format!("Bí thư {chat}"),
            private: true,
            message_id: None,
            sent_at: None,
        },
        input: Inbound::from_text(text),
    }
}

#[tokio::test]
async fn the_same_update_twice_in_one_batch_gives_one_write_and_one_reply() {
    let bot = spawn_bot().await;
    register(&bot, 62, "mgso").await;
    let u = update(62, 9_000, "/traloi IV.2.1 Một lần thôi");
    let applied = bot.engine.apply(vec![u.clone(), u.clone()], Utc::now()).await.unwrap();
    assert_eq!(applied.applied, 1);
    assert_eq!(applied.duplicates.len(), 1);
    assert_eq!(applied.deliveries.len(), 1, "{:?}", applied.deliveries);
    // And once more in a later batch.
    let again = bot.engine.apply(vec![u], Utc::now()).await.unwrap();
    assert_eq!((again.applied, again.deliveries.len()), (0, 0));
    assert_eq!(history_count(&bot, "IV.2.1").await, 1);
    bot.stop().await;
}

#[tokio::test]
async fn a_step_that_fails_inside_a_batch_leaves_the_other_steps_committed() {
    let bot = spawn_bot().await;
    register(&bot, 63, "mgso").await;
    register(&bot, 64, "khonglao").await;
    register(&bot, 65, "mgso").await;
    // A real SQLite failure in the middle step only.
    sqlx::query(
        "CREATE TRIGGER boom BEFORE INSERT ON answers WHEN NEW.value LIKE '%HỎNG%'
         BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
    )
    .execute(bot.pool())
    .await
    .unwrap();
    let batch = vec![
        update(63, 9_101, "/traloi IV.2.1 Trước"),
        update(64, 9_102, "/traloi IV.2.1 HỎNG"),
        update(65, 9_103, "/traloi IV.2.2 Sau"),
    ];
    let applied = bot.engine.apply(batch, Utc::now()).await.unwrap();
    assert_eq!((applied.applied, applied.failed), (3, 1));
    let texts: Vec<(i64, String)> = applied
        .deliveries
        .iter()
        .map(|d| (d.message.chat_id, d.message.text.clone()))
        .collect();
    assert!(
        texts.iter().any(|(c, t)| *c == 63 && t.contains("Đã lưu mục IV.2.1")),
        "{texts:?}"
    );
    assert!(
        texts.iter().any(|(c, t)| *c == 64 && t.contains("lỗi tạm thời")),
        "{texts:?}"
    );
    assert!(
        texts.iter().any(|(c, t)| *c == 65 && t.contains("Đã lưu mục IV.2.2")),
        "{texts:?}"
    );
    assert_eq!(bot.answer("mgso", "IV.2.1", "").await, Some(Some("Trước".into())));
    assert_eq!(bot.answer("mgso", "IV.2.2", "").await, Some(Some("Sau".into())));
    assert_eq!(bot.answer("khonglao", "IV.2.1", "").await, None);
    // Every update of the batch is recorded: the failed one is not applied again.
    let recorded: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM processed_updates WHERE update_id BETWEEN 9101 AND 9103")
            .fetch_one(bot.pool())
            .await
            .unwrap();
    assert_eq!(recorded, 3);
    bot.stop().await;
}

#[tokio::test]
async fn an_unwritable_database_leaves_the_batch_unacknowledged_until_it_recovers() {
    let bot = spawn_bot().await;
    register(&bot, 66, "mgso").await;
    // Every commit now fails: the batch cannot be recorded.
    sqlx::query("CREATE TRIGGER full BEFORE INSERT ON processed_updates BEGIN SELECT RAISE(ABORT, 'disk full'); END")
        .execute(bot.pool())
        .await
        .unwrap();
    bot.fake.send_text(66, 66, "/traloi IV.2.1 Sau khi hồi phục");
    let sorry = bot.fake.next_for(66, crate::helpers::WAIT).await.expect("an answer");
    assert!(sorry.text_or_caption().contains("lỗi tạm thời"), "{:?}", sorry.text);
    assert!(bot.fake.updates_unconfirmed() > 0, "the update was acknowledged");
    assert_eq!(bot.answer("mgso", "IV.2.1", "").await, None, "half-applied");
    // Told once, not at every retry.
    assert!(bot.fake.expect_silence(66, Duration::from_millis(1500)).await);
    sqlx::query("DROP TRIGGER full").execute(bot.pool()).await.unwrap();
    let saved = bot
        .fake
        .next_for(66, Duration::from_secs(40))
        .await
        .expect("applied after recovery");
    assert!(
        saved.text_or_caption().contains("Đã lưu mục IV.2.1"),
        "{:?}",
        saved.text
    );
    assert_eq!(
        bot.answer("mgso", "IV.2.1", "").await,
        Some(Some("Sau khi hồi phục".into()))
    );
    assert_eq!(history_count(&bot, "IV.2.1").await, 1);
    bot.stop().await;
}

#[tokio::test]
async fn a_removed_member_is_refused_and_told_how_to_come_back() {
    let bot = spawn_bot().await;
    register(&bot, 67, "mgso").await;
    sqlx::query("UPDATE members SET removed_at = '2026-12-01T00:00:00Z' WHERE user_id = 67")
        .execute(bot.pool())
        .await
        .unwrap();
    let r = bot.say(67, 67, "/traloi IV.2.1 Không được lưu").await;
    assert!(joined(&r).contains("đã được gỡ"), "{}", joined(&r));
    assert!(joined(&r).contains("mã mời mới"), "{}", joined(&r));
    assert_eq!(bot.answer("mgso", "IV.2.1", "").await, None);
    // A new invite lets them in again.
    let code = bot.invite(Some("mgso"), "secretary").await;
    let r = bot.say(67, 67, &format!("/start {code}")).await;
    assert!(!joined(&r).contains("đã được gỡ"), "{}", joined(&r));
    let r = bot.say(67, 67, "/traloi IV.2.1 Đã quay lại").await;
    assert!(joined(&r).contains("Đã lưu mục IV.2.1"), "{}", joined(&r));
    bot.stop().await;
}
