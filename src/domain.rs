//! Values parsed once at the edge: figures, dates, phone numbers, invite codes, text.

use chrono::NaiveDate;
use rand::Rng;
use unicode_normalization::UnicodeNormalization;

use crate::form::ValueKind;

/// A table value as typed: a number or an explicit blank (`-`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Figure {
    Num(f64),
    Blank,
}

/// Why a typed figure was refused; the engine turns it into Vietnamese.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FigureError {
    NotANumber,
    NotWhole,
    Negative,
    OverHundred,
    /// Past the column's maximum (set in the form file), or not a finite number.
    TooLarge(u64),
}

/// No figure of any report comes near this; beyond it a value is a typing slip.
const MAX_ANY: f64 = 1_000_000_000.0;

impl Figure {
    /// Parses one token for a column of `kind`: decimal comma or dot, Vietnamese thousands
    /// dots (`1.234`), `%` for percents, `90p`/`90phút` as minutes for hours, `-` for blank.
    pub fn parse(token: &str, kind: ValueKind) -> Result<Figure, FigureError> {
        let t = token.trim();
        if matches!(t, "-" | "_" | "–" | "—") {
            return Ok(Figure::Blank);
        }
        let lower = t.to_lowercase();
        let (body, minutes) = match kind {
            ValueKind::Hours => {
                let stripped = lower
                    .strip_suffix("phút")
                    .or_else(|| lower.strip_suffix("ph"))
                    .or_else(|| lower.strip_suffix('p'));
                match stripped {
                    Some(b) => (b.trim().to_owned(), true),
                    None => (lower.strip_suffix('h').unwrap_or(&lower).trim().to_owned(), false),
                }
            }
            ValueKind::Percent => (lower.strip_suffix('%').unwrap_or(&lower).trim().to_owned(), false),
            _ => (lower.clone(), false),
        };
        let n = parse_number(&body, kind == ValueKind::Count).ok_or(FigureError::NotANumber)?;
        Figure::number(if minutes { n / 60.0 } else { n }, kind)
    }

    /// A number already read as one (a spreadsheet cell), checked as a typed one is.
    pub fn number(n: f64, kind: ValueKind) -> Result<Figure, FigureError> {
        if n < 0.0 {
            return Err(FigureError::Negative);
        }
        match kind {
            _ if !n.is_finite() => Err(FigureError::TooLarge(MAX_ANY as u64)),
            ValueKind::Count if n.fract() != 0.0 => Err(FigureError::NotWhole),
            ValueKind::Percent if n > 100.0 => Err(FigureError::OverHundred),
            _ if n > MAX_ANY => Err(FigureError::TooLarge(MAX_ANY as u64)),
            _ => Ok(Figure::Num(n)),
        }
    }

    /// Caps a parsed figure at a column's maximum.
    pub fn within(parsed: Result<Figure, FigureError>, max: f64) -> Result<Figure, FigureError> {
        match parsed {
            Ok(Figure::Num(n)) if n > max => Err(FigureError::TooLarge(max as u64)),
            Err(FigureError::TooLarge(_)) => Err(FigureError::TooLarge(max as u64)),
            other => other,
        }
    }

    /// [`Figure::parse`] for a column whose values never exceed `max`.
    pub fn parse_max(token: &str, kind: ValueKind, max: f64) -> Result<Figure, FigureError> {
        Figure::within(Figure::parse(token, kind), max)
    }

    /// Canonical storage text: `12`, `87.5`; blank is stored as NULL.
    pub fn to_storage(self) -> Option<String> {
        match self {
            Figure::Blank => None,
            Figure::Num(n) => Some(format_storage(n)),
        }
    }

    pub fn from_storage(v: Option<&str>) -> Option<Figure> {
        match v {
            None => Some(Figure::Blank),
            Some(s) => s.parse().ok().map(Figure::Num),
        }
    }

    pub fn num(self) -> Option<f64> {
        match self {
            Figure::Num(n) => Some(n),
            Figure::Blank => None,
        }
    }
}

fn format_storage(n: f64) -> String {
    let r = (n * 1e6).round() / 1e6;
    if r.fract() == 0.0 {
        format!("{}", r as i64)
    } else {
        format!("{r}")
    }
}

/// Accepts `12`, `-3`, `87,5`, `87.5`, `1.234` (thousands), `1.234,5`.
fn parse_number(s: &str, whole: bool) -> Option<f64> {
    let s = s.trim();
    if s.is_empty() || !s.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | ',' | '-')) {
        return None;
    }
    let (neg, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    if digits.is_empty() || digits.contains('-') {
        return None;
    }
    let normalised = if digits.contains(',') {
        // Vietnamese: dots group thousands, the comma is the decimal mark.
        if digits.matches(',').count() > 1 {
            return None;
        }
        let (int, frac) = digits.split_once(',')?;
        if int.contains('.') && !thousands_ok(int) {
            return None;
        }
        format!("{}.{}", int.replace('.', ""), frac)
    } else if digits.matches('.').count() > 1 || (whole && thousands_ok(digits) && digits.contains('.')) {
        if !thousands_ok(digits) {
            return None;
        }
        digits.replace('.', "")
    } else {
        digits.to_owned()
    };
    let n: f64 = normalised.parse().ok()?;
    Some(if neg { -n } else { n })
}

fn thousands_ok(s: &str) -> bool {
    let mut parts = s.split('.');
    let first = parts.next().unwrap_or("");
    !first.is_empty() && first.len() <= 3 && parts.all(|p| p.len() == 3)
}

/// Vietnamese display of a number: decimal comma, at most two decimals.
pub fn format_vi(n: f64) -> String {
    let r = (n * 100.0).round() / 100.0;
    if r.fract() == 0.0 {
        format!("{}", r as i64)
    } else {
        let s = format!("{r:.2}");
        s.trim_end_matches('0').replace('.', ",")
    }
}

/// Parses a date typed as dd/mm/yyyy (also `-` or `.` separators, one-digit day or month).
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let t = s.trim().replace(['-', '.'], "/");
    let parts: Vec<&str> = t.split('/').collect();
    if parts.len() != 3 || parts[2].len() != 4 {
        return None;
    }
    let d: u32 = parts[0].parse().ok()?;
    let m: u32 = parts[1].parse().ok()?;
    let y: i32 = parts[2].parse().ok()?;
    NaiveDate::from_ymd_opt(y, m, d)
}

pub fn format_date(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// A phone number reduced to digits with a leading 0 (`+84 912 345 678` -> `0912345678`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    /// `None` when the text is not a phone number at all.
    pub fn parse(s: &str) -> Option<Phone> {
        let t = s.trim();
        if t.is_empty() || !t.chars().all(|c| c.is_ascii_digit() || " .-+()".contains(c)) {
            return None;
        }
        let mut digits: String = t.chars().filter(char::is_ascii_digit).collect();
        if t.starts_with('+') || (digits.starts_with("84") && digits.len() == 11) {
            digits = digits.strip_prefix("84").map(|r| format!("0{r}"))?;
        }
        (7..=12).contains(&digits.len()).then_some(Phone(digits))
    }

    /// 10-digit mobile (0[35789]…) or 11-digit landline (02…).
    pub fn is_plausible(&self) -> bool {
        let d = &self.0;
        (d.len() == 10 && d.starts_with('0') && matches!(d.as_bytes()[1], b'3' | b'5' | b'7' | b'8' | b'9'))
            || (d.len() == 11 && d.starts_with("02"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why a header field's value was refused; the engine turns it into Vietnamese.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldError {
    Empty,
    TooLong,
    BadDate,
    BadPhone,
}

/// Longest text of a header field.
pub const FIELD_MAX_CHARS: usize = 200;

/// A header field's value as stored: cleaned text, a date as dd/mm/yyyy, a phone as digits.
pub fn parse_field(kind: crate::form::FieldKind, t: &str) -> Result<String, FieldError> {
    use crate::form::FieldKind;
    let v = clean_text(t);
    if v.is_empty() {
        return Err(FieldError::Empty);
    }
    match kind {
        FieldKind::Text if v.chars().count() > FIELD_MAX_CHARS => Err(FieldError::TooLong),
        FieldKind::Text => Ok(v),
        FieldKind::Date => parse_date(&v).map(format_date).ok_or(FieldError::BadDate),
        FieldKind::Phone => Phone::parse(&v)
            .map(|p| p.as_str().to_owned())
            .ok_or(FieldError::BadPhone),
    }
}

/// Trims and NFC-normalises user text so it compares with the seed's text.
/// Characters that show nothing (zero-width spaces and joiners, the BOM, soft hyphens) are
/// dropped, so a text made only of them is empty.
pub fn clean_text(s: &str) -> String {
    let visible: String = s
        .chars()
        .filter(
            |c| !matches!(c, '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{00AD}' | '\u{180E}'),
        )
        .collect();
    visible.trim().nfc().collect()
}

/// Characters allowed in a Telegram start payload.
const INVITE_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

/// A fresh invite code: 16 characters from a 64-symbol alphabet, 96 bits of randomness.
pub fn new_invite_code() -> String {
    let mut rng = rand::rng();
    (0..16)
        .map(|_| INVITE_ALPHABET[rng.random_range(0..INVITE_ALPHABET.len())] as char)
        .collect()
}

/// An invite code as typed: only start-payload characters, sensible length.
pub fn parse_invite_code(s: &str) -> Option<&str> {
    let t = s.trim();
    ((8..=64).contains(&t.len()) && t.bytes().all(|b| INVITE_ALPHABET.contains(&b))).then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn huge_and_non_finite_figures_are_refused_with_the_column_maximum() {
        assert_eq!(
            Figure::parse("99999999999999999999", ValueKind::Count),
            Err(FigureError::TooLarge(1_000_000_000))
        );
        let digits = "9".repeat(400);
        assert_eq!(
            Figure::parse(&format!("{digits},5"), ValueKind::Avg),
            Err(FigureError::TooLarge(1_000_000_000))
        );
        assert_eq!(
            Figure::parse_max(&digits, ValueKind::Avg, 100.0),
            Err(FigureError::TooLarge(100))
        );
        assert_eq!(
            Figure::parse_max("1001", ValueKind::Count, 1000.0),
            Err(FigureError::TooLarge(1000))
        );
        assert_eq!(
            Figure::parse_max("1000", ValueKind::Count, 1000.0),
            Ok(Figure::Num(1000.0))
        );
    }

    #[test]
    fn text_of_invisible_characters_only_is_empty() {
        assert_eq!(clean_text("\u{200B}\u{200C}\u{FEFF} \u{2060}\u{00AD}"), "");
        assert_eq!(clean_text(" a\u{200B}b "), "ab");
    }

    #[test]
    fn figures_accept_vietnamese_and_english_decimals() {
        let cases = [
            ("12", ValueKind::Count, Figure::Num(12.0)),
            ("1.234", ValueKind::Count, Figure::Num(1234.0)),
            ("87,5", ValueKind::Percent, Figure::Num(87.5)),
            ("87.5%", ValueKind::Percent, Figure::Num(87.5)),
            ("1,5", ValueKind::Hours, Figure::Num(1.5)),
            ("90p", ValueKind::Hours, Figure::Num(1.5)),
            ("90 phút", ValueKind::Hours, Figure::Num(1.5)),
            ("2h", ValueKind::Hours, Figure::Num(2.0)),
            ("1.234,5", ValueKind::Avg, Figure::Num(1234.5)),
            ("-", ValueKind::Avg, Figure::Blank),
        ];
        for (input, kind, want) in cases {
            assert_eq!(Figure::parse(input, kind), Ok(want), "input {input:?}");
        }
    }

    #[test]
    fn figures_reject_bad_values_with_the_reason() {
        let cases = [
            ("abc", ValueKind::Count, FigureError::NotANumber),
            ("1,5", ValueKind::Count, FigureError::NotWhole),
            ("-2", ValueKind::Count, FigureError::Negative),
            ("101", ValueKind::Percent, FigureError::OverHundred),
            ("1,2,3", ValueKind::Avg, FigureError::NotANumber),
            ("", ValueKind::Avg, FigureError::NotANumber),
        ];
        for (input, kind, want) in cases {
            assert_eq!(Figure::parse(input, kind), Err(want), "input {input:?}");
        }
    }

    proptest! {
        #[test]
        fn counts_round_trip_through_storage(n in 0u32..10_000_000) {
            let f = Figure::parse(&n.to_string(), ValueKind::Count).unwrap();
            let stored = f.to_storage();
            prop_assert_eq!(Figure::from_storage(stored.as_deref()), Some(Figure::Num(f64::from(n))));
        }

        #[test]
        fn decimals_with_a_comma_equal_decimals_with_a_dot(i in 0u32..1000, d in 0u32..100) {
            let comma = Figure::parse(&format!("{i},{d:02}"), ValueKind::Avg).unwrap();
            let dot = Figure::parse(&format!("{i}.{d:02}"), ValueKind::Avg).unwrap();
            prop_assert_eq!(comma, dot);
        }

        #[test]
        fn arbitrary_text_never_panics(s in ".{0,12}") {
            let _ = Figure::parse(&s, ValueKind::Percent);
        }
    }

    #[test]
    fn vietnamese_display_uses_a_decimal_comma() {
        assert_eq!(format_vi(87.5), "87,5");
        assert_eq!(format_vi(12.0), "12");
        assert_eq!(format_vi(1.256), "1,26");
    }

    #[test]
    fn dates_parse_in_day_month_year_order() {
        assert_eq!(parse_date("5/12/2023"), NaiveDate::from_ymd_opt(2023, 12, 5));
        assert_eq!(parse_date("05-12-2023"), NaiveDate::from_ymd_opt(2023, 12, 5));
        assert_eq!(parse_date("31/02/2023"), None);
        assert_eq!(parse_date("2023/12/05"), None);
    }

    #[test]
    fn phones_are_normalised_and_judged() {
        let p = Phone::parse("+84 912 345 678").unwrap();
        assert_eq!(p.as_str(), "0912345678");
        assert!(p.is_plausible());
        assert!(Phone::parse("0213 3876 123").unwrap().is_plausible());
        assert!(!Phone::parse("012345").map(|p| p.is_plausible()).unwrap_or(false));
        assert!(Phone::parse("gọi tôi").is_none());
    }

    #[test]
    fn invite_codes_have_enough_entropy_and_allowed_characters() {
        let a = new_invite_code();
        assert_eq!(a.len(), 16);
        assert!(parse_invite_code(&a).is_some());
        assert_ne!(a, new_invite_code());
        assert!(parse_invite_code("abc def ghi").is_none());
    }
}
