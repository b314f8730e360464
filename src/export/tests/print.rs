//! LibreOffice: recalculation and the printed pages.

use super::tables::random_snapshot;
use super::*;

// ---------------------------------------------------------------------------------------
// LibreOffice (when installed): its own evaluation of every formula equals the cached value
// ---------------------------------------------------------------------------------------

/// Forces LibreOffice to recalculate .xlsx formulas on load instead of trusting the cache.
const LO_RECALC_ALWAYS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"#;

fn libreoffice() -> Option<&'static str> {
    ["soffice", "libreoffice"].into_iter().find(|bin| {
        std::process::Command::new(bin)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

/// Converts every sheet of `xlsx` to CSV with LibreOffice, recalculating on load.
fn libreoffice_csv(bin: &str, dir: &std::path::Path, xlsx: &std::path::Path) {
    libreoffice_convert(
        bin,
        dir,
        xlsx,
        "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
    );
}

/// Converts `xlsx` with LibreOffice into `dir` (`target`: its --convert-to argument).
pub(crate) fn libreoffice_convert(bin: &str, dir: &std::path::Path, xlsx: &std::path::Path, target: &str) {
    let profile = dir.join("profile");
    std::fs::create_dir_all(profile.join("user")).expect("profile");
    std::fs::write(profile.join("user/registrymodifications.xcu"), LO_RECALC_ALWAYS).expect("profile");
    // coreutils' `timeout` bounds the run without a polling loop.
    let status = std::process::Command::new("timeout")
        .arg("180")
        .arg(bin)
        .arg("--headless")
        .arg("--norestore")
        .arg(format!("-env:UserInstallation=file://{}", profile.display()))
        .arg("--convert-to")
        .arg(target)
        .arg("--outdir")
        .arg(dir)
        .arg(xlsx)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("LibreOffice starts");
    assert!(status.success(), "LibreOffice failed or took over 3 minutes: {status}");
}

/// LibreOffice, or `None` with the reason printed; under CI it must be there.
pub(crate) fn libreoffice_or_skip() -> Option<&'static str> {
    let bin = libreoffice();
    if bin.is_none() {
        // CI installs it (.ci/run): there the check must run, never pass by skipping.
        assert!(std::env::var_os("CI").is_none(), "LibreOffice is not installed");
        eprintln!("skipped: LibreOffice is not installed (apt-get install libreoffice-calc)");
    }
    bin
}

#[test]
fn libreoffice_recomputes_the_cached_totals() {
    let Some(bin) = libreoffice_or_skip() else {
        return;
    };
    let mut rng = StdRng::seed_from_u64(2023);
    let units: Vec<(usize, Vec<usize>, u64)> = (0..20)
        .map(|_| {
            let types = (0..rng.random_range(1..=4)).map(|_| rng.random_range(0..12)).collect();
            (rng.random_range(0..5), types, rng.random())
        })
        .collect();
    let s = random_snapshot(&units, true);
    let dir = tempfile::tempdir().expect("tempdir");
    let xlsx = dir.path().join("merged.xlsx");
    std::fs::write(&xlsx, build_workbook(&s).expect("workbook")).expect("write");
    libreoffice_csv(bin, dir.path(), &xlsx);

    let mut book = Book::new(&s);
    let mut compared = 0;
    for name in book.xlsx.sheet_names() {
        let path = dir.path().join(format!("merged-{name}.csv"));
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_path(&path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let lo: Vec<Vec<String>> = reader
            .records()
            .map(|r| r.expect("csv row").iter().map(String::from).collect())
            .collect();
        let sh = book.sheet(&name);
        let (r0, c0) = sh.formulas.start().unwrap_or((0, 0));
        for (r, c, f) in sh.formulas.used_cells() {
            if f.is_empty() {
                continue;
            }
            let (r, c) = (r0 + r as u32, c0 + c as u32);
            let theirs = lo
                .get(r as usize)
                .and_then(|row| row.get(c as usize))
                .cloned()
                .unwrap_or_default();
            let ours = sh.number(r, c);
            let what = format!("{name} ({r},{c}) {f}");
            match (ours, theirs.parse::<f64>().ok()) {
                (Some(a), Some(b)) => assert!(close(a, b), "{what}: cached {a}, LibreOffice {b}"),
                (None, None) => assert!(theirs.is_empty(), "{what}: LibreOffice shows «{theirs}»"),
                (a, _) => panic!("{what}: cached {a:?}, LibreOffice «{theirs}»"),
            }
            compared += 1;
        }
    }
    assert!(compared > 100, "only {compared} formulas compared");
}

// ---------------------------------------------------------------------------------------
// The printed pages, through LibreOffice's PDF and pdftotext
// ---------------------------------------------------------------------------------------

/// A 19-unit district with every status, each unit with one to six cell types.
fn district() -> ExportSnapshot {
    let mut rng = StdRng::seed_from_u64(19);
    let units: Vec<(usize, Vec<usize>, u64)> = (0..19)
        .map(|i| {
            let types = (0..rng.random_range(1..=6)).map(|_| rng.random_range(0..12)).collect();
            (if i < 5 { i } else { rng.random_range(0..5) }, types, rng.random())
        })
        .collect();
    random_snapshot(&units, true)
}

/// A word on a printed page: its text, top and height in points.
struct Word {
    text: String,
    top: f64,
    height: f64,
}

/// The workbook printed through LibreOffice: every page's text (layout kept) and words.
struct Printed {
    pages: Vec<String>,
    words: Vec<Vec<Word>>,
}

fn pdftotext(args: &[&str], pdf: &std::path::Path) -> String {
    let out = std::process::Command::new("pdftotext")
        .args(args)
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext runs (apt-get install poppler-utils)");
    assert!(out.status.success(), "pdftotext failed");
    String::from_utf8(out.stdout).expect("utf-8")
}

/// The attribute `name="…"` of an XML tag, as a number.
fn attr(tag: &str, name: &str) -> f64 {
    let from = tag.find(&format!("{name}=\"")).expect("attribute") + name.len() + 2;
    tag[from..]
        .split('"')
        .next()
        .and_then(|v| v.parse().ok())
        .expect("a number")
}

fn printed_pages(bin: &str, s: &ExportSnapshot, keep: Option<&std::path::Path>) -> Printed {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = keep.unwrap_or(dir.path());
    let xlsx = out.join("merged.xlsx");
    std::fs::write(&xlsx, build_workbook(s).expect("workbook")).expect("write");
    libreoffice_convert(bin, out, &xlsx, "pdf");
    let pdf = out.join("merged.pdf");
    let text = pdftotext(&["-layout"], &pdf);
    let mut pages: Vec<String> = text.split('\u{c}').map(String::from).collect();
    if pages.last().is_some_and(|p| p.trim().is_empty()) {
        pages.pop();
    }
    let bbox = pdftotext(&["-bbox"], &pdf);
    let words = bbox
        .split("<page ")
        .skip(1)
        .map(|page| {
            page.split("<word ")
                .skip(1)
                .map(|w| {
                    let (tag, rest) = w.split_once('>').expect("word tag");
                    let text = rest.split("</word>").next().unwrap_or("").to_owned();
                    let top = attr(tag, "yMin");
                    Word {
                        text,
                        top,
                        height: attr(tag, "yMax") - top,
                    }
                })
                .collect()
        })
        .collect();
    Printed { pages, words }
}

/// Words of a Biểu page under its row of column numbers that are figures («12», «87.50%»),
/// with their heights.
fn figure_heights(words: &[Word]) -> Vec<(String, f64)> {
    let Some(a) = words
        .iter()
        .find(|a| a.text == "A" && words.iter().any(|b| b.text == "B" && (b.top - a.top).abs() < 1.0))
    else {
        return Vec::new();
    };
    words
        .iter()
        .filter(|w| w.top > a.top + a.height)
        .filter(|w| {
            let t = w.text.trim_end_matches('%').replace(',', ".");
            !t.is_empty() && t.parse::<f64>().is_ok()
        })
        .map(|w| (w.text.clone(), w.height))
        .collect()
}

/// «Trang k/N» (or «Trang k») at the foot of a page.
fn page_number(page: &str) -> (usize, Option<usize>) {
    let line = page
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with("Trang "))
        .unwrap_or_else(|| panic!("no page number on\n{page}"));
    let number = line.trim().trim_start_matches("Trang ");
    match number.split_once('/') {
        Some((k, n)) => (k.trim().parse().expect("k"), Some(n.trim().parse().expect("N"))),
        None => (number.parse().expect("k"), None),
    }
}

/// The row of column numbers under a Biểu's header: «A B 1 2 3 …» (or «A B 7 8 …»).
fn is_numbers_row(line: &str) -> bool {
    let mut words = line.split_whitespace();
    words.next() == Some("A") && words.next() == Some("B") && {
        let rest: Vec<&str> = words.collect();
        !rest.is_empty() && rest.iter().all(|w| w.parse::<u32>().is_ok())
    }
}

/// Whether pdftotext runs; under CI it must.
fn pdftotext_or_skip() -> bool {
    let there = std::process::Command::new("pdftotext")
        .arg("-v")
        .output()
        .is_ok_and(|o| o.status.success());
    if !there {
        assert!(std::env::var_os("CI").is_none(), "pdftotext is not installed");
        eprintln!("skipped: pdftotext is not installed (apt-get install poppler-utils)");
    }
    there
}

#[test]
fn printed_pages_follow_the_layout_rules() {
    let Some(bin) = libreoffice_or_skip() else {
        return;
    };
    if !pdftotext_or_skip() {
        return;
    }
    let s = district();
    let printed = printed_pages(bin, &s, None);
    let pages = &printed.pages;
    // Page numbers restart on every sheet: one run of «Trang 1/N … N/N» per sheet.
    let mut sheets: Vec<Vec<&String>> = Vec::new();
    for p in pages {
        let (k, n) = page_number(p);
        if k == 1 {
            sheets.push(Vec::new());
        }
        let sheet = sheets.last_mut().expect("a sheet starts at page 1");
        assert_eq!(k, sheet.len() + 1, "pages in order");
        sheet.push(p);
        assert!(n.is_none_or(|n| n >= k));
    }
    let names = 3 + s.form.tables.len();
    assert_eq!(sheets.len(), names, "one run of page numbers per sheet");
    for sheet in &sheets[1..] {
        assert_eq!(
            page_number(sheet[0]).1,
            Some(sheet.len()),
            "N is the sheet's page count"
        );
    }
    assert_eq!(sheets[1].len(), 1, "«Tổng hợp» prints on one page");

    let cov = super::super::coverage::Coverage::of(&s);
    for (t, sheet) in s.form.tables.iter().zip(&sheets[2..]) {
        let plan = super::super::tables::TablePlan::new(&s, &cov, t);
        assert_eq!(
            sheet.len(),
            plan.pages_down * plan.g.pages_wide(),
            "{}: planned pages",
            t.id
        );
        let mut signatures = 0;
        // The type totals may run over the first page; once the unit blocks have begun,
        // every page starts with a unit's name. Pages go across the page widths of a band
        // of rows, then down: the rule applies band by band.
        let wide = plan.g.pages_wide();
        let (mut blocks_begun, mut begun_in_band) = (false, false);
        for (i, page) in sheet.iter().enumerate() {
            if i % wide == 0 {
                blocks_begun = begun_in_band;
            }
            let lines: Vec<&str> = page.lines().filter(|l| !l.trim().is_empty()).collect();
            let numbers = lines
                .iter()
                .position(|l| is_numbers_row(l))
                .unwrap_or_else(|| panic!("{} page {}: no column header\n{page}", t.id, i + 1));
            // No page of headers only, nor of the signature only: right under the repeated
            // header comes the totals or a unit's name (its block, or «(tiếp theo)»), so
            // every row on the page is under its unit's name on that page.
            let first = lines.get(numbers + 1).copied().unwrap_or("");
            let label = t.total_row_label.as_deref().unwrap_or("Tổng số");
            let unit = first.contains("Đơn vị số ");
            // A type total's name, maybe wrapped: «Chi bộ đơn vị sự» of «… sự nghiệp khác».
            let text = first.trim().trim_start_matches(|c: char| c.is_ascii_digit()).trim();
            let text = text.split("  ").next().unwrap_or("");
            let total = !blocks_begun
                && !text.is_empty()
                && (first.contains(label.split_whitespace().next().unwrap_or("Tổng"))
                    || s.form.cell_types.iter().any(|c| c.vi.starts_with(text)));
            assert!(
                unit || total,
                "{} page {}: the rows start with «{first}»\n{page}",
                t.id,
                i + 1
            );
            begun_in_band |= lines[numbers + 1..].iter().any(|l| l.contains("Đơn vị số "));
            signatures += usize::from(page.contains(&s.form.committee.signature.on_behalf));
        }
        assert_eq!(signatures, 1, "{}: the signature is printed once", t.id);
    }

    // Every figure of every Biểu prints at 10 points or more: pdftotext's word box for Times
    // New Roman is 1.3 times the font size (a 12-point figure at 85% measures 13.26).
    let first_biểu = sheets[0].len() + sheets[1].len();
    let biểu_pages: usize = sheets[2..2 + s.form.tables.len()].iter().map(Vec::len).sum();
    let mut figures = 0;
    for words in &printed.words[first_biểu..first_biểu + biểu_pages] {
        for (text, height) in figure_heights(words) {
            assert!(height >= 10.0 * 1.28, "«{text}» prints at {:.1} pt", height / 1.3);
            figures += 1;
        }
    }
    assert!(figures > 500, "only {figures} figures found");
}

/// Writes the 19-unit district workbook and its PDF for a look:
/// `cargo test --lib export::tests::print::write_sample_workbook -- --ignored --nocapture`.
#[test]
#[ignore]
fn write_sample_workbook() {
    let dir = std::env::temp_dir().join("chibo_export_sample");
    std::fs::create_dir_all(&dir).expect("dir");
    match libreoffice() {
        Some(bin) => {
            let printed = printed_pages(bin, &district(), Some(&dir));
            eprintln!(
                "wrote {}/merged.xlsx and merged.pdf ({} pages)",
                dir.display(),
                printed.pages.len()
            );
        }
        None => {
            std::fs::write(dir.join("merged.xlsx"), build_workbook(&district()).expect("workbook")).expect("write");
            eprintln!("wrote {}/merged.xlsx", dir.display());
        }
    }
}
