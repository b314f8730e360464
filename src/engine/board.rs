//! The district board's side: progress, reviewing, returning and accepting units' reports
//! (the documents it gets are built in `documents.rs`). Reads across units, so it runs on the engine (with I/O).

use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

use super::check::{self, UnitCtx};
use super::flow::field_findings;
use super::reply::{Button, Outgoing, Reply};
use super::state::{Action, State};
pub use super::views::UnitView;
use super::{Engine, EngineError, Inbound, text};
use crate::domain::format_vi;
use crate::export::ReportStatus;
use crate::form::{NodeKind, Severity};
use crate::store::{self, Member, Status, Tx};

/// A document built after the transaction commits; `true`: drafts included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Export {
    /// The merged workbook.
    Workbook(bool),
    /// The draft of the committee's own report (.docx).
    Report(bool),
}

/// What a board step decided; the workbook is built after the transaction commits.
pub(crate) struct BoardStep {
    pub next: State,
    pub replies: Vec<Reply>,
    pub notify: Vec<Outgoing>,
    /// Build and send the merged workbook or the draft report.
    pub export: Option<Export>,
    /// Send a reminder now to every unit not yet submitted.
    pub remind: bool,
}

fn btn(label: &str, a: Action) -> Button {
    Button::new(label.to_owned(), a.encode())
}

fn say(text: impl Into<String>, buttons: Vec<Vec<Button>>) -> Reply {
    Reply {
        text: text.into(),
        buttons,
        edit: false,
        numeric: false,
    }
}

fn menu_buttons() -> Vec<Vec<Button>> {
    vec![
        vec![
            btn(text::BTN_PROGRESS, Action::BoardProgress),
            btn(text::BTN_UNITS, Action::BoardUnits),
        ],
        vec![
            btn(text::BTN_EXPORT, Action::BoardExport(false)),
            btn(text::BTN_EXPORT_ALL, Action::BoardExport(true)),
        ],
        vec![
            btn(text::BTN_REPORT, Action::BoardReport(false)),
            btn(text::BTN_HELP, Action::Help),
        ],
    ]
}

impl Engine {
    /// The progress text the board sees in `/tiendo` and the daily summary.
    pub async fn progress_text(&self, conn: &mut SqliteConnection, now: DateTime<Utc>) -> Result<String, EngineError> {
        let views = self.unit_views(conn).await?;
        Ok(self.progress(&views, now).text)
    }

    /// One unit by code (case-insensitive), with its report.
    async fn find_unit(&self, conn: &mut SqliteConnection, code: &str) -> Result<Option<UnitView>, EngineError> {
        match store::unit_by_code(conn, code.trim()).await? {
            Some(u) => Ok(Some(self.unit_view(conn, u).await?)),
            None => Ok(None),
        }
    }

    /// Share of the report filled in, 0–100.
    pub fn completeness(&self, ctx: &UnitCtx) -> f64 {
        let form = &self.form;
        let headings = form.answer_nodes().count();
        let rows: usize = form.tables.iter().map(|t| ctx.table_rows(form, t).count()).sum();
        let total = headings + rows + form.report_fields.len();
        let missing = check::missing(form, ctx).count();
        if total == 0 {
            100.0
        } else {
            100.0 * (total - missing.min(total)) as f64 / total as f64
        }
    }

    /// Warnings the secretary has not confirmed, as text.
    pub fn open_warnings(&self, ctx: &UnitCtx) -> Vec<String> {
        let mut all = check::all_findings(&self.form, ctx);
        all.extend(field_findings(&self.form, ctx));
        all.extend(super::flow::answer_findings(&self.form, ctx));
        all.into_iter()
            .filter(|f| f.severity == Severity::Warning && !ctx.is_confirmed(&f.rule_id, &f.row))
            .map(|f| match self.form.cell_type(&f.row) {
                Some(t) => format!("{}: {}", t.vi, f.message),
                None => f.message,
            })
            .collect()
    }

    async fn board_menu(&self, conn: &mut SqliteConnection, now: DateTime<Utc>) -> Result<Reply, EngineError> {
        let (submitted, total) = store::submission_counts(conn, self.campaign().id).await?;
        let days = self.days_left(now);
        let deadline = crate::domain::format_date(self.deadline_day());
        Ok(say(
            text::board_menu(
                &self.form.campaign.board,
                &self.form.campaign.name,
                &deadline,
                days,
                submitted,
                total,
            ),
            menu_buttons(),
        ))
    }

    fn progress(&self, views: &[UnitView], now: DateTime<Utc>) -> Reply {
        let deadline = self.deadline_day();
        let days = self.days_left(now);
        let submitted = views.iter().filter(|v| v.submitted()).count();
        let mut s = format!(
            "📈 Tiến độ — {}\nHạn nộp: {} ({})\nĐã nộp: {submitted}/{} {}",
            self.form.campaign.name,
            crate::domain::format_date(deadline),
            text::days_left(days),
            views.len(),
            text::progress_bar(submitted, views.len())
        );
        let statuses = [
            ReportStatus::Accepted,
            ReportStatus::Submitted,
            ReportStatus::Returned,
            ReportStatus::Draft,
            ReportStatus::NotStarted,
        ];
        let counts: Vec<String> = statuses
            .iter()
            .map(|st| {
                format!(
                    "{}: {}",
                    capitalise(st.label()),
                    views.iter().filter(|v| v.status == *st).count()
                )
            })
            .collect();
        s.push_str(&format!("\n{}", counts.join(" · ")));
        let waiting: Vec<&UnitView> = views.iter().filter(|v| !v.submitted()).collect();
        if !waiting.is_empty() {
            s.push_str(&format!("\n\nChưa nộp ({}):", waiting.len()));
            for v in waiting.iter().take(40) {
                s.push_str(&format!(
                    "\n• {} — {}, {}%",
                    v.unit.name,
                    v.status.label(),
                    format_vi(self.completeness(&v.ctx).round())
                ));
            }
            if waiting.len() > 40 {
                s.push_str(&format!("\n{}", text::more(waiting.len() - 40)));
            }
        }
        let unreachable: Vec<String> = views
            .iter()
            .flat_map(|v| {
                v.secretaries
                    .iter()
                    .filter(|m| m.unreachable_at.is_some())
                    .map(|m| text::unreachable_line(&m.display_name, &v.unit.name))
            })
            .collect();
        if !unreachable.is_empty() {
            s.push_str(&format!(
                "\n\n⚠️ Không liên lạc được (đã chặn bot):\n• {}",
                unreachable.join("\n• ")
            ));
        }
        let undelivered: Vec<String> = views
            .iter()
            .filter(|v| v.undelivered > 0)
            .map(|v| text::undelivered_line(&v.unit.name, v.undelivered))
            .collect();
        if !undelivered.is_empty() {
            s.push_str(&format!(
                "\n\n{}\n• {}",
                text::UNDELIVERED_HEAD,
                undelivered.join("\n• ")
            ));
        }
        let no_secretary: Vec<&str> = views
            .iter()
            .filter(|v| v.secretaries.is_empty())
            .map(|v| v.unit.name.as_str())
            .collect();
        if !no_secretary.is_empty() {
            s.push_str(&format!("\n\nChưa có bí thư đăng ký: {}", no_secretary.join(", ")));
        }
        say(s, menu_buttons())
    }

    /// A unit's report in pages that fit a chat message.
    fn report_pages(&self, v: &UnitView) -> Vec<String> {
        let form = &self.form;
        let mut blocks = Vec::new();
        let mut head = format!("📄 {} — {}", v.unit.name, v.status.label());
        if let Some(t) = v.submitted_at {
            head.push_str(&format!(", nộp lúc {}", self.local_text(t)));
        }
        for f in &form.report_fields {
            head.push_str(&format!("\n{}: {}", f.label, v.ctx.text(&f.id).unwrap_or("—")));
        }
        blocks.push(head);
        for n in &form.outline {
            let title = format!("{} {}", n.id, text::node_title(n));
            if n.kind == NodeKind::Container {
                blocks.push(format!("▪️ {title}"));
            } else {
                blocks.push(format!("📝 {title}\n{}", v.ctx.text(&n.id).unwrap_or("(chưa trả lời)")));
            }
        }
        for t in &form.tables {
            for r in v.ctx.table_rows(form, t) {
                let name = form.cell_type(r).map(|c| c.vi.as_str()).unwrap_or(r);
                let vals: Vec<String> = t
                    .columns
                    .iter()
                    .map(|c| match v.ctx.answer(&t.answer_key(c, r)) {
                        None => "…".to_owned(),
                        Some(None) => "–".to_owned(),
                        Some(Some(x)) => x.parse::<f64>().map(format_vi).unwrap_or_else(|_| x.clone()),
                    })
                    .collect();
                blocks.push(format!("📊 {} — {name}: {}", t.short_name, vals.join(" · ")));
            }
        }
        let warnings = self.open_warnings(&v.ctx);
        if !warnings.is_empty() {
            blocks.push(format!("⚠️ Cảnh báo chưa xác nhận:\n• {}", warnings.join("\n• ")));
        }
        let mut pages = Vec::new();
        let mut cur = String::new();
        for b in blocks {
            let b = text::shorten(&b, 3000);
            if !cur.is_empty() && cur.chars().count() + b.chars().count() > 3300 {
                pages.push(std::mem::take(&mut cur));
            }
            if !cur.is_empty() {
                cur.push_str("\n\n");
            }
            cur.push_str(&b);
        }
        pages.push(cur);
        pages
    }

    fn view(&self, v: &UnitView, page: usize) -> Reply {
        let pages = self.report_pages(v);
        let page = page.min(pages.len() - 1);
        let code = v.unit.code.clone();
        let mut text = pages[page].clone();
        text.push_str(&format!("\n\n(Trang {}/{})", page + 1, pages.len()));
        let mut nav = Vec::new();
        if page > 0 {
            nav.push(btn(text::BTN_PAGE_PREV, Action::BoardView(code.clone(), page - 1)));
        }
        if page + 1 < pages.len() {
            nav.push(btn(text::BTN_PAGE_NEXT, Action::BoardView(code.clone(), page + 1)));
        }
        let mut buttons = vec![nav];
        if v.submitted() {
            let mut act = vec![btn(text::BTN_RETURN, Action::BoardReturn(code.clone()))];
            if v.status == ReportStatus::Submitted {
                act.push(btn(text::BTN_ACCEPT, Action::BoardAccept(code)));
            }
            buttons.push(act);
        }
        buttons.push(vec![btn(text::BTN_MENU, Action::Menu)]);
        Reply {
            text,
            buttons: buttons.into_iter().filter(|r| !r.is_empty()).collect(),
            edit: page > 0,
            numeric: false,
        }
    }

    fn unit_list(&self, views: &[UnitView]) -> Reply {
        if views.is_empty() {
            return say(text::NO_UNITS, menu_buttons());
        }
        let mut rows: Vec<Vec<Button>> = views
            .iter()
            .map(|v| {
                let mark = match v.status {
                    ReportStatus::Accepted => "✅",
                    ReportStatus::Submitted => "📥",
                    ReportStatus::Returned => "↩️",
                    ReportStatus::Draft => "✏️",
                    ReportStatus::NotStarted => "⬜",
                };
                vec![btn(
                    &format!("{mark} {}", text::shorten(&v.unit.name, 36)),
                    Action::BoardView(v.unit.code.clone(), 0),
                )]
            })
            .collect();
        rows.push(vec![btn(text::BTN_MENU, Action::Menu)]);
        say(text::pick_unit(), rows)
    }

    async fn return_report(
        &self,
        tx: &mut Tx,
        m: &Member,
        v: &UnitView,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<BoardStep, EngineError> {
        let c = self.campaign().id;
        store::set_status(tx, c, v.unit.id, Status::Returned, Some(m.id), Some(reason), now).await?;
        let notify: Vec<Outgoing> = v
            .secretaries
            .iter()
            .filter(|s| s.unreachable_at.is_none())
            .map(|s| {
                Outgoing::new(
                    s.chat_id,
                    text::returned_to_secretary(&v.unit.name, reason, &self.form.campaign.board),
                    vec![vec![
                        btn(text::BTN_REVIEW, Action::Review),
                        btn(text::BTN_MENU, Action::Menu),
                    ]],
                )
                .via(s.channel())
            })
            .collect();
        let n = notify.len();
        Ok(BoardStep {
            next: State::Menu,
            replies: vec![say(text::returned_to_board(&v.unit.name, n), menu_buttons())],
            notify,
            export: None,
            remind: false,
        })
    }

    /// `views`: every unit, read before the write lock when the batch has a board view that
    /// needs them (progress, the unit list); otherwise read here.
    pub(crate) async fn board(
        &self,
        tx: &mut Tx,
        m: &Member,
        state: State,
        input: Inbound,
        now: DateTime<Utc>,
        views: Option<&[UnitView]>,
    ) -> Result<BoardStep, EngineError> {
        // Only what an action needs is loaded: a board step holds the write lock.
        let reply = |r: Reply| BoardStep {
            next: State::Menu,
            replies: vec![r],
            notify: vec![],
            export: None,
            remind: false,
        };
        let action = match input {
            Inbound::Text(t) => {
                if let State::BoardReason { unit } = state
                    && let Some(v) = self.find_unit(tx, &unit).await?
                {
                    let reason = crate::domain::clean_text(&t);
                    if !reason.is_empty() && v.submitted() {
                        return self.return_report(tx, m, &v, &reason, now).await;
                    }
                }
                return Ok(BoardStep {
                    next: State::Menu,
                    replies: vec![say(text::BOARD_HINT, vec![]), self.board_menu(tx, now).await?],
                    notify: vec![],
                    export: None,
                    remind: false,
                });
            }
            Inbound::Media
            | Inbound::Edited
            | Inbound::File { .. }
            | Inbound::FileTooLarge { .. }
            | Inbound::FileRef { .. } => {
                return Ok(BoardStep {
                    next: State::Menu,
                    replies: vec![say(text::MEDIA_REFUSED, vec![]), self.board_menu(tx, now).await?],
                    notify: vec![],
                    export: None,
                    remind: false,
                });
            }
            Inbound::Button(data) => match Action::decode(&data) {
                Some(a) => a,
                None => return Ok(reply(say(text::STALE_BUTTON, menu_buttons()))),
            },
            Inbound::Command { name, args } => match name.as_str() {
                "start" | "menu" | "huy" => Action::Menu,
                "trogiup" | "help" => Action::Help,
                "tiendo" => Action::BoardProgress,
                "nhacnho" => {
                    return Ok(BoardStep {
                        next: State::Menu,
                        replies: vec![],
                        notify: vec![],
                        export: None,
                        remind: true,
                    });
                }
                "tonghop" => match super::export_args::parse(&args) {
                    Err(e) => return Ok(reply(say(e, menu_buttons()))),
                    Ok(a) if a.number.is_none() && a.date.is_none() => Action::BoardExport(a.drafts),
                    Ok(a) => {
                        store::set_report_ref(tx, self.campaign().id, a.number.as_deref(), a.date, now).await?;
                        let saved = super::export_args::saved(a.number.as_deref(), a.date);
                        if !m.channel().sends_documents() {
                            let text = format!("{saved}\n{}", super::text_channel::EXPORT_NOT_ON_THIS_CHANNEL);
                            return Ok(reply(say(text, menu_buttons())));
                        }
                        return Ok(BoardStep {
                            export: Some(Export::Workbook(a.drafts)),
                            ..reply(say(saved, vec![]))
                        });
                    }
                },
                "baocao" => Action::BoardReport(args.trim().eq_ignore_ascii_case("tatca")),
                "xem" if args.trim().is_empty() => Action::BoardUnits,
                "xem" => {
                    let mut parts = args.split_whitespace();
                    let code = parts.next().unwrap_or_default().to_owned();
                    let page = parts.next().and_then(|p| p.parse::<usize>().ok()).unwrap_or(1).max(1) - 1;
                    Action::BoardView(code, page)
                }
                "duyet" if !args.trim().is_empty() => Action::BoardAccept(args.trim().to_owned()),
                "tralai" if !args.trim().is_empty() => {
                    let (code, reason) = match args.trim().split_once(char::is_whitespace) {
                        Some((c, r)) => (c, r.trim()),
                        None => (args.trim(), ""),
                    };
                    let Some(v) = self.find_unit(tx, code).await? else {
                        return Ok(reply(say(text::no_such_unit(code), menu_buttons())));
                    };
                    if !v.submitted() {
                        return Ok(reply(say(text::not_submitted(&v.unit.name), menu_buttons())));
                    }
                    if reason.is_empty() {
                        Action::BoardReturn(v.unit.code.clone())
                    } else {
                        return self
                            .return_report(tx, m, &v, &crate::domain::clean_text(reason), now)
                            .await;
                    }
                }
                "duyet" | "tralai" => return Ok(reply(say(text::board_help(), menu_buttons()))),
                "decuong" | "bieu" | "loaihinh" | "thongtin" | "kiemtra" | "nop" | "nhap" | "traloi" => {
                    return Ok(reply(say(text::SECRETARY_ONLY, menu_buttons())));
                }
                other => return Ok(reply(say(text::unknown_command(other), menu_buttons()))),
            },
        };
        Ok(match action {
            Action::Help => reply(say(text::board_help(), menu_buttons())),
            Action::BoardProgress => match views {
                Some(v) => reply(self.progress(v, now)),
                None => reply(self.progress(&self.unit_views(tx).await?, now)),
            },
            Action::BoardExport(_) | Action::BoardReport(_) if !m.channel().sends_documents() => {
                reply(say(super::text_channel::EXPORT_NOT_ON_THIS_CHANNEL, menu_buttons()))
            }
            Action::BoardExport(drafts) => BoardStep {
                next: State::Menu,
                replies: vec![],
                notify: vec![],
                export: Some(Export::Workbook(drafts)),
                remind: false,
            },
            Action::BoardReport(drafts) => BoardStep {
                next: State::Menu,
                replies: vec![],
                notify: vec![],
                export: Some(Export::Report(drafts)),
                remind: false,
            },
            Action::BoardUnits => match views {
                Some(v) => reply(self.unit_list(v)),
                None => reply(self.unit_list(&self.unit_views(tx).await?)),
            },
            Action::BoardView(code, page) => match self.find_unit(tx, &code).await? {
                Some(v) => reply(self.view(&v, page)),
                None => reply(say(text::no_such_unit(&code), menu_buttons())),
            },
            Action::BoardReturn(code) => match self.find_unit(tx, &code).await? {
                Some(v) if v.submitted() => BoardStep {
                    next: State::BoardReason {
                        unit: v.unit.code.clone(),
                    },
                    replies: vec![say(text::ASK_RETURN_REASON, vec![])],
                    notify: vec![],
                    export: None,
                    remind: false,
                },
                Some(v) => reply(say(text::not_submitted(&v.unit.name), menu_buttons())),
                None => reply(say(text::no_such_unit(&code), menu_buttons())),
            },
            Action::BoardAccept(code) => match self.find_unit(tx, &code).await? {
                Some(v) if v.status == ReportStatus::Accepted => {
                    reply(say(text::already_accepted(&v.unit.name), menu_buttons()))
                }
                Some(v) if v.status == ReportStatus::Submitted => {
                    store::set_status(
                        tx,
                        self.campaign().id,
                        v.unit.id,
                        Status::Accepted,
                        Some(m.id),
                        None,
                        now,
                    )
                    .await?;
                    let notify = v
                        .secretaries
                        .iter()
                        .filter(|s| s.unreachable_at.is_none())
                        .map(|s| {
                            Outgoing::new(
                                s.chat_id,
                                text::accepted_to_secretary(&v.unit.name, &self.form.campaign.board),
                                vec![],
                            )
                            .via(s.channel())
                        })
                        .collect();
                    BoardStep {
                        next: State::Menu,
                        replies: vec![say(text::accepted_to_board(&v.unit.name), menu_buttons())],
                        notify,
                        export: None,
                        remind: false,
                    }
                }
                Some(v) => reply(say(text::not_submitted(&v.unit.name), menu_buttons())),
                None => reply(say(text::no_such_unit(&code), menu_buttons())),
            },
            Action::Menu => reply(self.board_menu(tx, now).await?),
            _ => reply(say(text::STALE_BUTTON, menu_buttons())),
        })
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}
