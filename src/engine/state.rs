//! Conversation state (stored as JSON per chat) and the button-action codec.

use serde::{Deserialize, Serialize};

/// Where a chat stands. Every answer lives in the answers table; the state only says what
/// the next message means.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "s", rename_all = "snake_case")]
pub enum State {
    #[default]
    Menu,
    /// Not registered yet; the next text is an invite code.
    AwaitInvite,
    /// Writing a narrative answer; `replace` makes the next message replace the old text.
    /// `prev` is the heading answered just before, which a message the phone split off the
    /// same answer still belongs to.
    Answer {
        node: String,
        replace: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        prev: Option<Prev>,
    },
    /// Typing one header field (`HD.so`); `guided` walks on to the next field.
    Field { id: String, guided: bool },
    /// A comparing heading whose answer names fewer than two of the unit's cell types.
    ConfirmAnswer { node: String },
    /// A saved header field that raised a warning, waiting for a confirm press.
    ConfirmField { id: String, guided: bool },
    /// Choosing the cell types (rows) of the report.
    PickTypes { selected: Vec<String> },
    /// Entering one table row.
    Row { table: String, row: String },
    /// A row whose warnings wait for a confirm press.
    ConfirmRow {
        table: String,
        row: String,
        rules: Vec<String>,
    },
    /// Submitting; `second` is the extra confirmation when items are still empty.
    ConfirmSubmit { second: bool },
    /// A board member returning a unit's report; the next text is the reason.
    BoardReason { unit: String },
}

/// The heading answered just before, and when that answer was sent (unix seconds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prev {
    pub node: String,
    pub at: Option<i64>,
    /// Characters of that message.
    #[serde(default)]
    pub len: usize,
}

impl State {
    pub fn name(&self) -> &'static str {
        match self {
            State::Menu => "menu",
            State::AwaitInvite => "await_invite",
            State::Answer { .. } => "answer",
            State::Field { .. } => "field",
            State::ConfirmField { .. } => "confirm_field",
            State::ConfirmAnswer { .. } => "confirm_answer",
            State::PickTypes { .. } => "pick_types",
            State::Row { .. } => "row",
            State::ConfirmRow { .. } => "confirm_row",
            State::ConfirmSubmit { .. } => "confirm_submit",
            State::BoardReason { .. } => "board_reason",
        }
    }
}

/// What a button does. Encoded in Telegram's callback data (at most 64 bytes); every value is
/// checked again on the server, since a client can send any data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Menu,
    Outline,
    /// Continue with the first unanswered heading.
    OutlineNext,
    Section(String),
    Open(String),
    Done,
    /// Add to the answer of this heading (the one just answered).
    Append(String),
    /// Replace the answer of this heading.
    Replace(String),
    /// The full guidance of a heading.
    Guide(String),
    /// The full numbered column list of a table row.
    Columns(String, String),
    Skip,
    Prev,
    Rewrite,
    NotApplicable,
    Tables,
    TablesNext,
    Table(String),
    Row(String, String),
    Toggle(String),
    TypesDone,
    TypesEdit,
    Confirm,
    Fix,
    Fields,
    FieldsNext,
    Field(String),
    Review,
    Submit,
    SubmitYes,
    Help,
    /// Continue where the report stands (first missing item).
    Resume,
    /// The unit's Excel template.
    Template,
    /// Apply the checked file waiting for confirmation.
    ImportApply,
    /// Drop it.
    ImportCancel,
    /// Board: progress of every unit.
    BoardProgress,
    /// Board: the merged workbook; `true` includes drafts.
    BoardExport(bool),
    /// Board: the draft of the committee's report (.docx); `true` includes drafts.
    BoardReport(bool),
    /// Board: pick a unit to look at.
    BoardUnits,
    /// Board: a unit's report, page N.
    BoardView(String, usize),
    BoardReturn(String),
    BoardAccept(String),
}

impl Action {
    pub fn encode(&self) -> String {
        match self {
            Action::Menu => "m".into(),
            Action::Outline => "o".into(),
            Action::OutlineNext => "on".into(),
            Action::Section(s) => format!("s:{s}"),
            Action::Open(n) => format!("n:{n}"),
            Action::Done => "d".into(),
            Action::Append(n) => format!("a:{n}"),
            Action::Replace(n) => format!("rw:{n}"),
            Action::Guide(n) => format!("g:{n}"),
            Action::Columns(t, r) => format!("cl:{t}:{r}"),
            Action::Skip => "k".into(),
            Action::Prev => "p".into(),
            Action::Rewrite => "r".into(),
            Action::NotApplicable => "na".into(),
            Action::Tables => "t".into(),
            Action::TablesNext => "tn".into(),
            Action::Table(t) => format!("t:{t}"),
            Action::Row(t, r) => format!("w:{t}:{r}"),
            Action::Toggle(c) => format!("x:{c}"),
            Action::TypesDone => "xd".into(),
            Action::TypesEdit => "xe".into(),
            Action::Confirm => "c".into(),
            Action::Fix => "f".into(),
            Action::Fields => "h".into(),
            Action::FieldsNext => "hn".into(),
            Action::Field(f) => format!("h:{f}"),
            Action::Review => "v".into(),
            Action::Submit => "u".into(),
            Action::SubmitYes => "uy".into(),
            Action::Help => "?".into(),
            Action::Resume => "go".into(),
            Action::Template => "tpl".into(),
            Action::ImportApply => "ia".into(),
            Action::ImportCancel => "ic".into(),
            Action::BoardProgress => "bp".into(),
            Action::BoardExport(false) => "bx".into(),
            Action::BoardExport(true) => "bxa".into(),
            Action::BoardReport(false) => "brp".into(),
            Action::BoardReport(true) => "brpa".into(),
            Action::BoardUnits => "bu".into(),
            Action::BoardView(u, p) => format!("bv:{u}:{p}"),
            Action::BoardReturn(u) => format!("br:{u}"),
            Action::BoardAccept(u) => format!("ba:{u}"),
        }
    }

    /// Decodes callback data; `None` for anything malformed.
    pub fn decode(data: &str) -> Option<Action> {
        if data.len() > 64 {
            return None;
        }
        let arg_ok = |s: &str| {
            !s.is_empty() && s.len() <= 40 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        };
        let (head, arg) = match data.split_once(':') {
            Some((h, a)) => (h, Some(a)),
            None => (data, None),
        };
        Some(match (head, arg) {
            ("m", None) => Action::Menu,
            ("o", None) => Action::Outline,
            ("on", None) => Action::OutlineNext,
            ("s", Some(a)) if arg_ok(a) => Action::Section(a.into()),
            ("n", Some(a)) if arg_ok(a) => Action::Open(a.into()),
            ("d", None) => Action::Done,
            ("a", Some(a)) if arg_ok(a) => Action::Append(a.into()),
            ("rw", Some(a)) if arg_ok(a) => Action::Replace(a.into()),
            ("g", Some(a)) if arg_ok(a) => Action::Guide(a.into()),
            ("cl", Some(a)) => {
                let (t, r) = a.split_once(':')?;
                if !arg_ok(t) || !arg_ok(r) {
                    return None;
                }
                Action::Columns(t.into(), r.into())
            }
            ("k", None) => Action::Skip,
            ("p", None) => Action::Prev,
            ("r", None) => Action::Rewrite,
            ("na", None) => Action::NotApplicable,
            ("t", None) => Action::Tables,
            ("tn", None) => Action::TablesNext,
            ("t", Some(a)) if arg_ok(a) => Action::Table(a.into()),
            ("w", Some(a)) => {
                let (t, r) = a.split_once(':')?;
                if !arg_ok(t) || !arg_ok(r) {
                    return None;
                }
                Action::Row(t.into(), r.into())
            }
            ("x", Some(a)) if arg_ok(a) => Action::Toggle(a.into()),
            ("xd", None) => Action::TypesDone,
            ("xe", None) => Action::TypesEdit,
            ("c", None) => Action::Confirm,
            ("f", None) => Action::Fix,
            ("h", None) => Action::Fields,
            ("hn", None) => Action::FieldsNext,
            ("h", Some(a)) if arg_ok(a) => Action::Field(a.into()),
            ("v", None) => Action::Review,
            ("u", None) => Action::Submit,
            ("uy", None) => Action::SubmitYes,
            ("?", None) => Action::Help,
            ("go", None) => Action::Resume,
            ("tpl", None) => Action::Template,
            ("ia", None) => Action::ImportApply,
            ("ic", None) => Action::ImportCancel,
            ("bp", None) => Action::BoardProgress,
            ("bx", None) => Action::BoardExport(false),
            ("bxa", None) => Action::BoardExport(true),
            ("brp", None) => Action::BoardReport(false),
            ("brpa", None) => Action::BoardReport(true),
            ("bu", None) => Action::BoardUnits,
            ("bv", Some(a)) => {
                let (u, p) = a.split_once(':')?;
                if !arg_ok(u) || p.len() > 4 {
                    return None;
                }
                Action::BoardView(u.into(), p.parse().ok()?)
            }
            ("br", Some(a)) if arg_ok(a) => Action::BoardReturn(a.into()),
            ("ba", Some(a)) if arg_ok(a) => Action::BoardAccept(a.into()),
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_round_trips_within_64_bytes() {
        let long = "x".repeat(16);
        let all = [
            Action::Menu,
            Action::Outline,
            Action::OutlineNext,
            Action::Section("III".into()),
            Action::Open("III.2.2.a".into()),
            Action::Done,
            Action::Append("III.2.2.a".into()),
            Action::Replace("IV.2.1".into()),
            Action::Guide("II".into()),
            Action::Columns("B2".into(), "giaoduc".into()),
            Action::Skip,
            Action::Prev,
            Action::Rewrite,
            Action::NotApplicable,
            Action::Tables,
            Action::TablesNext,
            Action::Table("B1".into()),
            Action::Row("B4".into(), long.clone()),
            Action::Toggle(long),
            Action::TypesDone,
            Action::TypesEdit,
            Action::Confirm,
            Action::Fix,
            Action::Fields,
            Action::FieldsNext,
            Action::Field("HD.dien_thoai".into()),
            Action::Review,
            Action::Submit,
            Action::SubmitYes,
            Action::Help,
            Action::Resume,
            Action::Template,
            Action::ImportApply,
            Action::ImportCancel,
            Action::BoardProgress,
            Action::BoardExport(false),
            Action::BoardExport(true),
            Action::BoardReport(false),
            Action::BoardReport(true),
            Action::BoardUnits,
            Action::BoardView("lannhithang".into(), 12),
            Action::BoardReturn("mgso".into()),
            Action::BoardAccept("mgso".into()),
        ];
        for a in all {
            let data = a.encode();
            assert!(data.len() <= 64, "{data} is too long");
            assert_eq!(Action::decode(&data), Some(a), "{data}");
        }
    }

    #[test]
    fn malformed_callback_data_is_refused() {
        for bad in [
            "",
            "zz",
            "n:",
            "n:a b",
            "w:B1",
            "w::thon",
            "m:extra",
            &"n:".repeat(40),
            "s:<script>",
        ] {
            assert_eq!(Action::decode(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn state_survives_a_json_round_trip() {
        let s = State::ConfirmRow {
            table: "B1".into(),
            row: "thon".into(),
            rules: vec!["R-B1-6".into()],
        };
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<State>(&json).unwrap(), s);
    }
}
