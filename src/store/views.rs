//! Whole-campaign reads for the board's views and the export snapshot: a handful of queries
//! for all units, not several per unit. Callers run them in one read transaction, so the
//! views are one consistent moment and never take the write lock.

use std::collections::HashMap;

use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

use super::{Member, Report, Result, Status, Unit, parse_ts};

/// Everything stored about every unit's report in a campaign, by unit id.
#[derive(Debug, Default)]
pub struct CampaignData {
    pub reports: HashMap<i64, Report>,
    pub rows: HashMap<i64, Vec<String>>,
    pub answers: HashMap<i64, Vec<(String, String, Option<String>)>>,
    pub confirmed: HashMap<i64, Vec<(String, String)>>,
    pub secretaries: HashMap<i64, Vec<Member>>,
    /// Messages to the unit's secretaries given up after the last attempt.
    pub undelivered: HashMap<i64, usize>,
    /// The board's last return and acceptance of each unit's report.
    pub reviews: HashMap<i64, Review>,
}

/// The board's last return (when, why) and acceptance of a report.
#[derive(Debug, Default, Clone)]
pub struct Review {
    pub returned: Option<(DateTime<Utc>, String)>,
    pub accepted_at: Option<DateTime<Utc>>,
}

/// Every unit and its report data, in seven queries.
pub async fn campaign_data(conn: &mut SqliteConnection, campaign: i64) -> Result<(Vec<Unit>, CampaignData)> {
    let units = super::units(&mut *conn).await?;
    let mut data = CampaignData::default();
    let reports: Vec<(i64, String, Option<String>)> =
        sqlx::query_as("SELECT unit_id, status, submitted_at FROM reports WHERE campaign_id = ?")
            .bind(campaign)
            .fetch_all(&mut *conn)
            .await
            .context("reading reports")?;
    for (unit, status, at) in reports {
        data.reports.insert(
            unit,
            Report {
                status: Status::parse(&status),
                submitted_at: at.as_deref().and_then(parse_ts),
            },
        );
    }
    let rows: Vec<(i64, String)> = sqlx::query_as("SELECT unit_id, cell_type FROM report_rows WHERE campaign_id = ?")
        .bind(campaign)
        .fetch_all(&mut *conn)
        .await
        .context("reading report rows")?;
    for (unit, t) in rows {
        data.rows.entry(unit).or_default().push(t);
    }
    let answers: Vec<(i64, String, String, Option<String>)> =
        sqlx::query_as("SELECT unit_id, key, row, value FROM answers WHERE campaign_id = ?")
            .bind(campaign)
            .fetch_all(&mut *conn)
            .await
            .context("reading answers")?;
    for (unit, key, row, value) in answers {
        data.answers.entry(unit).or_default().push((key, row, value));
    }
    let confirmed: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT unit_id, rule_id, row FROM confirmed_warnings WHERE campaign_id = ?")
            .bind(campaign)
            .fetch_all(&mut *conn)
            .await
            .context("reading confirmed warnings")?;
    for (unit, rule, row) in confirmed {
        data.confirmed.entry(unit).or_default().push((rule, row));
    }
    let members: Vec<Member> = sqlx::query_as(
        "SELECT id, user_id, chat_id, display_name, role, unit_id, unreachable_at, removed_at, channel FROM members
         WHERE role = 'secretary' AND removed_at IS NULL ORDER BY id",
    )
    .fetch_all(&mut *conn)
    .await
    .context("reading secretaries")?;
    for m in members {
        if let Some(u) = m.unit_id {
            data.secretaries.entry(u).or_default().push(m);
        }
    }
    for (unit, n) in undelivered_by_unit(&mut *conn, None).await? {
        data.undelivered.insert(unit, n);
    }
    let events: Vec<(i64, String, Option<String>, String)> = sqlx::query_as(
        "SELECT unit_id, action, note, at FROM report_events
         WHERE campaign_id = ? AND action IN ('return', 'accept') ORDER BY id",
    )
    .bind(campaign)
    .fetch_all(&mut *conn)
    .await
    .context("reading returns and acceptances")?;
    for (unit, action, note, at) in events {
        let Some(at) = parse_ts(&at) else { continue };
        let review = data.reviews.entry(unit).or_default();
        if action == "return" {
            review.returned = Some((at, note.unwrap_or_default()));
        } else {
            review.accepted_at = Some(at);
        }
    }
    Ok((units, data))
}

/// One unit's report data in one query (the hot path of every secretary step).
pub struct UnitData {
    pub unit: Unit,
    pub report: Report,
    /// Whether a report row exists (the unit has started).
    pub started: bool,
    pub rows: Vec<String>,
    pub answers: Vec<(String, String, Option<String>)>,
    pub confirmed: Vec<(String, String)>,
}

#[derive(sqlx::FromRow)]
struct UnitDataRow {
    id: i64,
    code: String,
    name: String,
    kind: String,
    commune: bool,
    cell_types: String,
    status: Option<String>,
    submitted_at: Option<String>,
    rows: String,
    answers: String,
    confirmed: String,
}

pub async fn unit_data(conn: &mut SqliteConnection, campaign: i64, unit: i64) -> Result<Option<UnitData>> {
    let row: Option<UnitDataRow> = sqlx::query_as(
        "SELECT u.id, u.code, u.name, u.kind, u.commune, u.cell_types, r.status, r.submitted_at,
          (SELECT json_group_array(cell_type) FROM report_rows WHERE campaign_id = ?1 AND unit_id = u.id) AS rows,
          (SELECT json_group_array(json_array(key, row, value)) FROM answers
             WHERE campaign_id = ?1 AND unit_id = u.id) AS answers,
          (SELECT json_group_array(json_array(rule_id, row)) FROM confirmed_warnings
             WHERE campaign_id = ?1 AND unit_id = u.id) AS confirmed
         FROM units u LEFT JOIN reports r ON r.campaign_id = ?1 AND r.unit_id = u.id
         WHERE u.id = ?2",
    )
    .bind(campaign)
    .bind(unit)
    .fetch_optional(conn)
    .await
    .context("reading the unit's report")?;
    let Some(r) = row else { return Ok(None) };
    let parse = |what: &str, json: &str| -> anyhow::Result<serde_json::Value> {
        serde_json::from_str(json).with_context(|| format!("decoding {what}"))
    };
    let rows: Vec<String> = serde_json::from_value(parse("rows", &r.rows)?).context("decoding rows")?;
    let answers: Vec<(String, String, Option<String>)> =
        serde_json::from_value(parse("answers", &r.answers)?).context("decoding answers")?;
    let confirmed: Vec<(String, String)> =
        serde_json::from_value(parse("warnings", &r.confirmed)?).context("decoding warnings")?;
    Ok(Some(UnitData {
        started: r.status.is_some(),
        report: Report {
            status: r.status.as_deref().map_or(Status::Draft, Status::parse),
            submitted_at: r.submitted_at.as_deref().and_then(parse_ts),
        },
        unit: Unit {
            id: r.id,
            code: r.code,
            name: r.name,
            kind: r.kind,
            commune: r.commune,
            cell_types: r.cell_types,
        },
        rows,
        answers,
        confirmed,
    }))
}

/// Messages given up after the last attempt, by the unit of the member they were for (one
/// unit, or all).
pub async fn undelivered_by_unit(conn: &mut SqliteConnection, unit: Option<i64>) -> Result<Vec<(i64, usize)>> {
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT m.unit_id, COUNT(*) FROM outbox o
         JOIN members m ON m.channel = o.channel AND m.chat_id = o.chat_id
         WHERE o.failed_at IS NOT NULL AND m.unit_id IS NOT NULL AND (?1 IS NULL OR m.unit_id = ?1)
         GROUP BY m.unit_id",
    )
    .bind(unit)
    .fetch_all(conn)
    .await
    .context("counting undeliverable messages")?;
    Ok(rows
        .into_iter()
        .map(|(u, n)| (u, usize::try_from(n).unwrap_or(0)))
        .collect())
}
