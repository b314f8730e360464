//! Delivery through the outbox worker against a fake Bot API with faults: 5xx, a dropped
//! connection and a 429 on sendMessage, editMessageText, answerCallbackQuery and
//! sendDocument. Every message arrives exactly once, in order per chat, soon after the fault
//! clears; the one exception Telegram allows (a send that timed out after it was accepted)
//! arrives at least once.

use std::time::Duration;

use crate::fake_telegram::{Failure, FakeTelegram};
use crate::helpers::{TestBot, joined, last, spawn_bot};

fn faults() -> Vec<(&'static str, Failure)> {
    vec![
        ("5xx", Failure::ServerError),
        ("dropped connection", Failure::DroppedConnection),
        ("429", Failure::TooManyRequests { retry_after: 1 }),
    ]
}

async fn register(bot: &TestBot, chat: i64, unit: &str) {
    let code = bot.invite(Some(unit), "secretary").await;
    let r = bot.say(chat, chat, &format!("/start {code}")).await;
    assert!(joined(&r).contains("đã được đăng ký"), "{}", joined(&r));
}

fn count(fake: &FakeTelegram, chat: i64, text: &str) -> usize {
    fake.history_for(chat)
        .iter()
        .filter(|m| m.text_or_caption().contains(text))
        .count()
}

#[tokio::test]
async fn a_message_that_meets_any_fault_arrives_once_and_holds_back_the_chat_s_next_one() {
    let bot = spawn_bot().await;
    register(&bot, 301, "mgso").await;
    for (i, (name, fault)) in faults().into_iter().enumerate() {
        bot.fake.fail_next_for_chat(301, "sendMessage", fault);
        // Two answers in a row: the first meets the fault, the second must wait for it.
        bot.fake.send_text(301, 301, &format!("/traloi IV.2.1 Lần {i}"));
        bot.fake.send_text(301, 301, &format!("/traloi IV.2.2 Lần {i}"));
        let first = bot
            .fake
            .next_for(301, Duration::from_secs(20))
            .await
            .expect("first reply");
        let second = bot
            .fake
            .next_for(301, Duration::from_secs(20))
            .await
            .expect("second reply");
        assert!(first.text_or_caption().contains("IV.2.1"), "{name}: {:?}", first.text);
        assert!(second.text_or_caption().contains("IV.2.2"), "{name}: {:?}", second.text);
        bot.outbox_drained().await;
        assert!(
            bot.fake.expect_silence(301, Duration::from_millis(300)).await,
            "{name}: a copy arrived"
        );
    }
    assert_eq!(count(&bot.fake, 301, "Đã lưu mục IV.2.1"), 3);
    assert_eq!(count(&bot.fake, 301, "Đã lưu mục IV.2.2"), 3);
    bot.stop().await;
}

#[tokio::test]
async fn an_edit_that_meets_any_fault_stays_an_edit() {
    let bot = spawn_bot().await;
    register(&bot, 302, "mgso").await;
    for (name, fault) in faults() {
        let menu = bot.say(302, 302, "/menu").await;
        let menu = last(&menu).clone();
        let label = menu.button_labels()[0].to_owned();
        let edits = bot.fake.sent_count("editMessageText");
        let sends = bot.fake.sent_count("sendMessage");
        bot.fake.fail_next_for_chat(302, "editMessageText", fault);
        let data = menu.button_data(&label).expect("callback").to_owned();
        bot.fake.press(302, 302, menu.message_id, &data);
        bot.outbox_drained().await;
        let edited = bot.fake.message_text(302, menu.message_id).unwrap_or_default();
        assert_ne!(
            edited,
            menu.text.clone().unwrap_or_default(),
            "{name}: the menu was not replaced"
        );
        assert_eq!(bot.fake.sent_count("editMessageText"), edits + 1, "{name}");
        assert_eq!(
            bot.fake.sent_count("sendMessage"),
            sends,
            "{name}: the edit became a new message"
        );
        while bot.fake.next_for(302, Duration::from_millis(50)).await.is_some() {}
    }
    bot.stop().await;
}

#[tokio::test]
async fn a_button_press_whose_answer_meets_any_fault_is_still_answered() {
    let bot = spawn_bot().await;
    register(&bot, 303, "mgso").await;
    for (name, fault) in faults() {
        let menu = bot.say(303, 303, "/menu").await;
        let menu = last(&menu).clone();
        bot.fake.fail_next("answerCallbackQuery", fault);
        let label = menu.button_labels()[0].to_owned();
        let data = menu.button_data(&label).expect("callback").to_owned();
        bot.fake.press(303, 303, menu.message_id, &data);
        let answered = bot
            .fake
            .wait_until(Duration::from_secs(10), |f| f.unanswered_callbacks().is_empty())
            .await;
        assert!(answered, "{name}: the spinner keeps turning");
        bot.outbox_drained().await;
        while bot.fake.next_for(303, Duration::from_millis(50)).await.is_some() {}
    }
    bot.stop().await;
}

#[tokio::test]
async fn a_document_that_meets_any_fault_arrives_once() {
    let bot = spawn_bot().await;
    let code = bot.invite(None, "board").await;
    bot.say(304, 304, &format!("/start {code}")).await;
    for (name, fault) in faults() {
        let before = bot.fake.sent_count("sendDocument");
        bot.fake.fail_next_for_chat(304, "sendDocument", fault);
        bot.fake.send_text(304, 304, "/tonghop");
        let arrived = bot
            .fake
            .wait_until(Duration::from_secs(20), |f| f.sent_count("sendDocument") > before)
            .await;
        assert!(arrived, "{name}: the workbook never arrived");
        while bot.fake.next_for(304, Duration::from_millis(50)).await.is_some() {}
        assert!(
            bot.fake.expect_silence(304, Duration::from_millis(1500)).await,
            "{name}: more arrived"
        );
        assert_eq!(bot.fake.sent_count("sendDocument"), before + 1, "{name}: sent twice");
    }
    bot.stop().await;
}

/// Telegram has no idempotency key: when the answer to an accepted send is lost (a timeout),
/// the bot cannot know it was delivered and sends it again. At least once, never lost.
#[tokio::test]
async fn a_send_that_timed_out_after_telegram_accepted_it_arrives_at_least_once() {
    let bot = spawn_bot().await;
    register(&bot, 305, "mgso").await;
    bot.fake.fail_next_for_chat(
        305,
        "sendMessage",
        Failure::SlowAnswer {
            after: Duration::from_secs(4),
        },
    );
    bot.fake.send_text(305, 305, "/traloi IV.2.1 Chậm");
    bot.outbox_drained().await;
    let n = count(&bot.fake, 305, "Đã lưu mục IV.2.1");
    assert!((1..=2).contains(&n), "{n} copies");
    assert_eq!(bot.answer("mgso", "IV.2.1", "").await, Some(Some("Chậm".into())));
    bot.stop().await;
}

/// A Telegram step can notify a member on another channel (a board member using the console):
/// that message waits in the outbox for its own channel and is never sent to Telegram.
#[tokio::test]
async fn a_message_for_a_console_member_is_left_for_the_console() {
    use chibo_bot::adapters::console::console_id;
    use chibo_bot::engine::{Channel, ChatRef, Inbound};

    let bot = spawn_bot().await;
    let code = bot.invite(None, "board").await;
    let chat = console_id("Cán bộ Ban");
    let who = ChatRef {
        channel: Channel::Console,
        chat_id: chat,
        user_id: Some(chat),
        name: "Cán bộ Ban".into(),
        private: true,
        message_id: None,
        sent_at: None,
    };
    bot.engine
        .handle(&who, Inbound::from_text(&format!("/start {code}")), chrono::Utc::now())
        .await
        .expect("the console board member registers");
    register(&bot, 306, "mgso").await;
    let m = bot.say(306, 306, "/nop").await;
    let m = bot.press(306, 306, last(&m), "Nộp ngay").await;
    assert!(joined(&m).contains("Đã nộp"), "{}", joined(&m));
    bot.outbox_drained().await;
    let waiting: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE channel = 'console' AND chat_id = ? AND sent_at IS NULL")
            .bind(chat)
            .fetch_one(bot.pool())
            .await
            .unwrap();
    assert!(
        waiting >= 2,
        "the welcome and the submission notice wait for the console ({waiting})"
    );
    assert!(bot.fake.history_for(chat).is_empty());
    bot.stop().await;
}
