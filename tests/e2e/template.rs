//! The Excel template round trip through the fake Bot API: the unit's template sent with
//! /mau, filled as in Excel, sent back, checked, confirmed and stored; and every bad file
//! refused with its reason and the database unchanged.

use std::io::{Cursor, Write as _};

use chibo_bot::form::{AnswerKey, FieldKind, Form};
use chibo_bot::template::{self, InputKind};

use crate::fake_telegram::Sent;
use crate::helpers::{TestBot, joined, last, spawn_bot, valid_row};
use crate::xlsx_edit::{Cell, fill};

const CHAT: i64 = 9_201;
const TYPES: [&str; 3] = ["thon", "coquan", "giaoduc"];

/// A value for every input of the template: valid and consistent across the tables.
fn value_for(i: &template::Input) -> Cell {
    match (&i.key, i.kind) {
        (AnswerKey::Heading(id), _) => Cell::Text(format!(
            "Mục {id} (từ Excel): chi bộ thôn, bản, chi bộ cơ quan và chi bộ trường học đều làm tốt."
        )),
        (AnswerKey::Field(id), InputKind::Field(kind)) => Cell::Text(match kind {
            FieldKind::Date => "05/12/2023".into(),
            FieldKind::Phone => "0912345678".into(),
            FieldKind::Text if id == "HD.so" => "15-BC/ĐU".into(),
            FieldKind::Text => "Lò Văn Minh".into(),
        }),
        (AnswerKey::Figure { table, column, cell }, _) => {
            let row = row_values(table, cell);
            let t = Form::embedded();
            let idx = t.table(table).unwrap().column_index(column).unwrap();
            Cell::Number(row[idx])
        }
        other => panic!("unexpected input {other:?}"),
    }
}

fn row_values(table: &str, cell: &str) -> Vec<f64> {
    valid_row(table, cell)
        .split(' ')
        .map(|v| v.replace(',', ".").parse().unwrap())
        .collect()
}

fn input_at<'a>(lay: &'a template::Layout, key: &AnswerKey) -> &'a template::Input {
    lay.inputs.iter().find(|i| &i.key == key).unwrap()
}

fn at(i: &template::Input) -> (String, String) {
    (i.sheet.clone(), template::cell_ref(i.row, i.col))
}

/// Answers and their history, to see that a refused file changed nothing.
async fn snapshot(bot: &TestBot) -> (Vec<String>, i64) {
    let answers = sqlx::query_scalar(
        "SELECT key || '|' || row || '|' || COALESCE(value, '') FROM answers ORDER BY unit_id, key, row",
    )
    .fetch_all(bot.pool())
    .await
    .unwrap();
    let history = sqlx::query_scalar("SELECT COUNT(*) FROM answer_history")
        .fetch_one(bot.pool())
        .await
        .unwrap();
    (answers, history)
}

async fn upload(bot: &TestBot, name: &str, bytes: Vec<u8>) -> Vec<Sent> {
    bot.upload(CHAT, CHAT, name, bytes).await
}

async fn registered() -> (TestBot, Vec<u8>) {
    let bot = spawn_bot().await;
    let code = bot.invite(Some("mgso"), "secretary").await;
    bot.say(CHAT, CHAT, &format!("/start {code}")).await;
    bot.say(CHAT, CHAT, "1 3 4").await;
    let r = bot.say(CHAT, CHAT, "/mau").await;
    let doc = r
        .iter()
        .find_map(|m| m.document.clone())
        .expect("the template is sent as a document");
    assert!(doc.0.ends_with(".xlsx"), "{}", doc.0);
    assert!(
        joined(&r).contains("ô màu vàng"),
        "the caption says how: {}",
        joined(&r)
    );
    (bot, doc.1)
}

#[tokio::test]
async fn a_filled_template_is_checked_confirmed_and_stored_once() {
    let (bot, blank) = registered().await;
    let form = Form::embedded();
    let rows: Vec<String> = TYPES.iter().map(|s| s.to_string()).collect();
    let lay = template::layout(&form, &rows);
    let cells: Vec<(String, String, Cell)> = lay
        .inputs
        .iter()
        .map(|i| {
            let (s, c) = at(i);
            (s, c, value_for(i))
        })
        .collect();
    let filled = fill(&blank, &cells);
    let before = snapshot(&bot).await;
    let r = upload(&bot, "mau-mgso.xlsx", filled.clone()).await;
    let t = joined(&r);
    assert!(t.contains("sẽ thay đổi 133 số liệu và 30 mục"), "{t}");
    assert!(!t.contains("❌"), "{t}");
    assert_eq!(
        snapshot(&bot).await,
        before,
        "nothing is written before the confirmation"
    );
    let summary = last(&r).clone();
    let r = bot.press(CHAT, CHAT, &summary, "Áp dụng").await;
    assert!(
        joined(&r).contains("Đã lưu từ tệp: 133 số liệu, 30 mục"),
        "{}",
        joined(&r)
    );
    for i in &lay.inputs {
        let want = match value_for(i) {
            Cell::Text(t) => t,
            Cell::Number(n) => format!("{n}"),
            Cell::Formula(_) => unreachable!(),
        };
        let got = bot.answer("mgso", &i.key.key(), i.key.row()).await.flatten();
        assert_eq!(got.as_deref(), Some(want.as_str()), "{}", i.key);
    }
    let from_file: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM answer_history WHERE source = 'file'")
        .fetch_one(bot.pool())
        .await
        .unwrap();
    assert_eq!(from_file, 163, "the history says where the values came from");
    // Pressing again, or the same file again, changes nothing.
    let after = snapshot(&bot).await;
    let r = bot.press(CHAT, CHAT, &summary, "Áp dụng").await;
    assert!(joined(&r).contains("Không có tệp nào đang chờ"), "{}", joined(&r));
    let r = upload(&bot, "mau-mgso.xlsx", filled).await;
    assert!(joined(&r).contains("giống hệt"), "{}", joined(&r));
    assert_eq!(snapshot(&bot).await, after);
    // The chat shows them: the review has nothing missing.
    let r = bot.say(CHAT, CHAT, "/kiemtra").await;
    assert!(
        joined(&r).contains("Đề cương 24/24 mục · Biểu 10/10 dòng · Thông tin 6/6"),
        "{}",
        joined(&r)
    );
    // A new template carries the stored values.
    let r = bot.say(CHAT, CHAT, "/mau").await;
    let again = r.iter().find_map(|m| m.document.clone()).unwrap().1;
    let reread = template::read::read(&form, &again).unwrap();
    assert_eq!(reread.values.len(), 163);
    bot.stop().await;
}

fn zip_bomb() -> Vec<u8> {
    let mut buf = Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        z.start_file("xl/workbook.xml", opts).unwrap();
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..200 {
            z.write_all(&zeros).unwrap();
        }
        z.finish().unwrap();
    }
    buf.into_inner()
}

#[tokio::test]
async fn every_bad_file_is_refused_with_its_reason_and_changes_nothing() {
    let (bot, blank) = registered().await;
    let form = Form::embedded();
    let rows: Vec<String> = TYPES.iter().map(|s| s.to_string()).collect();
    let lay = template::layout(&form, &rows);
    let count = at(input_at(&lay, &AnswerKey::figure("B1", "cells_total", "coquan")));
    let label = lay.labels.iter().find(|l| l.sheet == "Biểu 1" && l.row == 4).unwrap();
    let other_unit = {
        let meta = template::Meta {
            campaign: form.campaign.code.clone(),
            unit: "ttphongtho".into(),
            version: template::form_version(&form),
            rows: rows.clone(),
        };
        template::write(&form, &meta, "Đảng bộ thị trấn Phong Thổ", |_| None).unwrap()
    };
    let before = snapshot(&bot).await;
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "ghi-chu.txt",
            b"Chi bo co 10 dang vien".to_vec(),
            "không phải tệp Excel",
        ),
        ("trong.xlsx", Vec::new(), "trống"),
        ("to.xlsx", vec![b'x'; 6 * 1024 * 1024], "lớn quá 5 MB"),
        ("bom.xlsx", zip_bomb(), "giải nén ra quá lớn"),
        ("mau-khac.xlsx", other_unit, "mẫu của đơn vị mã ttphongtho"),
        (
            "xoa-hang.xlsx",
            fill(
                &blank,
                &[(
                    label.sheet.clone(),
                    template::cell_ref(label.row, label.col),
                    Cell::Text("Chi bộ khác".into()),
                )],
            ),
            "đã bị thêm, xóa hoặc di chuyển hàng, cột",
        ),
        (
            "cong-thuc.xlsx",
            fill(
                &blank,
                &[(count.0.clone(), count.1.clone(), Cell::Formula("1+2".into()))],
            ),
            "có công thức",
        ),
        (
            "chu.xlsx",
            fill(&blank, &[(count.0.clone(), count.1.clone(), Cell::Text("ba".into()))]),
            "không phải là số",
        ),
        (
            "am.xlsx",
            fill(&blank, &[(count.0.clone(), count.1.clone(), Cell::Number(-3.0))]),
            "không được âm",
        ),
    ];
    for (name, bytes, expect) in cases {
        let r = upload(&bot, name, bytes).await;
        let t = joined(&r);
        assert!(t.contains(expect), "{name}: {t}");
        assert!(!t.contains("Áp dụng"), "{name} cannot be applied: {t}");
        assert_eq!(snapshot(&bot).await, before, "{name} changed the database");
    }
    // A cell error names its place, as in the chat.
    let r = upload(
        &bot,
        "chu.xlsx",
        fill(&blank, &[(count.0.clone(), count.1.clone(), Cell::Number(2.5))]),
    )
    .await;
    assert!(
        joined(&r).contains(&format!("Biểu 1, ô {}: phải là số nguyên.", count.1)),
        "{}",
        joined(&r)
    );
    // A submitted report is read-only.
    for f in &form.report_fields {
        let v = match f.kind {
            FieldKind::Date => "05/12/2023",
            FieldKind::Phone => "0912345678",
            FieldKind::Text => "Lò Văn Minh",
        };
        bot.say(CHAT, CHAT, &format!("/traloi {} {v}", f.id)).await;
    }
    let r = bot.say(CHAT, CHAT, "/nop").await;
    bot.press(CHAT, CHAT, last(&r), "Nộp ngay").await;
    let before = snapshot(&bot).await;
    let filled = fill(&blank, &[(count.0.clone(), count.1.clone(), Cell::Number(3.0))]);
    let r = upload(&bot, "sau-khi-nop.xlsx", filled).await;
    assert!(
        joined(&r).contains("Báo cáo đã nộp nên không nhập từ tệp"),
        "{}",
        joined(&r)
    );
    assert_eq!(snapshot(&bot).await, before);
    bot.stop().await;
}

#[tokio::test]
async fn a_template_saved_again_by_libreoffice_still_imports() {
    let Some(soffice) = crate::helpers::libreoffice() else {
        return;
    };
    let (bot, blank) = registered().await;
    let form = Form::embedded();
    let rows: Vec<String> = TYPES.iter().map(|s| s.to_string()).collect();
    let lay = template::layout(&form, &rows);
    let key = AnswerKey::figure("B1", "members_total", "thon");
    let i = input_at(&lay, &key);
    let (sheet, cell) = at(i);
    let filled = fill(&blank, &[(sheet, cell, Cell::Number(120.0))]);
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("dien.xlsx");
    std::fs::write(&src, filled).unwrap();
    let out = dir.path().join("out");
    let status = std::process::Command::new(soffice)
        .args(["--headless", "--convert-to", "xlsx", "--outdir"])
        .arg(&out)
        .arg(&src)
        .env("HOME", dir.path())
        .status()
        .expect("soffice runs");
    assert!(status.success());
    let converted = std::fs::read(out.join("dien.xlsx")).expect("LibreOffice wrote the file");
    let r = upload(&bot, "dien-libreoffice.xlsx", converted).await;
    assert!(joined(&r).contains("sẽ thay đổi 1 số liệu và 0 mục"), "{}", joined(&r));
    let r = bot.press(CHAT, CHAT, last(&r), "Áp dụng").await;
    assert!(joined(&r).contains("Đã lưu từ tệp"), "{}", joined(&r));
    assert_eq!(
        bot.answer("mgso", &key.key(), key.row()).await,
        Some(Some("120".into()))
    );
    bot.stop().await;
}

#[tokio::test]
async fn the_board_imports_a_file_from_the_command_line_dry_run_first() {
    let bot = spawn_bot().await;
    let form = Form::embedded();
    let rows: Vec<String> = TYPES.iter().map(|s| s.to_string()).collect();
    let meta = template::Meta {
        campaign: form.campaign.code.clone(),
        unit: "mgso".into(),
        version: template::form_version(&form),
        rows: rows.clone(),
    };
    let blank = template::write(&form, &meta, "Đảng bộ xã Mường So", |_| None).unwrap();
    let lay = template::layout(&form, &rows);
    let key = AnswerKey::Heading("II".into());
    let (sheet, cell) = at(input_at(&lay, &key));
    let filled = fill(&blank, &[(sheet, cell, Cell::Text("Nhập từ dòng lệnh.".into()))]);
    let before = snapshot(&bot).await;
    let (out, ok) = bot
        .engine
        .import_file("mgso", "dien.xlsx", &filled, false, chrono::Utc::now())
        .await
        .unwrap();
    assert!(
        ok && out.contains("dry run") && out.contains("0 số liệu và 1 mục"),
        "{out}"
    );
    assert_eq!(snapshot(&bot).await, before, "a dry run writes nothing");
    let (out, ok) = bot
        .engine
        .import_file("mgso", "dien.xlsx", &filled, true, chrono::Utc::now())
        .await
        .unwrap();
    assert!(ok && out.contains("Đã lưu từ tệp"), "{out}");
    assert_eq!(
        bot.answer("mgso", "II", "").await,
        Some(Some("Nhập từ dòng lệnh.".into()))
    );
    let (out, ok) = bot
        .engine
        .import_file("ttphongtho", "dien.xlsx", &filled, true, chrono::Utc::now())
        .await
        .unwrap();
    assert!(!ok && out.contains("mẫu của đơn vị mã mgso"), "{out}");
    bot.stop().await;
}
