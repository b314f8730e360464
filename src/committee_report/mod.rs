//! A draft of the committee's own report (Báo cáo sơ kết …) as a Word document: the Party
//! document header, the title, every heading of the outline with the merged figures in
//! ready-made sentences and the units' answers to condense, the coverage, «Nơi nhận» and
//! the signature. Built from the workbook's snapshot and totals ([`crate::export`]): one
//! read model, never a second computation.

#[cfg(test)]
mod tests;

use docx_rs::{
    AlignmentType, Docx, Header, LineSpacing, PageMargin, PageNum, Paragraph, Run, RunFonts, SpecialIndentType, Table,
    TableCell, TableRow, WidthType,
};

use crate::domain::format_vi;
use crate::export::{Coverage, ExportSnapshot, district_total};
use crate::form::{Node, NodeKind, ValueKind};

/// Word measures in twentieths of a point; a millimetre is 56.7 of them.
const fn mm(v: i32) -> i32 {
    (v * 567 + 5) / 10
}
/// A4.
pub const PAGE_WIDTH: u32 = 11_906;
pub const PAGE_HEIGHT: u32 = 16_838;
pub const MARGIN_TOP: i32 = mm(20);
pub const MARGIN_BOTTOM: i32 = mm(20);
pub const MARGIN_LEFT: i32 = mm(30);
pub const MARGIN_RIGHT: i32 = mm(15);
/// Body text: 14 pt (Word counts half-points).
const BODY_SIZE: usize = 28;
const FONT: &str = "Times New Roman";
/// First-line indent of body paragraphs: 1 cm.
const INDENT: i32 = 567;

fn fonts() -> RunFonts {
    // Every script, so that Vietnamese renders in Word and in LibreOffice alike.
    RunFonts::new().ascii(FONT).hi_ansi(FONT).east_asia(FONT).cs(FONT)
}

fn body(text: &str) -> Paragraph {
    Paragraph::new()
        .add_run(Run::new().add_text(text))
        .align(AlignmentType::Both)
        .indent(None, Some(SpecialIndentType::FirstLine(INDENT)), None, None)
        .line_spacing(LineSpacing::new().after(120))
}

fn centred(text: &str, bold: bool, italic: bool) -> Paragraph {
    let mut run = Run::new().add_text(text);
    if bold {
        run = run.bold();
    }
    if italic {
        run = run.italic();
    }
    Paragraph::new().add_run(run).align(AlignmentType::Center)
}

/// The «15» of a dd/mm/yyyy date as «ngày 15 tháng 12 năm 2023».
fn date_words(date: &str) -> String {
    let p: Vec<&str> = date.split('/').collect();
    match p.as_slice() {
        [d, m, y] => format!("ngày {d} tháng {m} năm {y}"),
        _ => format!("ngày {date}"),
    }
}

/// A figure as the report writes it: «279», «92,79%».
fn figure_text(v: f64, kind: ValueKind) -> String {
    match kind {
        ValueKind::Percent => format!("{}%", format_vi(v)),
        ValueKind::Hours => format!("{} giờ", format_vi(v)),
        _ => format_vi(v),
    }
}

/// The merged figures a heading quotes, as one sentence: «Tổng hợp từ 15 đơn vị: tổng số chi
/// bộ 279; tổng số đảng viên 3.369.»
pub fn figures_sentence(s: &ExportSnapshot, node: &Node) -> Option<String> {
    let merged = s.units.iter().filter(|u| s.merged(u)).count();
    let parts: Vec<String> = node
        .links
        .iter()
        .filter_map(|key| {
            let (_, c) = s.form.column(key)?;
            let v = district_total(s, key)?;
            // The column's own label, its unit left to the figure: «tỷ lệ … 92,79%».
            let label = c.short.trim_end_matches(" (%)").trim_end_matches(" (giờ)");
            Some(format!("{} {}", lower_first(label), figure_text(v, c.kind)))
        })
        .collect();
    (!parts.is_empty()).then(|| format!("Số liệu tổng hợp từ {merged} đơn vị: {}.", parts.join("; ")))
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The heading line as the outline prints it: «1. Tình hình …», a section in capitals.
fn heading(n: &Node) -> Paragraph {
    let text = format!("{} {}", n.label, n.vi);
    Paragraph::new()
        .add_run(Run::new().add_text(text).bold())
        .align(AlignmentType::Both)
        .indent(None, Some(SpecialIndentType::FirstLine(INDENT)), None, None)
        .line_spacing(LineSpacing::new().before(120).after(60))
        .keep_next(true)
}

fn cell(paragraphs: Vec<Paragraph>, width: usize) -> TableCell {
    paragraphs
        .into_iter()
        .fold(TableCell::new().width(width, WidthType::Dxa), |c, p| c.add_paragraph(p))
}

/// Left: the superior and the issuing committee, «*», the number. Right: the Party's name
/// and the place and date line.
fn header_block(s: &ExportSnapshot) -> Table {
    let c = &s.form.committee;
    let number = match &s.report_number {
        Some(n) => format!("Số {n}"),
        None => "Số …-BC/…".to_owned(),
    };
    // The header lines in 13 pt, as Party documents set them.
    let line = |t: &str, bold: bool, italic: bool| centred(t, bold, italic).size(26);
    let left = vec![
        line(&c.superior, false, false),
        line(&c.issuer, true, false),
        line("*", false, false),
        line(&number, false, false),
    ];
    let right = vec![
        Paragraph::new()
            .add_run(Run::new().add_text("ĐẢNG CỘNG SẢN VIỆT NAM").bold().underline("single"))
            .align(AlignmentType::Center)
            .size(26),
        line("", false, false),
        line(&format!("{}, {}", c.place, date_words(&s.report_date)), false, true),
    ];
    Table::without_borders(vec![TableRow::new(vec![cell(left, 4500), cell(right, 5000)])]).set_grid(vec![4500, 5000])
}

/// «Nơi nhận» on the left, the signature on the right.
fn closing(s: &ExportSnapshot) -> Table {
    let c = &s.form.committee;
    let mut left = Vec::new();
    if !c.recipients.is_empty() {
        left.push(Paragraph::new().add_run(Run::new().add_text("Nơi nhận:").bold().italic().size(24)));
        for r in &c.recipients {
            left.push(Paragraph::new().add_run(Run::new().add_text(r).size(22)));
        }
    }
    let mut right = vec![
        centred(&c.signature.on_behalf, true, false),
        centred(&c.signature.title, true, false),
    ];
    for _ in 0..3 {
        right.push(centred("", false, false));
    }
    right.push(centred(&c.signature.name, true, false));
    Table::without_borders(vec![TableRow::new(vec![cell(left, 4700), cell(right, 4800)])]).set_grid(vec![4700, 4800])
}

/// Under a narrative heading: each merged unit's answer, prefixed with its name; then one
/// line naming the units without one.
fn answers(s: &ExportSnapshot, node: &Node) -> Vec<Paragraph> {
    let mut out = Vec::new();
    let mut none = Vec::new();
    for u in s.units.iter().filter(|u| s.merged(u)) {
        let name = match u.status.draft_mark() {
            Some(mark) => format!("{} {mark}", u.name),
            None => u.name.clone(),
        };
        match u.answer(&node.id, "") {
            Some(a) => {
                let mut p = Paragraph::new()
                    .add_run(Run::new().add_text(format!("– {name}: ")).italic())
                    .align(AlignmentType::Both)
                    .indent(None, Some(SpecialIndentType::FirstLine(INDENT)), None, None)
                    .line_spacing(LineSpacing::new().after(60));
                for (i, line) in a.lines().enumerate() {
                    if i > 0 {
                        p = p.add_run(Run::new().add_break(docx_rs::BreakType::TextWrapping));
                    }
                    p = p.add_run(Run::new().add_text(line));
                }
                out.push(p);
            }
            None => none.push(name),
        }
    }
    if !none.is_empty() {
        out.push(body(&format!("Chưa có nội dung: {}.", none.join(", "))));
    }
    out
}

/// The draft as a .docx file.
pub fn build(s: &ExportSnapshot) -> Result<Vec<u8>, docx_rs::DocxError> {
    let form = &s.form;
    let mut doc = Docx::new()
        .page_size(PAGE_WIDTH, PAGE_HEIGHT)
        .page_margin(PageMargin {
            top: MARGIN_TOP,
            left: MARGIN_LEFT,
            bottom: MARGIN_BOTTOM,
            right: MARGIN_RIGHT,
            header: mm(10),
            footer: mm(10),
            gutter: 0,
        })
        .default_fonts(fonts())
        .default_size(BODY_SIZE)
        .default_line_spacing(LineSpacing::new().line(312))
        // Page numbers top centre, from page 2.
        .header(
            Header::new().add_paragraph(
                Paragraph::new()
                    .add_page_num(PageNum::new())
                    .align(AlignmentType::Center),
            ),
        )
        .first_header(Header::new())
        .add_table(header_block(s))
        .add_paragraph(centred("", false, false))
        .add_paragraph(centred("BÁO CÁO", true, false).size(32))
        .add_paragraph(centred(&form.campaign.title, true, false))
        .add_paragraph(centred("-----", false, false));
    let coverage = Coverage::of(s);
    doc = doc.add_paragraph(body(&coverage.text()).italic());
    for n in &form.outline {
        doc = doc.add_paragraph(heading(n));
        if n.kind != NodeKind::Answer {
            continue;
        }
        if let Some(sentence) = figures_sentence(s, n) {
            doc = doc.add_paragraph(body(&sentence));
        }
        for p in answers(s, n) {
            doc = doc.add_paragraph(p);
        }
    }
    doc = doc
        .add_paragraph(body("(Có biểu chi tiết kèm theo)").italic())
        .add_paragraph(centred("", false, false))
        .add_table(closing(s));
    let mut out = std::io::Cursor::new(Vec::new());
    doc.build().pack(&mut out)?;
    Ok(out.into_inner())
}
