//! Delivery wiring across processes and entry points: the console and the bot on one
//! database (the console never swallows a Telegram message), reminder settings from the
//! environment reaching the real `run` binary, and `remind` from the command line while the
//! bot runs (two outbox workers, nothing sent twice).

use std::process::{Command, Stdio};
use std::time::Duration;

use chibo_bot::adapters::console::Console;
use chibo_bot::admin;
use chibo_bot::config::ReminderSettings;
use chibo_bot::engine::{Channel, Outgoing};
use chibo_bot::reminders::{Scheduler, is_quiet};
use chibo_bot::startup::Application;
use chibo_bot::store;
use chrono::{NaiveTime, Timelike, Utc};

use crate::fake_telegram::{Failure, FakeTelegram};
use crate::helpers::{WAIT, joined, settings_for, spawn_bot};

/// The reminders `chat` received, in order.
fn reminders(fake: &FakeTelegram, chat: i64) -> Vec<String> {
    fake.history_for(chat)
        .into_iter()
        .filter_map(|m| m.text.filter(|t| t.starts_with("⏰")))
        .collect()
}

fn database_url(dir: &tempfile::TempDir) -> String {
    format!("sqlite://{}", dir.path().join("bot.db").display())
}

#[tokio::test]
async fn the_console_and_the_bot_share_a_database_and_no_telegram_message_is_lost() {
    const SECRETARY: i64 = 81;
    let bot = spawn_bot().await;
    let code = bot.invite(Some("mgso"), "secretary").await;
    let r = bot.say(SECRETARY, SECRETARY, &format!("/start {code}")).await;
    assert!(joined(&r).contains("Chào đồng chí"), "{}", joined(&r));

    // A board member on the console, in a second application on the same database file
    // (as `chibo-bot console` next to a running bot). Onboarding accepts an invite code.
    let board_code = bot.invite(None, "board").await;
    let app = Application::build(settings_for(&bot.dir, &bot.fake), Utc::now())
        .await
        .expect("a second application on the same database");
    let input = format!("{board_code}\n/nhacnho\n/thoat\n");
    let mut out = Vec::new();
    Console::new(app.engine.clone(), "Cán bộ Ban", input.as_bytes(), &mut out, Utc::now)
        .run()
        .await
        .expect("the console runs");
    let out = String::from_utf8(out).expect("utf-8 output");
    assert!(out.contains("Chào đồng chí Cán bộ Ban"), "{out}");
    assert!(
        out.contains("🤖 ⏰ Đã gửi nhắc nhở tới 1 đơn vị chưa nộp (1 tin nhắn)"),
        "{out}"
    );
    // The console shows its own messages; the secretary's reminder is only mentioned.
    assert!(
        out.contains("(📨 một tin nhắn được gửi tới người dùng Telegram khác: ⏰"),
        "{out}"
    );
    assert!(!out.contains("🤖 ⏰ Ban Tổ chức Huyện ủy nhắc"), "{out}");
    assert!(!out.contains("Đơn vị: Đảng bộ xã Mường So"), "{out}");

    // The running bot's outbox worker picks the console's Telegram message up and sends it.
    let got = bot.fake.wait_until(WAIT, |f| !reminders(f, SECRETARY).is_empty()).await;
    assert!(got, "the Telegram secretary never received the console's reminder");
    bot.outbox_drained().await;
    let to_secretary = reminders(&bot.fake, SECRETARY);
    assert_eq!(to_secretary.len(), 1, "{to_secretary:?}");
    assert!(
        to_secretary[0].starts_with("⏰ Ban Tổ chức Huyện ủy nhắc") && to_secretary[0].contains("Đảng bộ xã Mường So"),
        "{}",
        to_secretary[0]
    );
    let unsent: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL")
        .fetch_one(bot.pool())
        .await
        .unwrap();
    assert_eq!(unsent, 0, "every message, console's and Telegram's, is settled");
    app.engine.store().pool().close().await;
    bot.stop().await;
}

#[tokio::test]
async fn reminder_settings_from_the_environment_reach_the_running_bot() {
    const SECRETARY: i64 = 82;
    let dir = tempfile::tempdir().expect("temp dir");
    let fake = FakeTelegram::start().await;
    let tz = chrono_tz::Asia::Ho_Chi_Minh;
    let now = Utc::now();
    let local = now.with_timezone(&tz);
    // A one-hour quiet window two hours from now, well clear of the current time.
    let from = NaiveTime::from_hms_opt((local.hour() + 2) % 24, 0, 0).unwrap();
    let to = NaiveTime::from_hms_opt((local.hour() + 3) % 24, 0, 0).unwrap();
    assert!(!is_quiet(local.time(), (from, to)));
    let quiet = format!("{}-{}", from.format("%H:%M"), to.format("%H:%M"));
    let custom = ReminderSettings {
        days_before: vec![10],
        at: NaiveTime::from_hms_opt(0, 0, 0).unwrap(),
        quiet: (from, to),
        ..ReminderSettings::default()
    };

    {
        let app = Application::build(settings_for(&dir, &fake), now).await.expect("app");
        let engine = &app.engine;
        admin::import_units(engine.store(), engine.form(), admin::SAMPLE_UNITS_CSV.as_bytes(), now)
            .await
            .expect("units");
        let mut tx = engine.store().begin().await.unwrap();
        let unit = store::unit_by_code(&mut tx, "mgso").await.unwrap().expect("mgso");
        store::upsert_member(
            &mut tx,
            Channel::Telegram,
            SECRETARY,
            SECRETARY,
            "Bí thư Mường So",
            "secretary",
            Some(unit.id),
            now,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        fake.register_private_chat(SECRETARY);

        // The deadline is ten days from today (Vietnam date), at the form's time of day.
        let time = NaiveTime::parse_from_str(&engine.form().campaign.deadline_time, "%H:%M").unwrap();
        let deadline = (local.date_naive() + chrono::Duration::days(10))
            .and_time(time)
            .and_local_timezone(tz)
            .single()
            .unwrap()
            .with_timezone(&Utc);
        let mut conn = engine.store().conn().await.unwrap();
        store::set_deadline(&mut conn, engine.campaign().id, deadline)
            .await
            .unwrap();
        engine.refresh_campaign(&mut conn).await.unwrap();
        drop(conn);

        // The premise: with the default schedule nothing is due now; with the custom one the
        // unit is.
        let (moment, _) = Scheduler::new(engine.clone(), ReminderSettings::default())
            .dry_run(now)
            .await
            .unwrap();
        assert_eq!(moment, None, "no reminder is due under the default settings");
        let (moment, planned) = Scheduler::new(engine.clone(), custom).dry_run(now).await.unwrap();
        assert!(moment.is_some(), "the custom schedule has a moment due now");
        assert!(planned.iter().any(|p| p.unit == "Đảng bộ xã Mường So"), "{planned:?}");
        engine.store().pool().close().await;
    }

    let log_path = dir.path().join("bot.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let mut child = Command::new(env!("CARGO_BIN_EXE_chibo-bot"))
        .arg("run")
        .current_dir(dir.path())
        .env("DATABASE_URL", database_url(&dir))
        .env("TELOXIDE_TOKEN", FakeTelegram::TOKEN)
        .env("TELOXIDE_API_URL", fake.api_url().as_str())
        .env("REMINDER_DAYS_BEFORE", "10")
        .env("REMINDER_TIME", "00:00")
        .env("QUIET_HOURS", &quiet)
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("the bot binary starts");

    let got = fake
        .wait_until(Duration::from_secs(20), |f| !reminders(f, SECRETARY).is_empty())
        .await;
    let _ = child.kill();
    let _ = child.wait();
    let log = std::fs::read_to_string(&log_path).unwrap_or_default();
    assert!(
        got,
        "no reminder from the running bot with REMINDER_DAYS_BEFORE=10, REMINDER_TIME=00:00, QUIET_HOURS={quiet}; log:\n{log}"
    );
    let sent = reminders(&fake, SECRETARY);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(
        sent[0].starts_with("⏰ Nhắc hạn nộp báo cáo") && sent[0].contains("còn 10 ngày"),
        "{}",
        sent[0]
    );
}

#[tokio::test]
async fn remind_run_while_the_bot_runs_sends_nothing_twice() {
    const UNITS: i64 = 40;
    const FIRST_CHAT: i64 = 200_000;
    const EARLIER: &str = "Tin nhắn gửi trước lời nhắc.";
    let bot = spawn_bot().await;
    let now = Utc::now();
    bot.units_with_secretaries("w", UNITS, FIRST_CHAT).await;

    // The running bot holds an earlier message to some of the chats: Telegram asked it to
    // wait, so it keeps its claim, and the command must leave those chats' reminders to it
    // (strict order per chat). The other chats are there for both workers to take.
    let held: Vec<i64> = (0..UNITS).step_by(5).map(|i| FIRST_CHAT + i).collect();
    let mut tx = bot.engine.store().begin().await.unwrap();
    for &chat in &held {
        bot.fake
            .fail_next_for_chat(chat, "sendMessage", Failure::TooManyRequests { retry_after: 4 });
        store::queue(&mut tx, Outgoing::new(chat, EARLIER, vec![]), now)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    bot.outbox().wake();
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let claimed: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE claim_owner = 'bot' AND sent_at IS NULL")
                .fetch_one(bot.pool())
                .await
                .unwrap();
        if claimed == held.len() as i64 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the bot claimed {claimed} messages"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // 03/12/2023 08:00 is the 7-days-before moment of the embedded campaign (deadline
    // 10/12/2023); 09:00 is after it and outside quiet hours. The command's worker and the
    // running bot's worker (which looks at the outbox every second) both claim rows.
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_chibo-bot"));
    cmd.args(["remind", "--at", "03/12/2023 09:00"])
        .current_dir(bot.dir.path())
        .env("DATABASE_URL", database_url(&bot.dir))
        .env("TELOXIDE_TOKEN", FakeTelegram::TOKEN)
        .env("TELOXIDE_API_URL", bot.fake.api_url().as_str())
        .env("TELEGRAM_MAX_PER_SEC", "30")
        .stdin(Stdio::null());
    let output = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .expect("the command's thread")
        .expect("the remind command runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{}\n{stdout}\n{stderr}", output.status);
    assert!(
        stdout.contains(&format!("{UNITS} units reminded, {UNITS} messages")),
        "{stdout}\n{stderr}"
    );

    bot.outbox_drained().await;
    let wrong: Vec<(i64, usize)> = (0..UNITS)
        .map(|i| FIRST_CHAT + i)
        .map(|chat| (chat, reminders(&bot.fake, chat).len()))
        .filter(|(_, n)| *n != 1)
        .collect();
    assert!(wrong.is_empty(), "chats without exactly one reminder: {wrong:?}");
    for &chat in &held {
        let texts: Vec<String> = bot.fake.history_for(chat).into_iter().filter_map(|m| m.text).collect();
        assert_eq!(texts.len(), 2, "chat {chat}: {texts:?}");
        assert_eq!(texts[0], EARLIER, "chat {chat}: order kept");
        assert!(
            texts[1].starts_with("⏰ Nhắc hạn nộp báo cáo"),
            "chat {chat}: {texts:?}"
        );
    }
    let unsent: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL")
        .fetch_one(bot.pool())
        .await
        .unwrap();
    assert_eq!(unsent, 0);
    bot.stop().await;
}
