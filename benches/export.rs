//! `cargo bench --bench export`: the merged workbook for 1,000 and 10,000 units with full
//! reports (snapshot read in bulk, then the workbook built), time and peak memory.
//!
//! Each measurement runs in a fresh process (this binary again), so its peak resident memory
//! (VmHWM) is the export's and not the set-up's. `BENCH_EXPORT_SIZES=300,1000` picks sizes.

use std::path::Path;
use std::time::{Duration, Instant};

use chibo_bot::admin;
use chibo_bot::config::Settings;
use chibo_bot::engine::{ChatRef, Engine, Inbound};
use chibo_bot::startup::Application;
use chrono::Utc;

const B1: &str = "10 2 1 3 4 0 0 120 87,5 12 4 5 1,5";
const B2: &str = "10 0 10 2 8 10 0 2 6 2 1 3 2 4 3 6 1";
const B3: &str = "20 20 20 20 20 20 20 15 15 10 10 10";
const B4: &str = "10 10 6 8 2 1 3";
/// Runs per size; the median time and the highest peak are reported.
const RUNS: usize = 3;

async fn app(db: &Path) -> Engine {
    let settings = Settings::with_database(format!("sqlite://{}", db.display()));
    Application::build(settings, Utc::now()).await.expect("app").engine
}

/// One unit's report filled through the engine, as a secretary would: both rows of every
/// Biểu, every heading (a paragraph each) and every header field.
async fn fill_template(engine: &Engine) {
    let code = admin::create_invite(engine.store(), Some("u00000"), "secretary", 14, Utc::now())
        .await
        .expect("invite")
        .code;
    let who = ChatRef {
        channel: chibo_bot::engine::Channel::Telegram,
        chat_id: 1,
        user_id: Some(1),
        name: "Bí thư".into(),
        private: true,
        message_id: None,
        sent_at: None,
    };
    let now = Utc::now();
    let say = |text: String| engine.handle(&who, Inbound::from_text(&text), now);
    engine
        .handle(
            &who,
            Inbound::Command {
                name: "start".into(),
                args: code,
            },
            now,
        )
        .await
        .expect("start");
    for (t, row) in [("B1", B1), ("B2", B2), ("B3", B3), ("B4", B4)] {
        for cell in ["thon", "coquan"] {
            say(format!("/nhap {t} {cell} {row}")).await.expect("row");
        }
    }
    let paragraph = "Đảng bộ đã triển khai nghiêm túc, các chi bộ duy trì sinh hoạt đều đặn, nội dung \
                     sinh hoạt được cải tiến, đảng viên tham gia ý kiến sôi nổi. "
        .repeat(4);
    let ids: Vec<String> = engine.form().answer_nodes().map(|n| n.id.clone()).collect();
    for id in ids {
        say(format!("/traloi {id} {paragraph}")).await.expect("answer");
    }
    for (f, v) in [
        ("HD.so", "1-BC/ĐU"),
        ("HD.ngay", "04/12/2023"),
        ("HD.nguoi_lap", "Lò Văn A"),
        ("HD.nguoi_ky", "Giàng A B"),
        ("HD.chuc_vu", "Bí thư"),
        ("HD.dien_thoai", "0912345678"),
    ] {
        say(format!("/traloi {f} {v}")).await.expect("field");
    }
}

/// `n` units, each with the template's full report, submitted.
async fn seed(db: &Path, n: usize) {
    let engine = app(db).await;
    let mut csv = String::from("code,name,cell_types\n");
    for i in 0..n {
        csv.push_str(&format!("u{i:05},Đảng bộ xã Thử Nghiệm Số {i},thon;coquan\n"));
    }
    admin::import_units(engine.store(), engine.form(), csv.as_bytes(), Utc::now())
        .await
        .expect("units");
    fill_template(&engine).await;
    // Every other unit gets the same report, copied in bulk.
    let campaign = engine.campaign().id;
    let mut tx = engine.store().begin().await.expect("tx");
    let copies: [&'static str; 3] = [
        "INSERT OR IGNORE INTO report_rows (campaign_id, unit_id, cell_type)
         SELECT r.campaign_id, u.id, r.cell_type FROM report_rows r, units u, units t
         WHERE t.code = 'u00000' AND r.unit_id = t.id AND r.campaign_id = ?1 AND u.id != t.id",
        "INSERT OR IGNORE INTO answers (campaign_id, unit_id, key, row, value, updated_at)
         SELECT a.campaign_id, u.id, a.key, a.row, a.value, a.updated_at FROM answers a, units u, units t
         WHERE t.code = 'u00000' AND a.unit_id = t.id AND a.campaign_id = ?1 AND u.id != t.id",
        "INSERT OR REPLACE INTO reports (campaign_id, unit_id, status, submitted_at, updated_at)
         SELECT ?1, u.id, 'submitted', '2023-12-05T03:00:00Z', '2023-12-05T03:00:00Z' FROM units u",
    ];
    for q in copies {
        sqlx::query(q).bind(campaign).execute(&mut *tx).await.expect("copy");
    }
    tx.commit().await.expect("commit");
}

/// Peak resident memory of this process so far, in MB.
fn peak_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// The child: one export of the seeded database; prints "seconds peak_mb before_mb bytes".
async fn child(db: &Path) {
    let engine = app(db).await;
    let before = peak_mb();
    let start = Instant::now();
    let snap = engine.snapshot(false, Utc::now()).await.expect("snapshot");
    let read = start.elapsed();
    let after_snapshot = peak_mb();
    let bytes = chibo_bot::export::build_workbook(&snap).expect("workbook");
    let took = start.elapsed();
    let peak = peak_mb();
    // The committee's draft report from the same snapshot (its answers and totals).
    let report_start = Instant::now();
    let report = chibo_bot::committee_report::build(&snap).expect("report");
    let report_took = report_start.elapsed();
    println!(
        "{} {} {} {} {} {} {} {}",
        took.as_secs_f64(),
        peak,
        before,
        bytes.len(),
        read.as_secs_f64(),
        after_snapshot,
        report_took.as_secs_f64(),
        report.len()
    );
}

#[tokio::main]
async fn main() {
    if let Ok(db) = std::env::var("BENCH_EXPORT_CHILD") {
        child(Path::new(&db)).await;
        return;
    }
    let sizes: Vec<usize> = std::env::var("BENCH_EXPORT_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1_000, 10_000]);
    println!("merged workbook export (release build, real SQLite file, each run a fresh process)");
    for n in sizes {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("bench.db");
        let start = Instant::now();
        seed(&db, n).await;
        let seeded = start.elapsed();
        let mut times = Vec::new();
        let mut peak: f64 = 0.0;
        let mut base: f64 = 0.0;
        let mut size = 0;
        let mut reads = Vec::new();
        let mut snapshot_peak: f64 = 0.0;
        let mut reports = Vec::new();
        let mut report_size = 0;
        for _ in 0..RUNS {
            let out = std::process::Command::new(std::env::current_exe().expect("exe"))
                .env("BENCH_EXPORT_CHILD", &db)
                .output()
                .expect("child runs");
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            let line = String::from_utf8_lossy(&out.stdout).into_owned();
            let v: Vec<f64> = line.split_whitespace().filter_map(|x| x.parse().ok()).collect();
            times.push(Duration::from_secs_f64(v[0]));
            peak = peak.max(v[1]);
            base = v[2];
            size = v[3] as usize;
            reads.push(Duration::from_secs_f64(v[4]));
            snapshot_peak = snapshot_peak.max(v[5]);
            reports.push(Duration::from_secs_f64(v[6]));
            report_size = v[7] as usize;
        }
        times.sort();
        reads.sort();
        reports.sort();
        println!(
            "{n:>6} units: median {:>7.2?} (min {:.2?}, max {:.2?}; snapshot {:.2?}), peak RSS {peak:.0} MB \
             (before export {base:.0} MB, after the snapshot {snapshot_peak:.0} MB), file {:.1} MB; \
             seeding took {seeded:.0?}",
            times[RUNS / 2],
            times[0],
            times[RUNS - 1],
            reads[RUNS / 2],
            size as f64 / 1e6
        );
        println!(
            "{n:>6} units: draft report (.docx) from the same snapshot: median {:>7.2?}, file {:.1} MB",
            reports[RUNS / 2],
            report_size as f64 / 1e6
        );
    }
}
