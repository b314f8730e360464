use std::path::PathBuf;

use anyhow::{Context, bail};
use chibo_bot::adapters::console::Console;
use chibo_bot::admin;
use chibo_bot::config::Settings;
use chibo_bot::form::Form;
use chibo_bot::reminders::Scheduler;
use chibo_bot::startup::Application;
use chibo_bot::{domain, engine::text, store};
use chrono::Utc;
use clap::{Parser, Subcommand};

/// chibo-bot: collects a Party organisation's periodic report by chatting with the people
/// who must write it.
#[derive(Parser)]
#[command(name = "chibo-bot", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the bot on every channel whose token is set (TELOXIDE_TOKEN, ZALO_BOT_TOKEN or both).
    Run,
    /// Chat with the bot in this terminal, on the same database (no token needed).
    Console {
        /// Your name in the chat; each name is a separate user.
        #[arg(long = "as", default_value = "Người dùng thử")]
        name: String,
    },
    /// Report forms.
    Form {
        #[command(subcommand)]
        command: FormCommand,
    },
    /// Reporting units.
    Units {
        #[command(subcommand)]
        command: UnitsCommand,
    },
    /// The campaign: change the deadline, set the merged report's number and date.
    Campaign {
        #[command(subcommand)]
        command: CampaignCommand,
    },
    /// Run one reminder pass as if at a given moment (Vietnam time), recording and sending
    /// exactly as the running bot does.
    Remind {
        /// "DD/MM/YYYY HH:MM" in Vietnam time; default: now.
        #[arg(long)]
        at: Option<String>,
        /// List who would be reminded, without recording or sending.
        #[arg(long)]
        dry_run: bool,
    },
    /// Write the merged district workbook (the same as /tonghop in the chat).
    Export {
        #[arg(long, default_value = "tong-hop.xlsx")]
        out: PathBuf,
        /// Include drafts (marked as such), like /tonghop tatca.
        #[arg(long)]
        drafts: bool,
    },
    /// Write the draft of the committee's own report (.docx), as /baocao in the chat.
    Report {
        #[arg(long, default_value = "bao-cao.docx")]
        out: PathBuf,
        /// Include drafts (marked as such).
        #[arg(long)]
        drafts: bool,
    },
    /// Check a unit's filled Excel template (from /mau) and, with --apply, save its values.
    Import {
        unit_code: String,
        file: PathBuf,
        /// Save the values; without it, only say what would change.
        #[arg(long)]
        apply: bool,
    },
    /// Print a single-use invite code for a unit's secretary or a board member.
    Invite {
        /// Unit code (needed for a secretary).
        unit_code: Option<String>,
        #[arg(long, default_value = "secretary", value_parser = ["secretary", "board"])]
        role: String,
    },
    /// Copy the database to a new file, consistently, while the bot keeps running.
    Backup {
        /// The copy to write; an existing file is never overwritten.
        #[arg(long)]
        out: PathBuf,
    },
    /// The people registered with the bot.
    Members {
        #[command(subcommand)]
        command: MembersCommand,
    },
}

#[derive(Subcommand)]
enum MembersCommand {
    /// List every member (removed and unreachable ones marked), by unit then id.
    List {
        /// Only the members of this unit.
        unit_code: Option<String>,
    },
    /// Take a member's access away at once (their answers stay; a new invite binds them again).
    Remove {
        /// The member's id, as `members list` shows it.
        member_id: i64,
    },
}

#[derive(Subcommand)]
enum FormCommand {
    /// Validate a form file (default: the embedded form) and print a summary.
    Check { file: Option<PathBuf> },
}

#[derive(Subcommand)]
enum CampaignCommand {
    /// Set the deadline date (DD/MM/YYYY, Vietnam time; the form's time of day is kept).
    Deadline { date: String },
    /// Set the merged report's number and date, printed on the workbook (as `/tonghop so …
    /// ngay …`); without options, show them.
    Report {
        /// The number and symbol, e.g. 25-BC/HU.
        #[arg(long = "so")]
        number: Option<String>,
        /// The date, DD/MM/YYYY (default: the deadline's date).
        #[arg(long = "ngay")]
        date: Option<String>,
    },
}

#[derive(Subcommand)]
enum UnitsCommand {
    /// Import units from CSV with header code,name,cell_types (types separated by ';').
    Import { file: PathBuf },
    /// List units with their report status.
    List,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = Settings::from_env()?;
    let default_filter = match cli.command {
        Command::Run => "info",
        _ => "warn",
    };
    chibo_bot::telemetry::init(default_filter, std::io::stderr);
    match cli.command {
        Command::Form {
            command: FormCommand::Check { file },
        } => {
            let form = match file {
                Some(f) => {
                    let text = std::fs::read_to_string(&f).with_context(|| format!("reading {}", f.display()))?;
                    Form::parse(&text).with_context(|| format!("{} is not a valid form", f.display()))?
                }
                None => settings.load_form()?,
            };
            print!("{}", form.summary());
            Ok(())
        }
        Command::Run => Application::build(settings, Utc::now()).await?.run().await,
        Command::Console { name } => {
            let app = Application::build(settings, Utc::now()).await?;
            let stdin = tokio::io::BufReader::new(tokio::io::stdin());
            Console::new(app.engine, &name, stdin, tokio::io::stdout(), Utc::now)
                .run()
                .await
        }
        Command::Units { command } => {
            let app = Application::build(settings, Utc::now()).await?;
            match command {
                UnitsCommand::Import { file } => {
                    let f = std::fs::File::open(&file).with_context(|| format!("opening {}", file.display()))?;
                    let r = admin::import_units(app.engine.store(), app.engine.form(), f, Utc::now()).await?;
                    println!("{} units added, {} updated", r.added, r.updated);
                }
                UnitsCommand::List => {
                    let tz = app.engine.tz();
                    for u in admin::unit_statuses(app.engine.store(), app.engine.campaign().id).await? {
                        let status = if u.status == chibo_bot::store::Status::Draft && !u.started {
                            "chưa bắt đầu".to_owned()
                        } else {
                            text::status_name(u.status).to_owned()
                        };
                        let at = u
                            .submitted_at
                            .map(|t| t.with_timezone(&tz).format(" %d/%m/%Y %H:%M").to_string())
                            .unwrap_or_default();
                        let who = if u.secretaries.is_empty() {
                            "—".to_owned()
                        } else {
                            u.secretaries.join(", ")
                        };
                        let lost = if u.undelivered > 0 {
                            format!("  ({} messages undeliverable)", u.undelivered)
                        } else {
                            String::new()
                        };
                        println!("{:<14} {:<40} {}{}  [{}]{lost}", u.code, u.name, status, at, who);
                    }
                }
            }
            Ok(())
        }
        Command::Campaign {
            command: CampaignCommand::Deadline { date },
        } => {
            let app = Application::build(settings, Utc::now()).await?;
            let day = domain::parse_date(&date).with_context(|| format!("«{date}» is not a DD/MM/YYYY date"))?;
            let time = chrono::NaiveTime::parse_from_str(&app.engine.form().campaign.deadline_time, "%H:%M")?;
            let at = day
                .and_time(time)
                .and_local_timezone(app.engine.tz())
                .single()
                .context("not a valid local time")?
                .with_timezone(&Utc);
            let mut conn = app.engine.store().conn().await?;
            chibo_bot::store::set_deadline(&mut conn, app.engine.campaign().id, at).await?;
            println!(
                "deadline: {} {}",
                domain::format_date(day),
                app.engine.form().campaign.deadline_time
            );
            Ok(())
        }
        Command::Campaign {
            command: CampaignCommand::Report { number, date },
        } => {
            let app = Application::build(settings, Utc::now()).await?;
            let date = match date {
                Some(d) => Some(domain::parse_date(&d).with_context(|| format!("«{d}» is not a DD/MM/YYYY date"))?),
                None => None,
            };
            let number = number.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
            let campaign = app.engine.campaign().id;
            let mut conn = app.engine.store().conn().await?;
            if number.is_some() || date.is_some() {
                store::set_report_ref(&mut conn, campaign, number.as_deref(), date, Utc::now()).await?;
            }
            let r = store::report_ref(&mut conn, campaign).await?;
            let date = r.date.map_or_else(
                || format!("{} (the deadline)", domain::format_date(app.engine.deadline_day())),
                domain::format_date,
            );
            println!("report number: {}", r.number.as_deref().unwrap_or("(not set)"));
            println!("report date: {date}");
            Ok(())
        }
        Command::Remind { at, dry_run } => {
            let app = Application::build(settings, Utc::now()).await?;
            let tz = app.engine.tz();
            let now = match at {
                Some(a) => chrono::NaiveDateTime::parse_from_str(a.trim(), "%d/%m/%Y %H:%M")
                    .with_context(|| format!("«{a}» must be \"DD/MM/YYYY HH:MM\""))?
                    .and_local_timezone(tz)
                    .single()
                    .context("not a valid local time")?
                    .with_timezone(&Utc),
                None => Utc::now(),
            };
            let scheduler = Scheduler::new(app.engine.clone(), app.settings.reminders.clone());
            if dry_run {
                let (moment, planned) = scheduler.dry_run(now).await?;
                match moment {
                    None => println!("no reminder is due at {}", app.engine.local_text(now)),
                    Some(m) => {
                        let reachable = planned.iter().filter(|p| !p.secretaries.is_empty()).count();
                        println!(
                            "moment {} ({:?}): {} units not submitted, {reachable} with a reachable secretary",
                            app.engine.local_text(m.at),
                            m.kind,
                            planned.len()
                        );
                        for p in planned {
                            let who = if p.secretaries.is_empty() {
                                "— no reachable secretary".to_owned()
                            } else {
                                p.secretaries.join(", ")
                            };
                            println!("\n{} [{}]\n{}", p.unit, who, p.text);
                        }
                    }
                }
                return Ok(());
            }
            let (outcome, out) = scheduler.tick(now).await?;
            println!(
                "{} units reminded, {} messages{}",
                outcome.units.len(),
                outcome.messages,
                outcome.moment.map(|m| format!(" (moment {m})")).unwrap_or_default()
            );
            if !out.is_empty() {
                // The same outbox worker as the bot's, under a claim of its own: a running bot
                // and this command never send the same message twice.
                let workers = app.workers(&format!("cli:{}", std::process::id()));
                if workers.is_empty() {
                    println!("queued: the running bot sends them (no TELOXIDE_TOKEN or ZALO_BOT_TOKEN here)");
                } else {
                    let per_sec = f64::from(app.settings.max_per_sec.min(app.settings.zalo_max_per_sec).max(1));
                    let patience = std::time::Duration::from_secs_f64(out.len() as f64 / per_sec * 1.5 + 30.0);
                    let mut drains = Vec::new();
                    for (worker, outbox) in workers {
                        // Each worker sends its own channel's rows; all are committed already.
                        outbox.deliver(out.iter().filter(|d| d.outbox_id.is_some()).cloned().collect());
                        drains.push(tokio::spawn(worker.drain(patience)));
                    }
                    for d in drains {
                        let _ = d.await;
                    }
                    println!("sent (a running bot may have sent some of them)");
                }
            }
            Ok(())
        }
        Command::Export { out, drafts } => {
            let app = Application::build(settings, Utc::now()).await?;
            let snap = app.engine.snapshot(drafts, Utc::now()).await?;
            let merged = snap.units.iter().filter(|u| snap.merged(u)).count();
            let bytes = chibo_bot::export::build_workbook(&snap)?;
            std::fs::write(&out, bytes).with_context(|| format!("writing {}", out.display()))?;
            println!("{} ({merged} of {} units merged)", out.display(), snap.units.len());
            Ok(())
        }
        Command::Report { out, drafts } => {
            let app = Application::build(settings, Utc::now()).await?;
            let snap = app.engine.snapshot(drafts, Utc::now()).await?;
            let merged = snap.units.iter().filter(|u| snap.merged(u)).count();
            let bytes = chibo_bot::committee_report::build(&snap)?;
            std::fs::write(&out, bytes).with_context(|| format!("writing {}", out.display()))?;
            println!("{} ({merged} of {} units merged)", out.display(), snap.units.len());
            Ok(())
        }
        Command::Import { unit_code, file, apply } => {
            let app = Application::build(settings, Utc::now()).await?;
            let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let (report, ok) = app
                .engine
                .import_file(&unit_code, &name, &bytes, apply, Utc::now())
                .await?;
            println!("{report}");
            if !ok {
                bail!("nothing was saved");
            }
            Ok(())
        }
        Command::Backup { out } => {
            let store = admin::open_existing(&settings.database_url).await?;
            let size = store::ops::backup_into(store.pool(), &out).await?;
            println!("backup written to {} ({})", out.display(), admin::human_size(size));
            Ok(())
        }
        Command::Members {
            command: MembersCommand::List { unit_code },
        } => {
            let store = admin::open_existing(&settings.database_url).await?;
            let mut conn = store.conn().await?;
            if let Some(code) = &unit_code
                && store::unit_by_code(&mut conn, code).await?.is_none()
            {
                bail!("there is no unit with code «{code}» (see `chibo-bot units list`)");
            }
            let members = store::ops::list_members(&mut conn, unit_code.as_deref()).await?;
            if members.is_empty() {
                println!("no members");
                return Ok(());
            }
            println!("{}", admin::member_header());
            for m in &members {
                println!("{}", admin::member_line(m, settings.tz));
            }
            Ok(())
        }
        Command::Members {
            command: MembersCommand::Remove { member_id },
        } => {
            let store = admin::open_existing(&settings.database_url).await?;
            let mut tx = store.begin().await?;
            let m = store::ops::remove_member(&mut tx, member_id, Utc::now()).await?;
            tx.commit().await.context("committing the removal")?;
            let unit = m.unit_code.as_deref().map(|u| format!(" of {u}")).unwrap_or_default();
            println!(
                "removed member {} ({}, {}{unit}): the bot no longer lets them in; a new invite binds them again",
                m.id, m.display_name, m.role
            );
            Ok(())
        }
        Command::Invite { unit_code, role } => {
            let app = Application::build(settings, Utc::now()).await?;
            let inv = admin::create_invite(
                app.engine.store(),
                unit_code.as_deref(),
                &role,
                app.settings.invite_ttl_days,
                Utc::now(),
            )
            .await?;
            println!("{}", inv.code);
            let expires = domain::format_date(inv.expires.with_timezone(&app.engine.tz()).date_naive());
            let who = inv
                .unit_name
                .unwrap_or_else(|| app.engine.form().campaign.board.clone());
            eprintln!("unit: {who}; role: {}; expires: {expires}", inv.role);
            match &app.settings.bot_username {
                Some(b) => eprintln!("link: https://t.me/{b}?start={}", inv.code),
                None => eprintln!("(set BOT_USERNAME to print the t.me link)"),
            }
            Ok(())
        }
    }
}
