//! Tests of the merged workbook: the bytes are read back with calamine and every expectation
//! is derived from the snapshot and the form, never from a stored export.

use std::collections::HashMap;
use std::io::Cursor;
use std::sync::Arc;

use calamine::{Data, Dimensions, Range, Reader, Xlsx, open_workbook_from_rs};
use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::*;
use crate::form::{Form, NodeKind, Table};

mod identity;
mod outline;
pub(crate) mod print;
mod tables;

// ---------------------------------------------------------------------------------------
// Snapshot builders
// ---------------------------------------------------------------------------------------

pub(crate) fn form() -> Arc<Form> {
    Arc::new(Form::embedded())
}

pub(crate) fn unit(code: &str, name: &str, status: ReportStatus, rows: &[&str]) -> UnitReport {
    UnitReport {
        code: code.into(),
        name: name.into(),
        status,
        submitted_at: None,
        returned: None,
        accepted_at: None,
        late: false,
        secretaries: vec![format!("Bí thư {code}")],
        completeness_pct: 0.0,
        open_warnings: Vec::new(),
        rows: rows.iter().map(|r| r.to_string()).collect(),
        answers: HashMap::new(),
    }
}

pub(crate) fn put(u: &mut UnitReport, key: &str, row: &str, v: Option<&str>) {
    u.answers.insert((key.into(), row.into()), v.map(String::from));
}

/// Random table figures for every row of a unit: counts 0..=60, weighted means with two
/// decimals, blanks where `cells_total` is 0, some explicit blanks and some missing keys.
fn fill_figures(form: &Form, u: &mut UnitReport, rng: &mut StdRng) {
    for t in &form.tables {
        for code in u.rows.clone() {
            let zero_cells = rng.random_bool(0.15);
            for c in &t.columns {
                let key = format!("{}.{}", t.id, c.key);
                let roll: f64 = rng.random();
                if roll < 0.05 {
                    continue; // never answered
                }
                let value = if c.key == "cells_total" && zero_cells {
                    Some("0".to_owned())
                } else if c.weight.is_empty() {
                    (roll >= 0.1).then(|| rng.random_range(0..=60u32).to_string())
                } else if zero_cells || roll < 0.15 {
                    None
                } else {
                    Some(format!("{}", f64::from(rng.random_range(0..=4000u32)) / 40.0))
                };
                put(u, &key, &code, value.as_deref());
            }
        }
    }
}

fn fill_texts(form: &Form, u: &mut UnitReport, rng: &mut StdRng) {
    for n in form.answer_nodes() {
        let roll: f64 = rng.random();
        if roll < 0.1 {
            continue;
        }
        let text = if roll < 0.2 {
            None
        } else {
            Some(format!(
                "{} báo cáo mục {}: {}",
                u.name,
                n.id,
                "nội dung ".repeat(rng.random_range(1..40))
            ))
        };
        put(u, &n.id, "", text.as_deref());
    }
    for (i, f) in form.report_fields.iter().enumerate() {
        put(u, &f.id, "", Some(&format!("{} {}", f.label, u.code.len() + i)));
    }
}

/// Six units in every status, with figures, answers (one very long), blanks and warnings.
/// A snapshot generated on 05/12/2023 14:30 for the 10/12/2023 deadline.
pub(crate) fn snapshot(form: Arc<Form>, units: Vec<UnitReport>, include_drafts: bool) -> ExportSnapshot {
    ExportSnapshot {
        form,
        generated_at: "05/12/2023 14:30".into(),
        deadline: "10/12/2023".into(),
        report_number: None,
        report_date: "10/12/2023".into(),
        include_drafts,
        units,
    }
}

pub(crate) fn sample(include_drafts: bool) -> ExportSnapshot {
    let form = form();
    let mut rng = StdRng::seed_from_u64(7);
    let mut units = vec![
        unit(
            "u01",
            "Đảng ủy xã Mường So",
            ReportStatus::Submitted,
            &["thon", "coquan", "giaoduc"],
        ),
        unit(
            "u02",
            "Chi bộ Trường THCS Ma Ly Chải",
            ReportStatus::Accepted,
            &["giaoduc"],
        ),
        unit(
            "u03",
            "Đảng ủy thị trấn Phong Thổ",
            ReportStatus::Draft,
            &["tdp", "coquan", "yte"],
        ),
        unit("u04", "Đảng ủy xã Dào San", ReportStatus::NotStarted, &["thon"]),
        unit("u05", "Chi bộ Công an huyện", ReportStatus::Returned, &["congan"]),
        unit(
            "u06",
            "Đảng ủy xã Sì Lở Lầu",
            ReportStatus::Submitted,
            &["thon", "quandoi"],
        ),
    ];
    for u in &mut units {
        if u.status != ReportStatus::NotStarted {
            fill_figures(&form, u, &mut rng);
            fill_texts(&form, u, &mut rng);
        }
    }
    units[0].submitted_at = Some("01/12/2023 09:15".into());
    units[0].completeness_pct = 100.0;
    units[1].submitted_at = Some("02/12/2023 10:00".into());
    units[1].completeness_pct = 87.5;
    units[1].accepted_at = Some("03/12/2023 08:00".into());
    units[2].completeness_pct = 40.0;
    units[4].returned = Some(("04/12/2023 16:20".into(), "Thiếu số liệu Biểu 2.".into()));
    units[2].secretaries = vec!["Lò Văn Hùng".into(), "Giàng A Páo".into()];
    units[5].submitted_at = Some("11/12/2023 07:30".into());
    units[5].late = true;
    units[5].open_warnings = vec![
        "Số buổi sinh hoạt bình quân ít hơn 12 buổi/năm.".into(),
        "Bình quân mỗi chi bộ chưa đủ 3 đảng viên.".into(),
    ];
    // An explicit blank and a very long answer with paragraphs.
    put(&mut units[0], "B1.members_total", "coquan", None);
    let long = (1..=30)
        .map(|i| {
            format!(
                "Đoạn {i}: {}",
                "Chi bộ duy trì nền nếp sinh hoạt, nội dung phong phú. ".repeat(6)
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    put(&mut units[0], "III.2.2.a", "", Some(&long));
    put(&mut units[1], "I.1", "", None);
    snapshot(form, units, include_drafts)
}

// ---------------------------------------------------------------------------------------
// Reading the workbook back
// ---------------------------------------------------------------------------------------

struct Book {
    xlsx: Xlsx<Cursor<Vec<u8>>>,
    bytes: Vec<u8>,
}

impl Book {
    fn new(s: &ExportSnapshot) -> Book {
        let bytes = build_workbook(s).expect("workbook");
        let xlsx = open_workbook_from_rs(Cursor::new(bytes.clone())).expect("calamine opens it");
        Book { xlsx, bytes }
    }

    fn sheet(&mut self, name: &str) -> Sheet {
        let cells = self.xlsx.worksheet_range(name).expect("sheet");
        let formulas = self.xlsx.worksheet_formula(name).expect("formulas");
        let merges = self.xlsx.worksheet_merge_cells(name).expect("sheet").expect("merges");
        Sheet {
            cells,
            formulas,
            merges,
        }
    }
}

struct Sheet {
    cells: Range<Data>,
    formulas: Range<String>,
    merges: Vec<Dimensions>,
}

impl Sheet {
    fn text(&self, r: u32, c: u32) -> String {
        match self.cells.get_value((r, c)) {
            Some(Data::String(s)) => s.clone(),
            Some(Data::Float(f)) => f.to_string(),
            Some(Data::Int(i)) => i.to_string(),
            _ => String::new(),
        }
    }

    /// The number in a cell; `None` for an empty cell or an empty cached result.
    fn number(&self, r: u32, c: u32) -> Option<f64> {
        match self.cells.get_value((r, c)) {
            Some(Data::Float(f)) => Some(*f),
            Some(Data::Int(i)) => Some(*i as f64),
            Some(Data::Empty) | None => None,
            Some(Data::String(s)) if s.is_empty() => None,
            Some(other) => panic!("({r},{c}) is not a number: {other:?}"),
        }
    }

    fn formula(&self, r: u32, c: u32) -> String {
        self.formulas.get_value((r, c)).cloned().unwrap_or_default()
    }

    fn height(&self) -> u32 {
        self.cells.end().map_or(0, |(r, _)| r + 1)
    }

    fn find(&self, col: u32, text: &str) -> Option<u32> {
        (0..self.height()).find(|&r| self.text(r, col) == text)
    }

    fn contains(&self, text: &str) -> bool {
        self.cells
            .used_cells()
            .any(|(_, _, d)| matches!(d, Data::String(s) if s == text))
    }

    /// The merged region containing a cell, or the cell itself.
    fn region(&self, r: u32, c: u32) -> ((u32, u32), (u32, u32)) {
        self.merges
            .iter()
            .find(|d| d.contains(r, c))
            .map_or(((r, c), (r, c)), |d| (d.start, d.end))
    }
}

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn stored(u: &UnitReport, key: &str, row: &str) -> Option<f64> {
    u.answers
        .get(&(key.to_owned(), row.to_owned()))
        .cloned()
        .flatten()
        .and_then(|v| v.trim().parse::<f64>().ok())
}

fn merged_units(s: &ExportSnapshot) -> Vec<&UnitReport> {
    s.units
        .iter()
        .filter(|u| match u.status {
            ReportStatus::Submitted | ReportStatus::Accepted => true,
            ReportStatus::Draft | ReportStatus::Returned => s.include_drafts,
            ReportStatus::NotStarted => false,
        })
        .collect()
}

/// The name on a merged sheet: drafts and returned reports say what they are.
fn shown_name(_s: &ExportSnapshot, u: &UnitReport) -> String {
    match u.status {
        ReportStatus::Draft => format!("{} (bản nháp, chưa nộp)", u.name),
        ReportStatus::Returned => format!("{} (bị trả lại, chưa nộp lại)", u.name),
        _ => u.name.clone(),
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// The unit's rows in a table: its types, once each, residential only where required.
fn table_rows(form: &Form, t: &Table, u: &UnitReport) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for code in &u.rows {
        let residential = form.cell_type(code).is_some_and(|c| c.residential);
        if (!t.residential_only || residential) && !out.contains(code) {
            out.push(code.clone());
        }
    }
    out
}

/// First row of a table's column header: the row with «TT» in column A.
fn header_top(sheet: &Sheet) -> u32 {
    sheet.find(0, "TT").expect("TT header")
}

fn depth(t: &Table) -> u32 {
    1 + t.columns.iter().map(|c| c.groups.len() as u32).max().unwrap_or(0)
}
