//! Deadline reminders: a schedule of moments in Vietnam time, and a scheduler whose `tick(now)`
//! does one pass. Every (target, moment) is recorded under a unique key, so a reminder goes
//! out exactly once across restarts, outages and manual passes. Time always comes in as `now`.

use std::collections::HashSet;

use anyhow::Context;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;

use crate::config::ReminderSettings;
use crate::engine::board::UnitView;
use crate::engine::check::{self, UnitCtx};
use crate::engine::reply::{Button, Delivery, Outgoing};
use crate::engine::state::Action;
use crate::engine::{Engine, EngineError, text};
use crate::export::ReportStatus;
use crate::form::Form;
use crate::store;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MomentKind {
    /// N days before the deadline day.
    Before(u32),
    /// The morning of the deadline day.
    DeadlineDay,
    /// N days after the deadline day.
    Overdue(u32),
}

impl MomentKind {
    fn name(self) -> &'static str {
        match self {
            MomentKind::Before(_) => "before",
            MomentKind::DeadlineDay => "deadline",
            MomentKind::Overdue(_) => "overdue",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moment {
    pub at: DateTime<Utc>,
    pub kind: MomentKind,
}

fn local_instant(date: NaiveDate, time: NaiveTime, tz: Tz) -> Option<DateTime<Utc>> {
    date.and_time(time)
        .and_local_timezone(tz)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

/// Every reminder moment of a campaign, in order.
pub fn schedule(r: &ReminderSettings, deadline: DateTime<Utc>, tz: Tz) -> Vec<Moment> {
    let day = deadline.with_timezone(&tz).date_naive();
    let mut out = Vec::new();
    for &d in &r.days_before {
        let kind = if d == 0 {
            MomentKind::DeadlineDay
        } else {
            MomentKind::Before(d)
        };
        if let Some(at) = local_instant(day - Duration::days(i64::from(d)), r.at, tz) {
            out.push(Moment { at, kind });
        }
    }
    for k in 1..=r.overdue_days {
        if let Some(at) = local_instant(day + Duration::days(i64::from(k)), r.at, tz) {
            out.push(Moment {
                at,
                kind: MomentKind::Overdue(k),
            });
        }
    }
    out.sort_by_key(|m| m.at);
    out.dedup_by_key(|m| m.at);
    out
}

/// The moment to act on at `now`: the latest one already reached, unless the next one is
/// less than two hours away (it will say the same, later) or the last one is a day old.
pub fn due(moments: &[Moment], now: DateTime<Utc>) -> Option<Moment> {
    let i = moments.iter().rposition(|m| m.at <= now)?;
    let m = moments[i];
    let stale = match moments.get(i + 1) {
        Some(next) => next.at - now < Duration::hours(2),
        None => now - m.at >= Duration::hours(24),
    };
    (!stale).then_some(m)
}

/// Whether `t` falls in the quiet hours `(from, to)` (which may wrap midnight).
pub fn is_quiet(t: NaiveTime, quiet: (NaiveTime, NaiveTime)) -> bool {
    let (from, to) = quiet;
    if from <= to {
        t >= from && t < to
    } else {
        t >= from || t < to
    }
}

/// "còn 5 mục đề cương, Biểu 3 chưa nhập, Biểu 2 còn 1 dòng, còn 2 mục thông tin báo cáo".
pub fn missing_summary(form: &Form, ctx: &UnitCtx) -> String {
    let m = check::missing(form, ctx);
    let mut parts = Vec::new();
    if !m.headings.is_empty() {
        parts.push(format!("còn {} mục đề cương", m.headings.len()));
    }
    if !ctx.rows_chosen {
        parts.push("chưa nhập biểu số liệu".to_owned());
    } else {
        for t in &form.tables {
            let rows: Vec<&String> = ctx.table_rows(form, t).collect();
            let open = m.rows.iter().filter(|(tid, _)| tid == &t.id).count();
            let untouched = rows.iter().all(|r| check::first_missing_column(ctx, t, r) == Some(0));
            if open == 0 {
                continue;
            }
            if untouched {
                parts.push(format!("{} chưa nhập", t.short_name));
            } else {
                parts.push(format!("{} còn {open} dòng", t.short_name));
            }
        }
    }
    if !m.fields.is_empty() {
        parts.push(format!("còn {} mục thông tin báo cáo", m.fields.len()));
    }
    parts.join(", ")
}

/// Who a pass reminded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TickOutcome {
    pub moment: Option<String>,
    /// Units reminded in this pass.
    pub units: Vec<String>,
    /// Messages queued (one per reachable secretary, plus board summaries).
    pub messages: usize,
    /// Units that need a reminder but have no reachable secretary.
    pub unreachable: Vec<String>,
}

/// A reminder that would go out (for `--dry-run`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub unit: String,
    pub secretaries: Vec<String>,
    pub text: String,
}

pub struct Scheduler {
    engine: Engine,
    settings: ReminderSettings,
}

const BATCH: usize = 100;

fn needs_reminder(v: &UnitView) -> bool {
    matches!(
        v.status,
        ReportStatus::NotStarted | ReportStatus::Draft | ReportStatus::Returned
    )
}

impl Scheduler {
    pub fn new(engine: Engine, settings: ReminderSettings) -> Scheduler {
        Scheduler { engine, settings }
    }

    pub fn moments(&self) -> Vec<Moment> {
        schedule(&self.settings, self.engine.campaign().deadline, self.engine.tz())
    }

    fn reminder_text(&self, v: &UnitView, kind: Option<MomentKind>, now: DateTime<Utc>) -> String {
        let deadline = self.engine.deadline_day();
        let days = self.engine.days_left(now);
        let missing = missing_summary(self.engine.form(), &v.ctx);
        text::reminder(
            &self.engine.form().campaign.name,
            &v.unit.name,
            &crate::domain::format_date(deadline),
            days,
            v.status == ReportStatus::Returned,
            &missing,
            kind.is_none().then_some(self.engine.form().campaign.board.as_str()),
        )
    }

    fn resume_buttons() -> Vec<Vec<Button>> {
        vec![vec![Button::new(
            text::BTN_CONTINUE.to_owned(),
            Action::Resume.encode(),
        )]]
    }

    /// Reminds every unit not yet submitted for `moment` (a key), recording each once.
    async fn remind_units(
        &self,
        moment: &str,
        kind: Option<MomentKind>,
        now: DateTime<Utc>,
        outcome: &mut TickOutcome,
    ) -> Result<Vec<Delivery>, EngineError> {
        let c = self.engine.campaign().id;
        let store = self.engine.store();
        let mut deliveries = Vec::new();
        let done: HashSet<String> = {
            let mut conn = store.conn().await?;
            sqlx::query_scalar("SELECT target FROM reminders_sent WHERE campaign_id = ? AND moment = ?")
                .bind(c)
                .bind(moment)
                .fetch_all(&mut *conn)
                .await
                .context("reading sent reminders")?
                .into_iter()
                .collect()
        };
        // Who needs a reminder is read in bulk, without the write lock.
        let views = {
            let mut read = store.read().await?;
            let views = self.engine.unit_views(&mut read).await?;
            read.rollback().await.context("ending the read")?;
            views
        };
        let todo: Vec<_> = views
            .into_iter()
            .filter(|v| !done.contains(&format!("unit:{}", v.unit.id)) && needs_reminder(v))
            .collect();
        for batch in todo.chunks(BATCH) {
            let mut tx = store.begin().await?;
            for v in batch {
                let reachable: Vec<&store::Member> =
                    v.secretaries.iter().filter(|m| m.unreachable_at.is_none()).collect();
                if reachable.is_empty() {
                    outcome.unreachable.push(v.unit.name.clone());
                    continue;
                }
                let kind_name = kind.map_or("manual", MomentKind::name);
                if !store::record_reminder(&mut tx, c, &format!("unit:{}", v.unit.id), moment, kind_name, now).await? {
                    continue;
                }
                let body = self.reminder_text(v, kind, now);
                for m in reachable {
                    let msg = Outgoing::new(m.chat_id, body.clone(), Self::resume_buttons()).via(m.channel());
                    deliveries.push(store::queue(&mut tx, msg, now).await?);
                }
                outcome.units.push(v.unit.name.clone());
            }
            tx.commit().await.context("committing reminders")?;
        }
        outcome.messages += deliveries.len();
        Ok(deliveries)
    }

    /// The daily summary to board members in the last days before the deadline.
    async fn board_summary(&self, now: DateTime<Utc>, outcome: &mut TickOutcome) -> Result<Vec<Delivery>, EngineError> {
        let tz = self.engine.tz();
        let local = now.with_timezone(&tz);
        let days_left = self.engine.days_left(now);
        if days_left < 0
            || days_left >= i64::from(self.settings.board_summary_days)
            || local.time() < self.settings.at
            || is_quiet(local.time(), self.settings.quiet)
        {
            return Ok(vec![]);
        }
        let moment = format!("summary:{}", local.date_naive());
        let c = self.engine.campaign().id;
        let summary = {
            let mut read = self.engine.store().read().await?;
            if store::board_members(&mut read).await?.is_empty() {
                return Ok(vec![]);
            }
            let text = self.engine.progress_text(&mut read, now).await?;
            read.rollback().await.context("ending the read")?;
            text
        };
        let mut tx = self.engine.store().begin().await?;
        let board = store::board_members(&mut tx).await?;
        let mut deliveries = Vec::new();
        for b in board.iter().filter(|b| b.unreachable_at.is_none()) {
            if !store::record_reminder(&mut tx, c, &format!("board:{}", b.id), &moment, "summary", now).await? {
                continue;
            }
            let msg = Outgoing::new(b.chat_id, summary.clone(), vec![]).via(b.channel());
            deliveries.push(store::queue(&mut tx, msg, now).await?);
        }
        tx.commit().await.context("committing board summary")?;
        outcome.messages += deliveries.len();
        Ok(deliveries)
    }

    /// One scheduler pass as if at `now`: due reminders and the board summary, recorded and
    /// queued in the outbox; the returned messages are then sent by the caller.
    #[tracing::instrument(name = "reminders.tick", skip_all)]
    pub async fn tick(&self, now: DateTime<Utc>) -> Result<(TickOutcome, Vec<Delivery>), EngineError> {
        let mut outcome = TickOutcome::default();
        let mut out = Vec::new();
        {
            let mut conn = self.engine.store().conn().await?;
            self.engine.refresh_campaign(&mut conn).await?;
        }
        let local = now.with_timezone(&self.engine.tz()).time();
        if !is_quiet(local, self.settings.quiet)
            && let Some(m) = due(&self.moments(), now)
        {
            let key = store::ts(m.at);
            out.extend(self.remind_units(&key, Some(m.kind), now, &mut outcome).await?);
            outcome.moment = Some(key);
        }
        out.extend(self.board_summary(now, &mut outcome).await?);
        if outcome.messages > 0 {
            tracing::info!(
                messages = outcome.messages,
                units = outcome.units.len(),
                "reminders queued"
            );
        }
        Ok((outcome, out))
    }

    /// `/nhacnho`: a reminder now to every unit not yet submitted (quiet hours do not apply:
    /// a person asked for it).
    pub async fn remind_now(&self, now: DateTime<Utc>) -> Result<(TickOutcome, Vec<Delivery>), EngineError> {
        let mut outcome = TickOutcome::default();
        let key = format!("manual:{}", store::ts(now));
        let out = self.remind_units(&key, None, now, &mut outcome).await?;
        outcome.moment = Some(key);
        Ok((outcome, out))
    }

    /// Who a pass at `now` would remind, without recording or sending anything.
    pub async fn dry_run(&self, now: DateTime<Utc>) -> Result<(Option<Moment>, Vec<Planned>), EngineError> {
        let local = now.with_timezone(&self.engine.tz()).time();
        let Some(m) = due(&self.moments(), now).filter(|_| !is_quiet(local, self.settings.quiet)) else {
            return Ok((None, vec![]));
        };
        let key = store::ts(m.at);
        let c = self.engine.campaign().id;
        let mut read = self.engine.store().read().await?;
        let views = self.engine.unit_views(&mut read).await?;
        let mut planned = Vec::new();
        for v in views {
            if !needs_reminder(&v) || store::reminder_exists(&mut read, c, &format!("unit:{}", v.unit.id), &key).await?
            {
                continue;
            }
            planned.push(Planned {
                unit: v.unit.name.clone(),
                secretaries: v
                    .secretaries
                    .iter()
                    .filter(|s| s.unreachable_at.is_none())
                    .map(|s| s.display_name.clone())
                    .collect(),
                text: self.reminder_text(&v, Some(m.kind), now),
            });
        }
        Ok((Some(m), planned))
    }
}

/// The reminder loop: one scheduler pass every `every`, its messages handed to the outbox
/// worker; then old delivery records and update ids are pruned. The loop only sleeps; each
/// pass is [`Scheduler::tick`].
pub async fn run_loop(engine: Engine, outbox: crate::outbox::OutboxHandle, every: std::time::Duration) {
    let scheduler = Scheduler::new(engine.clone(), engine.reminder_settings().clone());
    let mut interval = tokio::time::interval(every);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        let now = Utc::now();
        match scheduler.tick(now).await {
            Ok((_, out)) => outbox.deliver(out),
            Err(e) => tracing::error!(error.cause_chain = ?e, error.message = %e, "reminder pass failed"),
        }
        let r = store::prune(
            engine.store().pool(),
            now - chrono::Duration::days(2),
            now - chrono::Duration::days(7),
        )
        .await;
        if let Err(e) = r {
            tracing::error!(error.message = %e, "pruning failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vn(d: u32, h: u32) -> DateTime<Utc> {
        local_instant(
            NaiveDate::from_ymd_opt(2023, 12, d).unwrap(),
            NaiveTime::from_hms_opt(h, 0, 0).unwrap(),
            tz(),
        )
        .unwrap()
    }
    fn tz() -> Tz {
        chrono_tz::Asia::Ho_Chi_Minh
    }
    fn deadline() -> DateTime<Utc> {
        vn(10, 23) + Duration::minutes(59)
    }

    #[test]
    fn the_default_schedule_is_7_3_1_0_days_before_then_7_overdue_days_at_8() {
        let m = schedule(&ReminderSettings::default(), deadline(), tz());
        let days: Vec<(u32, u32)> = m
            .iter()
            .map(|x| {
                let l = x.at.with_timezone(&tz());
                (chrono::Datelike::day(&l), chrono::Timelike::hour(&l))
            })
            .collect();
        assert_eq!(
            days,
            vec![
                (3, 8),
                (7, 8),
                (9, 8),
                (10, 8),
                (11, 8),
                (12, 8),
                (13, 8),
                (14, 8),
                (15, 8),
                (16, 8),
                (17, 8)
            ]
        );
        assert_eq!(m[3].kind, MomentKind::DeadlineDay);
        assert_eq!(m[4].kind, MomentKind::Overdue(1));
        assert_eq!(
            vn(3, 8).to_rfc3339(),
            "2023-12-03T01:00:00+00:00",
            "08:00 in Vietnam is 01:00 UTC"
        );
    }

    #[test]
    fn the_due_moment_is_the_latest_reached_unless_superseded_soon() {
        let m = schedule(&ReminderSettings::default(), deadline(), tz());
        assert_eq!(due(&m, vn(3, 7)), None, "before the first moment");
        assert_eq!(due(&m, vn(3, 8)).map(|x| x.at), Some(vn(3, 8)));
        assert_eq!(
            due(&m, vn(5, 15)).map(|x| x.at),
            Some(vn(3, 8)),
            "catch-up after an outage"
        );
        assert_eq!(
            due(&m, vn(7, 7)),
            None,
            "the 7th's reminder is less than two hours away"
        );
        assert_eq!(due(&m, vn(17, 20)).map(|x| x.kind), Some(MomentKind::Overdue(7)));
        assert_eq!(due(&m, vn(18, 9)), None, "nothing a day after the last moment");
    }

    #[test]
    fn quiet_hours_wrap_midnight() {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
        let q = (t(21, 0), t(7, 0));
        assert!(is_quiet(t(21, 0), q));
        assert!(is_quiet(t(23, 30), q));
        assert!(is_quiet(t(6, 59), q));
        assert!(!is_quiet(t(7, 0), q));
        assert!(!is_quiet(t(12, 0), q));
        assert!(is_quiet(t(13, 0), (t(12, 0), t(14, 0))));
    }
}
