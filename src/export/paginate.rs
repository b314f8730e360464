//! Where the printed pages of a sheet break. The sheets set every row height themselves, so
//! the plan can count points: a unit's block stays on one page when it fits on one, a heading
//! stays with what follows it, the signature never prints alone, and a block too long for a
//! page is split with its name repeated on the next page.

/// One printed row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Line {
    /// Points.
    pub height: f64,
    /// The unit block this row belongs to; rows of one block stay together when they can.
    pub block: Option<usize>,
    /// Keep this row on the same page as the next one (headings, totals).
    pub keep_next: bool,
}

impl Line {
    pub fn new(height: f64, block: Option<usize>, keep_next: bool) -> Line {
        Line {
            height,
            block,
            keep_next,
        }
    }
}

/// The page a sheet prints on, in sheet points (already divided by the print scale).
#[derive(Debug, Clone, Copy)]
pub(super) struct Page {
    /// Room for rows on one page.
    pub capacity: f64,
    /// The rows repeated at the top of every page after the first.
    pub repeat: f64,
    /// What the first page holds before the first line (header block, title, column header).
    pub first: f64,
    /// The part printed after the last line (signature), kept with the last block.
    pub tail: f64,
    /// A row that repeats a split block's name, where the sheet inserts one (0: the name goes
    /// into an existing cell).
    pub continuation: f64,
}

/// Page breaks, as indices of the lines that start a new page.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Plan {
    pub breaks: Vec<usize>,
    /// Lines that start a page in the middle of their block: the block's name is repeated there.
    pub continued: Vec<usize>,
}

impl Plan {
    pub fn pages(&self) -> usize {
        self.breaks.len() + 1
    }

    pub fn breaks_before(&self, i: usize) -> bool {
        self.breaks.binary_search(&i).is_ok()
    }

    pub fn continues(&self, i: usize) -> bool {
        self.continued.binary_search(&i).is_ok()
    }
}

/// Runs of lines that must share a page: one block, or rows chained by `keep_next`.
fn units(lines: &[Line]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..=lines.len() {
        let joined = i < lines.len()
            && (lines[i - 1].keep_next || (lines[i].block.is_some() && lines[i].block == lines[i - 1].block));
        if !joined {
            out.push(start..i);
            start = i;
        }
    }
    out
}

pub(super) fn plan(lines: &[Line], page: Page) -> Plan {
    let mut p = Plan::default();
    let cap = page.capacity;
    let mut used = page.first;
    // Nothing but the header (first page) or the repeated rows yet: a break here would leave a
    // page of headers only.
    let mut empty = true;
    let all = units(lines);
    let last_unit = all.len().saturating_sub(1);
    for (k, unit) in all.into_iter().enumerate() {
        let tail = if k == last_unit { page.tail } else { 0.0 };
        let h: f64 = lines[unit.clone()].iter().map(|l| l.height).sum::<f64>() + tail;
        if used + h <= cap {
            used += h;
            empty = false;
            continue;
        }
        if page.repeat + h <= cap && !empty {
            p.breaks.push(unit.start);
            used = page.repeat + h;
            continue;
        }
        // Longer than a page: line by line, the block's name repeated after each break.
        let first_of_block = unit.start;
        for i in unit.clone() {
            let h = lines[i].height + if i + 1 == unit.end { tail } else { 0.0 };
            if used + h > cap && !empty {
                p.breaks.push(i);
                used = page.repeat;
                if lines[i].block.is_some() && i != first_of_block {
                    p.continued.push(i);
                    used += page.continuation;
                }
            }
            used += h;
            empty = false;
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page() -> Page {
        Page {
            capacity: 100.0,
            repeat: 10.0,
            first: 30.0,
            tail: 15.0,
            continuation: 5.0,
        }
    }

    fn block(b: usize, rows: usize) -> Vec<Line> {
        (0..rows).map(|_| Line::new(10.0, Some(b), false)).collect()
    }

    #[test]
    fn blocks_move_whole_to_the_next_page() {
        let mut lines = Vec::new();
        for b in 0..4 {
            lines.extend(block(b, 3));
        }
        // 30 + 30 + 30 = 90; the next block of 30 starts page 2 (10 + 30), the last block and
        // the tail (30 + 15) fit after it.
        let p = plan(&lines, page());
        assert_eq!(p.breaks, vec![6]);
        assert!(p.continued.is_empty());
    }

    #[test]
    fn the_signature_never_prints_alone() {
        let mut lines = block(0, 2);
        lines.extend(block(1, 5)); // 30 + 20 + 50 = 100: the tail would overflow
        let p = plan(&lines, page());
        assert_eq!(p.breaks, vec![2], "the last block moves with the signature");
        // Alone on the first page, the block gives its last row to the signature's page.
        let p = plan(&block(0, 6), page());
        assert_eq!(p.breaks, vec![5]);
        assert_eq!(p.continued, vec![5]);
    }

    #[test]
    fn a_block_longer_than_a_page_is_split_with_its_name_repeated() {
        let mut lines = vec![Line::new(10.0, None, true)];
        lines.extend(block(0, 15));
        let p = plan(&lines, page());
        assert!(p.pages() >= 2);
        for &b in &p.breaks {
            assert!(p.continued.contains(&b) || lines[b].block != lines[b - 1].block);
        }
        assert!(!p.continued.is_empty());
    }

    #[test]
    fn the_first_page_never_holds_the_header_alone() {
        // The totals (chained) do not fit under the first page's tall header: they start on
        // it and run over, rather than leaving it empty.
        let lines: Vec<Line> = (0..8).map(|i| Line::new(10.0, None, i < 7)).collect();
        let p = plan(&lines, Page { first: 60.0, ..page() });
        assert_eq!(p.breaks, vec![4]);
    }

    #[test]
    fn headings_stay_with_their_first_line() {
        let mut lines = block(0, 6); // 30 + 60 = 90
        lines.push(Line::new(10.0, None, true)); // heading
        lines.push(Line::new(10.0, None, false));
        let p = plan(&lines, Page { tail: 0.0, ..page() });
        assert_eq!(p.breaks, vec![6]);
    }
}
