//! Fidelity of the embedded form (`src/form/kl18_2023.toml`) to the seed letter 1012-CV/HU
//! and to the reference reading of it (docs/report-structure.md).
//!
//! Literal texts (`vi_literal`, or `vi` when there is none) must be found in the seed after
//! collapsing whitespace; display texts must not carry the seed's known typos.

use std::collections::{BTreeMap, BTreeSet};

use chibo_bot::form::{Applies, DEFAULT_FORM_TOML, Form, FormError, NodeKind, Severity, ValueKind};

#[path = "form_fidelity/outline.rs"]
mod outline;
#[path = "form_fidelity/rules.rs"]
mod rules;
#[path = "form_fidelity/tables.rs"]
mod tables;

const SEED_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/seed_1012-CV-HU.txt");
const UNITS_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/form/phong_tho_units.csv");

fn seed() -> String {
    std::fs::read_to_string(SEED_PATH).expect("the seed fixture is readable")
}

/// Collapses every run of whitespace to one space.
fn norm(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The outline part of the seed (from «ĐỀ CƯƠNG BÁO CÁO» to the first table), normalised.
fn seed_outline() -> String {
    let s = norm(&seed());
    let start = s.find("ĐỀ CƯƠNG BÁO CÁO").expect("outline heading in seed");
    let end = s.find("TỔNG HỢP SỐ LƯỢNG CHI BỘ").expect("Biểu 1 title in seed");
    assert!(start < end);
    s[start..end].to_owned()
}

/// The printed lines of the outline part of the seed, without bullet marks («- », «** … *»),
/// plus each line joined to the next one (a prompt may be split by a page break).
fn seed_outline_lines() -> BTreeSet<String> {
    let seed = seed();
    let start = seed.find("ĐỀ CƯƠNG BÁO CÁO").unwrap();
    let end = seed.find("TỔNG HỢP SỐ LƯỢNG CHI BỘ").unwrap();
    let strip = |l: &str| {
        let l = l.trim();
        let l = l.strip_prefix("- ").or_else(|| l.strip_prefix("** ")).unwrap_or(l);
        norm(l.strip_suffix('*').unwrap_or(l))
    };
    let lines: Vec<String> = seed[start..end].lines().map(strip).filter(|l| !l.is_empty()).collect();
    let mut out: BTreeSet<String> = lines.iter().cloned().collect();
    for w in lines.windows(2) {
        out.insert(format!("{} {}", w[0], w[1]));
    }
    out
}

/// The raw lines of the seed from one table's literal title up to the next table's title.
fn table_segment<'a>(seed: &'a str, form: &Form, id: &str) -> &'a str {
    let idx = form.tables.iter().position(|t| t.id == id).expect("table exists");
    let title = form.tables[idx].literal_title();
    let start = seed
        .find(title)
        .unwrap_or_else(|| panic!("title of {id} «{title}» not in the seed"));
    let end = form
        .tables
        .get(idx + 1)
        .map(|next| seed.find(next.literal_title()).expect("next title in seed"))
        .unwrap_or(seed.len());
    assert!(start < end, "tables are in seed order");
    &seed[start..end]
}

/// The tab-separated grid rows of a segment: (header rows, first data row).
fn grid(segment: &str) -> (Vec<Vec<String>>, Vec<String>) {
    let mut header = Vec::new();
    for line in segment.lines().filter(|l| l.contains('\t')) {
        let cells: Vec<String> = line.split('\t').map(|c| c.trim().to_owned()).collect();
        if cells[0] == "1" {
            return (header, cells);
        }
        header.push(cells);
    }
    panic!("no data row «1» in the table segment");
}

#[test]
fn embedded_form_parses_and_has_33_nodes_24_answers_4_tables() {
    let form = Form::embedded();
    assert_eq!(form.outline.len(), 33);
    let answers: Vec<&str> = form.answer_nodes().map(|n| n.id.as_str()).collect();
    assert_eq!(
        answers,
        [
            "I.1",
            "I.2.1",
            "I.2.2",
            "II",
            "III.1",
            "III.2.1",
            "III.2.2.a",
            "III.2.2.b",
            "III.2.2.c",
            "III.2.2.d",
            "III.2.3.a",
            "III.2.3.b",
            "III.2.4",
            "III.2.5",
            "III.3.1",
            "III.3.2",
            "III.3.3",
            "III.4",
            "IV.1",
            "IV.2.1",
            "IV.2.2",
            "IV.3",
            "V",
            "VI",
        ]
    );
    let containers: Vec<&str> = form
        .outline
        .iter()
        .filter(|n| n.kind == NodeKind::Container)
        .map(|n| n.id.as_str())
        .collect();
    assert_eq!(
        containers,
        ["I", "I.2", "III", "III.2", "III.2.2", "III.2.3", "III.3", "IV", "IV.2"]
    );
    let sections: Vec<&str> = form.sections().map(|n| n.label.as_str()).collect();
    assert_eq!(sections, ["I-", "II-", "III-", "IV-", "V-", "VI-"]);

    let tables: Vec<&str> = form.tables.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(tables, ["B1", "B2", "B3", "B4"]);
    let short: Vec<&str> = form.tables.iter().map(|t| t.short_name.as_str()).collect();
    assert_eq!(short, ["Biểu 1", "Biểu 2", "Biểu 3", "Biểu 4"]);

    let fields: Vec<&str> = form.report_fields.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(
        fields,
        [
            "HD.so",
            "HD.ngay",
            "HD.nguoi_lap",
            "HD.nguoi_ky",
            "HD.chuc_vu",
            "HD.dien_thoai"
        ]
    );
    for f in &form.report_fields {
        assert!(
            !f.label.is_empty() && f.prompt.contains("ví dụ"),
            "{}: label and an example",
            f.id
        );
    }

    let types: Vec<(&str, bool)> = form
        .cell_types
        .iter()
        .map(|t| (t.code.as_str(), t.residential))
        .collect();
    assert_eq!(
        types,
        [
            ("thon", true),
            ("tdp", true),
            ("coquan", false),
            ("giaoduc", false),
            ("yte", false),
            ("sunghiep", false),
            ("dnnn", false),
            ("dntn", false),
            ("htx", false),
            ("quandoi", false),
            ("congan", false),
            ("khac", false),
        ]
    );

    let c = &form.campaign;
    assert_eq!(c.code, "kl18-2023");
    assert_eq!(c.period_years, 5);
    assert_eq!(c.year, 2023);
    assert_eq!(
        form.deadline_date(),
        chrono::NaiveDate::from_ymd_opt(2023, 12, 10),
        "deadline 10/12/2023"
    );
    assert_eq!(c.deadline_time, "23:59");
}

#[test]
fn form_parse_rejects_a_broken_copy() {
    assert!(Form::parse(DEFAULT_FORM_TOML).is_ok());

    // A column that a rule, a weight and a link read is renamed.
    let renamed = DEFAULT_FORM_TOML.replacen("key = \"members_total\"", "key = \"members_all\"", 1);
    assert_ne!(renamed, DEFAULT_FORM_TOML);
    assert!(matches!(Form::parse(&renamed), Err(FormError::Invalid(_))));

    // A rule naming a column that does not exist.
    let bad_var = DEFAULT_FORM_TOML.replacen(
        "check = \"B1.cells_total == B2.cells_total\"",
        "check = \"B1.cells_total == B2.cell_total\"",
        1,
    );
    assert_ne!(bad_var, DEFAULT_FORM_TOML);
    match Form::parse(&bad_var) {
        Err(FormError::Invalid(m)) => {
            assert!(m.contains("R-X-1") && m.contains("B2.cell_total"), "{m}")
        }
        other => panic!("expected an invalid-form error, got {other:?}"),
    }

    // A rule expression that does not parse.
    let bad_expr = DEFAULT_FORM_TOML.replacen(
        "check = \"B4.heads_2018 <= B4.villages_2018\"",
        "check = \"B4.heads_2018 <=\"",
        1,
    );
    assert_ne!(bad_expr, DEFAULT_FORM_TOML);
    assert!(matches!(Form::parse(&bad_expr), Err(FormError::Invalid(_))));

    // An unknown field is refused (deny_unknown_fields).
    let unknown = DEFAULT_FORM_TOML.replacen("[campaign]\n", "[campaign]\ncolour = \"red\"\n", 1);
    assert_ne!(unknown, DEFAULT_FORM_TOML);
    assert!(matches!(Form::parse(&unknown), Err(FormError::Toml(_))));
}

#[test]
fn display_texts_carry_no_seed_typos() {
    let form = Form::embedded();
    let mut display: Vec<(String, &str)> = vec![
        (
            "attachment_note_display".into(),
            form.campaign.attachment_note_display.as_str(),
        ),
        ("issuer".into(), &form.committee.issuer),
    ];
    for n in &form.outline {
        display.push((n.id.clone(), &n.vi));
        display.extend(n.prompts.iter().map(|p| (p.id.clone(), p.vi.as_str())));
        if let Some(h) = &n.help {
            display.push((format!("{} help", n.id), h));
        }
    }
    for t in &form.tables {
        display.push((t.id.clone(), &t.title));
        display.extend(t.columns.iter().map(|c| (format!("{}.{}", t.id, c.key), c.vi.as_str())));
    }
    for (what, text) in display {
        for typo in [
            "QUẢN TRIỆT",
            "THÔNG KÊ",
            "PHONG THỎ",
            "trung học sở",
            "Công Văn",
            "chuyên hoá",
        ] {
            assert!(!text.contains(typo), "{what}: display text keeps the typo «{typo}»");
        }
    }
    assert_eq!(form.committee.issuer, "HUYỆN ỦY PHONG THỔ");
}

#[test]
fn sample_units_of_phong_tho_are_well_formed() {
    let form = Form::embedded();
    let mut rdr = csv::Reader::from_path(UNITS_PATH).expect("units csv readable");
    assert_eq!(rdr.headers().unwrap(), vec!["code", "name", "cell_types"]);
    let mut codes = BTreeSet::new();
    let mut communes = 0;
    let mut rows = 0;
    for rec in rdr.records() {
        let rec = rec.expect("well-formed csv row");
        let (code, name, types) = (&rec[0], &rec[1], &rec[2]);
        rows += 1;
        assert!(
            !code.is_empty() && code.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()),
            "code «{code}»"
        );
        assert!(codes.insert(code.to_owned()), "code {code} repeated");
        let chi_bo = name.starts_with("Chi bộ ");
        assert!(chi_bo || name.starts_with("Đảng bộ "), "{name}: kind from the name");
        let types: Vec<&str> = types.split(';').collect();
        for t in &types {
            assert!(form.cell_type(t).is_some(), "{name}: unknown cell type {t}");
        }
        if chi_bo {
            assert_eq!(types.len(), 1, "{name}: a chi bộ cơ sở reports its single type");
        }
        if name.contains(" xã ") || name.contains(" thị trấn ") {
            communes += 1;
            assert!(types.contains(&"thon") && types.contains(&"coquan"), "{name}");
        }
    }
    assert!((15..=25).contains(&rows), "{rows} units");
    assert!(communes >= 10);
    assert!(codes.contains("ttphongtho") && codes.contains("khonglao"));
}
