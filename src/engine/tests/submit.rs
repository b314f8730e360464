//! Shortcuts, the review and the submission.

use super::*;

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
