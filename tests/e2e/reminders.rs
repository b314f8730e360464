//! Reminders with a controlled clock: the right units at the right moments, exactly once
//! across restarts and outages, none in quiet hours or after submission, blocked users
//! marked, and a throttled fan-out to 2,000 units with 429 answers injected.

use chibo_bot::reminders::Scheduler;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};

use crate::fake_telegram::Failure;
use crate::helpers::{TestBot, joined, last, spawn_bot, spawn_on, spawn_with};

/// An instant in Vietnam time, December 2023.
fn vn(day: u32, hour: u32, min: u32) -> DateTime<Utc> {
    let tz = chrono_tz::Asia::Ho_Chi_Minh;
    let d = NaiveDate::from_ymd_opt(2023, 12, day)
        .unwrap()
        .and_hms_opt(hour, min, 0)
        .unwrap();
    tz.from_local_datetime(&d).single().unwrap().with_timezone(&Utc)
}

/// One pass at `now`, delivered through the fake; returns how many units were reminded.
async fn pass(bot: &TestBot, now: DateTime<Utc>) -> usize {
    let scheduler = Scheduler::new(bot.engine.clone(), bot.engine.reminder_settings().clone());
    let (outcome, out) = scheduler.tick(now).await.expect("a reminder pass");
    bot.outbox().deliver(out);
    bot.outbox_drained().await;
    // Reminders are read from the history; leave the event queues empty for the next exchange.
    for chat in [A, B, C, D, BOARD] {
        while bot.fake.next_for(chat, std::time::Duration::ZERO).await.is_some() {}
    }
    outcome.units.len()
}

fn reminders_for(bot: &TestBot, chat: i64) -> Vec<String> {
    bot.fake
        .history_for(chat)
        .into_iter()
        .filter_map(|m| m.text.filter(|t| t.starts_with("⏰")))
        .collect()
}

async fn register(bot: &TestBot, chat: i64, unit: Option<&str>, role: &str) {
    let code = bot.invite(unit, role).await;
    let r = bot.say(chat, chat, &format!("/start {code}")).await;
    assert!(joined(&r).contains("Chào đồng chí"), "{}", joined(&r));
}

const A: i64 = 701; // mgso: submits on 08/12
const B: i64 = 702; // daosan: never submits
const C: i64 = 703; // ttyt: submitted early
const D: i64 = 704; // namxe: blocks the bot
const BOARD: i64 = 799;

async fn submit(bot: &TestBot, chat: i64) {
    let r = bot.say(chat, chat, "/nop").await;
    let r = bot.press(chat, chat, last(&r), "Nộp ngay").await;
    assert!(joined(&r).contains("Đã nộp báo cáo"), "{}", joined(&r));
}

#[tokio::test]
async fn a_campaign_reminds_the_right_units_exactly_once_per_moment() {
    let bot = spawn_bot().await;
    for (chat, unit) in [(A, "mgso"), (B, "daosan"), (C, "ttyt"), (D, "namxe")] {
        register(&bot, chat, Some(unit), "secretary").await;
    }
    register(&bot, BOARD, None, "board").await;
    bot.say(B, B, "/traloi I.1 Đảng bộ xã Dào San có 12 chi bộ.").await;
    submit(&bot, C).await;
    bot.fake.block(D);

    assert_eq!(pass(&bot, vn(2, 12, 0)).await, 0, "nothing before the first moment");
    assert_eq!(pass(&bot, vn(3, 7, 59)).await, 0);
    assert_eq!(pass(&bot, vn(3, 8, 0)).await, 3, "A, B and D at 7 days before");
    assert_eq!(pass(&bot, vn(3, 8, 1)).await, 0, "exactly once");
    assert_eq!(reminders_for(&bot, A).len(), 1);
    assert_eq!(reminders_for(&bot, C).len(), 0, "a submitted unit is not reminded");
    let to_b = &reminders_for(&bot, B)[0];
    assert!(
        to_b.contains("Đảng bộ xã Dào San") && to_b.contains("còn 7 ngày"),
        "{to_b}"
    );
    assert!(
        to_b.contains("còn 23 mục đề cương") && to_b.contains("chưa nhập biểu"),
        "{to_b}"
    );
    let blocked: Option<String> = sqlx::query_scalar("SELECT unreachable_at FROM members WHERE chat_id = ?")
        .bind(D)
        .fetch_one(bot.pool())
        .await
        .unwrap();
    assert!(blocked.is_some(), "a member who blocked the bot is marked unreachable");

    // Restart on the same database: nothing is sent twice.
    let (dir, fake) = bot.stop().await;
    let bot = spawn_on(dir, fake, false).await;
    assert_eq!(pass(&bot, vn(3, 9, 0)).await, 0);

    // The bot was down on the 7th; it catches up on the 8th, once.
    assert_eq!(pass(&bot, vn(8, 10, 0)).await, 2, "A and B; D is unreachable");
    assert_eq!(pass(&bot, vn(8, 11, 0)).await, 0);
    submit(&bot, A).await;

    assert_eq!(pass(&bot, vn(9, 8, 0)).await, 1, "only B once A has submitted");
    // Down on the morning of the 10th, back in quiet hours: nothing until the next moment.
    assert_eq!(pass(&bot, vn(10, 22, 0)).await, 0, "quiet hours");
    assert_eq!(
        pass(&bot, vn(11, 7, 0)).await,
        0,
        "superseded by the 08:00 reminder an hour later"
    );
    assert_eq!(pass(&bot, vn(11, 8, 0)).await, 1);
    let last_b = reminders_for(&bot, B).pop().unwrap();
    assert!(last_b.contains("quá hạn 1 ngày"), "{last_b}");
    assert_eq!(reminders_for(&bot, B).len(), 4);
    assert_eq!(reminders_for(&bot, A).len(), 2);

    // The button continues where the secretary left off: the first unanswered heading.
    let msg = bot
        .fake
        .history_for(B)
        .into_iter()
        .rev()
        .find(|m| m.text_or_caption().starts_with("⏰"))
        .unwrap();
    // The cell types come first; with them confirmed, the first unanswered heading.
    let r = bot.press(B, B, &msg, "Làm tiếp").await;
    assert!(joined(&r).contains("loại hình chi bộ"), "{}", joined(&r));
    let r = bot.press(B, B, last(&r), "Xong, tiếp tục").await;
    assert!(joined(&r).contains("📝 Mục I.2.1"), "{}", joined(&r));

    // The board gets one progress summary a day in the last week (passes ran on the 8th and
    // the 9th in daytime; the 10th only in quiet hours; the 11th is past the deadline), and
    // sees who cannot be reached.
    let summaries: Vec<String> = bot
        .fake
        .history_for(BOARD)
        .into_iter()
        .filter_map(|m| m.text)
        .filter(|t| t.starts_with("📈"))
        .collect();
    assert_eq!(
        summaries.len(),
        2,
        "one summary on the 8th and one on the 9th: {summaries:?}"
    );
    let r = bot.say(BOARD, BOARD, "/tiendo").await;
    assert!(
        joined(&r).contains("Không liên lạc được") && joined(&r).contains("Đảng bộ xã Nậm Xe"),
        "{}",
        joined(&r)
    );
    // Unblocking and writing again makes the member reachable.
    bot.fake.unblock(D);
    bot.say(D, D, "/menu").await;
    let r = bot.say(BOARD, BOARD, "/tiendo").await;
    assert!(!joined(&r).contains("Không liên lạc được"), "{}", joined(&r));
    bot.stop().await;
}

#[tokio::test]
async fn the_board_can_remind_everyone_now() {
    let bot = spawn_bot().await;
    register(&bot, BOARD, None, "board").await;
    register(&bot, A, Some("mgso"), "secretary").await;
    register(&bot, B, Some("daosan"), "secretary").await;
    let r = bot.say(BOARD, BOARD, "/nhacnho").await;
    assert!(joined(&r).contains("tới 2 đơn vị"), "{}", joined(&r));
    assert!(joined(&r).contains("17 đơn vị chưa có bí thư"), "{}", joined(&r));
    let got = bot.fake.next_for(A, crate::helpers::WAIT).await.expect("A reminded");
    assert!(
        got.text_or_caption().contains("Ban Tổ chức Huyện ủy nhắc"),
        "{}",
        got.text_or_caption()
    );
    bot.fake.next_for(B, crate::helpers::WAIT).await.expect("B reminded");
    bot.stop().await;
}

#[tokio::test]
async fn a_fan_out_to_2000_units_with_429s_delivers_each_reminder_once() {
    // A send that outlasts its timeout is sent again (at least once, by design); on a machine
    // loaded by the other tests (LibreOffice, Chromium) 3 s is not enough for 2,000 sends.
    let dir = tempfile::tempdir().unwrap();
    let fake = crate::fake_telegram::FakeTelegram::start().await;
    let bot = spawn_with(dir, fake, true, |s| s.send_timeout = std::time::Duration::from_secs(60)).await;
    bot.units_with_secretaries("u", 2000, 100_000).await;
    for chat in [100_007, 100_500, 101_234, 101_999] {
        bot.fake
            .fail_next_for_chat(chat, "sendMessage", Failure::TooManyRequests { retry_after: 1 });
    }
    bot.fake.block(100_042);

    assert_eq!(pass(&bot, vn(3, 8, 0)).await, 2000);
    assert_eq!(pass(&bot, vn(3, 8, 5)).await, 0, "a second pass sends nothing");
    let mut missing = Vec::new();
    for i in 0..2000i64 {
        let chat = 100_000 + i;
        let n = reminders_for(&bot, chat).len();
        if chat != 100_042 && n != 1 {
            missing.push((chat, n));
        }
    }
    assert!(missing.is_empty(), "chats without exactly one reminder: {missing:?}");
    let unsent: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL")
        .fetch_one(bot.pool())
        .await
        .unwrap();
    assert_eq!(unsent, 0, "429s were retried, the blocked chat was settled");
    let unreachable: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM members WHERE unreachable_at IS NOT NULL")
        .fetch_one(bot.pool())
        .await
        .unwrap();
    assert_eq!(unreachable, 1);

    // A restart repeats nothing; the next moment reaches everyone still reachable, once.
    let (dir, fake) = bot.stop().await;
    let bot = spawn_on(dir, fake, false).await;
    assert_eq!(pass(&bot, vn(3, 9, 0)).await, 0);
    assert_eq!(pass(&bot, vn(7, 8, 0)).await, 1999);
    assert_eq!(pass(&bot, vn(7, 8, 1)).await, 0);
    let twice = (0..2000i64)
        .filter(|i| reminders_for(&bot, 100_000 + i).len() == 2)
        .count();
    assert_eq!(twice, 1999, "every reachable unit has exactly the two reminders");
    bot.stop().await;
}
