//! The figures of a form table as the workbook shows them: each merged unit's rows, the
//! district totals computed in Rust, and the Excel formulas that compute the same totals.

use rust_xlsxwriter::utility::column_number_to_name;

use super::layout::grid_col;
use super::{ExportSnapshot, UnitReport};
use crate::form::{Column, Form, Table};

/// One stored figure.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Figure {
    /// Not answered, or answered blank ("-").
    Missing,
    Number(f64),
    /// Stored text that is not a number; shown as is, counted as nothing.
    Text(String),
}

impl Figure {
    pub fn parse(raw: Option<&str>) -> Figure {
        let Some(text) = raw.map(str::trim).filter(|t| !t.is_empty()) else {
            return Figure::Missing;
        };
        match text.replace(',', ".").parse::<f64>() {
            Ok(v) if v.is_finite() => Figure::Number(v),
            _ => Figure::Text(text.to_owned()),
        }
    }

    pub fn number(&self) -> Option<f64> {
        match self {
            Figure::Number(v) => Some(*v),
            _ => None,
        }
    }
}

/// One cell type's row of one unit.
#[derive(Debug, Clone)]
pub(super) struct TypeRow {
    pub code: String,
    pub name: String,
    /// One per table column, in column order.
    pub figures: Vec<Figure>,
}

/// A merged unit and its rows in one table.
#[derive(Debug, Clone)]
pub(super) struct UnitBlock<'a> {
    pub unit: &'a UnitReport,
    pub rows: Vec<TypeRow>,
}

/// Whether the table has a row for this cell type (Biểu 4: residential types only).
pub(super) fn applies(form: &Form, table: &Table, code: &str) -> bool {
    !table.residential_only || form.cell_type(code).is_some_and(|t| t.residential)
}

/// Display name of a cell type; an unknown code shows as itself.
pub(super) fn type_name(form: &Form, code: &str) -> String {
    form.cell_type(code).map_or_else(|| code.to_owned(), |t| t.vi.clone())
}

/// The merged units' rows of a table, in snapshot order.
pub(super) fn unit_blocks<'a>(s: &'a ExportSnapshot, table: &Table) -> Vec<UnitBlock<'a>> {
    s.units
        .iter()
        .filter(|u| s.merged(u))
        .map(|u| {
            let mut seen = Vec::new();
            let rows = u
                .rows
                .iter()
                .filter(|code| applies(&s.form, table, code))
                .filter(|code| {
                    let new = !seen.contains(code);
                    seen.push(*code);
                    new
                })
                .map(|code| TypeRow {
                    code: code.clone(),
                    name: type_name(&s.form, code),
                    figures: table
                        .columns
                        .iter()
                        .map(|c| Figure::parse(u.answer(&format!("{}.{}", table.id, c.key), code)))
                        .collect(),
                })
                .collect();
            UnitBlock { unit: u, rows }
        })
        .collect()
}

/// Cell types with at least one row, in form order, then unknown codes as met.
pub(super) fn present_types(form: &Form, blocks: &[UnitBlock]) -> Vec<(String, String)> {
    let mut present: Vec<&str> = Vec::new();
    for row in blocks.iter().flat_map(|b| &b.rows) {
        if !present.contains(&row.code.as_str()) {
            present.push(&row.code);
        }
    }
    let position = |code: &str| {
        form.cell_types
            .iter()
            .position(|t| t.code.eq_ignore_ascii_case(code))
            .unwrap_or(usize::MAX)
    };
    // Stable: unknown codes keep their order of appearance.
    present.sort_by_key(|c| position(c));
    present
        .into_iter()
        .map(|c| (c.to_owned(), type_name(form, c)))
        .collect()
}

/// District total of column `j` over `rows`: a sum for counts; for weighted columns the
/// weighted mean Σ(weights·value) / Σ(weights) over the rows whose value is a number, `None`
/// when that weight is 0. Missing weights count as 0.
pub(super) fn column_total<'a>(table: &Table, j: usize, rows: impl Iterator<Item = &'a TypeRow>) -> Option<f64> {
    let column = &table.columns[j];
    let weights: Vec<usize> = weight_indices(table, column);
    if weights.is_empty() {
        return Some(rows.filter_map(|r| r.figures[j].number()).sum());
    }
    let (mut num, mut den) = (0.0, 0.0);
    for r in rows {
        if let Some(v) = r.figures[j].number() {
            let w: f64 = weights.iter().map(|&k| r.figures[k].number().unwrap_or(0.0)).product();
            num += w * v;
            den += w;
        }
    }
    (den != 0.0).then(|| num / den)
}

/// Indices of the columns named in `column.weight`.
fn weight_indices(table: &Table, column: &Column) -> Vec<usize> {
    column.weight.iter().filter_map(|k| table.column_index(k)).collect()
}

/// The rows of the unit blocks on the sheet (0-based, inclusive) and the hidden column that
/// holds each unit row's cell-type code.
#[derive(Debug, Clone, Copy)]
pub(super) struct UnitRange {
    pub first: u32,
    pub last: u32,
    pub helper_col: u16,
}

impl UnitRange {
    fn range(&self, col: u16) -> String {
        let c = column_number_to_name(col);
        format!("{c}${}:{c}${}", self.first + 1, self.last + 1)
    }

    fn helper_range(&self) -> String {
        let c = column_number_to_name(self.helper_col);
        format!("${c}${}:${c}${}", self.first + 1, self.last + 1)
    }

    fn helper_cell(&self, row: u32) -> String {
        format!("${}{}", column_number_to_name(self.helper_col), row + 1)
    }
}

/// The total formula of column `j`: over every unit row (grand total), or only over the rows
/// whose type code equals the helper cell of sheet row `type_row` (per-type total).
///
/// Counts: `SUM` / `SUMIF`. Weighted columns (§5.1.4): `SUMPRODUCT` of the weights and the
/// value over `SUMPRODUCT` of the weights where the value is a number, blank when 0.
pub(super) fn total_formula(table: &Table, j: usize, units: UnitRange, type_row: Option<u32>) -> String {
    let column = &table.columns[j];
    let value = units.range(grid_col(j));
    let weights: Vec<String> = weight_indices(table, column)
        .into_iter()
        .map(|k| units.range(grid_col(k)))
        .collect();
    if weights.is_empty() {
        return match type_row {
            None => format!("=SUM({value})"),
            Some(r) => format!("=SUMIF({},{},{value})", units.helper_range(), units.helper_cell(r)),
        };
    }
    let mut factors = Vec::new();
    if let Some(r) = type_row {
        factors.push(format!("--({}={})", units.helper_range(), units.helper_cell(r)));
    }
    factors.extend(weights);
    let w = factors.join(",");
    format!("=IFERROR(SUMPRODUCT({w},{value})/SUMPRODUCT({w},--ISNUMBER({value})),\"\")")
}

/// The cached result of a total formula: the number, or "" for a blank mean.
pub(super) fn formula_result(v: Option<f64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(figures: &[Option<f64>]) -> TypeRow {
        TypeRow {
            code: "thon".into(),
            name: "x".into(),
            figures: figures
                .iter()
                .map(|f| f.map_or(Figure::Missing, Figure::Number))
                .collect(),
        }
    }

    #[test]
    fn parse_figures() {
        assert_eq!(Figure::parse(Some("87.5")), Figure::Number(87.5));
        assert_eq!(Figure::parse(Some(" 1,5 ")), Figure::Number(1.5));
        assert_eq!(Figure::parse(Some("")), Figure::Missing);
        assert_eq!(Figure::parse(None), Figure::Missing);
        assert_eq!(Figure::parse(Some("abc")), Figure::Text("abc".into()));
    }

    #[test]
    fn speakers_total_is_weighted_by_meetings() {
        let form = Form::embedded();
        let b1 = form.table("B1").expect("B1");
        let n = b1.columns.len();
        let idx = |k: &str| b1.column_index(k).expect("column");
        let mut a = vec![None; n];
        let mut b = vec![None; n];
        a[idx("cells_total")] = Some(10.0);
        a[idx("meetings_per_cell_year")] = Some(12.0);
        a[idx("speakers_per_meeting")] = Some(5.0);
        b[idx("cells_total")] = Some(1.0);
        b[idx("meetings_per_cell_year")] = Some(24.0);
        b[idx("speakers_per_meeting")] = Some(2.0);
        let rows = [row(&a), row(&b)];
        let got = column_total(b1, idx("speakers_per_meeting"), rows.iter()).expect("total");
        let want = (10.0 * 12.0 * 5.0 + 24.0 * 2.0) / (120.0 + 24.0);
        assert!((got - want).abs() < 1e-12);
        assert_eq!(column_total(b1, idx("cells_total"), rows.iter()), Some(11.0));
        // No weight at all: blank.
        let empty = [row(&vec![None; n])];
        assert_eq!(column_total(b1, idx("hours_per_meeting"), empty.iter()), None);
    }

    #[test]
    fn formulas_follow_the_reference_patterns() {
        let form = Form::embedded();
        let b1 = form.table("B1").expect("B1");
        let units = UnitRange {
            first: 19,
            last: 79,
            helper_col: 15,
        };
        let speakers = b1.column_index("speakers_per_meeting").expect("column");
        assert_eq!(
            total_formula(b1, speakers, units, None),
            "=IFERROR(SUMPRODUCT(C$20:C$80,L$20:L$80,N$20:N$80)/SUMPRODUCT(C$20:C$80,L$20:L$80,--ISNUMBER(N$20:N$80)),\"\")"
        );
        assert_eq!(total_formula(b1, 0, units, None), "=SUM(C$20:C$80)");
        assert_eq!(
            total_formula(b1, 0, units, Some(9)),
            "=SUMIF($P$20:$P$80,$P10,C$20:C$80)"
        );
        let meetings = b1.column_index("meetings_per_cell_year").expect("column");
        assert_eq!(
            total_formula(b1, meetings, units, Some(9)),
            "=IFERROR(SUMPRODUCT(--($P$20:$P$80=$P10),C$20:C$80,L$20:L$80)/SUMPRODUCT(--($P$20:$P$80=$P10),C$20:C$80,--ISNUMBER(L$20:L$80)),\"\")"
        );
    }
}
