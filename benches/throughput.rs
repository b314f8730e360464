//! `cargo bench`: how fast the parts a district leans on are, on a real SQLite file.
//! - one conversation step (a whole table row, a narrative answer, the menu), end to end
//!   through the engine and its transaction;
//! - the merged workbook for 30 and 300 units with full reports;
//! - a reminder pass over 2,000 units (recording and queueing every reminder).

use std::time::{Duration, Instant};

use chibo_bot::admin;
use chibo_bot::config::Settings;
use chibo_bot::engine::{ChatRef, Engine, Inbound};
use chibo_bot::reminders::Scheduler;
use chibo_bot::startup::Application;
use chibo_bot::store;
use chrono::{TimeZone, Utc};

const B1: &str = "10 2 1 3 4 0 0 120 87,5 12 4 5 1,5";
const B2: &str = "10 0 10 2 8 10 0 2 6 2 1 3 2 4 3 6 1";
const B3: &str = "20 20 20 20 20 20 20 15 15 10 10 10";
const B4: &str = "10 10 6 8 2 1 3";

fn summary(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let n = samples.len();
    let total: Duration = samples.iter().sum();
    let p = |q: f64| samples[((n as f64 * q) as usize).min(n - 1)];
    println!(
        "{name:<44} n={n:<5} median {:>9.2?}  p95 {:>9.2?}  mean {:>9.2?}",
        p(0.5),
        p(0.95),
        total / n as u32
    );
}

async fn app(dir: &tempfile::TempDir) -> Engine {
    let settings = Settings::with_database(format!("sqlite://{}", dir.path().join("bench.db").display()));
    Application::build(settings, Utc::now()).await.expect("app").engine
}

async fn secretary(engine: &Engine, unit: &str, chat: i64) -> ChatRef {
    let code = admin::create_invite(engine.store(), Some(unit), "secretary", 14, Utc::now())
        .await
        .unwrap()
        .code;
    let who = ChatRef {
        channel: chibo_bot::engine::Channel::Telegram,
        chat_id: chat,
        user_id: Some(chat),
        name: format!("Bí thư {chat}"),
        private: true,
        message_id: None,
        sent_at: None,
    };
    engine
        .handle(
            &who,
            Inbound::Command {
                name: "start".into(),
                args: code,
            },
            Utc::now(),
        )
        .await
        .unwrap();
    who
}

/// Fills a whole report (thôn + cơ quan rows, every heading, every header field).
async fn fill(engine: &Engine, who: &ChatRef) {
    let now = Utc::now();
    for (t, row) in [("B1", B1), ("B2", B2), ("B3", B3), ("B4", B4)] {
        engine
            .handle(who, Inbound::from_text(&format!("/nhap {t} thon {row}")), now)
            .await
            .unwrap();
    }
    let ids: Vec<String> = engine.form().answer_nodes().map(|n| n.id.clone()).collect();
    for id in ids {
        let text = format!("/traloi {id} Đảng bộ đã triển khai nghiêm túc, các chi bộ duy trì sinh hoạt đều đặn.");
        engine.handle(who, Inbound::from_text(&text), now).await.unwrap();
    }
    for (f, v) in [
        ("HD.so", "1-BC/ĐU"),
        ("HD.ngay", "04/12/2023"),
        ("HD.nguoi_lap", "A"),
        ("HD.nguoi_ky", "B"),
        ("HD.chuc_vu", "Bí thư"),
        ("HD.dien_thoai", "0912345678"),
    ] {
        engine
            .handle(who, Inbound::from_text(&format!("/traloi {f} {v}")), now)
            .await
            .unwrap();
    }
}

async fn units(engine: &Engine, n: usize) {
    let mut csv = String::from("code,name,cell_types\n");
    for i in 0..n {
        csv.push_str(&format!("u{i:04},Đảng bộ xã Thử {i},thon;coquan\n"));
    }
    admin::import_units(engine.store(), engine.form(), csv.as_bytes(), Utc::now())
        .await
        .unwrap();
}

async fn bench_steps() {
    let dir = tempfile::tempdir().unwrap();
    let engine = app(&dir).await;
    units(&engine, 1).await;
    let who = secretary(&engine, "u0000", 1).await;
    engine
        .handle(&who, Inbound::from_text(&format!("/nhap B1 thon {B1}")), Utc::now())
        .await
        .unwrap();
    let cases: [(&str, String); 3] = [
        (
            "step: a whole Biểu 1 row (/nhap, 13 values)",
            format!("/nhap B1 thon {B1}"),
        ),
        (
            "step: a narrative answer (/traloi)",
            "/traloi I.2.1 Thuận lợi: cấp ủy quan tâm, đảng viên đoàn kết.".into(),
        ),
        ("step: the main menu", "/menu".into()),
    ];
    for (name, text) in cases {
        let mut samples = Vec::new();
        for i in 0..300 {
            // Alternate the row so every step really writes.
            let t = if text.starts_with("/nhap") {
                text.replace(" 120 ", if i % 2 == 0 { " 121 " } else { " 120 " })
            } else {
                text.clone()
            };
            let start = Instant::now();
            engine.handle(&who, Inbound::from_text(&t), Utc::now()).await.unwrap();
            samples.push(start.elapsed());
        }
        summary(name, samples);
    }
}

async fn bench_export(n: usize) {
    let dir = tempfile::tempdir().unwrap();
    let engine = app(&dir).await;
    units(&engine, n).await;
    for i in 0..n {
        let who = secretary(&engine, &format!("u{i:04}"), 10_000 + i as i64).await;
        fill(&engine, &who).await;
    }
    let mut samples = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        let snap = engine.snapshot(true, Utc::now()).await.unwrap();
        let bytes = chibo_bot::export::build_workbook(&snap).unwrap();
        samples.push(start.elapsed());
        assert!(bytes.len() > 1000);
    }
    summary(&format!("export: merged workbook, {n} full reports"), samples);
}

async fn bench_reminders() {
    let dir = tempfile::tempdir().unwrap();
    let engine = app(&dir).await;
    units(&engine, 2000).await;
    let now = Utc::now();
    let mut tx = engine.store().begin().await.unwrap();
    for i in 0..2000i64 {
        let unit = store::unit_by_code(&mut tx, &format!("u{i:04}"))
            .await
            .unwrap()
            .unwrap();
        store::upsert_member(
            &mut tx,
            chibo_bot::engine::Channel::Telegram,
            50_000 + i,
            50_000 + i,
            "Bí thư",
            "secretary",
            Some(unit.id),
            now,
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let scheduler = Scheduler::new(engine.clone(), engine.reminder_settings().clone());
    let tz = chrono_tz::Asia::Ho_Chi_Minh;
    let at = tz
        .with_ymd_and_hms(2023, 12, 3, 8, 0, 0)
        .single()
        .unwrap()
        .with_timezone(&Utc);
    let start = Instant::now();
    let (outcome, _) = scheduler.tick(at).await.unwrap();
    let first = start.elapsed();
    assert_eq!(outcome.units.len(), 2000);
    let start = Instant::now();
    let (again, _) = scheduler.tick(at).await.unwrap();
    let second = start.elapsed();
    assert_eq!(again.units.len(), 0);
    summary("reminders: pass over 2,000 units (all due)", vec![first]);
    summary("reminders: same pass again (nothing due)", vec![second]);
}

#[tokio::main]
async fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` would pass nothing useful here.
    println!("chibo-bot benchmarks (release build, real SQLite file in a temp folder)");
    bench_steps().await;
    bench_export(30).await;
    bench_export(300).await;
    bench_reminders().await;
}
