//! What the report costs a secretary: a unit with three cell types (thôn; cơ quan; trường
//! học) walked from `/start CODE` to a submitted report through Telegram, doing only what
//! each message asks for. Every action is counted, with the messages it brought.

use std::collections::HashMap;

use chibo_bot::form::Form;

use crate::fake_telegram::Sent;
use crate::helpers::{TestBot, spawn_bot, valid_row};

const TYPES: [&str; 3] = ["thon", "coquan", "giaoduc"];

fn field(id: &str) -> &'static str {
    match id {
        "HD.so" => "15-BC/ĐU",
        "HD.ngay" => "05/12/2023",
        "HD.nguoi_lap" => "Lò Văn Minh",
        "HD.nguoi_ky" => "Tòng Văn Bình",
        "HD.chuc_vu" => "Bí thư",
        "HD.dien_thoai" => "0912345678",
        other => panic!("no value for {other}"),
    }
}

fn answer(id: &str) -> String {
    format!("Mục {id}: các chi bộ thôn, bản, chi bộ cơ quan và chi bộ trường học đều thực hiện nghiêm túc.")
}

/// Counts actions, and checks that each one got exactly one message, none of them long.
struct Walk<'a> {
    bot: &'a TestBot,
    chat: i64,
    actions: usize,
    messages: usize,
    longest: usize,
    typed: HashMap<(String, String), String>,
}

impl Walk<'_> {
    fn took(&mut self, what: &str, r: Vec<Sent>) -> Sent {
        self.actions += 1;
        self.messages += r.len();
        assert_eq!(
            r.len(),
            1,
            "{what}: one message or one edit per action, got {}",
            r.len()
        );
        let m = r.into_iter().next().unwrap();
        let n = m.text_or_caption().chars().count();
        assert!(
            n <= 1000,
            "{what}: a message of {n} characters:\n{}",
            m.text_or_caption()
        );
        self.longest = self.longest.max(n);
        m
    }

    async fn say(&mut self, text: &str) -> Sent {
        let r = self.bot.say(self.chat, self.chat, text).await;
        self.took(text, r)
    }

    async fn press(&mut self, on: &Sent, label: &str) -> Sent {
        let r = self.bot.press(self.chat, self.chat, on, label).await;
        self.took(label, r)
    }

    /// Does what the screen asks for; `None` once the report is submitted.
    async fn next(&mut self, m: &Sent) -> Option<Sent> {
        let t = m.text_or_caption().to_owned();
        let last_part = t
            .rsplit("\n\n")
            .find(|p| p.starts_with(['📝', '📊', '🧾', '📋']))
            .unwrap_or(&t);
        if t.contains("Đã nộp báo cáo") {
            return None;
        }
        if t.contains("⚠️ Cần xác nhận") {
            panic!("the walk's data raise no warning: {t}");
        }
        if t.contains("Nộp báo cáo của") {
            return Some(self.press(m, "Nộp ngay").await);
        }
        if last_part.starts_with("📋 Xem lại báo cáo") {
            assert!(!t.contains("Còn thiếu") && !t.contains("Lỗi"), "{t}");
            return Some(self.press(m, "Nộp báo cáo").await);
        }
        if let Some(rest) = last_part.strip_prefix("📝 Mục ") {
            let id = rest.split(" —").next().unwrap().to_owned();
            let a = answer(&id);
            self.typed.insert((id, String::new()), a.clone());
            return Some(self.say(&a).await);
        }
        if let Some(rest) = last_part.strip_prefix("📊 ") {
            // "📊 Biểu 1 — Thôn, bản (dòng 1/3)"
            let table = format!("B{}", rest.strip_prefix("Biểu ").unwrap().chars().next().unwrap());
            let name = rest.split(" — ").nth(1).unwrap().split(" (").next().unwrap();
            let cell = match name {
                "Thôn, bản" => "thon",
                "Cơ quan" => "coquan",
                "Trường học" => "giaoduc",
                other => panic!("unexpected row {other}"),
            };
            let values = valid_row(&table, cell);
            self.typed.insert((table, cell.to_owned()), values.to_owned());
            return Some(self.say(values).await);
        }
        if last_part.starts_with("🧾 ") {
            let id = last_part
                .split("mã ")
                .nth(1)
                .unwrap()
                .split(')')
                .next()
                .unwrap()
                .to_owned();
            return Some(self.say(field(&id)).await);
        }
        panic!("a screen the walk does not know: {t}");
    }
}

async fn check_stored(bot: &TestBot, form: &Form, typed: &HashMap<(String, String), String>) {
    for ((key, cell), value) in typed {
        if cell.is_empty() {
            assert_eq!(bot.answer("mgso", key, "").await, Some(Some(value.clone())), "{key}");
            continue;
        }
        let t = form.table(key).unwrap();
        for (c, v) in t.columns.iter().zip(value.split(' ')) {
            let k = format!("{key}.{}", c.key);
            // Stored with a decimal point, as typed with a comma.
            assert_eq!(
                bot.answer("mgso", &k, cell).await,
                Some(Some(v.replace(',', "."))),
                "{k} {cell}"
            );
        }
    }
}

#[tokio::test]
async fn the_guided_flow_takes_at_most_50_actions_with_one_message_each() {
    let bot = spawn_bot().await;
    let form = Form::embedded();
    let code = bot.invite(Some("mgso"), "secretary").await;
    let mut w = Walk {
        bot: &bot,
        chat: 9_001,
        actions: 0,
        messages: 0,
        longest: 0,
        typed: HashMap::new(),
    };
    // Registration shows the preselected cell types; three are not the unit's.
    let mut m = w.say(&format!("/start {code}")).await;
    for label in ["✅ Y tế", "✅ Quân sự", "✅ Công an"] {
        m = w.press(&m, label).await;
    }
    for t in ["✅ Thôn, bản", "✅ Cơ quan", "✅ Trường học"] {
        assert!(m.button_labels().contains(&t), "{:?}", m.button_labels());
    }
    let mut m = w.press(&m, "Xong, tiếp tục").await;
    assert!(
        m.text_or_caption().contains("Thôn, bản, Cơ quan, Trường học"),
        "the outline names the unit's own types: {}",
        m.text_or_caption()
    );
    while let Some(next) = w.next(&m).await {
        m = next;
        assert!(w.actions <= 60, "runaway walk");
    }
    println!(
        "guided flow: {} actions, {} messages, longest {} characters",
        w.actions, w.messages, w.longest
    );
    assert!(w.actions <= 50, "{} actions", w.actions);
    assert_eq!(w.messages, w.actions, "one message per action");
    let rows = w.typed.keys().filter(|(_, c)| !c.is_empty()).count();
    assert_eq!(rows, 10, "every row of the three types was asked for");
    check_stored(&bot, &form, &w.typed).await;
    bot.stop().await;
}

#[tokio::test]
async fn with_the_shortcuts_the_report_takes_at_most_40_actions() {
    let bot = spawn_bot().await;
    let form = Form::embedded();
    let code = bot.invite(Some("mgso"), "secretary").await;
    let mut w = Walk {
        bot: &bot,
        chat: 9_002,
        actions: 0,
        messages: 0,
        longest: 0,
        typed: HashMap::new(),
    };
    let m = w.say(&format!("/start {code}")).await;
    assert!(m.text_or_caption().contains("gõ số thứ tự"), "{}", m.text_or_caption());
    // The types by their numbers in one message.
    let mut m = w.say("1 3 4").await;
    let mut fields_done = false;
    loop {
        if !fields_done && m.text_or_caption().contains("🧾 ") {
            // Every header field in one message, as /trogiup shows.
            let lines: Vec<String> = form
                .report_fields
                .iter()
                .map(|f| format!("{} {}", f.id, field(&f.id)))
                .collect();
            m = w.say(&format!("/traloi {}", lines.join("\n"))).await;
            fields_done = true;
            continue;
        }
        match w.next(&m).await {
            Some(next) => m = next,
            None => break,
        }
        assert!(w.actions <= 60, "runaway walk");
    }
    println!("with shortcuts: {} actions, {} messages", w.actions, w.messages);
    assert!(w.actions <= 40, "{} actions", w.actions);
    for t in TYPES {
        assert!(w.typed.keys().any(|(_, c)| c == t), "{t} rows entered");
    }
    for f in &form.report_fields {
        assert_eq!(
            bot.answer("mgso", &f.id, "").await,
            Some(Some(field(&f.id).to_owned())),
            "{}",
            f.id
        );
    }
    check_stored(&bot, &form, &w.typed).await;
    bot.stop().await;
}
