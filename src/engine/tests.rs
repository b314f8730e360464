//! The conversation without I/O: drive the pure step with tables of inputs and look at
//! the state, the writes and the replies.

use chrono::NaiveDate;

use super::check::UnitCtx;
use super::flow::{Env, Input, Step, Write, step};
use super::state::{Action, State};
use crate::form::Form;
use crate::store::Status;

/// A valid Biểu 1 row for 10 village cells (one INFO: cells with ≤ 3 members).
pub const B1_THON: &str = "10 2 1 3 4 0 0 120 90 12 4 5 2";
pub const B2_THON: &str = "10 0 10 2 8 10 0 2 6 2 1 3 2 4 3 6 1";
pub const B3_THON: &str = "20 20 20 20 20 20 20 15 15 10 10 10";
pub const B4_THON: &str = "10 10 6 8 2 1 3";
pub const B1_COQUAN: &str = "3 2 0 1 0 0 0 18 95 12 4 4 2";
pub const B2_COQUAN: &str = "3 0 3 0 0 3 1 2 0 0 3 0 0 0 3 0 0";
pub const B3_COQUAN: &str = "10 10 5 5 0 10 10 5 0 5 0 0";

struct Sim {
    form: Form,
    env: Env,
    ctx: UnitCtx,
    state: State,
    submitted: bool,
}

impl Sim {
    fn new(rows: &[&str], chosen: bool) -> Sim {
        let form = Form::embedded();
        let env = Env {
            today: NaiveDate::from_ymd_opt(2023, 12, 1).unwrap(),
            deadline: NaiveDate::from_ymd_opt(2023, 12, 10).unwrap(),
            now_text: "01/12/2023 09:00".into(),
            past_deadline: false,
            status: Status::Draft,
            submitted_text: None,
            sent_at: None,
        };
        let ctx = UnitCtx {
            unit_name: "Đảng bộ xã Mường So".into(),
            chi_bo: false,
            commune: true,
            rows: rows.iter().map(|s| s.to_string()).collect(),
            rows_chosen: chosen,
            ..UnitCtx::default()
        };
        Sim {
            form,
            env,
            ctx,
            state: State::Menu,
            submitted: false,
        }
    }

    fn send(&mut self, input: Input) -> Step {
        let s = step(&self.form, &self.env, self.ctx.clone(), self.state.clone(), input);
        for w in &s.writes {
            match w {
                Write::Answer { key, row, value } => self.ctx.set(key, row, value.clone()),
                Write::Rows(r) => {
                    self.ctx.rows = r.clone();
                    self.ctx.rows_chosen = true;
                }
                Write::ClearWarnings { row, table } => {
                    let rules = table.as_ref().map(|t| super::flow::rules_reading(&self.form, t));
                    self.ctx
                        .confirmed
                        .retain(|(rule, r)| r != row || rules.as_ref().is_some_and(|x| !x.contains(rule)))
                }
                Write::ConfirmWarning { rule, row, .. } => self.ctx.confirmed.push((rule.clone(), row.clone())),
                Write::Submit { .. } => {
                    self.submitted = true;
                    self.env.status = Status::Submitted;
                    self.env.submitted_text = Some(self.env.now_text.clone());
                }
                Write::NotifyBoard(_) => {}
            }
        }
        for r in &s.replies {
            assert!(!r.text.trim().is_empty(), "empty reply");
            assert!(
                r.text
                    .chars()
                    .any(|c| "ăâđêôơưáàảãạéèẻẽẹíìỉĩịóòỏõọúùủũụýỳỷỹỵ".contains(c.to_lowercase().next().unwrap())),
                "reply without Vietnamese text: {}",
                r.text
            );
            for b in r.buttons.iter().flatten() {
                assert!(
                    Action::decode(&b.data).is_some(),
                    "button {} has bad data {}",
                    b.label,
                    b.data
                );
            }
        }
        self.state = s.next.clone();
        s
    }

    fn text(&mut self, t: &str) -> Step {
        self.send(Input::Text(t.into()))
    }
    fn press(&mut self, a: Action) -> Step {
        self.send(Input::Button(a))
    }
    fn cmd(&mut self, name: &str, args: &str) -> Step {
        self.send(Input::Command {
            name: name.into(),
            args: args.into(),
        })
    }
    fn value(&self, key: &str, row: &str) -> Option<String> {
        self.ctx.get(key, row).cloned().flatten()
    }
}

fn all_text(s: &Step) -> String {
    s.replies.iter().map(|r| r.text.as_str()).collect::<Vec<_>>().join("\n")
}

fn has_button(s: &Step, a: &Action) -> bool {
    s.replies
        .iter()
        .flat_map(|r| r.buttons.iter().flatten())
        .any(|b| b.data == a.encode())
}

#[test]
fn menu_shows_progress_and_the_four_tasks() {
    let mut sim = Sim::new(&["thon"], true);
    let s = sim.cmd("menu", "");
    let t = all_text(&s);
    assert!(t.contains("Đảng bộ xã Mường So"), "{t}");
    assert!(t.contains("còn 9 ngày"), "{t}");
    for a in [Action::Outline, Action::Tables, Action::Fields, Action::Review] {
        assert!(has_button(&s, &a), "missing {a:?}");
    }
    assert_eq!(sim.state, State::Menu);
}

#[test]
fn an_answer_is_saved_when_sent_and_the_next_heading_follows_in_the_same_message() {
    let mut sim = Sim::new(&["thon"], true);
    let s = sim.press(Action::OutlineNext);
    assert!(matches!(&sim.state, State::Answer { node, .. } if node == "I.1"));
    assert!(all_text(&s).contains("Khái quát chung về đảng bộ, chi bộ."));
    let s = sim.text("Đảng bộ có 20 chi bộ.");
    assert_eq!(s.replies.len(), 1, "one message per action");
    assert_eq!(sim.value("I.1", ""), Some("Đảng bộ có 20 chi bộ.".into()));
    assert!(matches!(&s.writes[..], [Write::Answer { key, .. }] if key == "I.1"));
    assert!(matches!(&sim.state, State::Answer { node, prev: Some(p), .. } if node == "I.2.1" && p.node == "I.1"));
    let t = all_text(&s);
    assert!(t.contains("Đã lưu mục I.1") && t.contains("Thuận lợi"), "{t}");
    assert!(has_button(&s, &Action::Append("I.1".into())));
    // «Bổ sung» adds to the answer just given, then the walk goes on where it was.
    sim.press(Action::Append("I.1".into()));
    sim.text("Trong đó 15 chi bộ thôn, bản.");
    assert_eq!(
        sim.value("I.1", ""),
        Some("Đảng bộ có 20 chi bộ.\nTrong đó 15 chi bộ thôn, bản.".into())
    );
    assert!(matches!(&sim.state, State::Answer { node, .. } if node == "I.2.1"));
}

#[test]
fn a_message_the_phone_split_joins_the_answer_it_belongs_to() {
    let mut sim = Sim::new(&["thon"], true);
    sim.press(Action::Open("I.1".into()));
    let first = format!("Phần đầu của một câu trả lời dài. {}", "Nội dung. ".repeat(400));
    sim.env.sent_at = Some(1_000);
    sim.text(&first);
    sim.env.sent_at = Some(1_001);
    let s = sim.text("Phần sau, điện thoại tách ra.");
    assert_eq!(
        sim.value("I.1", ""),
        Some(format!("{}\nPhần sau, điện thoại tách ra.", first.trim()))
    );
    assert_eq!(sim.value("I.2.1", ""), None);
    assert!(all_text(&s).contains("Đã nối"), "{}", all_text(&s));
    // A message sent later is the next heading's answer; so is a quick one after a short one.
    sim.env.sent_at = Some(1_060);
    sim.text("Thuận lợi: giao thông tốt.");
    assert_eq!(sim.value("I.2.1", ""), Some("Thuận lợi: giao thông tốt.".into()));
    sim.env.sent_at = Some(1_061);
    sim.text("Khó khăn: địa bàn rộng.");
    assert_eq!(sim.value("I.2.2", ""), Some("Khó khăn: địa bàn rộng.".into()));
}

#[test]
fn rewrite_replaces_the_old_answer() {
    let mut sim = Sim::new(&["thon"], true);
    sim.press(Action::Open("I.2.2".into()));
    sim.text("Cũ");
    sim.press(Action::Replace("I.2.2".into()));
    sim.text("Mới hoàn toàn");
    assert_eq!(sim.value("I.2.2", ""), Some("Mới hoàn toàn".into()));
    sim.press(Action::Append("I.2.2".into()));
    sim.text("thêm");
    assert_eq!(sim.value("I.2.2", ""), Some("Mới hoàn toàn\nthêm".into()));
}

#[test]
fn text_of_invisible_characters_only_is_empty_and_nothing_is_saved() {
    let mut sim = Sim::new(&["thon"], true);
    sim.press(Action::Open("I.1".into()));
    let s = sim.text("\u{200B}\u{200B} \u{FEFF}");
    assert!(s.writes.is_empty());
    assert!(all_text(&s).contains("chưa lưu"), "{}", all_text(&s));
    assert_eq!(sim.value("I.1", ""), None);
}

#[test]
fn an_answer_over_the_length_limit_is_refused_and_nothing_is_written() {
    let mut sim = Sim::new(&["thon"], true);
    sim.press(Action::Open("I.2.2".into()));
    let long = "a".repeat(sim.form.campaign.answer_max_chars + 1);
    let s = sim.text(&long);
    assert!(s.writes.is_empty());
    assert!(all_text(&s).contains("8000"), "{}", all_text(&s));
    assert_eq!(sim.value("I.2.2", ""), None);
}

#[test]
fn not_applicable_is_offered_only_where_the_heading_excludes_the_unit() {
    // III.2.5 concerns residential cells; a unit of agencies only may mark it N/A.
    let mut sim = Sim::new(&["coquan"], true);
    let s = sim.press(Action::Open("III.2.5".into()));
    assert!(has_button(&s, &Action::NotApplicable));
    sim.press(Action::NotApplicable);
    assert_eq!(sim.value("III.2.5", ""), Some("Không áp dụng".into()));
    // A commune with villages must answer it.
    let mut sim = Sim::new(&["thon"], true);
    let s = sim.press(Action::Open("III.2.5".into()));
    assert!(!has_button(&s, &Action::NotApplicable));
    let s = sim.press(Action::NotApplicable);
    assert!(s.writes.is_empty());
    assert!(all_text(&s).contains("cần trả lời"));
}

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
fn the_nhap_shortcut_goes_through_the_same_checks() {
    let mut sim = Sim::new(&["thon", "coquan"], true);
    let s = sim.cmd("nhap", &format!("b1 THON {B1_THON}"));
    assert!(all_text(&s).contains("hợp lệ"), "{}", all_text(&s));
    assert!(!all_text(&s).contains("dòng 2/2"), "no next-row screen after /nhap");
    assert_eq!(sim.value("B1.cells_total", "thon"), Some("10".into()));
    let s = sim.cmd("nhap", "B1 coquan 3 3 0 1 0 0 0 18 95 12 4 4 2");
    assert!(all_text(&s).contains("❌"));
    assert_eq!(
        sim.state,
        State::Row {
            table: "B1".into(),
            row: "coquan".into()
        }
    );
    for (args, expect) in [
        ("B9 thon 1", "Không có biểu"),
        ("B1 xyz 1", "Không có loại hình"),
        ("B1 yte 1 2", "chưa chọn loại hình"),
        ("B1 giaoduc 1 2", "chưa chọn loại hình"),
        ("B4 coquan 1 2 3 4 5 6 7", "chỉ có dòng cho chi bộ thôn"),
        ("B1", "Cách dùng"),
        ("B1 thon 1 2", "cần 13 số"),
    ] {
        let s = sim.cmd("nhap", args);
        assert!(all_text(&s).contains(expect), "{args}: {}", all_text(&s));
    }
}

#[test]
fn the_traloi_shortcut_answers_headings_and_header_fields() {
    let mut sim = Sim::new(&["thon"], true);
    sim.cmd("traloi", "iii.2.2.a Chi bộ duy trì sinh hoạt đều đặn.");
    assert_eq!(
        sim.value("III.2.2.a", ""),
        Some("Chi bộ duy trì sinh hoạt đều đặn.".into())
    );
    let s = sim.cmd("traloi", "III.2 nội dung");
    assert!(all_text(&s).contains("mục nhóm"));
    let s = sim.cmd("traloi", "X.9 nội dung");
    assert!(all_text(&s).contains("Không có mục"));
    sim.cmd("traloi", "HD.dien_thoai +84 912 345 678");
    assert_eq!(sim.value("HD.dien_thoai", ""), Some("0912345678".into()));
    // An implausible number is saved but needs confirmation.
    let s = sim.cmd("traloi", "HD.dien_thoai 12345678");
    assert!(all_text(&s).contains("⚠️"));
    assert!(matches!(sim.state, State::ConfirmField { .. }));
    sim.press(Action::Confirm);
    assert!(sim.ctx.is_confirmed("R-DOC-5", "HD.dien_thoai"));
    let s = sim.cmd("traloi", "HD.ngay 31/02/2023");
    assert!(all_text(&s).contains("Ngày chưa đúng"));
    sim.text("5/12/2023");
    assert_eq!(sim.value("HD.ngay", ""), Some("05/12/2023".into()));
}

#[test]
fn submitting_takes_one_confirmation_that_names_empty_items_then_locks() {
    let mut sim = Sim::new(&["coquan"], true);
    sim.cmd("nhap", &format!("B1 coquan {B1_COQUAN}"));
    sim.cmd("nhap", &format!("B2 coquan {B2_COQUAN}"));
    sim.cmd("nhap", &format!("B3 coquan {B3_COQUAN}"));
    let s = sim.cmd("nop", "");
    assert_eq!(sim.state, State::ConfirmSubmit { second: false });
    let t = all_text(&s);
    assert!(t.contains("Nộp báo cáo của Đảng bộ xã Mường So"), "{t}");
    assert!(t.contains("mục trống"), "{t}");
    assert!(!sim.submitted);
    let s = sim.press(Action::SubmitYes);
    assert!(sim.submitted);
    assert!(s.writes.iter().any(|w| matches!(w, Write::NotifyBoard(_))));
    // Read-only now.
    let s = sim.cmd("traloi", "I.1 sửa");
    assert!(all_text(&s).contains("không sửa được"));
    assert!(s.writes.is_empty());
    let s = sim.press(Action::Row("B1".into(), "coquan".into()));
    assert!(s.writes.is_empty() && all_text(&s).contains("không sửa được"));
}

#[test]
fn hard_errors_block_submission() {
    let mut sim = Sim::new(&["coquan"], true);
    sim.cmd("nhap", "B1 coquan 3 3 0 1 0 0 0 18 95 12 4 4 2");
    let s = sim.cmd("nop", "");
    assert!(all_text(&s).contains("Chưa nộp được"), "{}", all_text(&s));
    assert_eq!(sim.state, State::Menu);
    let s = sim.press(Action::SubmitYes);
    assert!(!sim.submitted);
    assert!(all_text(&s).contains("bước đã qua") || all_text(&s).contains("Chưa nộp được"));
}

#[test]
fn cross_table_mismatch_is_reported_and_blocks_submission() {
    let mut sim = Sim::new(&["coquan"], true);
    sim.cmd("nhap", &format!("B1 coquan {B1_COQUAN}"));
    // B2 says 4 cells where B1 says 3.
    let s = sim.cmd("nhap", "B2 coquan 4 0 4 0 0 4 1 3 0 0 4 0 0 0 4 0 0");
    assert!(all_text(&s).contains("Chưa khớp giữa các biểu"), "{}", all_text(&s));
    let s = sim.cmd("kiemtra", "");
    assert!(all_text(&s).contains("Lỗi phải sửa"));
    let s = sim.cmd("nop", "");
    assert!(all_text(&s).contains("Chưa nộp được"));
}

#[test]
fn no_input_is_left_without_an_answer() {
    let states = [
        State::Menu,
        State::Answer {
            node: "I.1".into(),
            replace: false,
            prev: None,
        },
        State::Field {
            id: "HD.so".into(),
            guided: true,
        },
        State::PickTypes {
            selected: vec!["thon".into()],
        },
        State::Row {
            table: "B1".into(),
            row: "thon".into(),
        },
        State::ConfirmSubmit { second: false },
    ];
    let inputs = [
        Input::Media,
        Input::Edited,
        Input::StaleButton,
        Input::Text("???".into()),
        Input::Command {
            name: "khonglenh".into(),
            args: String::new(),
        },
        Input::Command {
            name: "tonghop".into(),
            args: String::new(),
        },
        Input::Button(Action::Confirm),
        Input::Command {
            name: "huy".into(),
            args: String::new(),
        },
        Input::Command {
            name: "trogiup".into(),
            args: String::new(),
        },
    ];
    for st in &states {
        for i in &inputs {
            let mut sim = Sim::new(&["thon"], true);
            sim.state = st.clone();
            let s = sim.send(i.clone());
            assert!(!s.replies.is_empty(), "{st:?} + {i:?} got silence");
        }
    }
}

#[test]
fn cancel_keeps_what_was_saved() {
    let mut sim = Sim::new(&["thon"], true);
    sim.press(Action::Open("II".into()));
    sim.text("Nội dung đã gửi");
    let s = sim.cmd("huy", "");
    assert!(all_text(&s).contains("được lưu"));
    assert_eq!(sim.state, State::Menu);
    assert_eq!(sim.value("II", ""), Some("Nội dung đã gửi".into()));
}

#[test]
fn guiding_questions_of_a_container_are_shown_with_its_headings() {
    let mut sim = Sim::new(&["thon", "coquan"], true);
    for node in ["III.2.2.a", "III.2.2.b"] {
        let s = sim.press(Action::Open(node.into()));
        assert!(all_text(&s).chars().count() <= 1000, "{node}: a short screen");
        assert!(
            has_button(&s, &Action::Guide(node.into())),
            "{node}: the rest is one press away"
        );
        let s = sim.press(Action::Guide(node.into()));
        assert!(
            all_text(&s).contains("Các chi bộ có sinh hoạt đủ các nội dung nêu trên không?"),
            "{node}"
        );
    }
    let s = sim.press(Action::Open("IV.1".into()));
    assert!(all_text(&s).contains("so sánh giữa các loại hình"), "{}", all_text(&s));
}

#[test]
fn a_complete_report_submits_after_one_confirmation() {
    let mut sim = Sim::new(&["thon"], true);
    for (t, row) in [("B1", B1_THON), ("B2", B2_THON), ("B3", B3_THON), ("B4", B4_THON)] {
        let s = sim.cmd("nhap", &format!("{t} thon {row}"));
        assert!(!all_text(&s).contains('❌'), "{t}: {}", all_text(&s));
    }
    let ids: Vec<String> = sim.form.answer_nodes().map(|n| n.id.clone()).collect();
    for id in ids {
        sim.cmd("traloi", &format!("{id} Nội dung mục {id}"));
    }
    for (f, v) in [
        ("HD.so", "12-BC/ĐU"),
        ("HD.ngay", "04/12/2023"),
        ("HD.nguoi_lap", "Lò Văn A"),
        ("HD.nguoi_ky", "Tòng Văn B"),
        ("HD.chuc_vu", "Bí thư"),
        ("HD.dien_thoai", "0912345678"),
    ] {
        sim.cmd("traloi", &format!("{f} {v}"));
    }
    let s = sim.cmd("kiemtra", "");
    assert!(!all_text(&s).contains("Còn thiếu"), "{}", all_text(&s));
    sim.cmd("nop", "");
    sim.press(Action::SubmitYes);
    assert!(sim.submitted, "no second confirmation when nothing is missing");
}

#[test]
fn the_nhap_shortcut_accepts_the_preselected_cell_types() {
    let mut sim = Sim::new(&["coquan"], false);
    let s = sim.cmd("nhap", &format!("B1 coquan {B1_COQUAN}"));
    assert!(s.writes.contains(&Write::Rows(vec!["coquan".into()])));
    assert!(sim.ctx.rows_chosen);
    let s = sim.cmd("nhap", "B1 thon 1");
    assert!(all_text(&s).contains("chưa chọn loại hình"));
}

#[test]
fn a_comparing_heading_that_names_one_type_needs_a_confirmation() {
    let mut sim = Sim::new(&["thon", "coquan"], true);
    let s = sim.press(Action::Open("IV.1".into()));
    assert!(
        all_text(&s).contains("Thôn, bản, Cơ quan"),
        "only the unit's own types: {}",
        all_text(&s)
    );
    let s = sim.text("Các chi bộ thôn, bản sinh hoạt đều.");
    assert!(all_text(&s).contains("so sánh giữa các loại hình"), "{}", all_text(&s));
    assert_eq!(sim.state, State::ConfirmAnswer { node: "IV.1".into() });
    assert_eq!(
        sim.value("IV.1", ""),
        Some("Các chi bộ thôn, bản sinh hoạt đều.".into())
    );
    // Adding the other type settles it, and the next heading follows.
    let s = sim.text("Chi bộ cơ quan duy trì nền nếp tốt hơn.");
    assert!(
        matches!(&sim.state, State::Answer { node, .. } if node == "IV.2.1"),
        "{}",
        all_text(&s)
    );
    // Or it is confirmed as it stands, and the review no longer lists it.
    sim.text("Chỉ nói về thôn.");
    let s = sim.press(Action::Confirm);
    assert!(
        s.writes
            .iter()
            .any(|w| matches!(w, Write::ConfirmWarning { rule, row, .. } if rule == "R-TXT-2" && row == "IV.2.1"))
    );
    let s = sim.cmd("kiemtra", "");
    assert!(!all_text(&s).contains("Mục IV.2.1 nên so sánh"), "{}", all_text(&s));
    // A unit with one type is never asked.
    let mut sim = Sim::new(&["thon"], true);
    sim.press(Action::Open("IV.1".into()));
    sim.text("Các chi bộ thôn, bản sinh hoạt đều.");
    assert!(matches!(&sim.state, State::Answer { node, .. } if node == "IV.2.1"));
}

#[test]
fn prompts_for_other_kinds_of_unit_are_left_out() {
    // III.2.2.b.p4 concerns commune committees guiding village cells.
    let p4 = "Việc Đảng ủy các xã chỉ đạo, hướng dẫn các chi bộ thôn bản";
    let mut commune = Sim::new(&["thon"], true);
    let s = commune.press(Action::Guide("III.2.2.b".into()));
    assert!(all_text(&s).contains(p4), "{}", all_text(&s));
    let mut agency = Sim::new(&["yte"], true);
    agency.ctx.commune = false;
    agency.ctx.chi_bo = true;
    let s = agency.press(Action::Guide("III.2.2.b".into()));
    assert!(!all_text(&s).contains(p4), "{}", all_text(&s));
    assert!(all_text(&s).contains("Việc phân công đảng viên chuẩn bị nội dung chuyên đề."));
}

#[test]
fn a_heading_shows_the_figures_it_should_quote() {
    let mut sim = Sim::new(&["thon", "coquan"], true);
    sim.cmd("nhap", &format!("B1 thon {B1_THON}"));
    sim.cmd("nhap", &format!("B1 coquan {B1_COQUAN}"));
    let s = sim.press(Action::Open("III.2.2.a".into()));
    let t = all_text(&s);
    assert!(t.contains("Số liệu đã nhập"), "{t}");
    assert!(
        t.contains("Tỷ lệ đảng viên dự sinh hoạt bình quân (%): Thôn, bản 90; Cơ quan 95"),
        "{t}"
    );
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
