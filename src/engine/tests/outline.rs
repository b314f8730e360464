//! The outline: answers saved when sent, the next heading in the same message, guidance.

use super::*;

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
