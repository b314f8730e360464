//! Cell types and table rows: whole rows, single values, edits, checks.

use super::*;

#[test]
fn tables_start_by_confirming_the_preselected_cell_types() {
    let mut sim = Sim::new(&["thon", "coquan"], false);
    let s = sim.press(Action::Tables);
    assert_eq!(
        sim.state,
        State::PickTypes {
            selected: vec!["thon".into(), "coquan".into()]
        }
    );
    assert!(s.replies[0].buttons.iter().flatten().any(|b| b.label == "✅ Thôn, bản"));
    sim.press(Action::Toggle("yte".into()));
    sim.press(Action::Toggle("coquan".into()));
    let s = sim.press(Action::TypesDone);
    assert!(s.writes.contains(&Write::Rows(vec!["thon".into(), "yte".into()])));
    // Nothing selected cannot be confirmed.
    let mut sim = Sim::new(&["thon"], false);
    sim.press(Action::Tables);
    sim.press(Action::Toggle("thon".into()));
    let s = sim.press(Action::TypesDone);
    assert!(s.writes.is_empty());
    assert!(matches!(sim.state, State::PickTypes { .. }));
}

#[test]
fn a_whole_row_in_one_message_is_saved_and_checked() {
    let mut sim = Sim::new(&["thon", "coquan"], true);
    sim.press(Action::Row("B1".into(), "thon".into()));
    let s = sim.text(B1_THON);
    let t = all_text(&s);
    assert!(t.contains("Đã lưu Biểu 1"), "{t}");
    assert!(t.contains("Biểu 1 — Cơ quan (dòng 2/2)"), "the next row follows: {t}");
    assert!(t.contains("💡"), "the ≤3-member info is shown: {t}");
    assert_eq!(sim.value("B1.members_total", "thon"), Some("120".into()));
    assert_eq!(sim.value("B1.hours_per_meeting", "thon"), Some("2".into()));
    assert_eq!(
        sim.state,
        State::Row {
            table: "B1".into(),
            row: "coquan".into()
        },
        "moves on to the next row"
    );
}

#[test]
fn values_can_be_given_one_at_a_time_with_a_decimal_comma() {
    let mut sim = Sim::new(&["thon"], true);
    sim.press(Action::Row("B1".into(), "thon".into()));
    let values: Vec<&str> = "10 2 1 3 4 0 0 120 87,5 12 4 5 90p".split(' ').collect();
    for (i, v) in values.iter().enumerate() {
        let s = sim.text(v);
        if i + 1 < values.len() {
            assert!(
                all_text(&s).contains(&format!("cột {}", i + 2)),
                "asks column {}: {}",
                i + 2,
                all_text(&s)
            );
        }
    }
    assert_eq!(sim.value("B1.attendance_rate_pct", "thon"), Some("87.5".into()));
    assert_eq!(sim.value("B1.hours_per_meeting", "thon"), Some("1.5".into()));
    // A further single value is ambiguous once the row is full.
    sim.press(Action::Row("B1".into(), "thon".into()));
    let s = sim.text("5");
    assert!(s.writes.is_empty());
    assert!(all_text(&s).contains("3=5"));
}

#[test]
fn a_hard_error_is_explained_and_fixed_with_column_equals_value() {
    let mut sim = Sim::new(&["thon"], true);
    sim.press(Action::Row("B1".into(), "thon".into()));
    // Buckets sum to 11, not 10.
    let s = sim.text("10 3 1 3 4 0 0 120 90 12 4 5 2");
    let t = all_text(&s);
    assert!(t.contains("❌"), "{t}");
    assert!(t.contains("phải bằng tổng số chi bộ (10)"), "{t}");
    assert_eq!(
        sim.state,
        State::Row {
            table: "B1".into(),
            row: "thon".into()
        }
    );
    let s = sim.text("2=2");
    assert!(!all_text(&s).contains("❌"), "{}", all_text(&s));
    assert_eq!(sim.value("B1.cells_size_4_5", "thon"), Some("2".into()));
}

#[test]
fn a_warning_needs_a_confirm_press_and_is_recorded() {
    let mut sim = Sim::new(&["thon"], true);
    sim.press(Action::Row("B1".into(), "thon".into()));
    // 10 meetings a year: fewer than monthly.
    let s = sim.text("10 2 1 3 4 0 0 120 90 10 4 5 2");
    assert!(all_text(&s).contains("⚠️"));
    assert_eq!(
        sim.state,
        State::ConfirmRow {
            table: "B1".into(),
            row: "thon".into(),
            rules: vec!["R-B1-6".into()]
        }
    );
    let s = sim.press(Action::Confirm);
    assert!(
        s.writes
            .iter()
            .any(|w| matches!(w, Write::ConfirmWarning { rule, row, .. } if rule == "R-B1-6" && row == "thon"))
    );
    // Changing the row again asks again.
    sim.press(Action::Row("B1".into(), "thon".into()));
    let s = sim.text("10=9");
    assert!(s.writes.contains(&Write::ClearWarnings {
        row: "thon".into(),
        table: Some("B1".into())
    }));
    assert!(matches!(sim.state, State::ConfirmRow { .. }));
}

#[test]
fn changing_another_table_keeps_a_confirmed_warning() {
    let mut sim = Sim::new(&["coquan"], true);
    sim.cmd("nhap", "B1 coquan 3 2 0 1 0 0 0 18 95 10 4 4 2");
    sim.press(Action::Confirm);
    assert!(sim.ctx.is_confirmed("R-B1-6", "coquan"));
    sim.cmd("nhap", &format!("B3 coquan {B3_COQUAN}"));
    assert!(
        sim.ctx.is_confirmed("R-B1-6", "coquan"),
        "a Biểu 3 row does not touch Biểu 1's warning"
    );
}

#[test]
fn typing_mistakes_name_the_column_and_save_nothing() {
    let mut sim = Sim::new(&["thon"], true);
    sim.press(Action::Row("B1".into(), "thon".into()));
    let s = sim.text("10 2 1 3 4 0 0 120 abc 12 4 5 2");
    let t = all_text(&s);
    assert!(t.contains("cột 9") && t.contains("không phải là số"), "{t}");
    assert!(t.contains("Chưa lưu số nào"), "{t}");
    assert!(s.writes.is_empty());
    assert_eq!(sim.ctx.get("B1.members_total", "thon"), None);
    let s = sim.text("1 2 3");
    assert!(s.writes.is_empty());
    assert!(
        all_text(&s).contains("cần 13 số") && all_text(&s).contains("Chưa lưu"),
        "{}",
        all_text(&s)
    );
    // Past a column's maximum, or not a finite number: refused, nothing stored.
    let s = sim.text("1=99999999999999999999");
    assert!(
        s.writes.is_empty() && all_text(&s).contains("lớn quá"),
        "{}",
        all_text(&s)
    );
    let s = sim.text(&format!("11={}", "9".repeat(400)));
    assert!(
        s.writes.is_empty() && all_text(&s).contains("lớn quá"),
        "{}",
        all_text(&s)
    );
    let s = sim.text("1=5000");
    assert!(
        s.writes.is_empty() && all_text(&s).contains("không quá 1000"),
        "{}",
        all_text(&s)
    );
    let s = sim.text("9=101");
    assert!(all_text(&s).contains("không được quá 100"));
    let s = sim.text("1=2,5");
    assert!(all_text(&s).contains("số nguyên"));
    let s = sim.text("99=1");
    assert!(all_text(&s).contains("không có cột 99"));
}

#[test]
fn prose_sent_while_figures_are_expected_is_explained_not_parsed() {
    let mut sim = Sim::new(&["thon"], true);
    sim.press(Action::Row("B1".into(), "thon".into()));
    let s = sim.text("Chi bộ đã tổ chức sinh hoạt đều đặn hằng tháng");
    assert!(s.writes.is_empty());
    assert!(all_text(&s).contains("đang nhập số liệu Biểu 1"), "{}", all_text(&s));
    assert_eq!(
        sim.state,
        State::Row {
            table: "B1".into(),
            row: "thon".into()
        }
    );
    // A typo among figures is still a typo.
    let s = sim.text("10 2 1 3 4 0 0 120 abc 12 4 5 2");
    assert!(all_text(&s).contains("không phải là số"), "{}", all_text(&s));
}
