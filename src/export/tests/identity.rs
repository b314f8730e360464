//! The committee's identity comes from the form file: another committee's test form prints
//! its own header, place, date, signature and recipients, and nothing of Phong Thổ.

use super::*;

const XA_FORM: &str = include_str!("../../../tests/fixtures/form_dang_uy_xa.toml");

fn xa_snapshot() -> ExportSnapshot {
    let form = Arc::new(Form::parse(XA_FORM).expect("the test form is valid"));
    let mut a = unit("a", "Chi bộ bản Mường Phăng", ReportStatus::Submitted, &["ban"]);
    let mut b = unit("b", "Chi bộ Trường Tiểu học", ReportStatus::Accepted, &["truong"]);
    let c = unit("c", "Chi bộ bản Che Căn", ReportStatus::NotStarted, &["ban"]);
    for (u, cells, members, pct) in [(&mut a, "2", "30", "90"), (&mut b, "1", "12", "100")] {
        let code = u.rows[0].clone();
        put(u, "B1.cells_total", &code, Some(cells));
        put(u, "B1.members_total", &code, Some(members));
        put(u, "B1.attendance_pct", &code, Some(pct));
        put(u, "I.1", "", Some("Sinh hoạt đều đặn hằng tháng."));
    }
    ExportSnapshot {
        // An export made long after the report: its clock is printed nowhere on the sheets.
        generated_at: "01/12/2026 09:00".into(),
        deadline: "20/11/2025".into(),
        report_number: Some("12-BC/ĐU".into()),
        report_date: "25/11/2025".into(),
        ..snapshot(form, vec![a, b, c], false)
    }
}

fn texts(sh: &Sheet) -> Vec<String> {
    sh.cells
        .used_cells()
        .filter_map(|(_, _, d)| match d {
            Data::String(s) => Some(s.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn header_date_and_signature_come_from_the_form() {
    let s = xa_snapshot();
    let mut book = Book::new(&s);
    for name in ["Biểu 1", OUTLINE_SHEET, SUMMARY_SHEET] {
        let sh = book.sheet(name);
        assert_eq!(sh.text(0, 0), "ĐẢNG BỘ TỈNH ĐIỆN BIÊN", "{name}");
        assert_eq!(sh.text(1, 0), "ĐẢNG ỦY XÃ MƯỜNG PHĂNG", "{name}");
        let all = texts(&sh);
        let has = |t: &str| all.iter().any(|x| x == t);
        assert!(has("Mường Phăng, ngày 25 tháng 11 năm 2025"), "{name}: date line");
        assert!(
            has("(Kèm theo Báo cáo số 12-BC/ĐU, ngày 25/11/2025 của Ban Thường vụ Đảng ủy xã)"),
            "{name}: subtitle"
        );
        assert!(
            has(
                "Tổng hợp 2/3 đơn vị: 1 đã nộp, 1 đã duyệt. Chưa tổng hợp 1 đơn vị: Chi bộ bản Che Căn (chưa bắt đầu)."
            ),
            "{name}: coverage"
        );
        for t in &all {
            for foreign in ["PHONG THỔ", "Phong Thổ", "LAI CHÂU", "Huyện ủy", "HUYỆN", "2026"] {
                assert!(!t.contains(foreign), "{name}: «{t}» speaks of {foreign}");
            }
        }
    }
    // The signature block under the grid: on behalf, title, room to sign, name; recipients left.
    let sh = book.sheet("Biểu 1");
    let (r, c) = sh
        .cells
        .used_cells()
        .find(|(_, _, d)| matches!(d, Data::String(t) if t == "T/M ĐẢNG ỦY"))
        .map(|(r, c, _)| (r as u32, c as u32))
        .expect("signature");
    assert_eq!(sh.text(r + 1, c), "BÍ THƯ");
    assert_eq!(sh.text(r + 5, c), "Lò Văn Pâng");
    assert_eq!(sh.text(r, 0), "Nơi nhận:");
    assert_eq!(sh.text(r + 1, 0), "- Ban Tổ chức Tỉnh ủy (b/c),");
    assert_eq!(sh.text(r + 2, 0), "- Lưu Văn phòng Đảng ủy.");
    let total = sh.find(1, "Tổng số").expect("total row");
    assert!(r > total);
}

#[test]
fn without_a_number_the_subtitle_leaves_room_to_write_it() {
    let s = ExportSnapshot {
        report_number: None,
        report_date: "20/11/2025".into(),
        ..xa_snapshot()
    };
    let mut book = Book::new(&s);
    let sh = book.sheet("Biểu 1");
    let all = texts(&sh);
    assert!(
        all.iter()
            .any(|t| t == "(Kèm theo Báo cáo số ……, ngày 20/11/2025 của Ban Thường vụ Đảng ủy xã)")
    );
    assert!(all.iter().any(|t| t == "Mường Phăng, ngày 20 tháng 11 năm 2025"));
}
