//! The Biểu sheets: header, committee block, unit blocks, totals.

use super::*;

// ---------------------------------------------------------------------------------------
// Biểu sheets: layout
// ---------------------------------------------------------------------------------------

#[test]
fn sheets_are_in_order() {
    let s = sample(false);
    let book = Book::new(&s);
    let mut want = vec![PROGRESS_SHEET.to_owned(), SUMMARY_SHEET.to_owned()];
    want.extend(s.form.tables.iter().map(|t| t.short_name.clone()));
    want.push(OUTLINE_SHEET.to_owned());
    assert_eq!(book.xlsx.sheet_names(), want);
}

#[test]
fn table_headers_and_merges_follow_the_form() {
    let s = sample(false);
    let mut book = Book::new(&s);
    for t in &s.form.tables {
        let sh = book.sheet(&t.short_name);
        let top = header_top(&sh);
        let d = depth(t);
        let width = 2 + t.columns.len() as u32;
        let cov = super::super::coverage::Coverage::of(&s);
        let splits = super::super::tables::TablePlan::new(&s, &cov, t).g.splits;

        // The committee's header block, the date of the report (the deadline's when the
        // board set none, never the export clock), the title, the subtitle, the coverage.
        assert_eq!(sh.text(0, 0), "ĐẢNG BỘ TỈNH LAI CHÂU", "{}", t.id);
        assert_eq!(sh.text(1, 0), "HUYỆN ỦY PHONG THỔ");
        let right = (0..width)
            .find(|&c| sh.text(0, c) == "ĐẢNG CỘNG SẢN VIỆT NAM")
            .expect("motto");
        assert!(right > 2, "motto on the right");
        assert_eq!(sh.text(1, right), "Phong Thổ, ngày 10 tháng 12 năm 2023");
        // On a table printed over several page widths the title lines start after the
        // repeated TT and «Loại hình chi bộ» columns.
        let first = (0..width).find(|&c| sh.text(2, c) == t.title).expect("title");
        assert!(first == 0 || first == 2, "{}", t.id);
        let title_row = 2;
        assert!(title_row < top);
        let ((_, c0), (_, c1)) = sh.region(title_row, first);
        assert!(c0 == first && c1 >= right, "the title spans the first page width");
        let sub = "(Kèm theo Báo cáo số ……, ngày 10/12/2023 của Ban Thường vụ Huyện ủy)";
        assert_eq!(sh.text(title_row + 1, first), sub);
        assert!(sh.text(title_row + 2, first).starts_with("Tổng hợp 3/6 đơn vị"));

        // TT and «Loại hình chi bộ» span every header row.
        assert_eq!(sh.region(top, 0), ((top, 0), (top + d - 1, 0)));
        assert_eq!(sh.text(top, 1), "Loại hình chi bộ");
        assert_eq!(sh.region(top, 1), ((top, 1), (top + d - 1, 1)));

        for (j, c) in t.columns.iter().enumerate() {
            let col = 2 + j as u32;
            // The leaf, from below its deepest group to the last header row.
            let leaf = top + c.groups.len() as u32;
            assert_eq!(sh.text(leaf, col), c.vi, "{}.{}", t.id, c.key);
            assert_eq!(
                sh.region(leaf, col),
                ((leaf, col), (top + d - 1, col)),
                "{}.{}",
                t.id,
                c.key
            );
            // Each group: the run of adjacent columns sharing the groups down to it.
            for (level, g) in c.groups.iter().enumerate() {
                let same = |k: usize| t.columns[k].groups.get(..=level) == c.groups.get(..=level);
                let mut first = j;
                while first > 0 && same(first - 1) {
                    first -= 1;
                }
                let mut last = j;
                while last + 1 < t.columns.len() && same(last + 1) {
                    last += 1;
                }
                let r = top + level as u32;
                // Cut at the edges of the page widths the table prints over.
                let (mut c0, mut c1) = (2 + first as u32, 2 + last as u32);
                for &split in &splits {
                    let split = u32::from(split);
                    if split > c0 && split <= c1 {
                        if col < split {
                            c1 = split - 1;
                        } else {
                            c0 = split;
                        }
                    }
                }
                assert_eq!(sh.region(r, col), ((r, c0), (r, c1)), "{} group {g}", t.id);
                assert_eq!(sh.text(r, c0), *g);
            }
            // The row of column numbers.
            assert_eq!(sh.text(top + d, col), (j + 1).to_string());
        }
    }
}

/// The structural facts of the reference (§5.1.3, §5.2.2, §5.3, §5.4).
#[test]
fn known_group_spans() {
    let s = sample(false);
    let mut book = Book::new(&s);
    let facts = [
        ("Biểu 1", "Trong đó", 6, 2),
        ("Biểu 2", "Trong đó", 2, 4),
        ("Biểu 2", "Bí thư chi bộ", 12, 4),
        ("Biểu 2", "Chất lượng", 11, 4),
        ("Biểu 2", "Trình độ lý luận chính trị", 4, 4),
        ("Biểu 2", "Trình độ học vấn", 3, 4),
        ("Biểu 3", "Trong đó chia ra các nội dung chuyên đề", 12, 2),
        ("Biểu 4", "Thời điểm 31/3/2018", 3, 2),
        ("Biểu 4", "Thời điểm 30/7/2023", 3, 2),
    ];
    for (name, text, span, header_rows) in facts {
        let sh = book.sheet(name);
        let top = header_top(&sh);
        let (r, c) = (top..top + header_rows)
            .flat_map(|r| (0..30).map(move |c| (r, c)))
            .find(|&(r, c)| sh.text(r, c) == text)
            .unwrap_or_else(|| panic!("{name}: {text}"));
        // The group's pieces (one per page width it prints on) side by side.
        let mut covered = 0;
        let mut at = c;
        while sh.text(r, at) == text {
            let ((r0, c0), (r1, c1)) = sh.region(r, at);
            assert_eq!((r0, r1, c0), (r, r, at), "{name}: {text}");
            covered += c1 - c0 + 1;
            at = c1 + 1;
        }
        assert_eq!(covered, span, "{name}: {text}");
        // The grid's last header row is followed by the column numbers, then totals.
        assert_eq!(sh.text(top + header_rows, 2), "1", "{name}");
    }
    let b2 = book.sheet("Biểu 2");
    let top = header_top(&b2);
    let (r, c) = (0..30)
        .map(|c| (top + 1, c))
        .find(|&(r, c)| b2.text(r, c) == "Số lượng")
        .expect("Số lượng");
    assert_eq!(
        b2.region(r, c),
        ((top + 1, c), (top + 3, c)),
        "«Số lượng» spans rows 2–4"
    );
}

// ---------------------------------------------------------------------------------------
// Biểu sheets: data
// ---------------------------------------------------------------------------------------

fn check_unit_blocks(s: &ExportSnapshot) {
    let mut book = Book::new(s);
    let merged = merged_units(s);
    for t in &s.form.tables {
        let sh = book.sheet(&t.short_name);
        let top = header_top(&sh);
        let first_data = top + depth(t) + 1;
        for u in &s.units {
            let name_row = sh.find(1, &shown_name(s, u));
            if !merged.iter().any(|m| m.code == u.code) || table_rows(&s.form, t, u).is_empty() {
                assert_eq!(name_row, None, "{} must not have a block on {}", u.name, t.id);
                assert!(sh.find(1, &u.name).is_none());
                continue;
            }
            let name_row = name_row.unwrap_or_else(|| panic!("{} on {}", u.name, t.id));
            assert!(name_row > first_data, "unit blocks come after the totals");
            for (i, code) in table_rows(&s.form, t, u).iter().enumerate() {
                let r = name_row + 1 + i as u32;
                let type_name = s.form.cell_type(code).map_or(code.clone(), |c| c.vi.clone());
                assert_eq!(sh.text(r, 1), type_name, "{} {}", u.name, t.id);
                assert_eq!(sh.number(r, 0), Some((i + 1) as f64));
                for (j, c) in t.columns.iter().enumerate() {
                    let want = stored(u, &format!("{}.{}", t.id, c.key), code);
                    assert_eq!(
                        sh.number(r, 2 + j as u32),
                        want,
                        "{} {} {} {}",
                        u.name,
                        t.id,
                        code,
                        c.key
                    );
                }
            }
        }
    }
    // Every unit is on the progress sheet, merged or not, by name.
    let progress = book.sheet(PROGRESS_SHEET);
    for u in &s.units {
        let r = progress
            .find(1, &u.name)
            .unwrap_or_else(|| panic!("{} on Tiến độ", u.name));
        assert_eq!(progress.text(r, 2), u.status.label());
        assert!(!progress.contains(&u.code), "no internal code where a person reads");
    }
}

#[test]
fn merged_units_show_their_figures_and_others_do_not() {
    check_unit_blocks(&sample(false));
}

#[test]
fn drafts_are_merged_and_marked_with_tonghop_tatca() {
    let s = sample(true);
    check_unit_blocks(&s);
    let mut book = Book::new(&s);
    let b1 = book.sheet("Biểu 1");
    assert!(b1.find(1, "Đảng ủy thị trấn Phong Thổ (bản nháp, chưa nộp)").is_some());
    assert!(b1.find(1, "Chi bộ Công an huyện (bị trả lại, chưa nộp lại)").is_some());
    assert!(
        b1.find(1, "Đảng ủy xã Dào San").is_none(),
        "not started is never merged"
    );
}

#[test]
fn explicit_blank_is_an_empty_cell() {
    let s = sample(false);
    let mut book = Book::new(&s);
    let t = s.form.table("B1").expect("B1");
    let sh = book.sheet("Biểu 1");
    let name_row = sh.find(1, "Đảng ủy xã Mường So").expect("unit");
    let coquan = table_rows(&s.form, t, &s.units[0])
        .iter()
        .position(|c| c == "coquan")
        .expect("row");
    let col = 2 + t.column_index("members_total").expect("column") as u32;
    assert_eq!(
        sh.cells.get_value((name_row + 1 + coquan as u32, col)),
        Some(&Data::Empty)
    );
}

/// Expected totals, computed here from the stored text: sums, or Σ(Π weights · value) / Σ(Π
/// weights) over the rows whose value is a number (blank when that is 0); also the plain mean
/// of the row values, which the total must not be when they differ.
fn expected_total(t: &Table, j: usize, rows: &[(&UnitReport, &str)]) -> (Option<f64>, Option<f64>) {
    let c = &t.columns[j];
    let get = |u: &UnitReport, key: &str, code: &str| stored(u, &format!("{}.{}", t.id, key), code);
    let values: Vec<f64> = rows.iter().filter_map(|(u, code)| get(u, &c.key, code)).collect();
    let plain = (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64);
    if c.weight.is_empty() {
        return (Some(values.iter().sum()), plain);
    }
    let (mut num, mut den) = (0.0, 0.0);
    for (u, code) in rows {
        if let Some(v) = get(u, &c.key, code) {
            let w: f64 = c.weight.iter().map(|k| get(u, k, code).unwrap_or(0.0)).product();
            num += w * v;
            den += w;
        }
    }
    ((den != 0.0).then(|| num / den), plain)
}

/// A unit and one of its cell-type codes.
type UnitRow<'a> = (&'a UnitReport, &'a str);

/// Every total cell: its cached value equals the independently computed total, and it is a
/// formula whenever some unit is merged.
pub(super) fn check_totals(s: &ExportSnapshot) -> Result<(), TestCaseError> {
    let mut book = Book::new(s);
    let merged = merged_units(s);
    for t in &s.form.tables {
        let sh = book.sheet(&t.short_name);
        let total_row = header_top(&sh) + depth(t) + 1;
        let label = t.total_row_label.as_deref().unwrap_or("Tổng số");
        prop_assert_eq!(sh.text(total_row, 1), label);
        let rows: Vec<(&UnitReport, String)> = merged
            .iter()
            .flat_map(|u| table_rows(&s.form, t, u).into_iter().map(move |c| (*u, c)))
            .collect();
        let mut groups: Vec<(Option<&str>, Vec<UnitRow>)> =
            vec![(None, rows.iter().map(|(u, c)| (*u, c.as_str())).collect())];
        for ct in &s.form.cell_types {
            let of_type: Vec<(&UnitReport, &str)> = rows
                .iter()
                .filter(|(_, c)| *c == ct.code)
                .map(|(u, c)| (*u, c.as_str()))
                .collect();
            if !of_type.is_empty() {
                groups.push((Some(&ct.vi), of_type));
            }
        }
        for (i, (name, group)) in groups.iter().enumerate() {
            let r = total_row + i as u32;
            if let Some(name) = name {
                prop_assert_eq!(&sh.text(r, 1), name);
            }
            for j in 0..t.columns.len() {
                let col = 2 + j as u32;
                let (want, plain) = expected_total(t, j, group);
                let got = sh.number(r, col);
                let what = format!("{} {:?} {}", t.id, name, t.columns[j].key);
                match (got, want) {
                    (Some(g), Some(w)) => prop_assert!(close(g, w), "{}: {} != {}", what, g, w),
                    (None, None) => {}
                    _ => prop_assert!(false, "{}: {:?} != {:?}", what, got, want),
                }
                if let (Some(g), Some(p), Some(w)) = (got, plain, want)
                    && !t.columns[j].weight.is_empty()
                    && !close(w, p)
                {
                    prop_assert!(!close(g, p), "{}: plain mean of means", what);
                }
                if !rows.is_empty() {
                    prop_assert!(!sh.formula(r, col).is_empty(), "{}: total is a formula", what);
                }
            }
        }
        // Nothing else between the totals and the first unit block.
        let after = total_row + groups.len() as u32;
        if let Some(first) = merged.iter().find(|u| !table_rows(&s.form, t, u).is_empty()) {
            prop_assert_eq!(sh.text(after, 1), shown_name(s, first));
        }
    }
    Ok(())
}

#[test]
fn totals_of_the_sample() {
    check_totals(&sample(false)).expect("totals");
    check_totals(&sample(true)).expect("totals with drafts");
}

#[test]
fn weighted_total_is_not_the_mean_of_means() {
    let form = form();
    let mut a = unit("a", "Đảng ủy xã A", ReportStatus::Submitted, &["thon"]);
    let mut b = unit("b", "Đảng ủy xã B", ReportStatus::Accepted, &["thon"]);
    for (u, cells, meetings, speakers) in [(&mut a, "40", "12", "3"), (&mut b, "2", "24", "9")] {
        put(u, "B1.cells_total", "thon", Some(cells));
        put(u, "B1.meetings_per_cell_year", "thon", Some(meetings));
        put(u, "B1.speakers_per_meeting", "thon", Some(speakers));
    }
    let s = snapshot(form.clone(), vec![a, b], false);
    let mut book = Book::new(&s);
    let sh = book.sheet("Biểu 1");
    let t = form.table("B1").expect("B1");
    let r = header_top(&sh) + depth(t) + 1;
    let col = |k: &str| 2 + t.column_index(k).expect("column") as u32;
    let want = (40.0 * 12.0 * 3.0 + 2.0 * 24.0 * 9.0) / (40.0 * 12.0 + 2.0 * 24.0);
    for row in [r, r + 1] {
        let got = sh.number(row, col("speakers_per_meeting")).expect("total");
        assert!(close(got, want), "{got} != {want}");
        assert!(!close(got, 6.0), "not the plain mean of 3 and 9");
        assert_eq!(sh.number(row, col("cells_total")), Some(42.0));
        let meetings = sh.number(row, col("meetings_per_cell_year")).expect("total");
        assert!(close(meetings, (40.0 * 12.0 + 2.0 * 24.0) / 42.0));
    }
    let f = sh.formula(r, col("speakers_per_meeting"));
    assert!(f.contains("SUMPRODUCT") && f.contains("IFERROR"), "{f}");
    assert!(sh.formula(r + 1, col("cells_total")).contains("SUMIF"));
}

pub(super) fn random_snapshot(units: &[(usize, Vec<usize>, u64)], include_drafts: bool) -> ExportSnapshot {
    let form = form();
    let statuses = [
        ReportStatus::NotStarted,
        ReportStatus::Draft,
        ReportStatus::Submitted,
        ReportStatus::Returned,
        ReportStatus::Accepted,
    ];
    let units = units
        .iter()
        .enumerate()
        .map(|(i, (status, types, seed))| {
            let codes: Vec<&str> = types.iter().map(|&k| form.cell_types[k].code.as_str()).collect();
            let mut u = unit(
                &format!("u{i:02}"),
                &format!("Đơn vị số {i}"),
                statuses[*status],
                &codes,
            );
            let mut rng = StdRng::seed_from_u64(*seed);
            fill_figures(&form, &mut u, &mut rng);
            fill_texts(&form, &mut u, &mut rng);
            u
        })
        .collect();
    snapshot(form, units, include_drafts)
}

fn units_strategy() -> impl Strategy<Value = Vec<(usize, Vec<usize>, u64)>> {
    let types = prop::collection::btree_set(0..12usize, 1..=4).prop_map(|s| s.into_iter().collect::<Vec<_>>());
    prop::collection::vec((0..5usize, types, any::<u64>()), 2..=30)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn totals_are_sums_and_weighted_means(units in units_strategy(), include_drafts in any::<bool>()) {
        check_totals(&random_snapshot(&units, include_drafts))?;
    }
}
