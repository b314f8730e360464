//! The four tables: titles, literal headers, column order and counts, phone labels.

use super::*;

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
