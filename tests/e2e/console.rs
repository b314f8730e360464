//! The console chat, driven through in-memory input and output on a real SQLite file.

use chibo_bot::adapters::console::Console;
use chibo_bot::config::Settings;
use chibo_bot::startup::Application;
use chrono::Utc;

async fn run_console(dir: &tempfile::TempDir, name: &str, input: &str) -> String {
    let settings = Settings::with_database(format!("sqlite://{}", dir.path().join("console.db").display()));
    let app = Application::build(settings, Utc::now())
        .await
        .expect("application builds");
    let mut out = Vec::new();
    Console::new(app.engine, name, input.as_bytes(), &mut out, Utc::now)
        .run()
        .await
        .expect("console runs");
    String::from_utf8(out).expect("utf-8 output")
}

#[tokio::test]
async fn a_new_user_loads_the_sample_district_and_answers_a_heading() {
    let dir = tempfile::tempdir().unwrap();
    // c: load the sample; 2: Mường So; 13: the cell types as preselected; an answer.
    let out = run_console(&dir, "Lò Văn Minh", "c\n2\n13\nChi bộ sinh hoạt đều đặn.\n/thoat\n").await;
    assert!(out.contains("Đã nạp 19 đơn vị mẫu"), "{out}");
    assert!(
        out.contains("Chào đồng chí Lò Văn Minh! Đồng chí đã được đăng ký nhập báo cáo cho Đảng bộ xã Mường So"),
        "{out}"
    );
    assert!(out.contains("[13] ➡️ Xong, tiếp tục"), "{out}");
    assert!(out.contains("📝 Mục I.1 —"), "{out}");
    assert!(out.contains("💾 Đã lưu mục I.1."), "{out}");
    assert!(out.contains("📝 Mục I.2.1 —"), "the next heading follows: {out}");
    assert!(out.contains("Tạm biệt"), "{out}");

    // The same name later is the same user, with the answer kept.
    let out = run_console(&dir, "Lò Văn Minh", "/menu\n").await;
    assert!(!out.contains("chưa đăng ký"), "{out}");
    assert!(out.contains("Đề cương (1/24)"), "{out}");
}

#[tokio::test]
async fn a_wrong_answer_is_asked_again_and_units_keep_the_list_order() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_console(&dir, "Khách", "có lẽ\nc\n/thoat\n").await;
    assert!(out.contains("Đồng chí gõ c (có) hoặc k (không)"), "{out}");
    assert!(out.contains("Đã nạp 19 đơn vị mẫu"), "{out}");
    let list: Vec<&str> = out.lines().filter(|l| l.trim_start().starts_with('[')).collect();
    let csv = chibo_bot::admin::SAMPLE_UNITS_CSV;
    let first_name = csv.lines().nth(1).unwrap().split(',').nth(1).unwrap();
    assert!(list[0].contains(first_name), "the list's first unit first: {list:?}");
}

#[tokio::test]
async fn declining_the_sample_explains_how_to_load_units() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_console(&dir, "Khách", "k\n").await;
    assert!(out.contains("chibo-bot units import"), "{out}");
}

#[tokio::test]
async fn while_figures_are_expected_a_bare_number_is_data_and_hash_presses_a_button() {
    let dir = tempfile::tempdir().unwrap();
    // c, 2: Mường So; 13: the cell types; /bieu; 1: Nhập tiếp; "2" is the first figure;
    // #2 presses Menu.
    let out = run_console(&dir, "Lò Văn Minh", "c\n2\n13\n/bieu\n1\n2\n#2\n").await;
    assert!(out.contains("💾 Cột 1: 2"), "{out}");
    assert!(out.contains("bấm nút thì gõ #1"), "{out}");
    assert!(
        out.trim_end().ends_with("Tạm biệt! Mọi nội dung đã được lưu.") && out.contains("Biểu số liệu (0/19 dòng)"),
        "{out}"
    );
}
