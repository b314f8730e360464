//! Who runs a campaign, as data: the committee's header lines, place and signature (the name
//! secretaries know its board by is `campaign.board`); and the report header fields the
//! board reads.

use serde::Deserialize;

/// The committee that runs the campaign: its header lines, place, signature and the name
/// secretaries know its board by. Nothing of this is a constant in code.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Committee {
    /// Upper header line, the committee's superior: «ĐẢNG BỘ TỈNH LAI CHÂU».
    pub superior: String,
    /// The committee itself, under it: «HUYỆN ỦY PHONG THỔ».
    pub issuer: String,
    /// Place name of the date line: «Phong Thổ» in «Phong Thổ, ngày 15 tháng 12 năm 2023».
    pub place: String,
    /// Who the merged report is from, closing its subtitle «(Kèm theo Báo cáo số …, ngày …
    /// của Ban Thường vụ Huyện ủy)».
    pub report_by: String,
    /// Recipient lines under «Nơi nhận:» on the merged report; none prints no block.
    #[serde(default)]
    pub recipients: Vec<String>,
    pub signature: CommitteeSignature,
}

/// The merged report's signature block.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommitteeSignature {
    /// «T/M BAN THƯỜNG VỤ»
    pub on_behalf: String,
    /// «PHÓ BÍ THƯ»
    pub title: String,
    /// The signer's name; blank leaves room to write it by hand.
    #[serde(default)]
    pub name: String,
}

/// The report header fields the board's progress sheet shows in columns of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldRole {
    /// The unit report's number and symbol.
    Number,
    /// Its date.
    Date,
    /// Who signs it.
    Signer,
    /// The signer's title.
    SignerTitle,
    /// The phone number to call about it.
    Phone,
}

impl Committee {
    /// Every line the merged sheets print must be there.
    pub(super) fn validate(&self) -> Result<(), String> {
        for (what, v) in [
            ("committee.superior", &self.superior),
            ("committee.issuer", &self.issuer),
            ("committee.place", &self.place),
            ("committee.report_by", &self.report_by),
            ("committee.signature.on_behalf", &self.signature.on_behalf),
        ] {
            if v.trim().is_empty() {
                return Err(format!("chưa ghi «{what}»"));
            }
        }
        Ok(())
    }

    /// Its lines in `form check`, with the board's name as secretaries read it.
    pub(super) fn summary(&self, board: &str) -> String {
        let sig = &self.signature;
        let name = if sig.name.is_empty() {
            "(để trống, ký tay)"
        } else {
            &sig.name
        };
        let mut s = format!(
            "Cấp ủy: {} / {}\nNơi ghi ngày: {}\nCơ quan nhận báo cáo: {board}\nKý: {} / {} / {name}\n",
            self.superior, self.issuer, self.place, sig.on_behalf, sig.title
        );
        if !self.recipients.is_empty() {
            s.push_str(&format!("Nơi nhận: {}\n", self.recipients.join(" | ")));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use crate::form::{DEFAULT_FORM_TOML, Form};

    #[test]
    fn a_form_without_the_committees_lines_is_refused() {
        let text = DEFAULT_FORM_TOML.replace("superior = \"ĐẢNG BỘ TỈNH LAI CHÂU\"", "superior = \" \"");
        let err = Form::parse(&text).expect_err("refused").to_string();
        assert!(err.contains("committee.superior"), "{err}");
        let text = DEFAULT_FORM_TOML.replace("[committee]", "[committe]");
        assert!(Form::parse(&text).is_err(), "a misspelt table is refused, not ignored");
    }
}
