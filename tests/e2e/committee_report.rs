//! The board asks for the draft of the committee's own report in the chat.

use crate::helpers::{joined, last, spawn_bot};

const BOARD: i64 = 9_401;
const SECRETARY: i64 = 9_402;

#[tokio::test]
async fn the_board_gets_the_draft_report_as_a_word_document() {
    let bot = spawn_bot().await;
    let code = bot.invite(None, "board").await;
    let r = bot.say(BOARD, BOARD, &format!("/start {code}")).await;
    assert!(last(&r).button_labels().iter().any(|l| l.contains("Dự thảo báo cáo")));
    // One unit answers a heading and submits.
    let code = bot.invite(Some("mgso"), "secretary").await;
    bot.say(SECRETARY, SECRETARY, &format!("/start {code}")).await;
    bot.say(SECRETARY, SECRETARY, "1 3 4").await;
    bot.say(SECRETARY, SECRETARY, "Mường So: các chi bộ duy trì sinh hoạt đều.")
        .await;
    let r = bot.say(SECRETARY, SECRETARY, "/nop").await;
    bot.press(SECRETARY, SECRETARY, last(&r), "Nộp ngay").await;
    let notice = bot
        .fake
        .next_for(BOARD, crate::helpers::WAIT)
        .await
        .expect("the board is told");
    assert!(notice.text_or_caption().contains("đã nộp báo cáo"));

    let r = bot.say(BOARD, BOARD, "/baocao").await;
    let doc = r.iter().find_map(|m| m.document.clone()).expect("a document");
    assert!(doc.0.ends_with(".docx"), "{}", doc.0);
    assert!(joined(&r).contains("tổng hợp từ 1/19 đơn vị"), "{}", joined(&r));
    docx_rs::read_docx(&doc.1).expect("a Word document docx-rs can read");
    let xml = {
        use std::io::Read;
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(doc.1)).unwrap();
        let mut s = String::new();
        z.by_name("word/document.xml").unwrap().read_to_string(&mut s).unwrap();
        s
    };
    assert!(
        xml.contains("Mường So: các chi bộ duy trì sinh hoạt đều."),
        "the unit's answer"
    );
    assert!(xml.contains("Đảng bộ xã Mường So"), "with the unit's name");
    bot.stop().await;
}
