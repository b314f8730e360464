//! The draft report read back: the document's text in order, its page set-up, and its
//! numbers against the workbook's totals.

use std::io::Read;
use std::sync::Arc;

use super::*;
use crate::export::tests::print::{libreoffice_convert, libreoffice_or_skip};
use crate::export::tests::{put, sample, snapshot, unit};
use crate::export::{ReportStatus, district_total};
use crate::form::Form;

/// The document's XML part.
fn document_xml(bytes: &[u8]) -> String {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a docx is a zip");
    let mut xml = String::new();
    zip.by_name("word/document.xml")
        .expect("word/document.xml")
        .read_to_string(&mut xml)
        .unwrap();
    xml
}

/// The visible text, paragraph by paragraph (line breaks inside one kept as \n).
fn paragraphs(bytes: &[u8]) -> Vec<String> {
    let xml = document_xml(bytes);
    xml.split("</w:p>")
        .map(|p| {
            let mut out = String::new();
            let mut rest = p;
            // Text runs (`<w:t>` or `<w:t xml:space=…>`) and line breaks, in order.
            loop {
                let t = [rest.find("<w:t>"), rest.find("<w:t ")].into_iter().flatten().min();
                let br = rest.find("<w:br");
                match (t, br) {
                    (_, Some(b)) if t.is_none_or(|t| b < t) => {
                        if !out.is_empty() {
                            out.push('\n');
                        }
                        rest = &rest[b + 5..];
                    }
                    (Some(i), _) => {
                        rest = &rest[i..];
                        let open_end = rest.find('>').unwrap();
                        let close = rest.find("</w:t>").unwrap();
                        out.push_str(&rest[open_end + 1..close]);
                        rest = &rest[close..];
                    }
                    _ => break,
                }
            }
            out.replace("&amp;", "&")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
        })
        .filter(|t| !t.is_empty())
        .collect()
}

#[test]
fn the_draft_opens_and_holds_every_heading_in_order_with_every_unit_s_answer() {
    let s = sample(true);
    let bytes = build(&s).unwrap();
    docx_rs::read_docx(&bytes).expect("docx-rs reads the document back");
    let paras = paragraphs(&bytes);
    let mut at = 0;
    for n in &s.form.outline {
        let line = format!("{} {}", n.label, n.vi);
        let found = paras[at..]
            .iter()
            .position(|p| p == &line)
            .unwrap_or_else(|| panic!("heading «{line}» after paragraph {at}"));
        at += found + 1;
        if n.kind != crate::form::NodeKind::Answer {
            continue;
        }
        // Until the next heading: the units' answers, each with the unit's name.
        let section: Vec<&String> = paras[at..]
            .iter()
            .take_while(|p| !s.form.outline.iter().any(|o| **p == format!("{} {}", o.label, o.vi)))
            .collect();
        for u in s.units.iter().filter(|u| s.merged(u)) {
            match u.answer(&n.id, "") {
                Some(a) => {
                    let first = a.lines().next().unwrap();
                    assert!(
                        section
                            .iter()
                            .any(|p| p.starts_with(&format!("– {}", u.name)) && p.contains(first)),
                        "{}: {}'s answer",
                        n.id,
                        u.name
                    );
                }
                None => assert!(
                    section
                        .iter()
                        .any(|p| p.starts_with("Chưa có nội dung:") && p.contains(&u.name)),
                    "{}: {} listed without an answer",
                    n.id,
                    u.name
                ),
            }
        }
        for u in s.units.iter().filter(|u| !s.merged(u)) {
            assert!(
                !section.iter().any(|p| p.starts_with(&format!("– {} ", u.name))),
                "{}: {} is not merged",
                n.id,
                u.name
            );
        }
    }
    let coverage = crate::export::Coverage::of(&s).text();
    assert!(paras.contains(&coverage), "the coverage line");
    assert!(paras.iter().any(|p| p == "(Có biểu chi tiết kèm theo)"));
}

#[test]
fn the_sentences_quote_the_workbook_s_totals() {
    let s = sample(false);
    let bytes = build(&s).unwrap();
    let paras = paragraphs(&bytes);
    let mut checked = 0;
    for n in s.form.answer_nodes().filter(|n| !n.links.is_empty()) {
        let sentence = figures_sentence(&s, n).expect("linked figures");
        assert!(paras.contains(&sentence), "{}", n.id);
        for key in &n.links {
            let (_, c) = s.form.column(key).unwrap();
            let Some(v) = district_total(&s, key) else { continue };
            assert!(
                sentence.contains(&figure_text(v, c.kind)),
                "{} quotes {key} = {v}: {sentence}",
                n.id
            );
            checked += 1;
        }
    }
    assert!(checked >= 10, "{checked} figures quoted");
    // Weighted means are the workbook's, not means of means.
    let mut u1 = unit("a", "A", ReportStatus::Submitted, &["thon"]);
    let mut u2 = unit("b", "B", ReportStatus::Submitted, &["thon"]);
    for (u, cells, members, rate) in [(&mut u1, "10", "100", "90"), (&mut u2, "1", "10", "50")] {
        put(u, "B1.cells_total", "thon", Some(cells));
        put(u, "B1.members_total", "thon", Some(members));
        put(u, "B1.attendance_rate_pct", "thon", Some(rate));
        put(u, "B1.meetings_per_cell_year", "thon", Some("12"));
    }
    let small = snapshot(Arc::new(Form::embedded()), vec![u1, u2], false);
    let rate = district_total(&small, "B1.attendance_rate_pct").unwrap();
    assert!((rate - 86.3636).abs() < 0.001, "weighted by members: {rate}");
    let node = small.form.node("III.2.2.a").unwrap();
    assert!(figures_sentence(&small, node).unwrap().contains("86,36%"));
}

#[test]
fn the_header_signature_and_date_come_from_the_campaign_s_identity() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/form_dang_uy_xa.toml"
    ))
    .unwrap();
    let form = Arc::new(Form::parse(&text).unwrap());
    let mut s = snapshot(Arc::clone(&form), vec![], false);
    s.report_number = Some("07-BC/ĐU".into());
    s.report_date = "18/12/2023".into();
    let bytes = build(&s).unwrap();
    let paras = paragraphs(&bytes);
    let c = &form.committee;
    for expected in [
        c.superior.clone(),
        c.issuer.clone(),
        "Số 07-BC/ĐU".to_owned(),
        format!("{}, ngày 18 tháng 12 năm 2023", c.place),
        c.signature.on_behalf.clone(),
        c.signature.title.clone(),
        "ĐẢNG CỘNG SẢN VIỆT NAM".to_owned(),
        "BÁO CÁO".to_owned(),
        form.campaign.title.clone(),
    ] {
        assert!(paras.contains(&expected), "«{expected}» in {paras:?}");
    }
    for r in &c.recipients {
        assert!(paras.contains(r), "recipient «{r}»");
    }
    let all = paras.join("\n");
    assert!(
        !all.contains("PHONG THỔ") && !all.contains("Phong Thổ,"),
        "nothing of another committee"
    );
}

#[test]
fn the_page_is_a4_with_party_document_margins_and_page_numbers_from_page_two() {
    let bytes = build(&sample(false)).unwrap();
    let xml = document_xml(&bytes);
    assert!(xml.contains(r#"<w:pgSz w:w="11906" w:h="16838""#), "A4");
    let pg_mar = &xml[xml.find("<w:pgMar").expect("page margins")..];
    let pg_mar = &pg_mar[..pg_mar.find("/>").unwrap()];
    let margin = |name: &str| -> i32 {
        let i = pg_mar.find(&format!("w:{name}=\"")).unwrap() + name.len() + 4;
        pg_mar[i..].split('"').next().unwrap().parse().unwrap()
    };
    let mm = |twips: i32| f64::from(twips) / 56.7;
    assert!((20.0..=25.1).contains(&mm(margin("top"))), "top {}", mm(margin("top")));
    assert!((20.0..=25.1).contains(&mm(margin("bottom"))));
    assert!((30.0..=35.1).contains(&mm(margin("left"))));
    assert!((15.0..=20.1).contains(&mm(margin("right"))));
    assert!(xml.contains("<w:titlePg"), "the first page has its own (empty) header");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&bytes[..])).unwrap();
    let mut styles = String::new();
    zip.by_name("word/styles.xml")
        .unwrap()
        .read_to_string(&mut styles)
        .unwrap();
    assert!(styles.contains(r#"w:ascii="Times New Roman""#) && styles.contains(r#"w:cs="Times New Roman""#));
    assert!(styles.contains(r#"<w:sz w:val="28""#), "14 pt body");
}

#[test]
fn libreoffice_renders_the_draft_to_pdf() {
    let Some(bin) = libreoffice_or_skip() else {
        return;
    };
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/tmp/artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    let docx = dir.join("bao-cao-du-thao.docx");
    std::fs::write(&docx, build(&sample(false)).unwrap()).unwrap();
    libreoffice_convert(bin, &dir, &docx, "pdf");
    let Ok(pdf) = std::fs::read(dir.join("bao-cao-du-thao.pdf")) else {
        // Calc alone cannot open a .docx: Writer is needed (CI installs it).
        assert!(
            std::env::var_os("CI").is_none(),
            "LibreOffice wrote no PDF: is libreoffice-writer installed?"
        );
        eprintln!("skipped: LibreOffice Writer is not installed (apt-get install libreoffice-writer)");
        return;
    };
    assert!(pdf.starts_with(b"%PDF"), "a PDF");
    let text = std::process::Command::new("pdftotext")
        .args(["-layout"])
        .arg(dir.join("bao-cao-du-thao.pdf"))
        .arg("-")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    if !text.is_empty() {
        assert!(
            text.contains("BÁO CÁO"),
            "Vietnamese renders: {}",
            &text[..text.len().min(400)]
        );
    }
}
