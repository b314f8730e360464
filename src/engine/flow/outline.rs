//! The outline: one heading at a time. An answer is complete when it is sent; the bot saves
//! it and shows the next heading in the same message.

use super::{Flow, btn, menu_row, review};
use crate::domain::{clean_text, format_vi};
use crate::engine::state::{Action, Prev, State};
use crate::engine::text;
use crate::form::{Node, NodeKind};

/// A message sent this soon after a long one is the rest of the same answer, split by the
/// phone: Telegram cuts a text over 4,096 characters (Zalo over 2,000) into parts sent
/// together. Nobody types the next heading's answer within two seconds.
const SPLIT_WINDOW_SECS: i64 = 2;
/// Only a message at least this long can have been split.
const SPLIT_MIN_CHARS: usize = 1500;
/// Guidance lines shown with a heading; the rest is one button away.
const KEY_PROMPTS: usize = 3;
/// The screen of one heading stays under this many characters.
const SCREEN_MAX: usize = 950;

impl Flow<'_> {
    pub(super) fn outline(&mut self) -> State {
        let (a, at, ..) = self.progress();
        let mut rows = vec![vec![btn(text::BTN_CONTINUE_OUTLINE, Action::OutlineNext)]];
        for s in self.form.sections() {
            let (d, n) = self.node_count(&s.id);
            let mark = if d == n { "✅" } else { "⬜" };
            let label = format!("{mark} {} ({d}/{n})", text::shorten(&text::node_title(s), 34));
            rows.push(vec![btn(label, Action::Section(s.id.clone()))]);
        }
        rows.push(menu_row());
        self.screen(text::outline_intro(a, at), rows);
        State::Menu
    }

    pub(super) fn node_count(&self, section: &str) -> (usize, usize) {
        let prefix = format!("{section}.");
        let nodes: Vec<&Node> = self
            .form
            .answer_nodes()
            .filter(|n| n.id == section || n.id.starts_with(&prefix))
            .collect();
        (
            nodes.iter().filter(|n| self.ctx.text(&n.id).is_some()).count(),
            nodes.len(),
        )
    }

    /// The first unanswered heading after `from` (or from the top), wrapping round; when all
    /// are answered, the report moves on to its next part.
    pub(super) fn outline_next(&mut self, from: Option<&str>) -> State {
        self.outline_after(from, 0)
    }

    /// [`Self::outline_next`] after a message of `len` characters answered `from`.
    fn outline_after(&mut self, from: Option<&str>, len: usize) -> State {
        let nodes: Vec<&Node> = self.form.answer_nodes().collect();
        let start = from
            .and_then(|f| nodes.iter().position(|n| n.id == f))
            .map_or(0, |p| p + 1);
        let next = nodes[start..]
            .iter()
            .chain(nodes[..start].iter())
            .find(|n| self.ctx.text(&n.id).is_none())
            .map(|n| n.id.clone());
        match next {
            Some(id) => {
                let prev = from.map(|f| Prev {
                    node: f.to_owned(),
                    at: self.env.sent_at,
                    len,
                });
                self.open_node(&id, false, prev)
            }
            None => {
                self.say(text::OUTLINE_ALL_DONE, vec![]);
                self.resume()
            }
        }
    }

    pub(super) fn section(&mut self, id: &str) -> State {
        let Some(sec) = self.form.node(id).filter(|n| n.parent_id().is_none()) else {
            self.say(text::STALE_BUTTON, vec![]);
            return self.outline();
        };
        let title = text::node_title(sec);
        let prefix = format!("{}.", sec.id);
        let mut rows = Vec::new();
        for n in self
            .form
            .answer_nodes()
            .filter(|n| n.id == sec.id || n.id.starts_with(&prefix))
        {
            let mark = if self.ctx.text(&n.id).is_some() { "✅" } else { "⬜" };
            let label = format!("{mark} {} {}", n.id, text::shorten(&n.vi, 34));
            rows.push(vec![btn(label, Action::Open(n.id.clone()))]);
        }
        rows.push(vec![
            btn(text::BTN_OUTLINE, Action::Outline),
            btn(text::BTN_MENU, Action::Menu),
        ]);
        self.screen(text::section_intro(&title), rows);
        State::Menu
    }

    /// The guidance that applies to this unit: the heading's own prompts, then those of a
    /// container above it (III.2.2.q1–q4 apply to its children).
    fn prompts(&self, node: &Node) -> Vec<String> {
        let relevant = |p: &&crate::form::Prompt| !self.ctx.excluded_by(self.form, p.applies);
        let mut prompts: Vec<String> = node.prompts.iter().filter(relevant).map(|p| p.vi.clone()).collect();
        if let Some(parent) = node.parent_id().and_then(|p| self.form.node(p))
            && parent.kind == NodeKind::Container
        {
            prompts.extend(parent.prompts.iter().filter(relevant).map(|p| p.vi.clone()));
        }
        if let Some(h) = &node.help {
            prompts.push(h.clone());
        }
        prompts
    }

    /// "III. Công tác … › 2. Sinh hoạt …", each part cut at a word.
    fn crumbs(&self, node: &Node) -> String {
        let mut crumbs = Vec::new();
        let mut p = node.parent_id();
        while let Some(pid) = p {
            let Some(pn) = self.form.node(pid) else { break };
            let title = if pn.parent_id().is_none() {
                format!("{}. {}", pn.id, text::sentence_case(&pn.vi))
            } else {
                text::node_title(pn)
            };
            crumbs.push(text::shorten(&title, 40));
            p = pn.parent_id();
        }
        crumbs.reverse();
        crumbs.join(" › ")
    }

    /// One heading's screen: title, 3 key guidance lines, the unit's own cell types to
    /// compare, linked figures, the current answer, what to do.
    pub(super) fn open_node(&mut self, id: &str, replace: bool, prev: Option<Prev>) -> State {
        let Some(node) = self.form.node(id).filter(|n| n.kind == NodeKind::Answer) else {
            self.say(text::STALE_BUTTON, vec![]);
            return self.outline();
        };
        if self.locked() {
            return self.refuse_locked();
        }
        let mut head = text::heading_title(&node.id, &node.vi, node.parent_id().is_none());
        let crumbs = self.crumbs(node);
        if !crumbs.is_empty() {
            head.push_str(&format!("\n({crumbs})"));
        }
        let mut tail = String::new();
        if node.compare_types && self.ctx.rows.len() > 1 {
            tail.push_str(&format!("\n{}", text::compare_note(&self.type_shorts())));
        }
        let linked = self.linked_figures(node);
        if !linked.is_empty() {
            tail.push_str(&format!("\n📊 Số liệu đã nhập:\n{linked}"));
        }
        let current = self.ctx.text(&node.id).map(str::to_owned);
        if let Some(c) = &current {
            tail.push_str(&format!("\n\n{}:\n«{}»", text::CURRENT_ANSWER, text::shorten(c, 300)));
        }
        tail.push_str(&format!("\n\n{}", text::answer_prompt(current.is_some(), replace)));
        // The key guidance lines fill what the screen has left.
        let prompts = self.prompts(node);
        let budget = SCREEN_MAX.saturating_sub(head.chars().count() + tail.chars().count() + 40);
        let (guidance, cut) = text::key_lines(&prompts, KEY_PROMPTS, budget);
        let mut s = head;
        if !guidance.is_empty() {
            s.push_str(&format!("\n{}\n• {}", text::GUIDANCE, guidance.join("\n• ")));
        }
        s.push_str(&tail);
        let mut rows = Vec::new();
        if let Some(p) = &prev
            && self.ctx.text(&p.node).is_some()
        {
            rows.push(vec![
                btn(text::btn_append(&p.node), Action::Append(p.node.clone())),
                btn(text::btn_replace(&p.node), Action::Replace(p.node.clone())),
            ]);
        }
        let mut row = Vec::new();
        if cut {
            row.push(btn(text::BTN_GUIDE, Action::Guide(node.id.clone())));
        }
        row.push(btn(text::BTN_SKIP, Action::Skip));
        rows.push(row);
        let mut row = Vec::new();
        if current.is_some() && !replace {
            row.push(btn(text::BTN_REWRITE, Action::Replace(node.id.clone())));
        }
        if self.ctx.excluded_by(self.form, node.applies) {
            row.push(btn(text::BTN_NA, Action::NotApplicable));
        }
        row.push(btn(text::BTN_PREV, Action::Prev));
        row.push(btn(text::BTN_MENU, Action::Menu));
        rows.push(row);
        self.say(s, rows);
        State::Answer {
            node: node.id.clone(),
            replace,
            prev,
        }
    }

    /// The unit's own cell types, by their short names.
    pub(super) fn type_shorts(&self) -> Vec<String> {
        self.ctx
            .rows
            .iter()
            .filter_map(|r| self.form.cell_type(r))
            .map(|t| t.short.clone())
            .collect()
    }

    /// Every guidance line of a heading (asked for, so it may be long).
    pub(super) fn guide(&mut self, id: &str) -> State {
        let id = id.trim();
        let Some(node) = self
            .form
            .outline
            .iter()
            .find(|n| n.id.eq_ignore_ascii_case(id) && n.kind == NodeKind::Answer)
        else {
            self.say(text::no_such_node(id), vec![]);
            return State::Menu;
        };
        let prompts = self.prompts(node);
        let title = text::heading_title(&node.id, &node.vi, node.parent_id().is_none());
        self.say(text::full_guidance(&title, &prompts), vec![]);
        State::Answer {
            node: node.id.clone(),
            replace: false,
            prev: None,
        }
    }

    /// The linked columns' figures, each on one short line (at most three lines).
    fn linked_figures(&self, node: &Node) -> String {
        let mut parts = Vec::new();
        for l in node.links.iter().take(3) {
            let Some((_, col)) = self.form.column(l) else { continue };
            let vals: Vec<String> = self
                .ctx
                .rows
                .iter()
                .filter_map(|r| {
                    let v = self.ctx.figure(l, r)?.num()?;
                    let name = self.form.cell_type(r).map_or(r.as_str(), |t| t.short.as_str());
                    Some(format!("{name} {}", format_vi(v)))
                })
                .collect();
            if !vals.is_empty() {
                parts.push(text::shorten(&format!("{}: {}", col.short, vals.join("; ")), 140));
            }
        }
        parts.join("\n")
    }

    /// Skips to the next unanswered heading.
    pub(super) fn after_node(&mut self, id: &str) -> State {
        let nodes: Vec<&Node> = self.form.answer_nodes().collect();
        let pos = nodes.iter().position(|n| n.id == id).map_or(0, |p| p + 1);
        match nodes[pos..].iter().find(|n| self.ctx.text(&n.id).is_none()) {
            Some(n) => {
                let nid = n.id.clone();
                self.open_node(&nid, false, None)
            }
            None => self.outline_next(None),
        }
    }

    pub(super) fn prev_node(&mut self, id: &str) -> State {
        let nodes: Vec<&Node> = self.form.answer_nodes().collect();
        let pos = nodes.iter().position(|n| n.id == id).unwrap_or(0);
        let nid = nodes[pos.saturating_sub(1)].id.clone();
        self.open_node(&nid, false, None)
    }

    pub(super) fn not_applicable(&mut self, node: &str) -> State {
        let applies = self.form.node(node).and_then(|n| n.applies);
        if !self.ctx.excluded_by(self.form, applies) {
            self.say(text::APPLIES_HERE, vec![]);
            return self.open_node(node, false, None);
        }
        self.set_answer(node, "", Some(text::NOT_APPLICABLE.to_owned()));
        self.say(text::not_applicable_saved(node), vec![]);
        self.outline_next(Some(node))
    }

    pub(super) fn confirm_answer(&mut self, node: &str) -> State {
        for f in review::answer_findings(self.form, &self.ctx)
            .into_iter()
            .filter(|f| f.row == node)
        {
            self.writes.push(super::Write::ConfirmWarning {
                rule: f.rule_id.clone(),
                row: node.to_owned(),
                message: f.message.clone(),
            });
            self.ctx.confirmed.push((f.rule_id, node.to_owned()));
        }
        self.say(text::ROW_CONFIRMED, vec![]);
        self.outline_next(Some(node))
    }

    /// A typed answer: saved at once, then the next heading. `replace` replaces the saved
    /// text; otherwise it is added to what is there. A part the phone split off the answer
    /// just sent joins that answer.
    pub(super) fn answer_text(&mut self, node: &str, t: &str, replace: bool, prev: Option<Prev>) -> State {
        if let Some(p) = prev
            && let (Some(at), Some(now)) = (p.at, self.env.sent_at)
            && now - at <= SPLIT_WINDOW_SECS
            && p.len >= SPLIT_MIN_CHARS
            && self.ctx.text(&p.node).is_some()
        {
            return self.continue_answer(&p.node, node, t, now);
        }
        let incoming = clean_text(t);
        if incoming.is_empty() {
            self.say(text::ANSWER_EMPTY, vec![]);
            return State::Answer {
                node: node.to_owned(),
                replace,
                prev: None,
            };
        }
        let Some(combined) = self.combine(node, &incoming, replace) else {
            return State::Answer {
                node: node.to_owned(),
                replace,
                prev: None,
            };
        };
        self.set_answer(node, "", Some(combined));
        let warning = review::answer_findings(self.form, &self.ctx)
            .into_iter()
            .find(|f| f.row == node && !self.ctx.is_confirmed(&f.rule_id, node));
        if let Some(f) = warning {
            self.say(
                format!("{}\n{}", text::answer_saved(node), text::row_warnings(&[f.message])),
                vec![vec![
                    btn(text::BTN_CONFIRM, Action::Confirm),
                    btn(text::btn_append(node), Action::Append(node.to_owned())),
                ]],
            );
            return State::ConfirmAnswer { node: node.to_owned() };
        }
        self.say(text::answer_saved(node), vec![]);
        self.outline_after(Some(node), t.chars().count())
    }

    /// The saved text with `incoming` added (or instead, when replacing); `None` when that
    /// is longer than the form allows (the secretary has been told).
    fn combine(&mut self, node: &str, incoming: &str, replace: bool) -> Option<String> {
        let max = self.form.campaign.answer_max_chars;
        let existing = if replace {
            None
        } else {
            self.ctx
                .text(node)
                .filter(|e| *e != text::NOT_APPLICABLE)
                .map(str::to_owned)
        };
        let have = existing.as_ref().map_or(0, |e| e.chars().count());
        let sent = incoming.chars().count();
        if have + sent + usize::from(have > 0) > max {
            let mut buttons = vec![btn(text::btn_replace(node), Action::Replace(node.to_owned()))];
            buttons.push(btn(text::BTN_MENU, Action::Menu));
            self.say(text::answer_too_long(max, have, sent), vec![buttons]);
            return None;
        }
        Some(match existing {
            Some(e) => format!("{e}\n{incoming}"),
            None => incoming.to_owned(),
        })
    }

    fn continue_answer(&mut self, prev: &str, node: &str, t: &str, now: i64) -> State {
        let incoming = clean_text(t);
        let len = t.chars().count();
        let state = |at| State::Answer {
            node: node.to_owned(),
            replace: false,
            prev: Some(Prev {
                node: prev.to_owned(),
                at,
                len,
            }),
        };
        if incoming.is_empty() {
            self.say(text::ANSWER_EMPTY, vec![]);
            return state(Some(now));
        }
        match self.combine(prev, &incoming, false) {
            Some(combined) => {
                self.set_answer(prev, "", Some(combined));
                self.say(text::answer_continued(prev, node), vec![]);
                state(Some(now))
            }
            None => state(None),
        }
    }
}
