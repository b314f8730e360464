//! What the parts of a form say about themselves: literal texts, keys, parents, limits.

use super::{AnswerKey, Column, Node, Prompt, Table, ValueKind};

impl ValueKind {
    pub fn name(self) -> &'static str {
        match self {
            ValueKind::Count => "số nguyên",
            ValueKind::Percent => "tỷ lệ %",
            ValueKind::Avg => "số bình quân",
            ValueKind::Hours => "giờ",
        }
    }
}

impl Node {
    /// `III.2.2.a` -> `III.2.2`; a section has no parent.
    pub fn parent_id(&self) -> Option<&str> {
        self.id.rsplit_once('.').map(|(p, _)| p)
    }

    /// The section (`III`) this node belongs to.
    pub fn section_id(&self) -> &str {
        self.id.split('.').next().unwrap_or(&self.id)
    }

    pub fn literal(&self) -> &str {
        self.vi_literal.as_deref().unwrap_or(&self.vi)
    }
}

impl Prompt {
    pub fn literal(&self) -> &str {
        self.vi_literal.as_deref().unwrap_or(&self.vi)
    }
}

impl Table {
    /// The key of this table's `column` for cell type `cell`.
    pub fn answer_key(&self, column: &Column, cell: &str) -> AnswerKey {
        AnswerKey::figure(&self.id, &column.key, cell)
    }

    pub fn literal_title(&self) -> &str {
        self.title_literal.as_deref().unwrap_or(&self.title)
    }

    pub fn column_index(&self, key: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.key == key)
    }
}

impl Column {
    pub fn literal(&self) -> &str {
        self.vi_literal.as_deref().unwrap_or(&self.vi)
    }

    /// The largest value accepted: the form's `max`, else a bound by kind.
    pub fn max_value(&self) -> f64 {
        let by_kind = match self.kind {
            ValueKind::Count => 100_000.0,
            ValueKind::Percent => 100.0,
            ValueKind::Avg => 1_000.0,
            ValueKind::Hours => 24.0,
        };
        let max = self.max.unwrap_or(by_kind);
        if self.kind == ValueKind::Percent {
            max.min(100.0)
        } else {
            max
        }
    }
}
