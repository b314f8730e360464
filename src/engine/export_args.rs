//! `/tonghop [tatca] [so 25-BC/HU] [ngay 15/12/2023]`: what the board asks of the merged
//! workbook, and the short texts that answer it.

use chrono::NaiveDate;

/// The board's `/tonghop` request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportArgs {
    /// `tatca`: drafts too.
    pub drafts: bool,
    /// `so …`: the merged report's number.
    pub number: Option<String>,
    /// `ngay …`: its date.
    pub date: Option<NaiveDate>,
}

pub const USAGE: &str = "Gõ theo mẫu: /tonghop so 25-BC/HU ngay 15/12/2023 (thêm tatca để gộp cả bản nháp).";

/// Reads the words after `/tonghop`; the error is the reply to send.
pub fn parse(args: &str) -> Result<ExportArgs, String> {
    let mut out = ExportArgs::default();
    let mut words = args.split_whitespace();
    while let Some(w) = words.next() {
        match fold(w).as_str() {
            "tatca" => out.drafts = true,
            "so" => match words.next() {
                Some(n) => out.number = Some(n.to_owned()),
                None => return Err(format!("Thiếu số báo cáo sau «so». {USAGE}")),
            },
            "ngay" => match words.next() {
                Some(d) => match crate::domain::parse_date(d) {
                    Some(date) => out.date = Some(date),
                    None => return Err(format!("Ngày «{d}» không đúng. {USAGE}")),
                },
                None => return Err(format!("Thiếu ngày sau «ngay». {USAGE}")),
            },
            _ => return Err(format!("Không hiểu «{w}». {USAGE}")),
        }
    }
    Ok(out)
}

/// Lower case without diacritics: «Số» and «so», «Ngày» and «ngay» are the same word.
fn fold(word: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    word.to_lowercase()
        .replace('đ', "d")
        .nfd()
        .filter(char::is_ascii)
        .collect()
}

/// The reply when the board set the number or the date.
pub fn saved(number: Option<&str>, date: Option<NaiveDate>) -> String {
    let mut parts = Vec::new();
    if let Some(n) = number {
        parts.push(format!("số {n}"));
    }
    if let Some(d) = date {
        parts.push(format!("ngày {}", crate::domain::format_date(d)));
    }
    format!("Đã ghi báo cáo tổng hợp {}.", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_after_tonghop() {
        assert_eq!(parse("").unwrap(), ExportArgs::default());
        assert!(parse("tatca").unwrap().drafts);
        let a = parse("so 25-BC/HU ngay 15/12/2023").unwrap();
        assert_eq!(a.number.as_deref(), Some("25-BC/HU"));
        assert_eq!(a.date, NaiveDate::from_ymd_opt(2023, 12, 15));
        assert!(!a.drafts);
        let a = parse("TATCA Số 7-BC/ĐU Ngày 1/2/2024").unwrap();
        assert!(a.drafts);
        assert_eq!(a.number.as_deref(), Some("7-BC/ĐU"));
        assert_eq!(a.date, NaiveDate::from_ymd_opt(2024, 2, 1));
        assert!(parse("ngay 32/12/2023").unwrap_err().contains("32/12/2023"));
        assert!(parse("so").is_err());
        assert!(parse("xyz").unwrap_err().contains("xyz"));
    }
}
