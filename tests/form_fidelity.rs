//! Fidelity of the embedded form (`src/form/kl18_2023.toml`) to the seed letter 1012-CV/HU
//! and to the reference reading of it (docs/report-structure.md).
//!
//! Literal texts (`vi_literal`, or `vi` when there is none) must be found in the seed after
//! collapsing whitespace; display texts must not carry the seed's known typos.

use std::collections::{BTreeMap, BTreeSet};

use chibo_bot::form::{Applies, DEFAULT_FORM_TOML, Form, FormError, NodeKind, Severity, ValueKind};

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
fn campaign_texts_are_literal_seed_text() {
    let form = Form::embedded();
    let s = norm(&seed());
    let c = &form.campaign;
    for (what, text) in [
        ("outline_heading", c.outline_heading.as_str()),
        ("title", &c.title),
        ("attachment_note", &c.attachment_note),
        ("comparison_note", &c.comparison_note),
        ("letter_number", &c.letter_number),
        ("preparer", &c.signature.preparer),
        ("preparer_note", &c.signature.preparer_note),
        ("signer", &c.signature.signer),
        ("signer_note", &c.signature.signer_note),
        ("phone", &c.signature.phone),
    ] {
        assert!(s.contains(&norm(text)), "campaign.{what} «{text}» is not in the seed");
    }
    assert!(
        s.contains(&format!("trước ngày **{}**", c.deadline)),
        "deadline as printed"
    );
    assert!(c.comparison_note.starts_with("Lưu ý:"));
    assert_eq!(
        c.attachment_note.replace("Công Văn", "Công văn"),
        c.attachment_note_display
    );
    assert_ne!(c.attachment_note, c.attachment_note_display);
}

#[test]
fn every_outline_heading_appears_in_the_seed_with_its_label() {
    let form = Form::embedded();
    let outline = seed_outline();
    // Headings must also appear in print order.
    let mut from = 0;
    for n in &form.outline {
        let heading = norm(&format!("{} {}", n.label, n.literal()));
        let at = outline[from..]
            .find(&heading)
            .unwrap_or_else(|| panic!("{}: «{heading}» not found (in order) in the seed", n.id));
        from += at + heading.len();
        if let Some(lit) = &n.vi_literal {
            assert_ne!(lit, &n.vi, "{}: vi_literal only when it differs", n.id);
        }
    }
    let ii = form.node("II").unwrap();
    assert!(ii.vi.contains("QUÁN TRIỆT") && ii.literal().contains("QUẢN TRIỆT"));
    assert_eq!(form.outline.iter().filter(|n| n.vi_literal.is_some()).count(), 1);
}

#[test]
fn every_prompt_appears_in_the_seed() {
    const INFERRED: [&str; 3] = ["VI.s1", "VI.s2", "VI.s3"];
    // Sentences that share one printed line with others (checked below as a whole).
    const PART_OF_A_LINE: [&str; 6] = [
        "III.2.2.q1",
        "III.2.2.q2",
        "III.2.2.q3",
        "III.2.2.q4",
        "IV.3.p1",
        "IV.3.p2",
    ];
    let form = Form::embedded();
    let outline = seed_outline();
    let lines = seed_outline_lines();
    let mut ids = BTreeSet::new();
    let mut checked = 0;
    for n in &form.outline {
        let mut from = 0;
        for p in &n.prompts {
            assert!(ids.insert(p.id.clone()), "prompt id {} repeated", p.id);
            assert!(p.id.starts_with(&format!("{}.", n.id)), "{} is under {}", p.id, n.id);
            if INFERRED.contains(&p.id.as_str()) {
                assert!(!outline.contains(p.literal()), "{} was marked inferred", p.id);
                continue;
            }
            let text = norm(p.literal());
            assert!(!text.starts_with("- ") && !text.starts_with('*'), "{}: no bullet", p.id);
            let at = outline[from..]
                .find(&text)
                .unwrap_or_else(|| panic!("{}: «{text}» not found (in order) in the seed", p.id));
            from += at + text.len();
            if !PART_OF_A_LINE.contains(&p.id.as_str()) {
                assert!(
                    lines.contains(&text),
                    "{}: «{text}» is not a whole bullet line of the seed",
                    p.id
                );
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 37, "37 printed prompt lines");
    let q: Vec<&str> = form
        .node("III.2.2")
        .unwrap()
        .prompts
        .iter()
        .map(|p| p.vi.as_str())
        .collect();
    assert!(
        lines.contains(&format!("({}...).", q.join(" "))),
        "the four guiding questions make up the bracketed line of the seed"
    );
    assert_eq!(ids.len(), 40);

    let prompt = |id: &str| {
        form.outline
            .iter()
            .flat_map(|n| &n.prompts)
            .find(|p| p.id == id)
            .unwrap_or_else(|| panic!("{id}"))
    };
    assert_eq!(prompt("III.2.2.a.p3").applies, Some(Applies::DangBo));
    assert_eq!(prompt("III.2.2.b.p4").applies, Some(Applies::Commune));
    assert_eq!(prompt("IV.2.1.s2").applies, Some(Applies::Commune));
    let with_applies = form
        .outline
        .iter()
        .flat_map(|n| &n.prompts)
        .filter(|p| p.applies.is_some());
    assert_eq!(with_applies.count(), 3);
    assert!(
        prompt("III.2.2.b.p4").vi.contains("thôn, bản văn hóa; thực hiện"),
        "page break joined"
    );
    let q: Vec<&str> = form
        .node("III.2.2")
        .unwrap()
        .prompts
        .iter()
        .map(|p| p.id.as_str())
        .collect();
    assert_eq!(q, ["III.2.2.q1", "III.2.2.q2", "III.2.2.q3", "III.2.2.q4"]);
    let seed_ivs3 = "Nêu những bài học kinh nghiệm trong lãnh đạo, chỉ đạo của các cấp ủy cấp trên để nâng cao chất lượng sinh hoạt chi bộ; kinh nghiệm nâng cao chất lượng sinh hoạt của các chi bộ.";
    assert_eq!(format!("{}; {}", prompt("IV.3.p1").vi, prompt("IV.3.p2").vi), seed_ivs3);
}

#[test]
fn node_attributes_follow_the_reference() {
    let form = Form::embedded();
    let compare: Vec<&str> = form
        .outline
        .iter()
        .filter(|n| n.compare_types)
        .map(|n| n.id.as_str())
        .collect();
    assert_eq!(compare, ["IV.1", "IV.2.1", "IV.2.2"]);
    let applies: BTreeMap<&str, Applies> = form
        .outline
        .iter()
        .filter_map(|n| n.applies.map(|a| (n.id.as_str(), a)))
        .collect();
    let want: BTreeMap<&str, Applies> = [
        ("III.2.1", Applies::DangBo),
        ("III.2.5", Applies::Residential),
        ("III.3.1", Applies::Residential),
        ("III.3.2", Applies::Residential),
        ("III.3.3", Applies::Commune),
    ]
    .into_iter()
    .collect();
    assert_eq!(applies, want);
    let links = |id: &str| form.node(id).unwrap().links.clone();
    assert_eq!(links("I.1"), ["B1.cells_total", "B1.members_total"]);
    assert_eq!(links("III.1").len(), 17, "III.1 links all of Biểu 2");
    assert_eq!(links("III.2.2.b").len(), 13, "B1 thematic average and all of Biểu 3");
    assert_eq!(links("III.2.5"), ["B4.secretaries_also_head"]);
    assert_eq!(links("III.3.1"), ["B4.heads_newly_admitted"]);

    // V's help is the letter's item 1, second bullet, with «tự chuyên hoá» corrected.
    let help = form.node("V").unwrap().help.as_deref().expect("V has help");
    let seed = norm(&seed());
    assert!(
        seed.contains(&help.replace("tự chuyển hóa", "tự chuyên hoá")),
        "V help from the letter"
    );
    assert!(!help.contains("chuyên hoá"));
}

#[test]
fn every_table_title_and_literal_column_header_appears_in_the_seed() {
    // Biểu 2 labels the reference marks GUESS (reconstruction A, §5.2.1).
    const GUESS: [&str; 6] = [
        "sec_llct_advanced",
        "sec_llct_intermediate",
        "sec_llct_elementary",
        "sec_llct_none",
        "sec_prof_elementary",
        "sec_edu_upper_secondary",
    ];
    // Of those, the labels not printed anywhere in Biểu 2 («Trung cấp» and «Chưa qua đào tạo»
    // are printed, for the professional group).
    const ABSENT: [&str; 4] = [
        "sec_llct_advanced",
        "sec_llct_elementary",
        "sec_prof_elementary",
        "sec_edu_upper_secondary",
    ];
    let form = Form::embedded();
    let seed = seed();
    let mut missing = BTreeSet::new();
    for t in &form.tables {
        let (header, _) = grid(table_segment(&seed, &form, &t.id));
        let cells: BTreeSet<&str> = header.iter().flatten().map(String::as_str).collect();
        for c in &t.columns {
            if !cells.contains(c.literal()) {
                missing.insert(format!("{}.{}", t.id, c.key));
            }
            for g in &c.groups {
                assert!(
                    cells.contains(g.as_str()),
                    "{}.{}: group «{g}» not in the seed",
                    t.id,
                    c.key
                );
            }
            if let Some(lit) = &c.vi_literal {
                assert_ne!(lit, &c.vi, "{}.{}: vi_literal only when it differs", t.id, c.key);
            }
        }
        if let Some(lit) = &t.title_literal {
            assert_ne!(lit, &t.title);
            assert!(lit.contains("THÔNG KÊ") && t.title.contains("THỐNG KÊ"), "{}", t.id);
        }
    }
    let absent: BTreeSet<String> = ABSENT.iter().map(|k| format!("B2.{k}")).collect();
    assert_eq!(
        missing, absent,
        "only guessed Biểu 2 labels may be missing from the seed"
    );
    assert!(ABSENT.iter().all(|k| GUESS.contains(k)));
    for k in GUESS {
        assert!(form.column(&format!("B2.{k}")).is_some(), "B2.{k} exists");
    }

    let lower = form.column("B2.sec_edu_lower_secondary").unwrap().1;
    assert_eq!(lower.literal(), "Tốt nghiệp trung học sở");
    assert_eq!(lower.vi, "Tốt nghiệp trung học cơ sở");
    let b3 = form.table("B3").unwrap();
    let label = b3.total_row_label.as_deref().expect("B3 total row");
    assert!(
        seed.contains(&format!("\t{label}\t")),
        "B3 total row label as a grid cell"
    );
    assert!(form.table("B4").unwrap().residential_only);
    assert!(form.tables.iter().filter(|t| t.residential_only).count() == 1);
}

#[test]
fn literal_tables_keep_the_official_column_positions() {
    // B1, B3 and B4 print their headers where the data goes: data column i sits at grid
    // column i + 2 (after TT and Loại hình chi bộ). B2's first five columns do too.
    let form = Form::embedded();
    let seed = seed();
    for t in &form.tables {
        let (header, _) = grid(table_segment(&seed, &form, &t.id));
        let checked = if t.id == "B2" { 5 } else { t.columns.len() };
        for (i, c) in t.columns.iter().take(checked).enumerate() {
            assert!(
                header
                    .iter()
                    .any(|row| row.get(i + 2).map(String::as_str) == Some(c.literal())),
                "{}.{} is not at grid column {}",
                t.id,
                c.key,
                i + 2
            );
        }
        assert!(
            header.iter().any(|row| row[0] == "TT" && row[1] == "Loại hình chi bộ"),
            "{}",
            t.id
        );
    }
}

#[test]
fn column_keys_follow_the_reference_order() {
    // Official data-column order (§5.1.1, §5.2.1, §5.3, §5.4). Together with the positions
    // test above this pins every key to its printed header.
    let form = Form::embedded();
    let keys = |id: &str| -> Vec<String> { form.table(id).unwrap().columns.iter().map(|c| c.key.clone()).collect() };
    assert_eq!(
        keys("B1"),
        [
            "cells_total",
            "cells_size_4_5",
            "cells_size_le3",
            "cells_size_6_8",
            "cells_size_9_30",
            "cells_size_31_50",
            "cells_size_gt50",
            "members_total",
            "attendance_rate_pct",
            "meetings_per_cell_year",
            "thematic_per_cell_year",
            "speakers_per_meeting",
            "hours_per_meeting",
        ]
    );
    assert_eq!(
        keys("B2"),
        [
            "cells_total",
            "cells_base_level",
            "cells_under_committee",
            "cells_with_committee",
            "committee_members",
            "secretaries_total",
            "sec_llct_advanced",
            "sec_llct_intermediate",
            "sec_llct_elementary",
            "sec_llct_none",
            "sec_prof_college_plus",
            "sec_prof_intermediate",
            "sec_prof_elementary",
            "sec_prof_none",
            "sec_edu_upper_secondary",
            "sec_edu_lower_secondary",
            "sec_edu_primary",
        ]
    );
    assert_eq!(
        keys("B3"),
        [
            "topic_01_hcm",
            "topic_02_capacity",
            "topic_03_degradation",
            "topic_04_party_building",
            "topic_05_rural_community",
            "topic_06_resolutions_law",
            "topic_07_professional_work",
            "topic_08_traditions",
            "topic_09_complex_issues",
            "topic_10_recruitment",
            "topic_11_self_study",
            "topic_12_other",
        ]
    );
    assert_eq!(
        keys("B4"),
        [
            "villages_2018",
            "heads_2018",
            "heads_party_2018",
            "heads_party_2023",
            "heads_newly_admitted",
            "heads_newly_nominated",
            "secretaries_also_head",
        ]
    );
    // Reconstruction A of Biểu 2 (§5.2.2): the labels under each group, in order.
    let b2 = form.table("B2").unwrap();
    let labels = |group: &str| -> Vec<&str> {
        b2.columns
            .iter()
            .filter(|c| c.groups.last().map(String::as_str) == Some(group))
            .map(|c| c.vi.as_str())
            .collect()
    };
    assert_eq!(
        labels("Trình độ lý luận chính trị"),
        ["Cao cấp, cử nhân", "Trung cấp", "Sơ cấp", "Chưa qua đào tạo"]
    );
    assert_eq!(
        labels("Trình độ chuyên môn"),
        ["Cao đẳng, đại học trở lên", "Trung cấp", "Sơ cấp", "Chưa qua đào tạo"]
    );
    assert_eq!(
        labels("Trình độ học vấn"),
        [
            "Tốt nghiệp trung học phổ thông",
            "Tốt nghiệp trung học cơ sở",
            "Tốt nghiệp tiểu học"
        ]
    );
}

#[test]
fn table_column_counts_match_the_seed_grids() {
    let form = Form::embedded();
    let seed = seed();
    for (id, data_columns, grid_width, headerless) in
        [("B1", 13, 16, 1), ("B2", 17, 19, 0), ("B3", 12, 14, 0), ("B4", 7, 9, 0)]
    {
        let t = form.table(id).unwrap();
        assert_eq!(t.columns.len(), data_columns, "{id} data columns");
        let (header, data) = grid(table_segment(&seed, &form, id));
        assert_eq!(data.len(), grid_width, "{id} grid width in the seed");
        assert_eq!(t.columns.len() + 2 + headerless, data.len(), "{id}");
        for row in &header {
            assert_eq!(row.len(), grid_width, "{id}: every header row is as wide as the grid");
        }
        if headerless == 1 {
            assert!(
                header.iter().all(|r| r.last().unwrap().is_empty()),
                "B1's 16th column has no header"
            );
        }
    }
}

#[test]
fn cell_types_have_short_distinct_button_labels() {
    let form = Form::embedded();
    let mut seen = BTreeSet::new();
    for t in &form.cell_types {
        let n = t.short.chars().count();
        assert!(n > 0 && n <= 28, "{}: «{}» has {n} chars", t.code, t.short);
        assert!(seen.insert(t.short.as_str()), "{}: «{}» repeated", t.code, t.short);
    }
}

#[test]
fn columns_have_phone_labels_kinds_and_weights() {
    let form = Form::embedded();
    for t in &form.tables {
        let mut shorts = BTreeSet::new();
        for c in &t.columns {
            let n = c.short.chars().count();
            assert!(
                n > 0 && n <= 60,
                "{}.{}: label «{}» has {n} chars",
                t.id,
                c.key,
                c.short
            );
            // Written out in full: «CB» reads as cán bộ, «BT», «CM», «SH» not at all.
            for abbr in ["CB ", "ĐV", "BT:", "LLCT", "CM ", "SH", "XD ", "ĐH"] {
                assert!(!c.short.contains(abbr), "{}.{}: «{}» abbreviates", t.id, c.key, c.short);
            }
            assert!(
                c.max.is_some_and(|m| m > 0.0),
                "{}.{}: every column has a sane maximum",
                t.id,
                c.key
            );
            assert!(
                shorts.insert(c.short.as_str()),
                "{}.{}: short label repeated",
                t.id,
                c.key
            );
            assert!(
                c.key
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{}.{}",
                t.id,
                c.key
            );
        }
    }
    let b1 = form.table("B1").unwrap();
    let weighted: Vec<(&str, ValueKind, Vec<&str>)> = b1
        .columns
        .iter()
        .filter(|c| !c.weight.is_empty())
        .map(|c| (c.key.as_str(), c.kind, c.weight.iter().map(String::as_str).collect()))
        .collect();
    assert_eq!(
        weighted,
        [
            (
                "attendance_rate_pct",
                ValueKind::Percent,
                vec!["members_total", "meetings_per_cell_year"]
            ),
            ("meetings_per_cell_year", ValueKind::Avg, vec!["cells_total"]),
            ("thematic_per_cell_year", ValueKind::Avg, vec!["cells_total"]),
            (
                "speakers_per_meeting",
                ValueKind::Avg,
                vec!["cells_total", "meetings_per_cell_year"]
            ),
            (
                "hours_per_meeting",
                ValueKind::Hours,
                vec!["cells_total", "meetings_per_cell_year"]
            ),
        ]
    );
    for c in &b1.columns {
        let avg = !c.weight.is_empty();
        assert_eq!(
            c.blank_when.as_deref(),
            avg.then_some("B1.cells_total == 0"),
            "B1.{}",
            c.key
        );
        assert_eq!(c.kind == ValueKind::Count, !avg, "B1.{}", c.key);
    }
    for t in form.tables.iter().skip(1) {
        assert!(
            t.columns
                .iter()
                .all(|c| c.kind == ValueKind::Count && c.weight.is_empty()),
            "{}",
            t.id
        );
    }
    let sizes: Vec<&str> = b1
        .columns
        .iter()
        .filter(|c| c.groups == ["Trong đó"])
        .map(|c| c.key.as_str())
        .collect();
    assert_eq!(
        sizes,
        [
            "cells_size_4_5",
            "cells_size_le3",
            "cells_size_6_8",
            "cells_size_9_30",
            "cells_size_31_50",
            "cells_size_gt50"
        ]
    );
    let b2 = form.table("B2").unwrap();
    let llct = ["Bí thư chi bộ", "Chất lượng", "Trình độ lý luận chính trị"];
    assert_eq!(b2.columns.iter().filter(|c| c.groups == llct).count(), 4);
    assert_eq!(
        b2.columns
            .iter()
            .filter(|c| c.groups.first().map(String::as_str) == Some("Bí thư chi bộ"))
            .count(),
        12
    );
}

#[test]
fn every_rule_parses_and_names_existing_columns() {
    let form = Form::embedded();
    assert_eq!(form.rules().len(), form.rules.len());
    let ids: BTreeSet<&str> = form.rules.iter().map(|r| r.id.as_str()).collect();
    for id in [
        "R-GEN-6a", "R-GEN-6b", "R-B1-1", "R-B1-9", "R-B1-16", "R-B2-1", "R-B2-5w", "R-B2-6a", "R-B2-6c", "R-B2-6wb",
        "R-B2-8", "R-B3-2", "R-B3-3", "R-B3-4", "R-B4-1", "R-B4-7", "R-B4-9", "R-X-1", "R-X-5",
    ] {
        assert!(ids.contains(id), "rule {id} is missing");
    }
    for skipped in ["R-GEN-1", "R-GEN-4", "R-B1-10", "R-B3-1", "R-X-6", "R-DOC-1", "R-TXT-1"] {
        assert!(!ids.contains(skipped), "{skipped} is enforced in code, not in the form");
        assert!(DEFAULT_FORM_TOML.contains(skipped), "{skipped} is listed as skipped");
    }
    let mut vars: BTreeSet<String> = form.column_kinds().into_keys().collect();
    vars.extend(["years", "row.residential", "unit.chi_bo", "unit.dang_bo"].map(String::from));
    for pr in form.rules() {
        let r = &pr.rule;
        assert!(!pr.tables.is_empty(), "{}", r.id);
        let when_vars = pr.when.as_ref().map(|w| w.variables()).unwrap_or_default();
        for v in pr.check.variables().iter().chain(&when_vars) {
            assert!(vars.contains(v), "{}: unknown variable {v}", r.id);
        }
        // Messages: Vietnamese, short, placeholders name known variables.
        assert!(
            r.message.chars().any(|c| "ảấầậắặếềệịọốồộớờợụứừựỹđ".contains(c)),
            "{}: diacritics",
            r.id
        );
        assert!(r.message.chars().count() <= 300, "{}: message too long", r.id);
        let mut rest = r.message.as_str();
        while let Some(open) = rest.find('{') {
            let close = rest[open..]
                .find('}')
                .unwrap_or_else(|| panic!("{}: unclosed brace", r.id));
            let name = &rest[open + 1..open + close];
            assert!(
                vars.contains(name),
                "{}: placeholder {{{name}}} is not a variable",
                r.id
            );
            rest = &rest[open + close + 1..];
        }
        assert!(!rest.contains('}'), "{}: stray brace", r.id);
    }
    let cross: BTreeSet<&str> = form
        .rules()
        .iter()
        .filter(|r| r.tables.len() > 1)
        .map(|r| r.rule.id.as_str())
        .collect();
    for id in [
        "R-X-1", "R-X-2", "R-X-3", "R-X-4", "R-X-5", "R-B3-2", "R-B3-3", "R-B3-4",
    ] {
        assert!(cross.contains(id), "{id} reads several tables");
    }
    let by = |s| form.rules.iter().filter(|r| r.severity == s).count();
    assert!(by(Severity::Error) > 0 && by(Severity::Warning) > 0 && by(Severity::Info) > 0);
}

/// The ids of the rules that fail on one row, `vals` giving the known values.
fn failing(form: &Form, vals: &BTreeMap<&str, f64>) -> BTreeSet<String> {
    let env = |name: &str| vals.get(name).copied();
    form.rules()
        .iter()
        .filter(|r| r.when.as_ref().is_none_or(|w| w.eval(&env).truth() == Some(true)))
        .filter(|r| r.check.eval(&env).truth() == Some(false))
        .map(|r| r.rule.id.clone())
        .collect()
}

/// A consistent village-cell row of a commune Party organisation.
fn good_row() -> BTreeMap<&'static str, f64> {
    [
        ("row.residential", 1.0),
        ("unit.dang_bo", 1.0),
        ("unit.chi_bo", 0.0),
        ("years", 5.0),
        ("B1.cells_total", 10.0),
        ("B1.cells_size_4_5", 3.0),
        ("B1.cells_size_le3", 0.0),
        ("B1.cells_size_6_8", 3.0),
        ("B1.cells_size_9_30", 4.0),
        ("B1.cells_size_31_50", 0.0),
        ("B1.cells_size_gt50", 0.0),
        ("B1.members_total", 100.0),
        ("B1.attendance_rate_pct", 90.0),
        ("B1.meetings_per_cell_year", 12.0),
        ("B1.thematic_per_cell_year", 4.0),
        ("B1.speakers_per_meeting", 5.0),
        ("B1.hours_per_meeting", 1.5),
        ("B2.cells_total", 10.0),
        ("B2.cells_base_level", 0.0),
        ("B2.cells_under_committee", 10.0),
        ("B2.cells_with_committee", 3.0),
        ("B2.committee_members", 9.0),
        ("B2.secretaries_total", 10.0),
        ("B2.sec_llct_advanced", 0.0),
        ("B2.sec_llct_intermediate", 2.0),
        ("B2.sec_llct_elementary", 6.0),
        ("B2.sec_llct_none", 2.0),
        ("B2.sec_prof_college_plus", 1.0),
        ("B2.sec_prof_intermediate", 3.0),
        ("B2.sec_prof_elementary", 2.0),
        ("B2.sec_prof_none", 4.0),
        ("B2.sec_edu_upper_secondary", 3.0),
        ("B2.sec_edu_lower_secondary", 5.0),
        ("B2.sec_edu_primary", 2.0),
        ("B3.topic_01_hcm", 20.0),
        ("B3.topic_02_capacity", 15.0),
        ("B3.topic_03_degradation", 15.0),
        ("B3.topic_04_party_building", 20.0),
        ("B3.topic_05_rural_community", 40.0),
        ("B3.topic_06_resolutions_law", 20.0),
        ("B3.topic_07_professional_work", 10.0),
        ("B3.topic_08_traditions", 15.0),
        ("B3.topic_09_complex_issues", 15.0),
        ("B3.topic_10_recruitment", 15.0),
        ("B3.topic_11_self_study", 10.0),
        ("B3.topic_12_other", 5.0),
        ("B4.villages_2018", 10.0),
        ("B4.heads_2018", 10.0),
        ("B4.heads_party_2018", 4.0),
        ("B4.heads_party_2023", 8.0),
        ("B4.heads_newly_admitted", 3.0),
        ("B4.heads_newly_nominated", 2.0),
        ("B4.secretaries_also_head", 5.0),
    ]
    .into_iter()
    .collect()
}

#[test]
fn rules_pass_a_consistent_row_and_catch_known_mistakes() {
    let form = Form::embedded();
    let good = good_row();
    assert_eq!(
        good.len(),
        form.column_kinds().len() + 4,
        "the sample row fills every column"
    );
    assert_eq!(failing(&form, &good), BTreeSet::new());

    let with = |changes: &[(&'static str, f64)]| {
        let mut row = good_row();
        for (k, v) in changes {
            assert!(row.insert(k, *v).is_some(), "{k} is a known variable");
        }
        failing(&form, &row)
    };
    let set = |ids: &[&str]| ids.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();

    // A size bucket that no longer adds up.
    assert!(with(&[("B1.cells_size_4_5", 4.0)]).contains("R-B1-1"));
    // Biểu 1 and Biểu 2 disagree on the number of cells.
    assert_eq!(with(&[("B2.cells_total", 9.0)]), set(&["R-X-1", "R-B2-1", "R-B2-5"]));
    // Minutes typed as hours.
    assert_eq!(with(&[("B1.hours_per_meeting", 90.0)]), set(&["R-B1-12", "R-B1-13"]));
    // Too many secretaries classified by political theory, and too few by education.
    assert_eq!(
        with(&[("B2.sec_llct_none", 3.0), ("B2.sec_edu_primary", 1.0)]),
        set(&["R-B2-6a", "R-B2-6wc"])
    );
    // Biểu 3 far from the thematic meetings implied by Biểu 1 (4 × 10 × 5 = 200).
    assert_eq!(with(&[("B3.topic_05_rural_community", 120.0)]), set(&["R-B3-4"]));
    // A non-residential row with Biểu 4 figures.
    assert!(with(&[("row.residential", 0.0)]).contains("R-B4-7"));
    // A chi bộ cơ sở reporting ten cells.
    assert!(with(&[("unit.dang_bo", 0.0), ("unit.chi_bo", 1.0)]).contains("R-B2-8"));
    // Village-head figures out of order.
    assert_eq!(with(&[("B4.heads_2018", 11.0)]), set(&["R-B4-1"]));
    assert!(with(&[("B4.secretaries_also_head", 9.0)]).contains("R-B4-6"));
}

#[test]
fn a_type_without_cells_needs_blank_averages() {
    let form = Form::embedded();
    let mut row: BTreeMap<&str, f64> = [
        ("row.residential", 0.0),
        ("unit.dang_bo", 1.0),
        ("unit.chi_bo", 0.0),
        ("years", 5.0),
        ("B1.cells_total", 0.0),
        ("B1.members_total", 0.0),
        ("B2.cells_total", 0.0),
        ("B3.topic_01_hcm", 0.0),
    ]
    .into_iter()
    .collect();
    assert_eq!(
        failing(&form, &row),
        BTreeSet::new(),
        "zero counts and blank averages are fine"
    );
    row.insert("B1.meetings_per_cell_year", 0.0);
    assert!(
        failing(&form, &row).contains("R-B1-9"),
        "an average typed as 0 is an error"
    );
    row.remove("B1.meetings_per_cell_year");
    row.insert("B1.members_total", 3.0);
    assert!(failing(&form, &row).contains("R-B1-9"));
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
