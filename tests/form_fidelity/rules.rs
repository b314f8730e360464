//! The consistency rules: they parse, name existing columns, and catch known mistakes.

use super::*;

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
