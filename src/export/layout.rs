//! Pure layout helpers: the multi-level column header of a form table, Roman numerals.

use crate::form::Table;

/// Header text of the row-number column.
pub(super) const TT_HEADER: &str = "TT";
/// Header text of the cell-type column.
pub(super) const TYPE_HEADER: &str = "Loại hình chi bộ";
/// Grid columns before the first figure: TT and «Loại hình chi bộ».
pub(super) const LEAD_COLS: u16 = 2;

/// One (possibly merged) cell of a table's column header. Rows are relative to the first
/// header row, columns are grid columns (0 = TT, 1 = «Loại hình chi bộ», 2.. figures).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct HeaderCell {
    pub first_row: u32,
    pub last_row: u32,
    pub first_col: u16,
    pub last_col: u16,
    pub text: String,
}

/// Number of header rows: one for the leaves plus one per group level.
pub(super) fn header_depth(table: &Table) -> u32 {
    1 + table.columns.iter().map(|c| c.groups.len()).max().unwrap_or(0) as u32
}

/// The header cells of a table: TT and «Loại hình chi bộ» over all header rows; every group
/// merged over the adjacent columns that share the same groups down to it; every leaf from
/// below its deepest group to the last header row.
pub(super) fn header_cells(table: &Table) -> Vec<HeaderCell> {
    let depth = header_depth(table);
    let last = depth - 1;
    let mut cells = vec![
        HeaderCell {
            first_row: 0,
            last_row: last,
            first_col: 0,
            last_col: 0,
            text: TT_HEADER.to_owned(),
        },
        HeaderCell {
            first_row: 0,
            last_row: last,
            first_col: 1,
            last_col: 1,
            text: TYPE_HEADER.to_owned(),
        },
    ];
    let cols = &table.columns;
    for level in 0..last as usize {
        let mut j = 0;
        while j < cols.len() {
            if cols[j].groups.len() <= level {
                j += 1;
                continue;
            }
            let prefix = &cols[j].groups[..=level];
            let mut end = j;
            while end + 1 < cols.len()
                && cols[end + 1].groups.len() > level
                && &cols[end + 1].groups[..=level] == prefix
            {
                end += 1;
            }
            cells.push(HeaderCell {
                first_row: level as u32,
                last_row: level as u32,
                first_col: grid_col(j),
                last_col: grid_col(end),
                text: prefix[level].clone(),
            });
            j = end + 1;
        }
    }
    for (j, c) in cols.iter().enumerate() {
        cells.push(HeaderCell {
            first_row: c.groups.len() as u32,
            last_row: last,
            first_col: grid_col(j),
            last_col: grid_col(j),
            text: c.vi.clone(),
        });
    }
    cells
}

/// Grid column of the table's `j`-th figure column.
pub(super) fn grid_col(j: usize) -> u16 {
    LEAD_COLS + j as u16
}

/// I, II, III, ... for unit blocks.
pub(super) fn roman(mut n: usize) -> String {
    const TABLE: [(usize, &str); 13] = [
        (1000, "M"),
        (900, "CM"),
        (500, "D"),
        (400, "CD"),
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ];
    let mut s = String::new();
    for (v, r) in TABLE {
        while n >= v {
            s.push_str(r);
            n -= v;
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::form::Form;

    #[test]
    fn roman_numerals() {
        let got: Vec<String> = [1, 4, 9, 14, 40, 1999].into_iter().map(roman).collect();
        assert_eq!(got, ["I", "IV", "IX", "XIV", "XL", "MCMXCIX"]);
    }

    #[test]
    fn every_header_cell_is_inside_the_header_and_leaves_tile_the_bottom_row() {
        let form = Form::embedded();
        for t in &form.tables {
            let depth = header_depth(t);
            let cells = header_cells(t);
            // Every grid position of the header is covered exactly once.
            let width = LEAD_COLS + t.columns.len() as u16;
            for r in 0..depth {
                for c in 0..width {
                    let n = cells
                        .iter()
                        .filter(|h| (h.first_row..=h.last_row).contains(&r) && (h.first_col..=h.last_col).contains(&c))
                        .count();
                    assert_eq!(n, 1, "{} row {r} col {c}", t.id);
                }
            }
        }
    }
}
