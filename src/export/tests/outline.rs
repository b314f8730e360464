//! «Đề cương», «Tiến độ», edge cases.

use super::tables::check_totals;
use super::*;

// ---------------------------------------------------------------------------------------
// Đề cương, Tiến độ, edge cases
// ---------------------------------------------------------------------------------------

fn check_outline(s: &ExportSnapshot) {
    let mut book = Book::new(s);
    let sh = book.sheet(OUTLINE_SHEET);
    let merged = merged_units(s);
    // Heading rows, in outline order.
    let mut headings = Vec::new();
    let mut from = 0;
    for n in &s.form.outline {
        let text = format!("{} {}", n.label, n.vi);
        let r = (from..sh.height())
            .find(|&r| sh.text(r, 0) == text)
            .unwrap_or_else(|| panic!("heading {}", n.id));
        headings.push(r);
        from = r + 1;
    }
    for (k, n) in s.form.outline.iter().enumerate() {
        if n.kind != NodeKind::Answer {
            continue;
        }
        let (start, end) = (headings[k] + 1, headings.get(k + 1).copied().unwrap_or(sh.height()));
        for u in &merged {
            let name = shown_name(s, u);
            let r = (start..end)
                .find(|&r| sh.text(r, 1) == name)
                .unwrap_or_else(|| panic!("{} under {}", u.name, n.id));
            let mut text = sh.text(r, 2);
            let mut next = r + 1;
            // Pieces of the answer; one that starts a page repeats the name, «(tiếp theo)».
            let piece = |r: u32| sh.text(r, 1).is_empty() || sh.text(r, 1) == format!("{name} (tiếp theo)");
            while next < end && piece(next) && !sh.text(next, 2).is_empty() {
                text.push(' ');
                text.push_str(&sh.text(next, 2));
                next += 1;
            }
            let want = u.answer(&n.id, "").unwrap_or("(chưa trả lời)");
            assert_eq!(squash(&text), squash(want), "{} {}", u.name, n.id);
        }
    }
    for u in s.units.iter().filter(|u| !merged.iter().any(|m| m.code == u.code)) {
        assert!(
            !sh.contains(&u.name) && !sh.contains(&shown_name(s, u)),
            "{} is not merged",
            u.name
        );
    }
    // The report header fields of every merged unit, «label: value» in the text column.
    let head = sh.find(1, "Đơn vị").expect("field table");
    for u in &merged {
        let r = sh.find(1, &shown_name(s, u)).expect("unit in the field table");
        assert!(r > head && r < headings[0]);
        let want: Vec<String> = s
            .form
            .report_fields
            .iter()
            .filter_map(|f| u.answer(&f.id, "").map(|v| format!("{}: {v}", f.label)))
            .collect();
        assert_eq!(sh.text(r, 2), want.join("; "));
    }
}

#[test]
fn every_answer_is_under_its_heading() {
    check_outline(&sample(false));
    check_outline(&sample(true));
}

#[test]
fn long_answers_are_split_over_rows() {
    let s = sample(false);
    let mut book = Book::new(&s);
    let sh = book.sheet(OUTLINE_SHEET);
    let r = (0..sh.height())
        .find(|&r| sh.text(r, 2).starts_with("Đoạn 1:"))
        .expect("long answer");
    assert!(sh.text(r + 1, 2).starts_with("Đoạn "), "continued");
    // The answer runs over a page: the piece that starts it names the unit again.
    let name = "Đảng ủy xã Mường So";
    let pieces: Vec<u32> = (r + 1..sh.height())
        .take_while(|&k| sh.text(k, 2).starts_with("Đoạn "))
        .collect();
    assert!(pieces.len() >= 2, "{} pieces", pieces.len());
    assert!(
        pieces.iter().any(|&k| sh.text(k, 1) == format!("{name} (tiếp theo)")),
        "the name is repeated where the answer continues on a new page"
    );
}

#[test]
fn progress_lists_every_unit_and_charts_the_counts() {
    let s = sample(false);
    let mut book = Book::new(&s);
    let sh = book.sheet(PROGRESS_SHEET);
    use super::super::progress::*;
    let field = |u: &UnitReport, id: &str| u.answer(id, "").unwrap_or("").to_owned();
    for u in &s.units {
        let r = sh.find(NAME_COL as u32, &u.name).expect("unit row");
        assert_eq!(sh.text(r, CHAT_COL as u32), u.secretaries.join(", "));
        let mut at = u.submitted_at.clone().unwrap_or_default();
        if u.late {
            at = format!("{at} (muộn)");
        }
        assert_eq!(sh.text(r, SUBMITTED_COL as u32), at);
        assert!(close(
            sh.number(r, COMPLETE_COL as u32).expect("pct"),
            u.completeness_pct / 100.0
        ));
        for w in &u.open_warnings {
            assert!(sh.text(r, WARNINGS_COL as u32).contains(w.as_str()));
        }
        // The unit's own report header: number and date, signer and title, phone.
        let number = [field(u, "HD.so"), field(u, "HD.ngay")]
            .into_iter()
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()
            .join(", ");
        assert_eq!(sh.text(r, NUMBER_COL as u32), number);
        let (who, title) = (field(u, "HD.nguoi_ky"), field(u, "HD.chuc_vu"));
        if !who.is_empty() {
            assert_eq!(sh.text(r, SIGNER_COL as u32), format!("{who} ({title})"));
        }
        assert_eq!(sh.text(r, PHONE_COL as u32), field(u, "HD.dien_thoai"));
        let returned = u
            .returned
            .as_ref()
            .map(|(at, why)| format!("{at}: {why}"))
            .unwrap_or_default();
        assert_eq!(sh.text(r, RETURNED_COL as u32), returned);
        assert_eq!(
            sh.text(r, ACCEPTED_COL as u32),
            u.accepted_at.clone().unwrap_or_default()
        );
    }
    let statuses = [
        ReportStatus::NotStarted,
        ReportStatus::Draft,
        ReportStatus::Submitted,
        ReportStatus::Returned,
        ReportStatus::Accepted,
    ];
    let counts_top = sh.find(1, "Trạng thái").expect("counts table");
    for st in statuses {
        let r = (counts_top..sh.height())
            .find(|&r| sh.text(r, 1) == st.label())
            .expect("status row");
        let n = s.units.iter().filter(|u| u.status == st).count();
        assert_eq!(sh.number(r, 2), Some(n as f64), "{}", st.label());
        assert!(sh.formula(r, 2).contains("COUNTIF"));
    }
    let late = (counts_top..sh.height())
        .find(|&r| sh.text(r, 1) == "Trong đó nộp muộn")
        .expect("late row");
    assert_eq!(sh.number(late, 2), Some(1.0));
    let needle = b"xl/charts/chart1.xml";
    assert!(book.bytes.windows(needle.len()).any(|w| w == needle), "a chart");
}

#[test]
fn no_merged_unit_still_builds() {
    let mut s = sample(false);
    s.units.retain(|u| u.status == ReportStatus::NotStarted);
    check_totals(&s).expect("totals");
    check_outline(&s);
    let mut book = Book::new(&s);
    let b1 = book.sheet("Biểu 1");
    assert!(b1.contains("(Chưa có báo cáo nào được tổng hợp)"));
    s.units.clear();
    Book::new(&s);
}

// ---------------------------------------------------------------------------------------
// Coverage: every merged sheet says what it holds and names what it lacks
// ---------------------------------------------------------------------------------------

#[test]
fn every_merged_sheet_states_its_coverage() {
    let cases = [
        (
            false,
            "Tổng hợp 3/6 đơn vị: 2 đã nộp, 1 đã duyệt. Chưa tổng hợp 3 đơn vị: Đảng ủy thị trấn Phong Thổ \
             (đang nhập), Đảng ủy xã Dào San (chưa bắt đầu), Chi bộ Công an huyện (trả lại).",
        ),
        (
            true,
            "Tổng hợp 5/6 đơn vị: 2 đã nộp, 1 đã duyệt, 1 bản nháp chưa nộp, 1 bị trả lại chưa nộp lại. \
             Chưa tổng hợp 1 đơn vị: Đảng ủy xã Dào San (chưa bắt đầu).",
        ),
    ];
    for (drafts, want) in cases {
        let s = sample(drafts);
        let mut book = Book::new(&s);
        let mut sheets: Vec<String> = s.form.tables.iter().map(|t| t.short_name.clone()).collect();
        sheets.push(OUTLINE_SHEET.to_owned());
        sheets.push(SUMMARY_SHEET.to_owned());
        for name in &sheets {
            let sh = book.sheet(name);
            // Under the title and the subtitle (after TT and «Loại hình chi bộ» on a table
            // printed over several page widths).
            let line = [0, 2].map(|c| sh.text(4, c)).join("");
            assert_eq!(line, want, "{name}, drafts {drafts}");
        }
        // Under every answer heading of the outline, the units left out are named again.
        let sh = book.sheet(OUTLINE_SHEET);
        let missing = want.split_once(". ").expect("two sentences").1;
        let lines = (0..sh.height()).filter(|&r| sh.text(r, 0) == missing).count();
        assert_eq!(lines, s.form.answer_nodes().count(), "drafts {drafts}");
    }
}

#[test]
fn a_long_list_of_missing_units_is_cut_and_counted() {
    let mut s = sample(false);
    for i in 0..100 {
        s.units.push(unit(
            &format!("x{i}"),
            &format!("Chi bộ số {i}"),
            ReportStatus::NotStarted,
            &["thon"],
        ));
    }
    let mut book = Book::new(&s);
    let sh = book.sheet("Biểu 1");
    let text = sh.text(4, 0);
    assert!(text.starts_with("Tổng hợp 3/106 đơn vị"), "{text}");
    assert!(text.ends_with("và 63 đơn vị khác (xem sheet Tiến độ)."), "{text}");
    assert!(text.contains("Chi bộ số 36 (chưa bắt đầu)") && !text.contains("Chi bộ số 37 "));
}
