//! Which answer: one typed key shared by the chat, the Excel template, the web form and the
//! merged workbook. It is stored as two columns, `key` and `row`:
//!
//! | answer | `key` | `row` |
//! | --- | --- | --- |
//! | a heading of the outline | `III.2.2.a` | `` |
//! | a header field | `HD.so` | `` |
//! | a table figure | `B1.cells_total` | `thon` (the cell type) |

use std::fmt;

use super::Form;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AnswerKey {
    /// A heading's narrative answer.
    Heading(String),
    /// A header field of the report (number, date, signer …).
    Field(String),
    /// One figure: a table's column for one cell type.
    Figure {
        table: String,
        column: String,
        cell: String,
    },
}

impl AnswerKey {
    pub fn figure(table: &str, column: &str, cell: &str) -> AnswerKey {
        AnswerKey::Figure {
            table: table.to_owned(),
            column: column.to_owned(),
            cell: cell.to_owned(),
        }
    }

    /// The stored `key` column.
    pub fn key(&self) -> String {
        match self {
            AnswerKey::Heading(id) | AnswerKey::Field(id) => id.clone(),
            AnswerKey::Figure { table, column, .. } => format!("{table}.{column}"),
        }
    }

    /// The stored `row` column: the cell type of a figure, empty otherwise.
    pub fn row(&self) -> &str {
        match self {
            AnswerKey::Figure { cell, .. } => cell,
            _ => "",
        }
    }

    /// The key of a stored answer, checked against the form: `None` for anything the form
    /// does not have.
    pub fn parse(form: &Form, key: &str, row: &str) -> Option<AnswerKey> {
        if row.is_empty() {
            if form.report_field(key).is_some() {
                return Some(AnswerKey::Field(key.to_owned()));
            }
            return form
                .node(key)
                .filter(|n| n.kind == super::NodeKind::Answer)
                .map(|n| AnswerKey::Heading(n.id.clone()));
        }
        let (t, c) = form.column(key)?;
        form.cell_type(row)?;
        Some(AnswerKey::figure(&t.id, &c.key, row))
    }
}

impl fmt::Display for AnswerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AnswerKey::Heading(id) | AnswerKey::Field(id) => f.write_str(id),
            AnswerKey::Figure { table, column, cell } => write!(f, "{table}.{column}[{cell}]"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_through_storage_and_are_checked_against_the_form() {
        let form = Form::embedded();
        for k in [
            AnswerKey::Heading("III.2.2.a".into()),
            AnswerKey::Field("HD.so".into()),
            AnswerKey::figure("B1", "cells_total", "thon"),
        ] {
            assert_eq!(AnswerKey::parse(&form, &k.key(), k.row()), Some(k.clone()), "{k}");
        }
        assert_eq!(AnswerKey::parse(&form, "III.2", ""), None, "a container is no answer");
        assert_eq!(AnswerKey::parse(&form, "B1.nope", "thon"), None);
        assert_eq!(AnswerKey::parse(&form, "B1.cells_total", "nope"), None);
    }
}
