//! Zalo on the same engine and database as Telegram: the real application with both
//! channels, the real HTTP clients, a fake Zalo Bot API and a fake Telegram Bot API.

use std::time::Duration;

use chibo_bot::adapters::zalo;
use chibo_bot::config::Token;
use chibo_bot::form::Form;
use chibo_bot::reminders::Scheduler;
use chibo_bot::startup::ZaloRuntime;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde_json::{Value, json};

use crate::fake_telegram::FakeTelegram;
use crate::fake_zalo::FakeZalo;
use crate::helpers::{TestBot, WAIT, joined, spawn_with};
use crate::reporting::{B1_COQUAN, B1_THON, B2_COQUAN, B2_THON, B3_COQUAN, B3_THON, B4_THON, answer_text, stored};

/// Zalo ids are strings (hex in the documented samples).
const SEC: &str = "e4ea2cd5189df1c3a88c";
const SEC2: &str = "6ede9afa66b88fe6d6a9";
const BOARD: &str = "0b1c2d3e4f5a6b7c8d9e";

struct Both {
    bot: TestBot,
    zalo: FakeZalo,
    rt: ZaloRuntime,
}

async fn spawn_both(webhook_secret: Option<&str>) -> Both {
    let zalo = FakeZalo::start().await;
    let url = zalo.api_url();
    let dir = tempfile::tempdir().expect("temp dir");
    let secret = webhook_secret.map(|s| ("127.0.0.1:0".parse().unwrap(), Token::new(s)));
    let bot = spawn_with(dir, FakeTelegram::start().await, true, move |s| {
        s.zalo_token = Some(Token::new(FakeZalo::TOKEN));
        s.zalo_api_url = Some(url);
        s.zalo_webhook = secret;
        s.zalo_max_per_sec = 10_000;
        s.zalo_max_per_sec_chat = 10_000;
        s.zalo_chat_burst = 10_000;
    })
    .await;
    let rt = bot.app.start_zalo(None).await.expect("the Zalo side starts");
    Both { bot, zalo, rt }
}

impl Both {
    /// The number standing for a Zalo id in the database.
    async fn number(&self, user: &str) -> i64 {
        let row: i64 = sqlx::query_scalar("SELECT id FROM external_ids WHERE channel = 'zalo' AND external_id = ?")
            .bind(user)
            .fetch_one(self.bot.pool())
            .await
            .expect("the Zalo id is numbered");
        zalo::number_of(row)
    }

    /// Waits until every Zalo message committed for `user` has been sent.
    async fn settled(&self, user: &str) {
        let chat = self.number(user).await;
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let pending: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM outbox WHERE channel = 'zalo' AND chat_id = ? AND sent_at IS NULL AND failed_at IS NULL",
            )
            .bind(chat)
            .fetch_one(self.bot.pool())
            .await
            .expect("outbox");
            if pending == 0 {
                return;
            }
            assert!(tokio::time::Instant::now() < deadline, "{pending} Zalo messages unsent");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Delivers `update` from `user`; returns every message the bot sent in answer.
    async fn send(&self, user: &str, update: Value) -> Vec<String> {
        self.zalo.push(update);
        let first = self.zalo.next_for(user, WAIT).await.expect("the bot answered on Zalo");
        self.settled(user).await;
        let mut out = vec![first];
        out.extend(self.zalo.take_all(user));
        out
    }

    async fn say(&self, user: &str, text: &str) -> Vec<String> {
        let u = self
            .zalo
            .update("message.text.received", user, "Lò Văn Minh", json!({ "text": text }));
        self.send(user, u).await
    }

    /// Replies with the number of the option whose label contains `label` (`#N` while
    /// figures are expected, as the message says).
    async fn choose(&self, user: &str, msgs: &[String], label: &str) -> Vec<String> {
        let typed = option(msgs, label);
        self.say(user, &typed).await
    }

    async fn stop(self) {
        self.rt.stop().await;
        assert!(
            self.zalo.rejected().is_empty(),
            "refused by Zalo: {:?}",
            self.zalo.rejected()
        );
        self.bot.stop().await;
    }
}

/// What to type to choose `label` in the last message that offers it.
fn option(msgs: &[String], label: &str) -> String {
    for m in msgs.iter().rev() {
        for line in m.lines() {
            if let Some((n, l)) = line.split_once(". ")
                && n.chars().all(|c| c.is_ascii_digit())
                && !n.is_empty()
                && l.contains(label)
            {
                let numeric = m.contains("#1");
                return if numeric { format!("#{n}") } else { n.to_owned() };
            }
        }
    }
    panic!("no option «{label}» in {msgs:#?}")
}

fn all(msgs: &[String]) -> String {
    msgs.join("\n---\n")
}

#[tokio::test]
async fn a_secretary_does_the_whole_report_over_zalo_and_submits_it() {
    let b = spawn_both(None).await;
    let form = Form::embedded();
    let code = b.bot.invite(Some("mgso"), "secretary").await;

    let m = b.say(SEC, &format!("/start {code}")).await;
    assert!(all(&m).contains("Đảng bộ xã Mường So"), "{}", all(&m));
    assert!(
        all(&m).contains("1. ") && all(&m).contains("gửi số thứ tự"),
        "options are numbered: {}",
        all(&m)
    );

    // --- cell types first, in the welcome: keep thôn and cơ quan only, by number.
    let mut pick = m;
    for t in ["Trường học", "Y tế", "Quân sự", "Công an"] {
        pick = b.choose(SEC, &pick, t).await;
    }
    assert!(
        all(&pick).contains("✅ Thôn, bản") && all(&pick).contains("⬜ Công an"),
        "{}",
        all(&pick)
    );
    assert_eq!(
        pick.last().unwrap().matches("Công an").count(),
        1,
        "an option listed by the text is not repeated: {}",
        all(&pick)
    );
    let m = b.choose(SEC, &pick, "Xong, tiếp tục").await;
    assert!(all(&m).contains("Mục I.1"), "the outline follows: {}", all(&m));

    // --- the outline: guided for most headings, /traloi for the last four.
    let answers: Vec<String> = form.answer_nodes().map(|n| n.id.clone()).collect();
    let mut m = b.say(SEC, &answer_text("I.1")).await;
    assert!(all(&m).contains("Đã lưu mục I.1"), "{}", all(&m));
    for id in &answers[1..20] {
        assert!(
            all(&m).contains(&format!("📝 Mục {id} —")),
            "expected heading {id}: {}",
            all(&m)
        );
        m = b.say(SEC, &answer_text(id)).await;
        assert!(all(&m).contains(&format!("Đã lưu mục {id}")), "{}", all(&m));
    }
    let mut r = Vec::new();
    for id in &answers[20..] {
        r = b.say(SEC, &format!("/traloi {id} {}", answer_text(id))).await;
        assert!(all(&r).contains(&format!("Đã lưu mục {id}")), "{}", all(&r));
    }

    // --- Biểu 1: a whole row, then one value at a time (bare numbers are figures now).
    let m = b.choose(SEC, &r, "Làm tiếp").await;
    assert!(all(&m).contains("Biểu 1 — Thôn, bản"), "{}", all(&m));
    assert!(
        all(&m).contains("#1"),
        "figures expected: a choice needs #N: {}",
        all(&m)
    );
    let m = b.say(SEC, &B1_THON.join(" ")).await;
    assert!(all(&m).contains("Biểu 1 — Cơ quan"), "{}", all(&m));
    let mut r = Vec::new();
    for v in B1_COQUAN {
        r = b.say(SEC, v).await;
    }
    assert!(all(&r).contains("⚠️"), "{}", all(&r));
    let m = b.choose(SEC, &r, "Đúng, giữ nguyên").await;
    assert!(all(&m).contains("Biểu 2 — Thôn, bản"), "{}", all(&m));
    for (row, next) in [
        (B2_THON, "Biểu 2 — Cơ quan"),
        (B2_COQUAN, "Biểu 3 — Thôn, bản"),
        (B3_THON, "Biểu 3 — Cơ quan"),
        (B3_COQUAN, "Biểu 4 — Thôn, bản"),
        (B4_THON, "Số báo cáo"),
    ] {
        let m = b.say(SEC, row).await;
        assert!(all(&m).contains(next), "after {row}: {}", all(&m));
    }

    // --- header fields, guided; the last one leads to the review.
    let fields = [
        ("HD.so", "15-BC/ĐU", "15-BC/ĐU"),
        ("HD.ngay", "5/12/2023", "05/12/2023"),
        ("HD.nguoi_lap", "Lò Văn Minh", "Lò Văn Minh"),
        ("HD.nguoi_ky", "Tòng Văn Bình", "Tòng Văn Bình"),
        ("HD.chuc_vu", "Bí thư", "Bí thư"),
        ("HD.dien_thoai", "0912 345 678", "0912345678"),
    ];
    let mut r = Vec::new();
    for (id, typed, _) in fields {
        r = b.say(SEC, typed).await;
        assert!(all(&r).contains("💾"), "{id}: {}", all(&r));
    }
    assert!(all(&r).contains("Xem lại báo cáo"), "{}", all(&r));

    // --- images, stickers and unsupported messages get guidance, never silence.
    for (event, extra) in [
        (
            "message.image.received",
            json!({ "photo_url": "https://example.invalid/a.jpg", "caption": "ảnh" }),
        ),
        ("message.sticker.received", json!({ "sticker": "0e078a2fb66a5f34067b" })),
        ("message.unsupported.received", json!({})),
    ] {
        let u = b.zalo.update(event, SEC, "Lò Văn Minh", extra);
        let r = b.send(SEC, u).await;
        assert!(all(&r).contains("chỉ nhận tin nhắn chữ"), "{event}: {}", all(&r));
    }
    // An unsupported event without a message has nobody to answer; the bot goes on.
    b.zalo.push(json!({ "event_name": "message.unsupported.received" }));
    let r = b.say(SEC, "/khonghieu").await;
    assert!(all(&r).contains("Không có lệnh /khonghieu"), "{}", all(&r));

    // --- review and submit.
    let r = b.say(SEC, "/kiemtra").await;
    assert!(!all(&r).contains("Còn thiếu"), "nothing is missing: {}", all(&r));
    let r = b.say(SEC, "/nop").await;
    let r = b.choose(SEC, &r, "Nộp ngay").await;
    assert!(all(&r).contains("Đã nộp báo cáo"), "{}", all(&r));

    // --- the database holds what was typed, for a member on Zalo.
    for id in &answers {
        assert_eq!(
            b.bot.answer("mgso", id, "").await,
            Some(Some(answer_text(id))),
            "heading {id}"
        );
    }
    for (t, row, typed) in [
        ("B1", "thon", B1_THON.join(" ")),
        ("B1", "coquan", B1_COQUAN.join(" ")),
        ("B4", "thon", B4_THON.into()),
    ] {
        let table = form.table(t).unwrap();
        for (c, tok) in table.columns.iter().zip(typed.split(' ')) {
            let key = format!("{t}.{}", c.key);
            assert_eq!(
                b.bot.answer("mgso", &key, row).await,
                Some(Some(stored(tok))),
                "{key} {row}"
            );
        }
    }
    for (id, _, want) in fields {
        assert_eq!(b.bot.answer("mgso", id, "").await, Some(Some(want.to_owned())), "{id}");
    }
    let (status, channel): (String, String) = sqlx::query_as(
        "SELECT r.status, m.channel FROM reports r JOIN units u ON u.id = r.unit_id JOIN members m ON m.unit_id = u.id WHERE u.code = 'mgso'",
    )
    .fetch_one(b.bot.pool())
    .await
    .unwrap();
    assert_eq!((status.as_str(), channel.as_str()), ("submitted", "zalo"));

    // --- a board member on Zalo reads the whole report: longer than one Zalo message.
    let code = b.bot.invite(None, "board").await;
    b.say(BOARD, &code).await;
    let view = b.say(BOARD, "/xem mgso").await;
    let total: usize = view.iter().map(|t| t.chars().count()).sum();
    assert!(total > 2000, "the view is long ({total} characters): {}", all(&view));
    let longest = b.zalo.history_for(SEC).into_iter().chain(b.zalo.history_for(BOARD));
    assert!(
        longest.map(|t| t.chars().count()).all(|n| n <= 2000),
        "no Zalo message over 2,000 characters"
    );
    b.stop().await;
}

#[tokio::test]
async fn a_unit_with_one_secretary_on_telegram_and_one_on_zalo_shares_one_report() {
    let b = spawn_both(None).await;
    const TG: i64 = 9_101;
    const TG_BOARD: i64 = 9_199;
    // The same kind of invite for both channels; the bare code works on Zalo.
    let code = b.bot.invite(Some("mgso"), "secretary").await;
    let r = b.bot.say(TG, TG, &format!("/start {code}")).await;
    assert!(joined(&r).contains("Mường So"), "{}", joined(&r));
    let code = b.bot.invite(Some("mgso"), "secretary").await;
    let r = b.say(SEC2, &code).await;
    assert!(all(&r).contains("Mường So"), "{}", all(&r));
    let code = b.bot.invite(None, "board").await;
    b.say(BOARD, &format!("/start {code}")).await;
    let code = b.bot.invite(None, "board").await;
    b.bot.say(TG_BOARD, TG_BOARD, &format!("/start {code}")).await;

    // What one writes on Telegram, the other sees on Zalo.
    let r = b.bot.say(TG, TG, &format!("/traloi I.1 {}", answer_text("I.1"))).await;
    assert!(joined(&r).contains("Đã lưu mục I.1"), "{}", joined(&r));
    let r = b.say(SEC2, "/menu").await;
    assert!(all(&r).contains("Đề cương (1/24)"), "{}", all(&r));

    // Submitted from Zalo: both board members are told, each on their own channel.
    let r = b.say(SEC2, "/nop").await;
    let r = b.choose(SEC2, &r, "Nộp ngay").await;
    assert!(all(&r).contains("Đã nộp báo cáo"), "{}", all(&r));
    let told = b
        .zalo
        .next_for(BOARD, WAIT)
        .await
        .expect("the Zalo board member is told");
    assert!(told.contains("Mường So"), "{told}");
    let told = b
        .bot
        .fake
        .next_for(TG_BOARD, WAIT)
        .await
        .expect("the Telegram board member is told");
    assert!(
        told.text_or_caption().contains("Mường So"),
        "{}",
        told.text_or_caption()
    );

    // The board on Zalo: progress as text, the workbook only where files go.
    let r = b.say(BOARD, "/tiendo").await;
    assert!(all(&r).contains("Đã nộp: 1/19"), "{}", all(&r));
    let r = b.say(BOARD, "/tonghop").await;
    assert!(
        all(&r).contains("chỉ có trên Telegram") && all(&r).contains("chibo-bot export"),
        "{}",
        all(&r)
    );
    // The report's number and date are kept from Zalo too, and it says where the file is.
    let r = b.say(BOARD, "/tonghop so 25-BC/HU ngay 15/12/2023").await;
    assert!(
        all(&r).contains("Đã ghi báo cáo tổng hợp số 25-BC/HU, ngày 15/12/2023.")
            && all(&r).contains("chỉ có trên Telegram"),
        "{}",
        all(&r)
    );
    let r = b.say(BOARD, "/duyet mgso").await;
    assert!(all(&r).contains("Mường So"), "{}", all(&r));
    let to_zalo = b.zalo.next_for(SEC2, WAIT).await.expect("the Zalo secretary is told");
    let to_tg = b
        .bot
        .fake
        .next_for(TG, WAIT)
        .await
        .expect("the Telegram secretary is told");
    assert_eq!(to_zalo, to_tg.text_or_caption(), "the same notice on both channels");
    b.stop().await;
}

/// An instant in Vietnam time, December 2023.
fn vn(day: u32, hour: u32, min: u32) -> DateTime<Utc> {
    let d = NaiveDate::from_ymd_opt(2023, 12, day)
        .unwrap()
        .and_hms_opt(hour, min, 0)
        .unwrap();
    chrono_tz::Asia::Ho_Chi_Minh
        .from_local_datetime(&d)
        .single()
        .unwrap()
        .with_timezone(&Utc)
}

#[tokio::test]
async fn reminders_reach_each_member_on_their_own_channel_exactly_once() {
    let b = spawn_both(None).await;
    const TG: i64 = 9_201;
    let code = b.bot.invite(Some("mgso"), "secretary").await;
    b.bot.say(TG, TG, &format!("/start {code}")).await;
    let code = b.bot.invite(Some("daosan"), "secretary").await;
    b.say(SEC, &format!("/start {code}")).await;

    for (now, units) in [(vn(3, 8, 0), 2), (vn(3, 8, 1), 0), (vn(3, 9, 0), 0)] {
        let scheduler = Scheduler::new(b.bot.engine.clone(), b.bot.engine.reminder_settings().clone());
        let (outcome, out) = scheduler.tick(now).await.expect("a reminder pass");
        assert_eq!(outcome.units.len(), units, "at {now}");
        b.bot.outbox().deliver(out);
        b.bot.outbox_drained().await;
        b.settled(SEC).await;
    }
    let on_telegram: Vec<_> = b
        .bot
        .fake
        .history_for(TG)
        .into_iter()
        .filter_map(|m| m.text.filter(|t| t.starts_with("⏰")))
        .collect();
    let on_zalo: Vec<_> = b
        .zalo
        .history_for(SEC)
        .into_iter()
        .filter(|t| t.starts_with("⏰"))
        .collect();
    assert_eq!(on_telegram.len(), 1, "{on_telegram:?}");
    assert_eq!(on_zalo.len(), 1, "{on_zalo:?}");
    assert!(on_zalo[0].contains("Dào San"), "{}", on_zalo[0]);
    b.stop().await;
}

#[tokio::test]
async fn a_429_and_server_errors_from_zalo_are_survived_in_order() {
    let b = spawn_both(None).await;
    let code = b.bot.invite(Some("mgso"), "secretary").await;
    b.zalo.fail_next("sendMessage", 429, 1);
    b.zalo.fail_next("sendMessage", 500, 1);
    b.zalo.fail_next("sendMessage", 502, 1);
    let r = b.say(SEC, &code).await;
    assert!(r[0].contains("Chào đồng chí"), "the welcome comes first: {}", all(&r));
    assert!(all(&r).contains("Mường So"), "{}", all(&r));
    assert_eq!(
        b.zalo.calls("sendMessage"),
        r.len() + 3,
        "three refused attempts, then every message once"
    );
    b.stop().await;
}

#[tokio::test]
async fn the_webhook_refuses_a_wrong_secret_and_applies_an_update_once() {
    let secret = "webhook-secret-8chars";
    let b = spawn_both(Some(secret)).await;
    let addr = b.rt.webhook.expect("webhook mode");
    let url = format!("http://{addr}{}", zalo::webhook::PATH);
    let code = b.bot.invite(Some("mgso"), "secretary").await;
    let update = b
        .zalo
        .update("message.text.received", SEC, "Lò Văn Minh", json!({ "text": code }));
    let http = reqwest::Client::new();
    let pool = b.bot.pool().clone();
    let count = |sql: &'static str| {
        let pool = pool.clone();
        async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(&pool).await.unwrap() }
    };

    for wrong in [None, Some("webhook-secret-8chart"), Some("short")] {
        let mut req = http.post(&url).json(&update);
        if let Some(w) = wrong {
            req = req.header(zalo::SECRET_HEADER, w);
        }
        let resp = req.send().await.expect("webhook answers");
        assert_eq!(resp.status(), reqwest::StatusCode::FORBIDDEN, "secret {wrong:?}");
    }
    assert_eq!(
        count("SELECT COUNT(*) FROM processed_updates").await,
        0,
        "nothing applied"
    );
    assert_eq!(count("SELECT COUNT(*) FROM members").await, 0);

    // The right secret; the body wrapped as some SDKs show it. Answered after the commit.
    let wrapped = json!({ "ok": true, "result": update });
    for _ in 0..2 {
        let resp = http
            .post(&url)
            .header(zalo::SECRET_HEADER, secret)
            .json(&wrapped)
            .send()
            .await
            .expect("webhook answers");
        assert_eq!(resp.status(), reqwest::StatusCode::OK);
    }
    assert_eq!(
        count("SELECT COUNT(*) FROM processed_updates WHERE channel = 'zalo'").await,
        1
    );
    assert_eq!(count("SELECT COUNT(*) FROM members WHERE channel = 'zalo'").await, 1);
    let welcome = b.zalo.next_for(SEC, WAIT).await.expect("the welcome");
    assert!(welcome.contains("Chào đồng chí"), "{welcome}");
    b.settled(SEC).await;
    let outbox = count("SELECT COUNT(*) FROM outbox WHERE channel = 'zalo'").await;
    assert_eq!(
        b.zalo.history_for(SEC).len() as i64,
        outbox,
        "the second delivery sent nothing"
    );
    b.stop().await;
}

#[test]
fn zalo_numbers_never_meet_telegram_or_console_ids() {
    for row in [1, 2, 1_000_000_000] {
        let n = zalo::number_of(row);
        assert!(n < -1_000_000_000_000_000, "{n}");
        assert_eq!(zalo::row_of(n), row);
    }
}

#[tokio::test]
async fn an_update_polled_twice_is_applied_and_answered_once() {
    let b = spawn_both(None).await;
    let code = b.bot.invite(Some("mgso"), "secretary").await;
    let update = b.zalo.update(
        "message.text.received",
        SEC,
        "Lò Văn Minh",
        json!({ "text": format!("/start {code}") }),
    );
    let first = b.send(SEC, update.clone()).await;
    assert!(all(&first).contains("Chào đồng chí"), "{}", all(&first));
    // Zalo hands the same message over again, then a new one: only the new one is answered.
    b.zalo.push(update);
    let r = b.say(SEC, "/menu").await;
    // Had the duplicate been applied, its answer (the invite is used) would come first.
    assert!(r[0].contains("Đề cương (0/24)"), "{}", all(&r));
    assert!(
        !all(&r).contains("vẫn giữ nguyên") && !all(&r).contains("Chào đồng chí"),
        "{}",
        all(&r)
    );
    let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM processed_updates WHERE channel = 'zalo'")
        .fetch_one(b.bot.pool())
        .await
        .unwrap();
    assert_eq!(applied, 2, "the /start and the /menu");
    b.stop().await;
}

#[tokio::test]
async fn run_without_any_token_says_what_to_set() {
    let dir = tempfile::tempdir().unwrap();
    let settings =
        chibo_bot::config::Settings::with_database(format!("sqlite://{}", dir.path().join("bot.db").display()));
    let app = chibo_bot::startup::Application::build(settings, Utc::now())
        .await
        .expect("application builds");
    let e = app.run().await.expect_err("nothing to serve").to_string();
    assert!(e.contains("TELOXIDE_TOKEN") && e.contains("ZALO_BOT_TOKEN"), "{e}");
}
