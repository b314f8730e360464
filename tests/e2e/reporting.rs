//! A secretary scripted through Telegram as a new user would: deep link, guided flow,
//! shortcuts, mistakes, submission; then every stored value is checked in SQLite.

use chibo_bot::form::Form;

use crate::helpers::{joined, last, spawn_bot};

const CHAT: i64 = 5_001;
const USER: i64 = 5_001;

pub(crate) const B1_THON: [&str; 13] = ["10", "2", "1", "3", "4", "0", "0", "120", "87,5", "12", "4", "5", "1,5"];
pub(crate) const B1_COQUAN: [&str; 13] = ["3", "2", "0", "1", "0", "0", "0", "18", "95", "10", "4", "4", "90p"];
pub(crate) const B2_THON: &str = "10 0 10 2 8 10 0 2 6 2 1 3 2 4 3 6 1";
pub(crate) const B2_COQUAN: &str = "3 0 3 0 0 3 1 2 0 0 3 0 0 0 3 0 0";
pub(crate) const B3_THON: &str = "20 20 20 20 20 20 20 15 15 10 10 10";
pub(crate) const B3_COQUAN: &str = "10 10 5 5 0 10 10 5 0 5 0 0";
pub(crate) const B4_THON: &str = "10 10 6 8 2 1 3";

/// What a stored figure should be for a typed token.
pub(crate) fn stored(token: &str) -> String {
    match token {
        "87,5" => "87.5".into(),
        "1,5" | "90p" => "1.5".into(),
        t => t.into(),
    }
}

pub(crate) fn answer_text(id: &str) -> String {
    format!("Đảng bộ xã Mường So báo cáo mục {id}: các chi bộ thôn, bản và chi bộ cơ quan đã thực hiện nghiêm túc.")
}

#[tokio::test]
async fn a_secretary_fills_and_submits_the_whole_report_and_every_value_is_stored() {
    let bot = spawn_bot().await;
    let form = Form::embedded();
    bot.fake.set_user(USER, "Lò Văn Minh", Some("minhlv"));
    let code = bot.invite(Some("mgso"), "secretary").await;

    // Deep link: t.me/<bot>?start=<code> arrives as /start <code>.
    let m = bot.say(CHAT, USER, &format!("/start {code}")).await;
    assert!(joined(&m).contains("Đảng bộ xã Mường So"), "{}", joined(&m));

    // --- cell types first, in the welcome: keep thôn and cơ quan only.
    let mut pick = last(&m).clone();
    assert!(
        pick.text_or_caption().contains("loại hình"),
        "{}",
        pick.text_or_caption()
    );
    for t in ["Trường học", "Y tế", "Quân sự", "Công an"] {
        let label = pick
            .button_labels()
            .into_iter()
            .find(|l| l.contains(t))
            .map(str::to_owned)
            .expect(t);
        pick = last(&bot.press(CHAT, USER, &pick, &label).await).clone();
    }
    assert!(pick.button_labels().contains(&"✅ Thôn, bản"));
    assert!(pick.button_labels().contains(&"⬜ Công an"));
    let m = bot.press(CHAT, USER, &pick, "Xong, tiếp tục").await;
    assert!(joined(&m).contains("Mục I.1"), "the outline follows: {}", joined(&m));

    // --- the outline: guided for most headings, the shortcut for the last four.
    let answers: Vec<String> = form.answer_nodes().map(|n| n.id.clone()).collect();
    assert_eq!(answers.len(), 24);
    // I.1 in two messages: the second added with «Bổ sung».
    let m = bot.say(CHAT, USER, "Phần đầu.").await;
    assert!(joined(&m).contains("Đã lưu mục I.1"), "{}", joined(&m));
    bot.press(CHAT, USER, last(&m), "Bổ sung mục I.1").await;
    let mut m = bot.say(CHAT, USER, &answer_text("I.1")).await;
    for id in &answers[1..20] {
        assert!(
            joined(&m).contains(&format!("📝 Mục {id} —")),
            "expected heading {id}: {}",
            joined(&m)
        );
        m = bot.say(CHAT, USER, &answer_text(id)).await;
        assert!(joined(&m).contains(&format!("Đã lưu mục {id}")), "{}", joined(&m));
    }
    let mut r = Vec::new();
    for id in &answers[20..] {
        r = bot.say(CHAT, USER, &format!("/traloi {id} {}", answer_text(id))).await;
        assert!(joined(&r).contains(&format!("Đã lưu mục {id}")), "{}", joined(&r));
    }

    // --- Biểu 1, thôn: a whole row with a mistake in the size buckets, then fixed.
    let m = bot.press(CHAT, USER, last(&r), "Làm tiếp").await;
    assert!(joined(&m).contains("Biểu 1 — Thôn, bản"), "{}", joined(&m));
    let mut wrong = B1_THON.to_vec();
    wrong[1] = "3";
    let m = bot.say(CHAT, USER, &wrong.join(" ")).await;
    assert!(joined(&m).contains("❌"), "{}", joined(&m));
    let m = bot.say(CHAT, USER, "2=2").await;
    assert!(
        joined(&m).contains("Biểu 1 — Cơ quan"),
        "moves to the next row: {}",
        joined(&m)
    );

    // --- Biểu 1, cơ quan: one value at a time; 10 meetings a year needs a confirmation.
    let mut reply = Vec::new();
    for v in B1_COQUAN {
        reply = bot.say(CHAT, USER, v).await;
    }
    assert!(joined(&reply).contains("⚠️"), "{}", joined(&reply));
    let m = bot.press(CHAT, USER, last(&reply), "Đúng, giữ nguyên").await;
    assert!(joined(&m).contains("Biểu 2 — Thôn, bản"), "{}", joined(&m));

    // --- Biểu 2, 3, 4 by whole rows; the last row leads to the header fields.
    for (row, next) in [
        (B2_THON, "Biểu 2 — Cơ quan"),
        (B2_COQUAN, "Biểu 3 — Thôn, bản"),
        (B3_THON, "Biểu 3 — Cơ quan"),
        (B3_COQUAN, "Biểu 4 — Thôn, bản"),
        (B4_THON, "Số báo cáo"),
    ] {
        let m = bot.say(CHAT, USER, row).await;
        assert!(joined(&m).contains(next), "after {row}: {}", joined(&m));
    }

    // --- header fields, guided, with a bad date first; the last one leads to the review.
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
        if id == "HD.ngay" {
            let r = bot.say(CHAT, USER, "ngày mai").await;
            assert!(joined(&r).contains("Ngày chưa đúng"), "{}", joined(&r));
        }
        r = bot.say(CHAT, USER, typed).await;
        assert!(joined(&r).contains("💾"), "{id}: {}", joined(&r));
    }
    assert!(joined(&r).contains("Xem lại báo cáo"), "{}", joined(&r));

    // --- things the bot cannot use still get an answer.
    let before = bot.fake.sent_count("sendMessage");
    bot.fake.send_photo(CHAT, USER);
    let r = bot
        .fake
        .next_for(CHAT, crate::helpers::WAIT)
        .await
        .expect("answer to a photo");
    assert!(
        r.text_or_caption().contains("chỉ nhận tin nhắn chữ"),
        "{}",
        r.text_or_caption()
    );
    assert_eq!(
        bot.fake.sent_count("sendMessage"),
        before + 1,
        "the refusal and the re-prompt are one message"
    );
    let r = bot.say(CHAT, USER, "/khonghieu").await;
    assert!(joined(&r).contains("Không có lệnh /khonghieu"), "{}", joined(&r));

    // --- review and submit.
    let r = bot.say(CHAT, USER, "/kiemtra").await;
    assert!(!joined(&r).contains("Còn thiếu"), "nothing is missing: {}", joined(&r));
    assert!(!joined(&r).contains("Lỗi phải sửa"), "{}", joined(&r));
    let r = bot.say(CHAT, USER, "/nop").await;
    let r = bot.press(CHAT, USER, last(&r), "Nộp ngay").await;
    assert!(joined(&r).contains("Đã nộp báo cáo"), "{}", joined(&r));
    let r = bot.say(CHAT, USER, "/traloi I.1 sửa sau khi nộp").await;
    assert!(joined(&r).contains("không sửa được"), "{}", joined(&r));

    // --- the database holds exactly what was typed.
    for id in &answers {
        let want = if id == "I.1" {
            format!("Phần đầu.\n{}", answer_text(id))
        } else {
            answer_text(id)
        };
        assert_eq!(bot.answer("mgso", id, "").await, Some(Some(want)), "heading {id}");
    }
    let tables = [
        ("B1", "thon", B1_THON.join(" ")),
        ("B1", "coquan", B1_COQUAN.join(" ")),
        ("B2", "thon", B2_THON.into()),
        ("B2", "coquan", B2_COQUAN.into()),
        ("B3", "thon", B3_THON.into()),
        ("B3", "coquan", B3_COQUAN.into()),
        ("B4", "thon", B4_THON.into()),
    ];
    for (t, row, typed) in tables {
        let table = form.table(t).unwrap();
        for (c, tok) in table.columns.iter().zip(typed.split(' ')) {
            let key = format!("{t}.{}", c.key);
            assert_eq!(
                bot.answer("mgso", &key, row).await,
                Some(Some(stored(tok))),
                "{key} {row}"
            );
        }
    }
    assert_eq!(
        bot.answer("mgso", "B4.villages_2018", "coquan").await,
        None,
        "no Biểu 4 row for agencies"
    );
    for (id, _, want) in fields {
        assert_eq!(bot.answer("mgso", id, "").await, Some(Some(want.to_owned())), "{id}");
    }
    let (status, rows): (String, i64) = sqlx::query_as(
        "SELECT r.status, (SELECT COUNT(*) FROM report_rows x WHERE x.unit_id = r.unit_id) FROM reports r JOIN units u ON u.id = r.unit_id WHERE u.code = 'mgso'",
    )
    .fetch_one(bot.pool())
    .await
    .unwrap();
    assert_eq!((status.as_str(), rows), ("submitted", 2));
    let fixed: (Option<String>, Option<String>) = sqlx::query_as(
        "SELECT old_value, new_value FROM answer_history WHERE key = 'B1.cells_size_4_5' AND row = 'thon' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(bot.pool())
    .await
    .unwrap();
    assert_eq!(
        fixed,
        (Some("3".into()), Some("2".into())),
        "the correction is in the history"
    );
    let confirmed: Vec<(String, String)> = sqlx::query_as("SELECT rule_id, row FROM confirmed_warnings")
        .fetch_all(bot.pool())
        .await
        .unwrap();
    assert_eq!(confirmed, vec![("R-B1-6".to_owned(), "coquan".to_owned())]);
    bot.outbox_drained().await;
    let unsent: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL")
        .fetch_one(bot.pool())
        .await
        .unwrap();
    assert_eq!(unsent, 0, "every committed message was delivered");
    assert!(
        bot.fake.unanswered_callbacks().is_empty(),
        "every button press was answered"
    );
    bot.stop().await;
}
