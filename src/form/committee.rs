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
