//! The campaign texts, the outline's headings and prompts, against the seed letter.

use super::*;

#[test]
fn campaign_texts_are_literal_seed_text() {
    let form = Form::embedded();
    let s = norm(&seed());
    let c = &form.campaign;
    for (what, text) in [
        ("outline_heading", c.outline_heading.as_str()),
        ("title", &c.title),
        ("attachment_note", &c.attachment_note),
        ("comparison_note", &c.comparison_note),
        ("letter_number", &c.letter_number),
        ("preparer", &c.signature.preparer),
        ("preparer_note", &c.signature.preparer_note),
        ("signer", &c.signature.signer),
        ("signer_note", &c.signature.signer_note),
        ("phone", &c.signature.phone),
    ] {
        assert!(s.contains(&norm(text)), "campaign.{what} «{text}» is not in the seed");
    }
    assert!(
        s.contains(&format!("trước ngày **{}**", c.deadline)),
        "deadline as printed"
    );
    assert!(c.comparison_note.starts_with("Lưu ý:"));
    assert_eq!(
        c.attachment_note.replace("Công Văn", "Công văn"),
        c.attachment_note_display
    );
    assert_ne!(c.attachment_note, c.attachment_note_display);
}

#[test]
fn every_outline_heading_appears_in_the_seed_with_its_label() {
    let form = Form::embedded();
    let outline = seed_outline();
    // Headings must also appear in print order.
    let mut from = 0;
    for n in &form.outline {
        let heading = norm(&format!("{} {}", n.label, n.literal()));
        let at = outline[from..]
            .find(&heading)
            .unwrap_or_else(|| panic!("{}: «{heading}» not found (in order) in the seed", n.id));
        from += at + heading.len();
        if let Some(lit) = &n.vi_literal {
            assert_ne!(lit, &n.vi, "{}: vi_literal only when it differs", n.id);
        }
    }
    let ii = form.node("II").unwrap();
    assert!(ii.vi.contains("QUÁN TRIỆT") && ii.literal().contains("QUẢN TRIỆT"));
    assert_eq!(form.outline.iter().filter(|n| n.vi_literal.is_some()).count(), 1);
}

#[test]
fn every_prompt_appears_in_the_seed() {
    const INFERRED: [&str; 3] = ["VI.s1", "VI.s2", "VI.s3"];
    // Sentences that share one printed line with others (checked below as a whole).
    const PART_OF_A_LINE: [&str; 6] = [
        "III.2.2.q1",
        "III.2.2.q2",
        "III.2.2.q3",
        "III.2.2.q4",
        "IV.3.p1",
        "IV.3.p2",
    ];
    let form = Form::embedded();
    let outline = seed_outline();
    let lines = seed_outline_lines();
    let mut ids = BTreeSet::new();
    let mut checked = 0;
    for n in &form.outline {
        let mut from = 0;
        for p in &n.prompts {
            assert!(ids.insert(p.id.clone()), "prompt id {} repeated", p.id);
            assert!(p.id.starts_with(&format!("{}.", n.id)), "{} is under {}", p.id, n.id);
            if INFERRED.contains(&p.id.as_str()) {
                assert!(!outline.contains(p.literal()), "{} was marked inferred", p.id);
                continue;
            }
            let text = norm(p.literal());
            assert!(!text.starts_with("- ") && !text.starts_with('*'), "{}: no bullet", p.id);
            let at = outline[from..]
                .find(&text)
                .unwrap_or_else(|| panic!("{}: «{text}» not found (in order) in the seed", p.id));
            from += at + text.len();
            if !PART_OF_A_LINE.contains(&p.id.as_str()) {
                assert!(
                    lines.contains(&text),
                    "{}: «{text}» is not a whole bullet line of the seed",
                    p.id
                );
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 37, "37 printed prompt lines");
    let q: Vec<&str> = form
        .node("III.2.2")
        .unwrap()
        .prompts
        .iter()
        .map(|p| p.vi.as_str())
        .collect();
    assert!(
        lines.contains(&format!("({}...).", q.join(" "))),
        "the four guiding questions make up the bracketed line of the seed"
    );
    assert_eq!(ids.len(), 40);

    let prompt = |id: &str| {
        form.outline
            .iter()
            .flat_map(|n| &n.prompts)
            .find(|p| p.id == id)
            .unwrap_or_else(|| panic!("{id}"))
    };
    assert_eq!(prompt("III.2.2.a.p3").applies, Some(Applies::DangBo));
    assert_eq!(prompt("III.2.2.b.p4").applies, Some(Applies::Commune));
    assert_eq!(prompt("IV.2.1.s2").applies, Some(Applies::Commune));
    let with_applies = form
        .outline
        .iter()
        .flat_map(|n| &n.prompts)
        .filter(|p| p.applies.is_some());
    assert_eq!(with_applies.count(), 3);
    assert!(
        prompt("III.2.2.b.p4").vi.contains("thôn, bản văn hóa; thực hiện"),
        "page break joined"
    );
    let q: Vec<&str> = form
        .node("III.2.2")
        .unwrap()
        .prompts
        .iter()
        .map(|p| p.id.as_str())
        .collect();
    assert_eq!(q, ["III.2.2.q1", "III.2.2.q2", "III.2.2.q3", "III.2.2.q4"]);
    let seed_ivs3 = "Nêu những bài học kinh nghiệm trong lãnh đạo, chỉ đạo của các cấp ủy cấp trên để nâng cao chất lượng sinh hoạt chi bộ; kinh nghiệm nâng cao chất lượng sinh hoạt của các chi bộ.";
    assert_eq!(format!("{}; {}", prompt("IV.3.p1").vi, prompt("IV.3.p2").vi), seed_ivs3);
}

#[test]
fn node_attributes_follow_the_reference() {
    let form = Form::embedded();
    let compare: Vec<&str> = form
        .outline
        .iter()
        .filter(|n| n.compare_types)
        .map(|n| n.id.as_str())
        .collect();
    assert_eq!(compare, ["IV.1", "IV.2.1", "IV.2.2"]);
    let applies: BTreeMap<&str, Applies> = form
        .outline
        .iter()
        .filter_map(|n| n.applies.map(|a| (n.id.as_str(), a)))
        .collect();
    let want: BTreeMap<&str, Applies> = [
        ("III.2.1", Applies::DangBo),
        ("III.2.5", Applies::Residential),
        ("III.3.1", Applies::Residential),
        ("III.3.2", Applies::Residential),
        ("III.3.3", Applies::Commune),
    ]
    .into_iter()
    .collect();
    assert_eq!(applies, want);
    let links = |id: &str| form.node(id).unwrap().links.clone();
    assert_eq!(links("I.1"), ["B1.cells_total", "B1.members_total"]);
    assert_eq!(links("III.1").len(), 17, "III.1 links all of Biểu 2");
    assert_eq!(links("III.2.2.b").len(), 13, "B1 thematic average and all of Biểu 3");
    assert_eq!(links("III.2.5"), ["B4.secretaries_also_head"]);
    assert_eq!(links("III.3.1"), ["B4.heads_newly_admitted"]);

    // V's help is the letter's item 1, second bullet, with «tự chuyên hoá» corrected.
    let help = form.node("V").unwrap().help.as_deref().expect("V has help");
    let seed = norm(&seed());
    assert!(
        seed.contains(&help.replace("tự chuyển hóa", "tự chuyên hoá")),
        "V help from the letter"
    );
    assert!(!help.contains("chuyên hoá"));
}
