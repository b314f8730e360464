//! The web form in a real headless Chromium at phone width, driven through WebDriver
//! (chromedriver): a whole unit's tables filled with one wrong value, the Vietnamese error
//! under that field, fixed, saved once, stored, and the chat's receipt.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use chibo_bot::form::Form;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::helpers::valid_row;
use crate::webapp::{SECRETARY, init_data, web_bot};

/// chromedriver and Chromium, for the tests that need a browser. Under CI they must be
/// there (CI installs them), so their absence fails the test; elsewhere it is skipped.
fn browser() -> Option<(&'static str, &'static str)> {
    let found = |cmd: &str| {
        Command::new(cmd)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let chromium = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|c| found(c));
    if found("chromedriver")
        && let Some(c) = chromium
    {
        return Some(("chromedriver", c));
    }
    assert!(
        std::env::var("CI").is_err(),
        "chromium and chromedriver are not installed; CI installs them (.ci/run)"
    );
    eprintln!("skipped: chromium and chromedriver are not installed (apt-get install chromium chromium-driver)");
    None
}

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn start_driver(driver: &str, chromium: &str) -> (Driver, Client) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let driver = Driver(child);
    let binary = which(chromium);
    let caps = json!({"goog:chromeOptions": {
        "binary": binary,
        "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=360,800", "--lang=vi"],
    }});
    let caps = caps.as_object().unwrap().clone();
    for _ in 0..100 {
        // chromedriver speaks plain HTTP on loopback: no TLS client needed.
        let connected = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await;
        if let Ok(c) = connected {
            return (driver, c);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not answer on port {port}");
}

fn which(cmd: &str) -> String {
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {cmd}"))
        .output()
        .unwrap();
    let path = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    // Debian's /usr/bin/chromium is a wrapper script; chromedriver wants the real binary.
    let real = "/usr/lib/chromium/chromium";
    if path == "/usr/bin/chromium" && std::path::Path::new(real).exists() {
        real.to_owned()
    } else {
        path
    }
}

/// The page's id of an input (as app.js makes it).
fn id_of(key: &str, row: &str) -> String {
    let raw = format!("{key}-{row}");
    let safe: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("in-{safe}")
}

#[tokio::test]
async fn a_secretary_fills_every_table_in_the_form_and_saves_once() {
    let Some((driver, chromium)) = browser() else {
        return;
    };
    let (bot, base) = web_bot().await;
    let (_driver, c) = start_driver(driver, chromium).await;
    let init = init_data(SECRETARY, 0);
    let launch: String = url::form_urlencoded::byte_serialize(init.as_bytes()).collect();
    c.goto(&format!("{base}/#tgWebAppData={launch}")).await.unwrap();
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Id(&id_of("B1.cells_total", "thon")))
        .await
        .expect("the form shows the first table");
    let form = Form::embedded();
    let wrong = id_of("B1.attendance_rate_pct", "coquan");
    let mut typed = Vec::new();
    for t in &form.tables {
        for cell in ["thon", "coquan", "giaoduc"] {
            if t.residential_only && cell != "thon" {
                continue;
            }
            for (col, v) in t.columns.iter().zip(valid_row(&t.id, cell).split(' ')) {
                let id = id_of(&format!("{}.{}", t.id, col.key), cell);
                let input = c.find(Locator::Id(&id)).await.unwrap_or_else(|_| panic!("{id}"));
                // No figure is typed without its label in view: the label sits right above.
                let label = c.find(Locator::Css(&format!("label[for='{id}']"))).await.unwrap();
                assert_eq!(label.text().await.unwrap(), col.short, "{id}");
                let (_, ly, _, lh) = label.rectangle().await.unwrap();
                let (_, iy, _, _) = input.rectangle().await.unwrap();
                assert!(
                    iy >= ly + lh - 1.0 && iy - (ly + lh) < 20.0,
                    "{id}: label above its field"
                );
                let value = if id == wrong { "120" } else { v };
                input.send_keys(value).await.unwrap();
                typed.push((t.id.clone(), col.key.clone(), cell, v.replace(',', ".")));
            }
        }
    }
    assert_eq!(typed.len(), 133);
    // The wrong value is named under its field, in Vietnamese, as it is typed.
    let err = c.find(Locator::Id(&format!("{wrong}-error"))).await.unwrap();
    assert_eq!(err.text().await.unwrap(), "Tỷ lệ %, không được quá 100.");
    // Saving with it is refused on the page, and nothing reaches the server.
    c.find(Locator::Id("save")).await.unwrap().click().await.unwrap();
    let status = c.find(Locator::Id("status")).await.unwrap();
    assert!(
        status.text().await.unwrap().contains("Còn 1 ô chưa đúng"),
        "{}",
        status.text().await.unwrap()
    );
    assert_eq!(bot.answer("mgso", "B1.cells_total", "thon").await, None);
    // Fixed, then saved: one save for the four tables.
    let input = c.find(Locator::Id(&wrong)).await.unwrap();
    input.clear().await.unwrap();
    input.send_keys("95").await.unwrap();
    assert_eq!(err.text().await.unwrap(), "");
    let shot = c.screenshot().await.unwrap();
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("webapp-360px.png"), shot).unwrap();
    c.find(Locator::Id("save")).await.unwrap().click().await.unwrap();
    let mut saved = String::new();
    for _ in 0..100 {
        saved = status.text().await.unwrap();
        if saved.contains("Đã lưu") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(saved.contains("Đã lưu: 133 số liệu, 0 mục"), "{saved}");
    for (table, column, cell, v) in &typed {
        let got = bot.answer("mgso", &format!("{table}.{column}"), cell).await.flatten();
        assert_eq!(got.as_deref(), Some(v.as_str()), "{table}.{column} {cell}");
    }
    let receipt = bot
        .fake
        .next_for(SECRETARY, crate::helpers::WAIT)
        .await
        .expect("a receipt");
    assert!(
        receipt
            .text_or_caption()
            .contains("Đã lưu từ biểu mẫu: 133 số liệu, 0 mục")
    );
    c.close().await.unwrap();
    bot.stop().await;
}
