//! Reading a filled template back: the file is checked before anything is read (size, a real
//! xlsx, no zip bomb, our marker, an untouched structure), then every input cell is checked
//! with the same rules as the chat. Nothing here writes; the engine applies the result after
//! the secretary confirms.

use std::io::{Cursor, Read as _};

use calamine::{Data, Range, Reader, Xlsx, open_workbook_from_rs};

use super::{InputKind, MARKER, MARKER_SHEET, MAX_FILE_BYTES, Meta, cell_ref, layout};
use crate::domain::{self, FieldError, Figure, FigureError, clean_text};
use crate::form::{AnswerKey, Form};

/// Decompressed content larger than this is refused (a zip bomb).
const MAX_UNPACKED_BYTES: u64 = 60 * 1024 * 1024;
/// A part packed tighter than this is refused too.
const MAX_RATIO: u64 = 200;

/// Why a whole file is refused; nothing of it is used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Empty,
    TooLarge,
    NotXlsx,
    ZipBomb,
    /// Not made by this bot (no marker sheet).
    NotOurs,
    /// Made for an older or newer version of the form.
    OtherVersion,
    /// A label is not where the template put it: rows or columns moved, added or deleted.
    Tampered {
        sheet: String,
        cell: String,
        expected: String,
    },
}

/// Why one cell's value is refused.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    Figure(FigureError),
    BlankNotAllowed,
    Formula,
    /// A value of a type the cell cannot take (true/false, an error value, a date).
    WrongType,
    Field(FieldError),
    TooLong(usize),
}

#[derive(Debug, Clone, PartialEq)]
pub struct CellError {
    pub sheet: String,
    pub cell: String,
    pub problem: Problem,
}

/// What a file says: who it is for, every value given, and the cells refused.
#[derive(Debug, Clone)]
pub struct Filled {
    pub meta: Meta,
    /// Values as they would be stored (`None`: an explicit blank).
    pub values: Vec<(AnswerKey, Option<String>)>,
    pub errors: Vec<CellError>,
}

/// Reads a filled template. `answer_max` is the longest narrative answer accepted.
pub fn read(form: &Form, bytes: &[u8]) -> Result<Filled, Refusal> {
    if bytes.is_empty() {
        return Err(Refusal::Empty);
    }
    if bytes.len() > MAX_FILE_BYTES {
        return Err(Refusal::TooLarge);
    }
    check_zip(bytes)?;
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).map_err(|_| Refusal::NotXlsx)?;
    let marker = wb.worksheet_range(MARKER_SHEET).map_err(|_| Refusal::NotOurs)?;
    let text = |r: &Range<Data>, row: u32| r.get_value((row, 0)).map(|d| d.to_string()).unwrap_or_default();
    if text(&marker, 0) != MARKER {
        return Err(Refusal::NotOurs);
    }
    let meta = Meta {
        campaign: text(&marker, 1),
        unit: text(&marker, 2),
        version: text(&marker, 3),
        rows: text(&marker, 4)
            .split(';')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
    };
    if meta.version != super::form_version(form) || meta.campaign != form.campaign.code {
        return Err(Refusal::OtherVersion);
    }
    let lay = layout(form, &meta.rows);
    let mut sheets: std::collections::HashMap<String, (Range<Data>, Range<String>)> = Default::default();
    for name in lay
        .labels
        .iter()
        .map(|l| &l.sheet)
        .chain(lay.inputs.iter().map(|i| &i.sheet))
    {
        if sheets.contains_key(name) {
            continue;
        }
        let values = wb.worksheet_range(name).map_err(|_| Refusal::Tampered {
            sheet: name.clone(),
            cell: "A1".into(),
            expected: name.clone(),
        })?;
        let formulas = wb.worksheet_formula(name).unwrap_or_default();
        sheets.insert(name.clone(), (values, formulas));
    }
    for l in &lay.labels {
        let (values, _) = &sheets[&l.sheet];
        let found = values.get_value((l.row, u32::from(l.col))).map(|d| d.to_string());
        if found.as_deref().map(str::trim) != Some(l.text.trim()) {
            return Err(Refusal::Tampered {
                sheet: l.sheet.clone(),
                cell: cell_ref(l.row, l.col),
                expected: l.text.clone(),
            });
        }
    }
    let mut out = Filled {
        meta,
        values: Vec::new(),
        errors: Vec::new(),
    };
    let answer_max = form.campaign.answer_max_chars;
    for i in &lay.inputs {
        let (values, formulas) = &sheets[&i.sheet];
        let pos = (i.row, u32::from(i.col));
        let err = |problem| CellError {
            sheet: i.sheet.clone(),
            cell: cell_ref(i.row, i.col),
            problem,
        };
        if formulas.get_value(pos).is_some_and(|f| !f.trim().is_empty()) {
            out.errors.push(err(Problem::Formula));
            continue;
        }
        let cell = values.get_value(pos).unwrap_or(&Data::Empty);
        match read_cell(cell, i.kind, answer_max) {
            Ok(None) => {}
            Ok(Some(v)) => out.values.push((i.key.clone(), v)),
            Err(p) => out.errors.push(err(p)),
        }
    }
    Ok(out)
}

/// A value typed in a form field for answer `key`, checked as the chat checks it: `Ok(None)`
/// when empty (nothing to change), `Ok(Some(v))` with the value to store.
pub fn value_for(form: &Form, key: &AnswerKey, raw: &str) -> Result<Option<Option<String>>, Problem> {
    let kind = super::input_kind(form, key).ok_or(Problem::WrongType)?;
    read_cell(&Data::String(raw.to_owned()), kind, form.campaign.answer_max_chars)
}

/// `Ok(None)`: the cell is empty (the stored answer stays); `Ok(Some(v))`: the value to store.
fn read_cell(cell: &Data, kind: InputKind, answer_max: usize) -> Result<Option<Option<String>>, Problem> {
    let text = match cell {
        Data::Empty => return Ok(None),
        Data::String(s) | Data::DateTimeIso(s) if clean_text(s).is_empty() => return Ok(None),
        Data::String(s) => Some(s.clone()),
        Data::Int(_) | Data::Float(_) => None,
        Data::DateTime(d) => match kind {
            InputKind::Field(crate::form::FieldKind::Date) => {
                // Excel counts days from 30/12/1899.
                let serial = d.as_f64();
                let day = chrono::NaiveDate::from_ymd_opt(1899, 12, 30)
                    .and_then(|o| o.checked_add_signed(chrono::Duration::days(serial.floor() as i64)))
                    .ok_or(Problem::WrongType)?;
                return Ok(Some(Some(domain::format_date(day))));
            }
            _ => return Err(Problem::WrongType),
        },
        _ => return Err(Problem::WrongType),
    };
    let number = match cell {
        Data::Int(n) => Some(*n as f64),
        Data::Float(f) => Some(*f),
        _ => None,
    };
    match kind {
        InputKind::Figure { kind, max, blank } => {
            let fig = match (&text, number) {
                (_, Some(n)) => Figure::within(Figure::number(n, kind), max),
                (Some(t), None) => Figure::parse_max(t, kind, max),
                (None, None) => return Err(Problem::WrongType),
            }
            .map_err(Problem::Figure)?;
            if fig == Figure::Blank && !blank {
                return Err(Problem::BlankNotAllowed);
            }
            Ok(Some(fig.to_storage()))
        }
        InputKind::Field(k) => {
            let t = text.unwrap_or_else(|| number.map(number_text).unwrap_or_default());
            domain::parse_field(k, &t)
                .map(|v| Some(Some(v)))
                .map_err(Problem::Field)
        }
        InputKind::Heading => {
            let t = clean_text(&text.unwrap_or_else(|| number.map(number_text).unwrap_or_default()));
            let n = t.chars().count();
            if n > answer_max {
                return Err(Problem::TooLong(n));
            }
            Ok(Some(Some(t)))
        }
    }
}

/// A number typed in a text cell ("0912345678" read as 912345678 keeps no leading zero,
/// which the phone check then refuses with its own reason).
fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// The file is a zip whose parts unpack to a sane size.
fn check_zip(bytes: &[u8]) -> Result<(), Refusal> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| Refusal::NotXlsx)?;
    let mut total = 0u64;
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).map_err(|_| Refusal::NotXlsx)?;
        let (packed, declared) = (f.compressed_size().max(1), f.size());
        if declared / packed > MAX_RATIO {
            return Err(Refusal::ZipBomb);
        }
        // The declared size can lie: count what actually comes out, and stop past the limit.
        let mut sink = std::io::sink();
        let limit = MAX_UNPACKED_BYTES.saturating_sub(total) + 1;
        let n = std::io::copy(&mut (&mut f).take(limit), &mut sink).map_err(|_| Refusal::NotXlsx)?;
        total += n;
        if total > MAX_UNPACKED_BYTES {
            return Err(Refusal::ZipBomb);
        }
    }
    Ok(())
}
