//! No message a secretary gets is over the screen limit unless asked for (the full guidance
//! of a heading): every text of the text module, and every screen of the form, built for
//! the widest unit there is.

use super::*;
use crate::engine::text::{self, SCREEN_LIMIT};

/// The string literals of a source file (escapes and line continuations resolved).
fn literals(src: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = src.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '/' && chars.peek() == Some(&'/') {
            for c in chars.by_ref() {
                if c == '\n' {
                    break;
                }
            }
            continue;
        }
        if c != '"' {
            continue;
        }
        let mut s = String::new();
        while let Some(c) = chars.next() {
            match c {
                '"' => break,
                '\\' => match chars.next() {
                    Some('\n') => {
                        while chars.peek().is_some_and(|c| c.is_whitespace()) {
                            chars.next();
                        }
                    }
                    Some('n') => s.push('\n'),
                    Some(other) => s.push(other),
                    None => {}
                },
                c => s.push(c),
            }
        }
        out.push(s);
    }
    out
}

#[test]
fn every_text_of_the_text_module_fits_a_screen() {
    let all: Vec<String> = [include_str!("../text/mod.rs"), include_str!("../text/board.rs")]
        .iter()
        .flat_map(|src| literals(src))
        .collect();
    assert!(all.len() > 100, "the literals were read: {}", all.len());
    for l in &all {
        // A format template's placeholders are filled with names and numbers; leave room.
        let n = l.chars().count();
        assert!(n + 200 <= SCREEN_LIMIT, "{n} characters: {l}");
    }
}

/// A unit with every cell type, a long name, every answer at its longest.
fn widest() -> Sim {
    let form = Form::embedded();
    let all: Vec<&str> = form.cell_types.iter().map(|t| t.code.as_str()).collect();
    let mut sim = Sim::new(&all, true);
    sim.ctx.unit_name =
        "Đảng bộ cơ quan Ủy ban Mặt trận Tổ quốc Việt Nam và các đoàn thể chính trị – xã hội tỉnh".into();
    sim
}

fn check(what: &str, s: &Step) {
    for r in &s.replies {
        let n = r.text.chars().count();
        assert!(n <= SCREEN_LIMIT, "{what}: {n} characters:\n{}", r.text);
    }
}

#[test]
fn every_heading_screen_fits_even_with_a_long_answer_and_every_type() {
    let mut sim = widest();
    // Figures for the headings that quote them, at their widest.
    let tables = sim.form.tables.clone();
    for t in &tables {
        for r in sim.ctx.rows.clone() {
            for c in &t.columns {
                sim.ctx
                    .set(&format!("{}.{}", t.id, c.key), &r, Some(format!("{}", c.max_value())));
            }
        }
    }
    let ids: Vec<String> = sim.form.answer_nodes().map(|n| n.id.clone()).collect();
    let long = "Câu trả lời rất dài. ".repeat(400);
    for id in &ids {
        let s = sim.press(Action::Open(id.clone()));
        check(id, &s);
        sim.ctx.set(id, "", Some(long.clone()));
        let s = sim.press(Action::Open(id.clone()));
        check(id, &s);
        // Saving the one before leads here: receipt and screen in one message.
        sim.ctx.answers.remove(&(id.clone(), String::new()));
    }
    for id in ids.windows(2) {
        sim.press(Action::Open(id[0].clone()));
        let s = sim.text(&long.chars().take(3000).collect::<String>());
        check(&format!("after {}", id[0]), &s);
        sim.ctx.answers.remove(&(id[0].clone(), String::new()));
    }
}

#[test]
fn the_full_guidance_is_the_only_long_text_and_only_when_asked() {
    let mut sim = widest();
    let mut longest = 0;
    let ids: Vec<String> = sim.form.answer_nodes().map(|n| n.id.clone()).collect();
    for id in ids {
        let s = sim.press(Action::Guide(id.clone()));
        longest = longest.max(s.replies[0].text.chars().count());
    }
    assert!(
        longest > SCREEN_LIMIT,
        "some guidance is long ({longest}), hence the button"
    );
}

#[test]
fn every_row_screen_fits_with_the_widest_values_and_a_receipt() {
    let mut sim = widest();
    let tables = sim.form.tables.clone();
    for t in &tables {
        for r in sim.ctx.table_rows(&sim.form, t).cloned().collect::<Vec<_>>() {
            let s = sim.press(Action::Columns(t.id.clone(), r.clone()));
            check(&format!("{} {r}", t.id), &s);
            let widest: Vec<String> = t.columns.iter().map(|c| format!("{}", c.max_value())).collect();
            let s = sim.text(&widest.join(" "));
            check(&format!("{} {r} saved", t.id), &s);
            // Every value refused at once: the reasons still fit.
            sim.press(Action::Columns(t.id.clone(), r.clone()));
            let bad: Vec<String> = t.columns.iter().map(|_| "9".repeat(30)).collect();
            let s = sim.text(&bad.join(" "));
            check(&format!("{} {r} refused", t.id), &s);
        }
    }
}

#[test]
fn menus_types_fields_review_and_help_fit() {
    let mut sim = widest();
    for (what, s) in [
        ("menu", sim.cmd("menu", "")),
        ("types", sim.cmd("loaihinh", "")),
        ("outline", sim.cmd("decuong", "")),
        ("tables", sim.cmd("bieu", "")),
        ("fields", sim.cmd("thongtin", "")),
        ("review", sim.cmd("kiemtra", "")),
        ("submit", sim.cmd("nop", "")),
        ("help", sim.cmd("trogiup", "")),
    ] {
        check(what, &s);
    }
    let ids: Vec<String> = sim.form.report_fields.iter().map(|f| f.id.clone()).collect();
    for id in ids {
        let s = sim.press(Action::Field(id.clone()));
        check(&id, &s);
    }
    assert!(
        text::help(&sim.form).contains("HD.nguoi_ky"),
        "every shortcut id is listed"
    );
}
