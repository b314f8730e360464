//! The district board: progress, the merged workbook in chat, review, return and accept.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};

use crate::helpers::{TestBot, joined, last, spawn_bot};

const BOARD: i64 = 9_001;

const B1_YTE: &str = "1 0 0 0 1 0 0 25 90 12 4 5 2";
const B2_YTE: &str = "1 1 0 1 3 1 0 1 0 0 1 0 0 0 1 0 0";
const B3_YTE: &str = "2 2 2 2 0 2 2 2 2 2 2 0";

async fn register(bot: &TestBot, chat: i64, unit: Option<&str>, role: &str) {
    let code = bot.invite(unit, role).await;
    let r = bot.say(chat, chat, &format!("/start {code}")).await;
    assert!(joined(&r).contains("Chào đồng chí"), "{}", joined(&r));
}

/// A chi bộ cơ sở (one health-unit row) fills everything with the shortcuts and submits.
async fn submit_full_report(bot: &TestBot, chat: i64) {
    for (t, row) in [("B1", B1_YTE), ("B2", B2_YTE), ("B3", B3_YTE)] {
        let r = bot.say(chat, chat, &format!("/nhap {t} yte {row}")).await;
        assert!(joined(&r).contains("hợp lệ"), "{t}: {}", joined(&r));
    }
    let form = chibo_bot::form::Form::embedded();
    for n in form.answer_nodes() {
        bot.say(
            chat,
            chat,
            &format!("/traloi {} Trả lời {} của Trung tâm Y tế", n.id, n.id),
        )
        .await;
    }
    for (f, v) in [
        ("HD.so", "07-BC/CB"),
        ("HD.ngay", "04/12/2023"),
        ("HD.nguoi_lap", "Vàng Thị Lan"),
        ("HD.nguoi_ky", "Lò Văn Tú"),
        ("HD.chuc_vu", "Bí thư"),
        ("HD.dien_thoai", "0987654321"),
    ] {
        bot.say(chat, chat, &format!("/traloi {f} {v}")).await;
    }
    let r = bot.say(chat, chat, "/nop").await;
    let r = bot.press(chat, chat, last(&r), "Nộp ngay").await;
    assert!(joined(&r).contains("Đã nộp báo cáo"), "{}", joined(&r));
}

fn cells(bytes: &[u8], sheet: &str) -> Vec<Vec<Data>> {
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.to_vec())).expect("a valid xlsx");
    let range = wb
        .worksheet_range(sheet)
        .unwrap_or_else(|e| panic!("sheet {sheet}: {e}"));
    range.rows().map(|r| r.to_vec()).collect()
}

fn sheet_has_text(rows: &[Vec<Data>], needle: &str) -> bool {
    rows.iter()
        .flatten()
        .any(|c| matches!(c, Data::String(s) if s.contains(needle)))
}

#[tokio::test]
async fn the_board_follows_progress_and_gets_the_merged_workbook_in_chat() {
    let bot = spawn_bot().await;
    register(&bot, BOARD, None, "board").await;
    register(&bot, 101, Some("ttyt"), "secretary").await;
    register(&bot, 102, Some("daosan"), "secretary").await;
    bot.say(102, 102, "/traloi I.2.1 Bản nháp của Dào San").await;
    submit_full_report(&bot, 101).await;
    // The board hears about the submission.
    let note = bot
        .fake
        .next_for(BOARD, crate::helpers::WAIT)
        .await
        .expect("board notified");
    assert!(
        note.text_or_caption().contains("Chi bộ Trung tâm Y tế huyện đã nộp"),
        "{}",
        note.text_or_caption()
    );

    let r = bot.say(BOARD, BOARD, "/tiendo").await;
    let t = joined(&r);
    assert!(t.contains("Đã nộp: 1/19"), "{t}");
    assert!(t.contains("Đảng bộ xã Dào San — đang nhập"), "{t}");
    assert!(t.contains("Đảng bộ xã Mường So — chưa bắt đầu"), "{t}");

    let r = bot.say(BOARD, BOARD, "/tonghop").await;
    let doc = r.iter().find_map(|m| m.document.clone()).expect("a document");
    assert!(doc.0.ends_with(".xlsx"), "{}", doc.0);
    let b1 = cells(&doc.1, "Biểu 1");
    assert!(sheet_has_text(&b1, "Chi bộ Trung tâm Y tế huyện"));
    let is = |rows: &[Vec<Data>], text: &str| rows.iter().flatten().any(|c| matches!(c, Data::String(s) if s == text));
    assert!(!is(&b1, "Đảng bộ xã Dào San"), "drafts are left out by default");
    assert!(
        sheet_has_text(&b1, "Tổng hợp 1/19 đơn vị: 1 đã nộp. Chưa tổng hợp 18 đơn vị:")
            && sheet_has_text(&b1, "Đảng bộ xã Dào San (đang nhập)"),
        "the coverage names the units left out"
    );
    // No number yet: room to write it; the date is the deadline's, never the export clock's.
    let deadline = bot.engine.deadline_day();
    let subtitle = format!(
        "(Kèm theo Báo cáo số ……, ngày {} của Ban Thường vụ Huyện ủy)",
        deadline.format("%d/%m/%Y")
    );
    assert!(is(&b1, &subtitle), "{subtitle}");
    assert!(is(
        &b1,
        &format!("Phong Thổ, ngày {}", deadline.format("%d tháng %m năm %Y"))
    ));
    assert!(
        b1.iter().flatten().any(|c| matches!(c, Data::Float(x) if *x == 25.0)),
        "members_total 25 is in Biểu 1"
    );
    let progress = cells(&doc.1, "Tiến độ");
    assert!(sheet_has_text(&progress, "Đảng bộ xã Dào San"));
    let outline = cells(&doc.1, "Đề cương");
    assert!(sheet_has_text(&outline, "Trả lời III.2.2.a của Trung tâm Y tế"));

    let r = bot.say(BOARD, BOARD, "/tonghop tatca").await;
    let doc = r
        .iter()
        .find_map(|m| m.document.clone())
        .expect("a document with drafts");
    assert!(sheet_has_text(&cells(&doc.1, "Đề cương"), "Bản nháp của Dào San"));

    // The board sets the merged report's number and date; the workbook carries them.
    let mut r = bot.say(BOARD, BOARD, "/tonghop so 25-BC/HU ngay 15/12/2023").await;
    // The confirmation is committed with the step; the workbook is built and sent after it.
    if r.iter().all(|m| m.document.is_none()) {
        r.push(
            bot.fake
                .next_for(BOARD, crate::helpers::WAIT)
                .await
                .expect("the workbook"),
        );
    }
    assert!(
        joined(&r).contains("Đã ghi báo cáo tổng hợp số 25-BC/HU, ngày 15/12/2023."),
        "{}",
        joined(&r)
    );
    let doc = r.iter().find_map(|m| m.document.clone()).expect("a document");
    let b1 = cells(&doc.1, "Biểu 1");
    assert!(is(
        &b1,
        "(Kèm theo Báo cáo số 25-BC/HU, ngày 15/12/2023 của Ban Thường vụ Huyện ủy)"
    ));
    assert!(is(&b1, "Phong Thổ, ngày 15 tháng 12 năm 2023"));
    // Kept for the next export; a wrong date is refused with the way to write it.
    let r = bot.say(BOARD, BOARD, "/tonghop").await;
    let doc = r.iter().find_map(|m| m.document.clone()).expect("a document");
    assert!(is(&cells(&doc.1, "Đề cương"), "Phong Thổ, ngày 15 tháng 12 năm 2023"));
    let r = bot.say(BOARD, BOARD, "/tonghop ngay 31/02/2024").await;
    assert!(r.iter().all(|m| m.document.is_none()));
    assert!(joined(&r).contains("Ngày «31/02/2024» không đúng"), "{}", joined(&r));
    bot.stop().await;
}

#[tokio::test]
async fn a_returned_report_is_corrected_resubmitted_and_accepted() {
    let bot = spawn_bot().await;
    register(&bot, BOARD, None, "board").await;
    register(&bot, 201, Some("ttyt"), "secretary").await;
    submit_full_report(&bot, 201).await;
    bot.fake
        .next_for(BOARD, crate::helpers::WAIT)
        .await
        .expect("board notified of the submission");

    // Review in the chat, then return with a reason.
    let r = bot.say(BOARD, BOARD, "/xem ttyt").await;
    assert!(
        joined(&r).contains("Chi bộ Trung tâm Y tế huyện — đã nộp"),
        "{}",
        joined(&r)
    );
    let r = bot.press(BOARD, BOARD, last(&r), "Trả lại").await;
    assert!(joined(&r).contains("lý do"), "{}", joined(&r));
    let r = bot.say(BOARD, BOARD, "Mục III.4 cần nêu rõ số cuộc kiểm tra.").await;
    assert!(joined(&r).contains("Đã trả lại"), "{}", joined(&r));
    let note = bot
        .fake
        .next_for(201, crate::helpers::WAIT)
        .await
        .expect("secretary notified");
    assert!(
        note.text_or_caption()
            .contains("Mục III.4 cần nêu rõ số cuộc kiểm tra."),
        "{}",
        note.text_or_caption()
    );

    // The secretary can edit again, and resubmits.
    let r = bot.say(201, 201, "/traloi III.4 Đã kiểm tra 4 cuộc.").await;
    assert!(joined(&r).contains("Đã lưu mục III.4"), "{}", joined(&r));
    let r = bot.say(201, 201, "/nop").await;
    bot.press(201, 201, last(&r), "Nộp ngay").await;
    let note = bot
        .fake
        .next_for(BOARD, crate::helpers::WAIT)
        .await
        .expect("board notified again");
    assert!(note.text_or_caption().contains("nộp lại"), "{}", note.text_or_caption());

    let r = bot.say(BOARD, BOARD, "/duyet ttyt").await;
    assert!(joined(&r).contains("Đã duyệt"), "{}", joined(&r));
    let note = bot
        .fake
        .next_for(201, crate::helpers::WAIT)
        .await
        .expect("secretary told of acceptance");
    assert!(note.text_or_caption().contains("đã được Ban Tổ chức Huyện ủy duyệt"));
    let r = bot.say(201, 201, "/traloi III.4 sửa nữa").await;
    assert!(joined(&r).contains("không sửa được"), "{}", joined(&r));

    let events: Vec<(String, Option<String>, Option<i64>)> = sqlx::query_as(
        "SELECT e.action, e.note, m.user_id FROM report_events e LEFT JOIN members m ON m.id = e.actor ORDER BY e.id",
    )
    .fetch_all(bot.pool())
    .await
    .unwrap();
    assert_eq!(
        events,
        vec![
            ("submit".into(), None, Some(201)),
            (
                "return".into(),
                Some("Mục III.4 cần nêu rõ số cuộc kiểm tra.".into()),
                Some(BOARD)
            ),
            ("submit".into(), None, Some(201)),
            ("accept".into(), None, Some(BOARD)),
        ]
    );
    assert_eq!(
        bot.answer("ttyt", "III.4", "").await,
        Some(Some("Đã kiểm tra 4 cuộc.".into()))
    );
    bot.stop().await;
}

#[tokio::test]
async fn board_commands_are_refused_to_strangers_and_secretaries() {
    let bot = spawn_bot().await;
    register(&bot, 301, Some("ttyt"), "secretary").await;
    for cmd in ["/tiendo", "/tonghop", "/xem ttyt", "/duyet ttyt", "/tralai ttyt sai"] {
        let r = bot.say(301, 301, cmd).await;
        assert!(joined(&r).contains("chỉ dành cho Ban Tổ chức"), "{cmd}: {}", joined(&r));
        let r = bot.say(302, 302, cmd).await;
        assert!(joined(&r).contains("mã mời"), "stranger {cmd}: {}", joined(&r));
        assert!(r.iter().all(|m| m.document.is_none()));
    }
    bot.stop().await;
}
