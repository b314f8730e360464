//! The administrators' operations, run as the real `chibo-bot` binary against the database
//! of a running bot: an online backup under load, and listing and removing members.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::process::Output;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chibo_bot::engine::{ChatRef, Inbound};
use chibo_bot::store;
use chrono::Utc;
use sqlx::SqlitePool;

use crate::helpers::{TestBot, joined, spawn_bot};

/// Runs `chibo-bot ARGS` on the test's database, from its folder (no stray `.env`).
async fn chibo(dir: &Path, db: &Path, args: &[&str]) -> Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_chibo-bot"));
    cmd.args(args)
        .current_dir(dir)
        .env("DATABASE_URL", format!("sqlite://{}", db.display()))
        .env("BOT_TIMEZONE", "Asia/Ho_Chi_Minh")
        .env("RUST_LOG", "warn")
        .env_remove("FORM_FILE");
    tokio::task::spawn_blocking(move || cmd.output().expect("chibo-bot starts"))
        .await
        .expect("chibo-bot joins")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn db_path(bot: &TestBot) -> std::path::PathBuf {
    bot.dir.path().join("bot.db")
}

/// A secretary of `unit`, registered through the engine.
async fn secretary(bot: &TestBot, unit: &str, chat: i64) -> ChatRef {
    // The replies are delivered by the running bot's outbox worker: the chat must exist.
    bot.fake.register_private_chat(chat);
    let code = bot.invite(Some(unit), "secretary").await;
    let who = ChatRef {
        channel: chibo_bot::engine::Channel::Telegram,
        chat_id: chat,
        user_id: Some(chat),
        name: format!("Bí thư {unit}"),
        private: true,
        message_id: None,
        sent_at: None,
    };
    bot.engine
        .handle(
            &who,
            Inbound::Command {
                name: "start".into(),
                args: code,
            },
            Utc::now(),
        )
        .await
        .expect("registration");
    who
}

/// An answer the engine acknowledged: write number `seq` set heading `key` of `unit`.
#[derive(Debug, Clone)]
struct Ack {
    seq: usize,
    unit: &'static str,
    key: String,
    value: String,
}

const PREFIX: &str = "Lần ghi ";

fn value_of(seq: usize) -> String {
    format!("{PREFIX}{seq}: các chi bộ duy trì sinh hoạt đều đặn.")
}

fn seq_of(value: &str) -> usize {
    value
        .strip_prefix(PREFIX)
        .and_then(|r| r.split(':').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("not a load value: {value}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_under_load_is_intact_and_holds_every_acknowledged_answer() {
    let bot = spawn_bot().await;
    let units = ["mgso", "khonglao", "namxe"];
    let mut who = Vec::new();
    for (i, u) in units.iter().enumerate() {
        who.push((*u, secretary(&bot, u, 7_001 + i as i64).await));
    }
    let ids: Vec<String> = bot.engine.form().answer_nodes().map(|n| n.id.clone()).collect();

    // The load: one answer after another, each recorded once the engine acknowledged it.
    let acks: Arc<Mutex<Vec<Ack>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let load = {
        let (engine, acks, stop) = (bot.engine.clone(), acks.clone(), stop.clone());
        tokio::spawn(async move {
            let mut seq = 0;
            while !stop.load(Ordering::Relaxed) {
                let (unit, chat) = (who[seq % who.len()].0, &who[seq % who.len()].1);
                let key = &ids[(seq / who.len()) % ids.len()];
                let value = value_of(seq);
                engine
                    .handle(chat, Inbound::from_text(&format!("/traloi {key} {value}")), Utc::now())
                    .await
                    .expect("the answer is saved");
                acks.lock().unwrap().push(Ack {
                    seq,
                    unit,
                    key: key.clone(),
                    value,
                });
                seq += 1;
            }
        })
    };
    let started = Instant::now();
    while acks.lock().unwrap().len() < 50 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the load does not progress"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }

    // The backup, through the command line, while the load goes on.
    let out = bot.dir.path().join("backup.db");
    let before: Vec<Ack> = acks.lock().unwrap().clone();
    let o = chibo(
        bot.dir.path(),
        &db_path(&bot),
        &["backup", "--out", out.to_str().unwrap()],
    )
    .await;
    assert!(o.status.success(), "backup failed: {}", stderr(&o));
    assert!(
        stdout(&o).contains(&format!("backup written to {}", out.display())),
        "{}",
        stdout(&o)
    );
    let size = std::fs::metadata(&out).expect("the backup exists").len();
    assert!(size > 0);
    tokio::time::sleep(Duration::from_millis(50)).await;
    stop.store(true, Ordering::Relaxed);
    load.await.expect("the load ends cleanly");
    let all = acks.lock().unwrap().clone();
    // The load went on across the backup (typically a few writes land within its few
    // milliseconds; how many is a matter of timing, so it is not asserted).
    assert!(all.len() > before.len(), "the load stopped during the backup");

    // Every acknowledged write really reached the live database (the load is real).
    let live: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM answer_history WHERE new_value LIKE 'Lần ghi %'")
        .fetch_one(bot.pool())
        .await
        .unwrap();
    assert_eq!(live as usize, all.len());

    // The copy: a sound database of its own.
    let copy = SqlitePool::connect(&format!("sqlite://{}", out.display()))
        .await
        .expect("the backup opens");
    let check: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_all(&copy)
        .await
        .unwrap();
    assert_eq!(check, vec!["ok".to_owned()]);
    let fk: Vec<(String,)> = sqlx::query_as("SELECT \"table\" FROM pragma_foreign_key_check")
        .fetch_all(&copy)
        .await
        .unwrap();
    assert!(fk.is_empty(), "foreign keys broken in the backup: {fk:?}");

    // One moment of the database: the load's writes in it are exactly the first k, with
    // k at least every write acknowledged before the backup began.
    let history: Vec<String> =
        sqlx::query_scalar("SELECT new_value FROM answer_history WHERE new_value LIKE 'Lần ghi %'")
            .fetch_all(&copy)
            .await
            .unwrap();
    let seqs: BTreeSet<usize> = history.iter().map(|v| seq_of(v)).collect();
    assert_eq!(seqs.len(), history.len(), "a write appears twice");
    let k = seqs.len();
    assert!(
        k >= before.len(),
        "{k} writes in the backup, {} acknowledged before it",
        before.len()
    );
    assert!(k <= all.len(), "{k} writes in the backup, only {} made", all.len());
    assert_eq!(seqs, (0..k).collect::<BTreeSet<_>>(), "the backup is not one moment");

    // Every answer acknowledged before the backup began is there with its value (or with a
    // later value of the same heading, written while the backup was starting).
    let mut latest: HashMap<(&str, &str), &Ack> = HashMap::new();
    for a in &before {
        latest.insert((a.unit, a.key.as_str()), a);
    }
    for ((unit, key), a) in latest {
        let v: Option<Option<String>> = sqlx::query_scalar(
            "SELECT a.value FROM answers a JOIN units u ON u.id = a.unit_id WHERE u.code = ? AND a.key = ? AND a.row = ''",
        )
        .bind(unit)
        .bind(key)
        .fetch_optional(&copy)
        .await
        .unwrap();
        let v = v
            .flatten()
            .unwrap_or_else(|| panic!("{unit} {key} is missing from the backup"));
        assert!(
            v == a.value || seq_of(&v) > a.seq,
            "{unit} {key}: {v:?} in the backup, {:?} acknowledged",
            a.value
        );
    }
    for a in &before {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM answer_history h JOIN units u ON u.id = h.unit_id
             WHERE u.code = ? AND h.key = ? AND h.row = '' AND h.new_value = ?",
        )
        .bind(a.unit)
        .bind(&a.key)
        .bind(&a.value)
        .fetch_one(&copy)
        .await
        .unwrap();
        assert_eq!(
            n, 1,
            "write {} ({} {}) is missing from the backup",
            a.seq, a.unit, a.key
        );
    }
    copy.close().await;
    bot.stop().await;
}

#[tokio::test]
async fn a_backup_never_overwrites_a_file_nor_invents_a_database() {
    let bot = spawn_bot().await;
    let dir = bot.dir.path().to_owned();
    let taken = dir.join("taken.db");
    std::fs::write(&taken, "keep me").unwrap();
    let o = chibo(&dir, &db_path(&bot), &["backup", "--out", taken.to_str().unwrap()]).await;
    assert!(!o.status.success(), "{}", stdout(&o));
    assert!(stderr(&o).contains("already exists"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&taken).unwrap(), "keep me");

    // A mistyped DATABASE_URL is reported, not backed up as a new empty database.
    let missing = dir.join("nosuch.db");
    let out = dir.join("copy.db");
    let o = chibo(&dir, &missing, &["backup", "--out", out.to_str().unwrap()]).await;
    assert!(!o.status.success(), "{}", stdout(&o));
    assert!(stderr(&o).contains("there is no database"), "{}", stderr(&o));
    assert!(!missing.exists() && !out.exists());
    bot.stop().await;
}

#[tokio::test]
async fn a_removed_secretary_is_listed_as_removed_and_their_conversation_is_forgotten() {
    const CHAT: i64 = 7_101;
    let bot = spawn_bot().await;
    let (dir, db) = (bot.dir.path().to_owned(), db_path(&bot));
    bot.fake.set_user(CHAT, "Lò Văn Minh", Some("minhlv"));
    let code = bot.invite(Some("mgso"), "secretary").await;
    let m = bot.say(CHAT, CHAT, &format!("/start {code}")).await;
    assert!(joined(&m).contains("Đảng bộ xã Mường So"), "{}", joined(&m));
    let code = bot.invite(None, "board").await;
    bot.say(7_102, 7_102, &format!("/start {code}")).await;
    let (id, created): (i64, String) = sqlx::query_as("SELECT id, created_at FROM members WHERE user_id = ?")
        .bind(CHAT)
        .fetch_one(bot.pool())
        .await
        .unwrap();
    let registered = store::parse_ts(&created)
        .unwrap()
        .with_timezone(&chrono_tz::Asia::Ho_Chi_Minh)
        .format("%d/%m/%Y")
        .to_string();
    let line = |out: &str| {
        out.lines()
            .find(|l| l.split_whitespace().next() == Some(&id.to_string()))
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("member {id} not listed:\n{out}"))
    };

    let o = chibo(&dir, &db, &["members", "list"]).await;
    assert!(o.status.success(), "{}", stderr(&o));
    let listed = stdout(&o);
    assert_eq!(listed.lines().count(), 3, "header, board member, secretary:\n{listed}");
    let l = line(&listed);
    for part in [
        "secretary",
        "mgso",
        "Lò Văn Minh",
        &CHAT.to_string(),
        &registered,
        "active",
    ] {
        assert!(l.contains(part), "«{part}» missing from: {l}");
    }
    assert!(!l.contains("removed"), "{l}");

    let o = chibo(&dir, &db, &["members", "remove", &id.to_string()]).await;
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains(&format!("removed member {id} (Lò Văn Minh")),
        "{}",
        stdout(&o)
    );

    let (removed,): (Option<String>,) = sqlx::query_as("SELECT removed_at FROM members WHERE id = ?")
        .bind(id)
        .fetch_one(bot.pool())
        .await
        .unwrap();
    let removed = store::parse_ts(&removed.expect("removed_at is set")).expect("an RFC 3339 timestamp");
    assert!((Utc::now() - removed).num_seconds().abs() < 60, "{removed}");
    let conversations: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM conversations WHERE chat_id = ?")
        .bind(CHAT)
        .fetch_one(bot.pool())
        .await
        .unwrap();
    assert_eq!(conversations, 0);

    // Listed as removed, with the day; a unit's list (any case) holds only its members.
    let today = removed
        .with_timezone(&chrono_tz::Asia::Ho_Chi_Minh)
        .format("%d/%m/%Y")
        .to_string();
    let o = chibo(&dir, &db, &["members", "list", "MGSO"]).await;
    assert!(o.status.success(), "{}", stderr(&o));
    let listed = stdout(&o);
    assert_eq!(listed.lines().count(), 2, "header and the secretary only:\n{listed}");
    assert!(line(&listed).contains(&format!("removed {today}")), "{listed}");

    // Removing again, removing nobody, listing a unit that does not exist: clear errors.
    let o = chibo(&dir, &db, &["members", "remove", &id.to_string()]).await;
    assert!(!o.status.success());
    assert!(stderr(&o).contains("already removed"), "{}", stderr(&o));
    let o = chibo(&dir, &db, &["members", "remove", "999999"]).await;
    assert!(!o.status.success());
    assert!(stderr(&o).contains("no member with id 999999"), "{}", stderr(&o));
    let o = chibo(&dir, &db, &["members", "list", "nosuch"]).await;
    assert!(!o.status.success());
    assert!(stderr(&o).contains("no unit with code «nosuch»"), "{}", stderr(&o));
    bot.stop().await;
}

#[tokio::test]
async fn the_merged_reports_number_and_date_are_set_on_the_command_line_and_units_keep_the_lists_order() {
    let bot = spawn_bot().await;
    let dir = bot.dir.path().to_owned();
    let db = db_path(&bot);
    let o = chibo(&dir, &db, &["campaign", "report"]).await;
    assert!(o.status.success(), "{}", stderr(&o));
    let deadline = bot.engine.deadline_day().format("%d/%m/%Y").to_string();
    assert!(stdout(&o).contains("report number: (not set)"), "{}", stdout(&o));
    assert!(
        stdout(&o).contains(&format!("report date: {deadline} (the deadline)")),
        "{}",
        stdout(&o)
    );

    let o = chibo(
        &dir,
        &db,
        &["campaign", "report", "--so", "7-BC/HU", "--ngay", "20/12/2023"],
    )
    .await;
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("report number: 7-BC/HU"), "{}", stdout(&o));
    assert!(stdout(&o).contains("report date: 20/12/2023"), "{}", stdout(&o));
    let o = chibo(&dir, &db, &["campaign", "report", "--ngay", "31/02/2024"]).await;
    assert!(!o.status.success(), "a wrong date is refused");

    let out = dir.join("tong-hop.xlsx");
    let o = chibo(&dir, &db, &["export", "--out", out.to_str().unwrap()]).await;
    assert!(o.status.success(), "{}", stderr(&o));
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(&out).expect("xlsx");
    use calamine::Reader;
    let b1 = wb.worksheet_range("Biểu 1").expect("Biểu 1");
    let texts: Vec<String> = b1.used_cells().map(|(_, _, d)| d.to_string()).collect();
    assert!(
        texts
            .iter()
            .any(|t| t == "(Kèm theo Báo cáo số 7-BC/HU, ngày 20/12/2023 của Ban Thường vụ Huyện ủy)")
    );
    assert!(texts.iter().any(|t| t == "Phong Thổ, ngày 20 tháng 12 năm 2023"));

    // Units are listed in the imported list's order, not by code.
    let o = chibo(&dir, &db, &["units", "list"]).await;
    let listed: Vec<String> = stdout(&o)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(String::from))
        .collect();
    let csv: Vec<String> = chibo_bot::admin::SAMPLE_UNITS_CSV
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next().map(String::from))
        .collect();
    assert_eq!(listed, csv);
    bot.stop().await;
}
