//! The template written and read back; the files the reader refuses.

use std::collections::HashMap;
use std::io::Write as _;

use super::read::{Problem, Refusal, read};
use super::*;
use crate::domain::FigureError;

fn meta(form: &Form) -> Meta {
    Meta {
        campaign: form.campaign.code.clone(),
        unit: "mgso".into(),
        version: form_version(form),
        rows: vec!["thon".into(), "coquan".into(), "giaoduc".into()],
    }
}

#[test]
fn every_input_has_one_key_and_every_key_one_cell() {
    let form = Form::embedded();
    let lay = layout(&form, &meta(&form).rows);
    let mut seen = std::collections::HashSet::new();
    for i in &lay.inputs {
        assert!(seen.insert(i.key.clone()), "{} twice", i.key);
        assert_eq!(
            AnswerKey::parse(&form, &i.key.key(), i.key.row()),
            Some(i.key.clone()),
            "{} is a key of the form",
            i.key
        );
    }
    // 6 fields, 24 headings, 10 rows of figures (B4 only for thôn).
    let figures = lay
        .inputs
        .iter()
        .filter(|i| matches!(i.key, AnswerKey::Figure { .. }))
        .count();
    assert_eq!(figures, 3 * (13 + 17 + 12) + 7);
    assert_eq!(lay.inputs.len(), 6 + 24 + figures);
    assert_eq!(cell_ref(6, 4), "E7");
    assert_eq!(cell_ref(0, 27), "AB1");
}

#[test]
fn a_template_with_values_reads_back_the_same_values() {
    let form = Form::embedded();
    let m = meta(&form);
    let mut values: HashMap<AnswerKey, String> = HashMap::new();
    let lay = layout(&form, &m.rows);
    for (n, i) in lay.inputs.iter().enumerate() {
        let v = match i.kind {
            InputKind::Heading => format!("Câu trả lời mục {}: các chi bộ thôn, bản và cơ quan.", i.key),
            InputKind::Field(FieldKind::Date) => "05/12/2023".into(),
            InputKind::Field(FieldKind::Phone) => "0912345678".into(),
            InputKind::Field(FieldKind::Text) => "Lò Văn Minh".into(),
            InputKind::Figure { kind, .. } => match kind {
                ValueKind::Count => format!("{}", n % 50),
                ValueKind::Hours => "1.5".into(),
                _ => "87.5".into(),
            },
        };
        values.insert(i.key.clone(), v);
    }
    let bytes = write(&form, &m, "Đảng bộ xã Mường So", |k| values.get(k).cloned()).unwrap();
    let filled = read(&form, &bytes).expect("our own template reads");
    assert_eq!(filled.meta, m);
    assert!(filled.errors.is_empty(), "{:?}", filled.errors);
    assert_eq!(filled.values.len(), values.len());
    for (k, v) in &filled.values {
        assert_eq!(v.as_ref(), values.get(k), "{k}");
    }
    // An empty template gives nothing to change.
    let empty = write(&form, &m, "x", |_| None).unwrap();
    let filled = read(&form, &empty).unwrap();
    assert!(filled.values.is_empty() && filled.errors.is_empty());
}

#[test]
fn files_that_are_not_a_template_of_this_form_are_refused() {
    let form = Form::embedded();
    assert_eq!(read(&form, b"").unwrap_err(), Refusal::Empty);
    assert_eq!(read(&form, b"hello, not a spreadsheet").unwrap_err(), Refusal::NotXlsx);
    let big = vec![b'x'; MAX_FILE_BYTES + 1];
    assert_eq!(read(&form, &big).unwrap_err(), Refusal::TooLarge);
    // Another workbook: a plain one has no marker.
    let mut wb = rust_xlsxwriter::Workbook::new();
    wb.add_worksheet().write_string(0, 0, "Biểu 1").unwrap();
    assert_eq!(
        read(&form, &wb.save_to_buffer().unwrap()).unwrap_err(),
        Refusal::NotOurs
    );
    // A template of another version of the form.
    let mut m = meta(&form);
    m.version = "000000000000".into();
    let old = write(&form, &m, "x", |_| None).unwrap();
    assert_eq!(read(&form, &old).unwrap_err(), Refusal::OtherVersion);
}

#[test]
fn a_zip_bomb_is_refused_before_it_is_unpacked() {
    let form = Form::embedded();
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        z.start_file("xl/worksheets/sheet1.xml", opts).unwrap();
        let zeros = vec![0u8; 1024 * 1024];
        for _ in 0..100 {
            z.write_all(&zeros).unwrap();
        }
        z.finish().unwrap();
    }
    let bytes = buf.into_inner();
    assert!(bytes.len() < MAX_FILE_BYTES, "small packed: {}", bytes.len());
    assert_eq!(read(&form, &bytes).unwrap_err(), Refusal::ZipBomb);
}

#[test]
fn bad_values_are_refused_with_their_cell_and_the_chat_s_reason() {
    let form = Form::embedded();
    let m = meta(&form);
    let lay = layout(&form, &m.rows);
    let count = lay
        .inputs
        .iter()
        .find(|i| i.key == AnswerKey::figure("B1", "cells_total", "thon"))
        .unwrap();
    let pct = lay
        .inputs
        .iter()
        .find(|i| i.key == AnswerKey::figure("B1", "attendance_rate_pct", "coquan"))
        .unwrap();
    let bytes = write(&form, &m, "x", |k| match k {
        k if *k == count.key => Some("2.5".into()),
        k if *k == pct.key => Some("101".into()),
        AnswerKey::Field(id) if id == "HD.ngay" => Some("mai".into()),
        _ => None,
    })
    .unwrap();
    let filled = read(&form, &bytes).unwrap();
    let at = |sheet: &str, row: u32, col: u16| {
        filled
            .errors
            .iter()
            .find(|e| e.sheet == sheet && e.cell == cell_ref(row, col))
            .map(|e| e.problem.clone())
    };
    assert_eq!(
        at("Biểu 1", count.row, count.col),
        Some(Problem::Figure(FigureError::NotWhole))
    );
    assert_eq!(
        at("Biểu 1", pct.row, pct.col),
        Some(Problem::Figure(FigureError::OverHundred))
    );
    assert!(
        matches!(at(FIELDS_SHEET, 2, 2), Some(Problem::Field(_))),
        "{:?}",
        filled.errors
    );
    assert_eq!(filled.errors.len(), 3);
}
