//! Every unit's report as the board sees it, read in bulk (six queries for all units).

use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

use super::check::UnitCtx;
use super::state::Action;
use super::{Engine, EngineError, Inbound};
use crate::export::ReportStatus;
use crate::store::{self, Member, Status};

/// One unit's status as the board sees it, loaded once per request.
pub struct UnitView {
    pub unit: store::Unit,
    pub status: ReportStatus,
    pub submitted_at: Option<DateTime<Utc>>,
    pub ctx: UnitCtx,
    pub secretaries: Vec<Member>,
    /// Messages to the unit's secretaries the bot gave up on.
    pub undelivered: usize,
    /// The board's last return and acceptance (read for every unit only).
    pub review: store::Review,
}

impl UnitView {
    pub fn submitted(&self) -> bool {
        matches!(self.status, ReportStatus::Submitted | ReportStatus::Accepted)
    }
}

impl Engine {
    /// Every unit with its report, for progress and export: a handful of bulk queries.
    pub async fn unit_views(&self, conn: &mut SqliteConnection) -> Result<Vec<UnitView>, EngineError> {
        let (units, mut data) = store::campaign_data(conn, self.campaign().id).await?;
        Ok(units
            .into_iter()
            .map(|unit| {
                let id = unit.id;
                let ctx = self.ctx_from(
                    &unit,
                    data.rows.remove(&id).unwrap_or_default(),
                    data.answers.remove(&id).unwrap_or_default(),
                    data.confirmed.remove(&id).unwrap_or_default(),
                );
                let report = data.reports.remove(&id);
                let started = report.is_some();
                let report = report.unwrap_or(store::Report {
                    status: Status::Draft,
                    submitted_at: None,
                });
                let mut v = view_of(
                    unit,
                    report,
                    started,
                    ctx,
                    data.secretaries.remove(&id).unwrap_or_default(),
                );
                v.undelivered = data.undelivered.remove(&id).unwrap_or(0);
                v.review = data.reviews.remove(&id).unwrap_or_default();
                v
            })
            .collect())
    }

    /// One unit with its report.
    pub async fn unit_view(&self, conn: &mut SqliteConnection, unit: store::Unit) -> Result<UnitView, EngineError> {
        let (ctx, report) = self.load_ctx(conn, &unit).await?;
        let started = store::has_report(conn, self.campaign().id, unit.id).await?;
        let secretaries = store::members_of_unit(conn, unit.id).await?;
        let undelivered = store::undelivered_by_unit(conn, Some(unit.id))
            .await?
            .first()
            .map_or(0, |(_, n)| *n);
        let mut v = view_of(unit, report, started, ctx, secretaries);
        v.undelivered = undelivered;
        Ok(v)
    }
}

/// Whether a board member's input shows every unit (so its batch reads them beforehand).
pub(super) fn needs_all_units(input: &Inbound) -> bool {
    match input {
        Inbound::Command { name, args } => name == "tiendo" || (name == "xem" && args.trim().is_empty()),
        Inbound::Button(data) => matches!(Action::decode(data), Some(Action::BoardProgress | Action::BoardUnits)),
        _ => false,
    }
}

fn view_of(
    unit: store::Unit,
    report: store::Report,
    started: bool,
    ctx: UnitCtx,
    secretaries: Vec<Member>,
) -> UnitView {
    let status = match report.status {
        Status::Draft if !started => ReportStatus::NotStarted,
        Status::Draft => ReportStatus::Draft,
        Status::Submitted => ReportStatus::Submitted,
        Status::Returned => ReportStatus::Returned,
        Status::Accepted => ReportStatus::Accepted,
    };
    UnitView {
        unit,
        status,
        submitted_at: report.submitted_at,
        ctx,
        secretaries,
        undelivered: 0,
        review: store::Review::default(),
    }
}
