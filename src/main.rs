use std::path::PathBuf;

use anyhow::Context;
use chibo_bot::adapters::console::Console;
use chibo_bot::admin;
use chibo_bot::config::Settings;
use chibo_bot::form::Form;
use chibo_bot::startup::Application;
use chibo_bot::{domain, engine::text};
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
    /// Run the Telegram bot (needs TELOXIDE_TOKEN).
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
    /// Print a single-use invite code for a unit's secretary or a board member.
    Invite {
        /// Unit code (needed for a secretary).
        unit_code: Option<String>,
        #[arg(long, default_value = "secretary", value_parser = ["secretary", "board"])]
        role: String,
    },
}

#[derive(Subcommand)]
enum FormCommand {
    /// Validate a form file (default: the embedded form) and print a summary.
    Check { file: Option<PathBuf> },
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
        Command::Run => Application::build(settings, Utc::now()).await?.run_telegram().await,
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
                        println!("{:<14} {:<40} {}{}  [{}]", u.code, u.name, status, at, who);
                    }
                }
            }
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
            let who = inv.unit_name.unwrap_or_else(|| "Ban Tổ chức Huyện ủy".to_owned());
            eprintln!("unit: {who}; role: {}; expires: {expires}", inv.role);
            match &app.settings.bot_username {
                Some(b) => eprintln!("link: https://t.me/{b}?start={}", inv.code),
                None => eprintln!("(set BOT_USERNAME to print the t.me link)"),
            }
            Ok(())
        }
    }
}
