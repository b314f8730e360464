//! The report as data: outline, tables, consistency rules and cell types, read from a TOML
//! form file. A new campaign is a new file, not new code.

mod committee;
pub mod expr;
mod key;
mod parts;

pub use committee::{Committee, CommitteeSignature, FieldRole};
pub use key::AnswerKey;

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;
use serde::Deserialize;

/// The form of the first real campaign (Phong Thổ, Kết luận 18-KL/TW, 2023), embedded.
pub const DEFAULT_FORM_TOML: &str = include_str!("kl18_2023.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Form {
    pub campaign: CampaignInfo,
    /// Who issues the campaign and signs the merged report.
    pub committee: Committee,
    /// Header data of the report itself (`HD.so`, `HD.ngay`, ...), asked once.
    pub report_fields: Vec<ReportField>,
    pub cell_types: Vec<CellType>,
    /// Every outline node in print order (containers and answer headings).
    pub outline: Vec<Node>,
    pub tables: Vec<Table>,
    #[serde(default)]
    pub rules: Vec<Rule>,
    #[serde(skip)]
    parsed_rules: Vec<ParsedRule>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignInfo {
    /// Stable ASCII code, e.g. `kl18-2023`.
    pub code: String,
    /// Short display name for chat, e.g. "Sơ kết Kết luận 18-KL/TW năm 2023".
    pub name: String,
    /// «ĐỀ CƯƠNG BÁO CÁO»
    pub outline_heading: String,
    /// The outline's subject line, literal.
    pub title: String,
    /// «(Kèm theo Công Văn số 1012-CV/HU, ...)», literal.
    pub attachment_note: String,
    /// Display form of the attachment note (typos corrected).
    pub attachment_note_display: String,
    /// e.g. «Số 1012-CV/HU»
    pub letter_number: String,
    /// dd/mm/yyyy
    pub letter_date: String,
    /// The board the secretaries deal with, as they read it in chat: "Ban Tổ chức Huyện ủy".
    /// (The committee's own lines, place and signature are in `[committee]`.)
    pub board: String,
    /// Deadline date, dd/mm/yyyy, Vietnam time.
    pub deadline: String,
    /// Deadline time of day, HH:MM (default 23:59).
    #[serde(default = "default_deadline_time")]
    pub deadline_time: String,
    /// The year printed on the forms.
    pub year: i32,
    /// Number of years the per-year averages and Biểu 3 cover.
    pub period_years: u32,
    /// Longest narrative answer accepted, in characters.
    pub answer_max_chars: usize,
    /// The «Lưu ý» comparison rule printed under IV.2.2.
    pub comparison_note: String,
    /// The units' signature block: «NGƯỜI LẬP BIỂU», «T/M BAN CHẤP HÀNH», …
    pub signature: Signature,
}

fn default_deadline_time() -> String {
    "23:59".to_owned()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signature {
    pub preparer: String,
    pub preparer_note: String,
    pub signer: String,
    pub signer_note: String,
    pub phone: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    Text,
    Date,
    Phone,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportField {
    /// `HD.so`, `HD.ngay`, ...
    pub id: String,
    pub label: String,
    pub prompt: String,
    pub kind: FieldKind,
    /// What the board's progress sheet shows this field as.
    #[serde(default)]
    pub role: Option<FieldRole>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CellType {
    pub code: String,
    pub vi: String,
    /// A short, distinct label for a phone button: "Thôn, bản", "Trường học".
    pub short: String,
    pub en: String,
    pub residential: bool,
    /// Words that show an answer speaks of this type ("thôn", "trường"), lower case; used to
    /// check that comparing headings compare the unit's types.
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    Container,
    Answer,
}

/// Which units a node concerns; elsewhere it may be answered "Không áp dụng".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Applies {
    /// Units that report at least one residential cell type.
    Residential,
    /// Đảng bộ cơ sở (units with subordinate cells).
    DangBo,
    /// Đảng bộ xã, thị trấn.
    Commune,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Node {
    /// `I.1`, `III.2.2.a`; never renumbered.
    pub id: String,
    /// Numbering exactly as printed: `I-`, `1.`, `2.1.`, `a)`.
    pub label: String,
    pub kind: NodeKind,
    /// Display text (typos corrected).
    pub vi: String,
    /// Literal seed text when it differs from `vi`.
    #[serde(default)]
    pub vi_literal: Option<String>,
    pub en: String,
    #[serde(default)]
    pub prompts: Vec<Prompt>,
    /// Extra help shown with the heading.
    #[serde(default)]
    pub help: Option<String>,
    /// Table columns whose figures the answer should quote (`B1.cells_total`).
    #[serde(default)]
    pub links: Vec<String>,
    #[serde(default)]
    pub applies: Option<Applies>,
    #[serde(default)]
    pub compare_types: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prompt {
    /// `I.1.p1`, `III.2.2.q3`, `IV.2.1.s1`.
    pub id: String,
    pub vi: String,
    #[serde(default)]
    pub vi_literal: Option<String>,
    #[serde(default)]
    pub applies: Option<Applies>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueKind {
    /// Whole number >= 0.
    Count,
    /// Decimal in [0, 100].
    Percent,
    /// Decimal >= 0.
    Avg,
    /// Decimal hours >= 0 (minutes accepted as `90p`).
    Hours,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Table {
    /// `B1` .. `B4`.
    pub id: String,
    /// "Biểu 1"
    pub short_name: String,
    /// Display title (typos corrected).
    pub title: String,
    #[serde(default)]
    pub title_literal: Option<String>,
    /// Only residential cell types have rows.
    #[serde(default)]
    pub residential_only: bool,
    /// A literal total row printed above the data rows (Biểu 3).
    #[serde(default)]
    pub total_row_label: Option<String>,
    pub columns: Vec<Column>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Column {
    /// Key without the table prefix: `cells_total`.
    pub key: String,
    /// Full header text for display and export (typos corrected).
    pub vi: String,
    #[serde(default)]
    pub vi_literal: Option<String>,
    /// Label for a phone screen, written out in full (no abbreviations).
    pub short: String,
    /// The largest sane value (a count of cells in one unit is never 10^19); larger values
    /// are refused. Percentages are capped at 100 whatever this says.
    #[serde(default)]
    pub max: Option<f64>,
    /// Parent header groups, outermost first (merged cells in the export).
    #[serde(default)]
    pub groups: Vec<String>,
    pub kind: ValueKind,
    /// Empty: district total is a sum. Otherwise the weighted mean with the product of
    /// these columns (keys of the same table) as the weight.
    #[serde(default)]
    pub weight: Vec<String>,
    /// The value may be left blank ("-") when this expression holds.
    #[serde(default)]
    pub blank_when: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Stable id, `R-B1-1`.
    pub id: String,
    pub severity: Severity,
    /// Checked only when this holds.
    #[serde(default)]
    pub when: Option<String>,
    /// What must hold; the message is shown when it does not.
    pub check: String,
    /// Vietnamese explanation, may quote values as `{B1.cells_total}`.
    pub message: String,
}

/// A rule with its expressions parsed once.
#[derive(Debug, Clone)]
pub struct ParsedRule {
    pub rule: Rule,
    pub when: Option<expr::Expr>,
    pub check: expr::Expr,
    /// Tables the rule reads (`B1`, `B2`); more than one makes it a cross-table rule.
    pub tables: BTreeSet<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum FormError {
    #[error("tệp biểu mẫu không đọc được: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("biểu mẫu không hợp lệ: {0}")]
    Invalid(String),
}

impl Form {
    /// The embedded default form. It is checked by the tests, so failing here is a build bug.
    pub fn embedded() -> Form {
        Form::parse(DEFAULT_FORM_TOML).expect("the embedded form file is valid")
    }

    /// Parses and validates a form file.
    pub fn parse(text: &str) -> Result<Form, FormError> {
        let mut form: Form = toml::from_str(text)?;
        form.validate()?;
        Ok(form)
    }

    fn validate(&mut self) -> Result<(), FormError> {
        let bad = |m: String| Err(FormError::Invalid(m));
        if self.cell_types.is_empty() {
            return bad("chưa có loại hình chi bộ nào".into());
        }
        self.committee.validate().map_err(FormError::Invalid)?;
        let mut seen = BTreeSet::new();
        for t in &self.cell_types {
            if !is_code(&t.code) || !seen.insert(t.code.clone()) {
                return bad(format!("mã loại hình «{}» trùng hoặc sai", t.code));
            }
        }
        let mut ids = BTreeSet::new();
        for n in &self.outline {
            if !ids.insert(n.id.clone()) {
                return bad(format!("mục «{}» trùng", n.id));
            }
            if let Some(parent) = n.parent_id()
                && !ids.contains(parent)
            {
                return bad(format!("mục «{}» đứng trước mục cha «{parent}»", n.id));
            }
        }
        for f in &self.report_fields {
            if !f.id.starts_with("HD.") || !ids.insert(f.id.clone()) {
                return bad(format!("trường «{}» phải bắt đầu bằng HD. và không trùng", f.id));
            }
        }
        let mut vars: BTreeSet<String> = ["row.residential", "unit.chi_bo", "unit.dang_bo", "years"]
            .into_iter()
            .map(String::from)
            .collect();
        for t in &self.tables {
            if !ids.insert(t.id.clone()) {
                return bad(format!("biểu «{}» trùng", t.id));
            }
            let keys: BTreeSet<&str> = t.columns.iter().map(|c| c.key.as_str()).collect();
            if keys.len() != t.columns.len() || t.columns.is_empty() {
                return bad(format!("biểu {} có cột trùng hoặc không có cột", t.id));
            }
            for c in &t.columns {
                for w in &c.weight {
                    if !keys.contains(w.as_str()) {
                        return bad(format!("cột {}.{}: trọng số «{w}» không có", t.id, c.key));
                    }
                }
                vars.insert(format!("{}.{}", t.id, c.key));
            }
        }
        for t in &self.tables {
            for c in &t.columns {
                if let Some(w) = &c.blank_when {
                    let e = expr::Expr::parse(w).map_err(|e| FormError::Invalid(format!("{}.{}: {e}", t.id, c.key)))?;
                    check_vars(&e, &vars, &format!("{}.{}", t.id, c.key))?;
                }
            }
        }
        for n in &self.outline {
            for l in &n.links {
                if !vars.contains(l) {
                    return bad(format!("mục {}: liên kết «{l}» không có", n.id));
                }
            }
        }
        let mut parsed = Vec::new();
        let mut rule_ids = BTreeSet::new();
        for r in &self.rules {
            if !rule_ids.insert(r.id.clone()) {
                return bad(format!("quy tắc «{}» trùng", r.id));
            }
            let ctx = |e: expr::ParseError| FormError::Invalid(format!("{}: {e}", r.id));
            let check = expr::Expr::parse(&r.check).map_err(ctx)?;
            let when = r.when.as_deref().map(expr::Expr::parse).transpose().map_err(ctx)?;
            check_vars(&check, &vars, &r.id)?;
            if let Some(w) = &when {
                check_vars(w, &vars, &r.id)?;
            }
            let mut tables = BTreeSet::new();
            for v in check
                .variables()
                .into_iter()
                .chain(when.iter().flat_map(|w| w.variables()))
            {
                if let Some((t, _)) = v.split_once('.')
                    && self.tables.iter().any(|x| x.id == t)
                {
                    tables.insert(t.to_owned());
                }
            }
            if tables.is_empty() {
                return bad(format!("quy tắc {} không đọc biểu nào", r.id));
            }
            parsed.push(ParsedRule {
                rule: r.clone(),
                when,
                check,
                tables,
            });
        }
        self.parsed_rules = parsed;
        if self.deadline_date().is_none() {
            return bad(format!(
                "hạn nộp «{}» không đúng dạng dd/mm/yyyy",
                self.campaign.deadline
            ));
        }
        Ok(())
    }

    pub fn rules(&self) -> &[ParsedRule] {
        &self.parsed_rules
    }

    pub fn deadline_date(&self) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(&self.campaign.deadline, "%d/%m/%Y").ok()
    }

    pub fn node(&self, id: &str) -> Option<&Node> {
        self.outline.iter().find(|n| n.id == id)
    }

    pub fn answer_nodes(&self) -> impl Iterator<Item = &Node> {
        self.outline.iter().filter(|n| n.kind == NodeKind::Answer)
    }

    /// Top-level sections (`I` .. `VI`).
    pub fn sections(&self) -> impl Iterator<Item = &Node> {
        self.outline.iter().filter(|n| n.parent_id().is_none())
    }

    pub fn table(&self, id: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.id.eq_ignore_ascii_case(id))
    }

    pub fn cell_type(&self, code: &str) -> Option<&CellType> {
        self.cell_types.iter().find(|t| t.code.eq_ignore_ascii_case(code))
    }

    pub fn report_field(&self, id: &str) -> Option<&ReportField> {
        self.report_fields.iter().find(|f| f.id.eq_ignore_ascii_case(id))
    }

    /// The report header field with this role, if the form has one.
    pub fn field_with_role(&self, role: FieldRole) -> Option<&ReportField> {
        self.report_fields.iter().find(|f| f.role == Some(role))
    }

    /// A readable summary for `chibo-bot form check`.
    pub fn summary(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let answers = self.answer_nodes().count();
        let prompts: usize = self.outline.iter().map(|n| n.prompts.len()).sum();
        let _ = writeln!(s, "Biểu mẫu: {} ({})", self.campaign.name, self.campaign.code);
        let _ = writeln!(s, "Hạn nộp: {} {}", self.campaign.deadline, self.campaign.deadline_time);
        s.push_str(&self.committee.summary(&self.campaign.board));
        let _ = writeln!(
            s,
            "Đề cương: {} phần, {} mục cần trả lời, {} mục nhóm, {} gợi ý",
            self.sections().count(),
            answers,
            self.outline.len() - answers,
            prompts
        );
        for sec in self.sections() {
            let n = self
                .answer_nodes()
                .filter(|n| n.id == sec.id || n.id.starts_with(&format!("{}.", sec.id)))
                .count();
            let _ = writeln!(s, "  {} {} ({} mục)", sec.label, sec.vi, n);
        }
        let _ = writeln!(s, "Thông tin báo cáo: {} trường", self.report_fields.len());
        let _ = writeln!(s, "Biểu: {}", self.tables.len());
        for t in &self.tables {
            let _ = writeln!(s, "  {} {} ({} cột)", t.short_name, t.title, t.columns.len());
            for (i, c) in t.columns.iter().enumerate() {
                let groups = if c.groups.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", c.groups.join(" › "))
                };
                let _ = writeln!(s, "    {:>2}. {}{groups} [{}]", i + 1, c.vi, c.kind.name());
            }
        }
        let by = |sev| self.rules.iter().filter(|r| r.severity == sev).count();
        let _ = writeln!(
            s,
            "Quy tắc kiểm tra: {} (lỗi {}, cảnh báo {}, gợi ý {})",
            self.rules.len(),
            by(Severity::Error),
            by(Severity::Warning),
            by(Severity::Info)
        );
        let _ = writeln!(s, "Loại hình chi bộ: {}", self.cell_types.len());
        for t in &self.cell_types {
            let _ = writeln!(s, "  {:<9} {}", t.code, t.vi);
        }
        s
    }

    /// Column lookup by full key `B1.cells_total`.
    pub fn column(&self, full_key: &str) -> Option<(&Table, &Column)> {
        let (t, k) = full_key.split_once('.')?;
        let table = self.table(t)?;
        table.columns.iter().find(|c| c.key == k).map(|c| (table, c))
    }

    pub fn column_kinds(&self) -> HashMap<String, ValueKind> {
        self.tables
            .iter()
            .flat_map(|t| t.columns.iter().map(move |c| (format!("{}.{}", t.id, c.key), c.kind)))
            .collect()
    }
}

fn is_code(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 16
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn check_vars(e: &expr::Expr, vars: &BTreeSet<String>, what: &str) -> Result<(), FormError> {
    for v in e.variables() {
        if !vars.contains(&v) {
            return Err(FormError::Invalid(format!("{what}: biến «{v}» không có")));
        }
    }
    Ok(())
}
