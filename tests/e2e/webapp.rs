//! The web form's API, over real HTTP: who may read and write, the same rules as the chat,
//! a save sent twice applied once, the chat's receipt through the fake Bot API.

use chibo_bot::webapp::auth;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::fake_telegram::FakeTelegram;
use crate::helpers::{TestBot, joined, last, spawn_with};

pub const SECRETARY: i64 = 9_301;
const OTHER: i64 = 9_302;

/// Launch data signed as Telegram signs it (by the fake's bot token).
pub fn init_data(user: i64, age_secs: i64) -> String {
    let at = chrono::Utc::now().timestamp() - age_secs;
    auth::sign(
        &[
            ("auth_date", at.to_string()),
            ("query_id", "AAHdF6IQAAAAAN0XohDhrOrc".into()),
            (
                "user",
                format!(r#"{{"id":{user},"first_name":"Minh","language_code":"vi"}}"#),
            ),
        ],
        FakeTelegram::TOKEN,
    )
}

/// The bot with its web form on a free local port, and a secretary of Mường So (three cell
/// types) and one of the town.
pub async fn web_bot() -> (TestBot, String) {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeTelegram::start().await;
    let bot = spawn_with(dir, fake, true, |s| {
        s.webapp = Some((
            "127.0.0.1:0".parse().unwrap(),
            url::Url::parse("http://127.0.0.1/").unwrap(),
        ))
    })
    .await;
    for (chat, unit) in [(SECRETARY, "mgso"), (OTHER, "ttphongtho")] {
        let code = bot.invite(Some(unit), "secretary").await;
        bot.say(chat, chat, &format!("/start {code}")).await;
        bot.say(chat, chat, "1 3 4").await;
    }
    let base = format!("http://{}", bot.runtime.web_addr.expect("the web form listens"));
    (bot, base)
}

async fn get(base: &str, init: &str) -> (StatusCode, Value) {
    let r = reqwest::Client::new()
        .get(format!("{base}/api/form"))
        .header("X-Telegram-Init-Data", init)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

pub async fn post(base: &str, init: &str, body: &Value) -> (StatusCode, Value) {
    let r = reqwest::Client::new()
        .post(format!("{base}/api/save"))
        .header("X-Telegram-Init-Data", init)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn history(bot: &TestBot) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM answer_history")
        .fetch_one(bot.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn the_form_reads_and_saves_only_the_member_s_own_unit_with_the_chat_s_rules() {
    let (bot, base) = web_bot().await;
    let me = init_data(SECRETARY, 0);
    // The menu offers the form as a Mini App button.
    let r = bot.say(SECRETARY, SECRETARY, "/menu").await;
    let open = last(&r)
        .buttons
        .iter()
        .flatten()
        .find(|b| b.text.contains("Mở biểu mẫu"))
        .cloned();
    assert!(
        open.as_ref().and_then(|b| b.web_app.clone()).is_some(),
        "a web_app button: {:?}",
        last(&r).button_labels()
    );

    let (status, view) = get(&base, &me).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["unit"], "Đảng bộ xã Mường So");
    let rows: Vec<&str> = view["tables"][0]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(rows, ["Thôn, bản", "Cơ quan", "Trường học"]);
    assert_eq!(
        view["tables"][0]["rows"][0]["inputs"][1]["label"],
        "Chi bộ có 4–5 đảng viên"
    );

    // A wrong value refuses the whole save, with the chat's words.
    let before = history(&bot).await;
    let (status, body) = post(
        &base,
        &me,
        &json!({"id": "s1", "values": [
            {"key": "B1.cells_total", "row": "thon", "value": "10"},
            {"key": "B1.attendance_rate_pct", "row": "thon", "value": "120"},
        ]}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("không được quá 100"),
        "{body}"
    );
    assert_eq!(history(&bot).await, before, "nothing stored");

    // A good save, sent twice, is applied once; the chat gets one receipt.
    let save = json!({"id": "s2", "values": [
        {"key": "B1.cells_total", "row": "thon", "value": "10"},
        {"key": "B1.attendance_rate_pct", "row": "thon", "value": "87,5"},
        {"key": "HD.so", "row": "", "value": "15-BC/ĐU"},
    ]});
    let (status, body) = post(&base, &me, &save).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!((body["figures"].as_u64(), body["answers"].as_u64()), (Some(2), Some(1)));
    let receipt = bot
        .fake
        .next_for(SECRETARY, crate::helpers::WAIT)
        .await
        .expect("a receipt");
    assert!(
        receipt
            .text_or_caption()
            .contains("Đã lưu từ biểu mẫu: 2 số liệu, 1 mục"),
        "{}",
        receipt.text_or_caption()
    );
    let after = history(&bot).await;
    let (status, body) = post(&base, &me, &save).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["duplicate"], true);
    assert_eq!(history(&bot).await, after, "the same save applied once");
    assert_eq!(
        bot.answer("mgso", "B1.attendance_rate_pct", "thon").await,
        Some(Some("87.5".into()))
    );
    let from_form: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM answer_history WHERE source = 'form'")
        .fetch_one(bot.pool())
        .await
        .unwrap();
    assert_eq!(from_form, 3);

    // Another unit's member reads and writes their own unit only.
    let other = init_data(OTHER, 0);
    let (_, view) = get(&base, &other).await;
    assert_eq!(view["unit"], "Đảng bộ thị trấn Phong Thổ");
    let (status, _) = post(
        &base,
        &other,
        &json!({"id": "o1", "values": [{"key": "B1.cells_total", "row": "thon", "value": "99"}]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        bot.answer("mgso", "B1.cells_total", "thon").await,
        Some(Some("10".into()))
    );
    assert_eq!(
        bot.answer("ttphongtho", "B1.cells_total", "thon").await,
        Some(Some("99".into()))
    );
    bot.stop().await;
}

#[tokio::test]
async fn forged_expired_strangers_oversized_and_late_saves_are_refused() {
    let (bot, base) = web_bot().await;
    let before = history(&bot).await;
    let save = json!({"id": "x1", "values": [{"key": "B1.cells_total", "row": "thon", "value": "7"}]});
    let forged = init_data(SECRETARY, 0).replace("Minh", "Minx");
    let signed_by_another = auth::sign(
        &[
            ("auth_date", chrono::Utc::now().timestamp().to_string()),
            ("user", format!(r#"{{"id":{SECRETARY}}}"#)),
        ],
        "999:ANOTHER",
    );
    for (what, init, want) in [
        ("forged", forged, StatusCode::UNAUTHORIZED),
        ("another bot's", signed_by_another, StatusCode::UNAUTHORIZED),
        ("expired", init_data(SECRETARY, 2 * 3600), StatusCode::UNAUTHORIZED),
        ("none", String::new(), StatusCode::UNAUTHORIZED),
        ("not a member", init_data(4242, 0), StatusCode::FORBIDDEN),
    ] {
        let (status, body) = post(&base, &init, &save).await;
        assert_eq!(status, want, "{what}: {body}");
        assert!(
            body["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{what}: a reason"
        );
        let (status, _) = get(&base, &init).await;
        assert_eq!(status, want, "{what} (read)");
    }
    assert_eq!(history(&bot).await, before, "nothing stored");
    // An oversized body.
    let huge = "a".repeat(chibo_bot::webapp::MAX_BODY + 1);
    let (status, _) = post(
        &base,
        &init_data(SECRETARY, 0),
        &json!({"id": "big", "values": [{"key": "II", "row": "", "value": huge}]}),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(history(&bot).await, before);
    // After submission the report is read-only.
    let r = bot.say(SECRETARY, SECRETARY, "/nop").await;
    let r = bot.press(SECRETARY, SECRETARY, last(&r), "Nộp ngay").await;
    assert!(joined(&r).contains("Đã nộp"), "{}", joined(&r));
    let before = history(&bot).await;
    let (status, body) = post(&base, &init_data(SECRETARY, 0), &save).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["error"].as_str().unwrap().contains("đã nộp"));
    assert_eq!(history(&bot).await, before);
    bot.stop().await;
}
