//! What a merged sheet covers: «Tổng hợp N/M đơn vị», how many of each status, and the units
//! left out, by name. Printed under the title of every Biểu and of the Đề cương.

use super::{ExportSnapshot, ReportStatus, UnitReport};

/// Names listed before the rest is only counted (a cell holds at most 32,767 characters and a
/// printed row must stay readable; the «Tiến độ» sheet lists every unit).
pub(super) const MAX_NAMED: usize = 40;

/// The coverage of a snapshot, counted once.
pub struct Coverage {
    /// «Tổng hợp 15/19 đơn vị: 12 đã nộp, 3 đã duyệt.»
    pub line: String,
    /// «Chưa tổng hợp 4 đơn vị: Đảng bộ xã A (chưa bắt đầu), …» or empty.
    pub missing: String,
}

impl Coverage {
    pub fn of(s: &ExportSnapshot) -> Coverage {
        let merged: Vec<&UnitReport> = s.units.iter().filter(|u| s.merged(u)).collect();
        let count = |st: ReportStatus| merged.iter().filter(|u| u.status == st).count();
        let parts: Vec<String> = [
            (ReportStatus::Submitted, "đã nộp"),
            (ReportStatus::Accepted, "đã duyệt"),
            (ReportStatus::Draft, "bản nháp chưa nộp"),
            (ReportStatus::Returned, "bị trả lại chưa nộp lại"),
        ]
        .into_iter()
        .filter_map(|(st, label)| {
            let n = count(st);
            (n > 0).then(|| format!("{n} {label}"))
        })
        .collect();
        let mut line = format!("Tổng hợp {}/{} đơn vị", merged.len(), s.units.len());
        if parts.is_empty() {
            line.push('.');
        } else {
            line.push_str(&format!(": {}.", parts.join(", ")));
        }
        let left_out: Vec<&UnitReport> = s.units.iter().filter(|u| !s.merged(u)).collect();
        let missing = if left_out.is_empty() {
            String::new()
        } else {
            let named: Vec<String> = left_out
                .iter()
                .take(MAX_NAMED)
                .map(|u| format!("{} ({})", u.name, u.status.label()))
                .collect();
            let mut text = format!("Chưa tổng hợp {} đơn vị: {}", left_out.len(), named.join(", "));
            if left_out.len() > MAX_NAMED {
                text.push_str(&format!(
                    " và {} đơn vị khác (xem sheet Tiến độ)",
                    left_out.len() - MAX_NAMED
                ));
            }
            text.push('.');
            text
        };
        Coverage { line, missing }
    }

    /// The whole statement, one paragraph.
    pub fn text(&self) -> String {
        if self.missing.is_empty() {
            self.line.clone()
        } else {
            format!("{} {}", self.line, self.missing)
        }
    }
}

/// The unit's name as the merged sheets show it, its status added when it is not submitted.
pub(super) fn unit_title(u: &UnitReport) -> String {
    match u.status.draft_mark() {
        Some(mark) => format!("{} {mark}", u.name),
        None => u.name.clone(),
    }
}
