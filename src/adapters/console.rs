//! A chat in the terminal on the same engine and database, so anyone can try the bot
//! without a Telegram token. Buttons are listed with numbers and pressed by typing one.

use anyhow::Context;
use chrono::{DateTime, Utc};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, AsyncWriteExt};

use crate::admin;
use crate::engine::{Channel, ChatRef, Delivery, Engine, Inbound};
use crate::store;

/// A stable local id for a console name (negative, so it never clashes with Telegram ids).
pub fn console_id(name: &str) -> i64 {
    // FNV-1a: deterministic across runs and platforms.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.trim().to_lowercase().bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    -((h % 1_000_000_000_000) as i64) - 1
}

pub struct Console<R, W> {
    engine: Engine,
    chat: ChatRef,
    reader: R,
    writer: W,
    clock: fn() -> DateTime<Utc>,
    /// Button data of the last message, in the numbering shown.
    buttons: Vec<String>,
    /// The bot waits for figures: a bare number is data, `#N` presses button N.
    numeric: bool,
}

impl<R: AsyncBufRead + Unpin, W: AsyncWrite + Unpin> Console<R, W> {
    pub fn new(engine: Engine, name: &str, reader: R, writer: W, clock: fn() -> DateTime<Utc>) -> Self {
        let id = console_id(name);
        let chat = ChatRef {
            channel: Channel::Console,
            chat_id: id,
            user_id: Some(id),
            name: name.to_owned(),
            private: true,
            message_id: None,
        };
        Console {
            engine,
            chat,
            reader,
            writer,
            clock,
            buttons: Vec::new(),
            numeric: false,
        }
    }

    async fn print(&mut self, s: &str) -> anyhow::Result<()> {
        self.writer
            .write_all(s.as_bytes())
            .await
            .context("writing to the terminal")?;
        self.writer.flush().await.context("writing to the terminal")?;
        Ok(())
    }

    async fn read_line(&mut self) -> anyhow::Result<Option<String>> {
        self.print("> ").await?;
        let mut line = String::new();
        let n = self.reader.read_line(&mut line).await.context("reading the terminal")?;
        Ok((n > 0).then(|| line.trim_end_matches(['\r', '\n']).to_owned()))
    }

    /// Prints this chat's messages and marks them delivered. Messages to anyone else stay in
    /// the outbox for their own channel's sender (another console user sees theirs when they
    /// next start the console).
    async fn show(&mut self, deliveries: Vec<Delivery>) -> anyhow::Result<()> {
        let mut shown = Vec::new();
        for d in deliveries {
            if d.message.channel == Channel::Console && d.message.chat_id == self.chat.chat_id {
                let m = &d.message;
                let mut s = format!("\n🤖 {}\n", m.text);
                if let Some(doc) = &m.document {
                    tokio::fs::write(&doc.file_name, &doc.bytes)
                        .await
                        .with_context(|| format!("saving {}", doc.file_name))?;
                    s.push_str(&format!(
                        "   📎 đã lưu tệp {} ({} byte)\n",
                        doc.file_name,
                        doc.bytes.len()
                    ));
                }
                if !m.buttons.is_empty() {
                    self.numeric = m.numeric;
                    self.buttons.clear();
                    for row in &m.buttons {
                        let mut line = Vec::new();
                        for b in row {
                            self.buttons.push(b.data.clone());
                            line.push(format!("[{}] {}", self.buttons.len(), b.label));
                        }
                        s.push_str(&format!("   {}\n", line.join("   ")));
                    }
                    if self.numeric {
                        s.push_str("   (đang nhập số liệu: số gõ vào là số liệu; bấm nút thì gõ #1, #2 …)\n");
                    }
                }
                self.print(&s).await?;
                shown.extend(d.outbox_id);
            } else {
                self.print(&format!(
                    "\n(📨 một tin nhắn được gửi tới {} khác: {})\n",
                    match d.message.channel {
                        Channel::Telegram => "người dùng Telegram",
                        Channel::Console => "người dùng máy",
                    },
                    d.message.text.lines().next().unwrap_or_default()
                ))
                .await?;
            }
        }
        store::mark_sent_many(self.engine.store().pool(), &shown, (self.clock)()).await?;
        Ok(())
    }

    async fn send(&mut self, input: Inbound) -> anyhow::Result<()> {
        let out = self.engine.handle(&self.chat, input, (self.clock)()).await?;
        self.show(out).await
    }

    /// First start: offer the sample district, then let the user pick a role.
    async fn onboard(&mut self) -> anyhow::Result<bool> {
        let mut conn = self.engine.store().conn().await?;
        if let Some(user) = self.chat.user_id
            && store::member_by_user(&mut conn, user).await?.is_some()
        {
            return Ok(true);
        }
        let mut units = store::units(&mut conn).await?;
        drop(conn);
        if units.is_empty() {
            self.print("Cơ sở dữ liệu chưa có đơn vị nào. Nạp danh sách mẫu các đơn vị của huyện Phong Thổ? (c/k)\n")
                .await?;
            let Some(ans) = self.read_line().await? else {
                return Ok(false);
            };
            if !ans.trim().to_lowercase().starts_with('c') {
                self.print("Chưa có đơn vị. Nạp danh sách bằng lệnh: chibo-bot units import FILE.csv\n")
                    .await?;
                return Ok(false);
            }
            let r = admin::import_units(
                self.engine.store(),
                self.engine.form(),
                admin::SAMPLE_UNITS_CSV.as_bytes(),
                (self.clock)(),
            )
            .await?;
            self.print(&format!("Đã nạp {} đơn vị mẫu.\n", r.added)).await?;
            let mut conn = self.engine.store().conn().await?;
            units = store::units(&mut conn).await?;
        }
        let mut s = format!(
            "Đồng chí {} chưa đăng ký. Chọn đơn vị để nhập báo cáo (gõ số), gõ 0 để vào vai Ban Tổ chức, hoặc gõ mã mời:\n",
            self.chat.name
        );
        for (i, u) in units.iter().enumerate() {
            s.push_str(&format!("  [{}] {}\n", i + 1, u.name));
        }
        self.print(&s).await?;
        loop {
            let Some(line) = self.read_line().await? else {
                return Ok(false);
            };
            let line = line.trim();
            let code = match line.parse::<usize>() {
                Ok(0) => Some(
                    admin::create_invite(self.engine.store(), None, "board", 1, (self.clock)())
                        .await?
                        .code,
                ),
                Ok(n) if n <= units.len() => Some(
                    admin::create_invite(
                        self.engine.store(),
                        Some(&units[n - 1].code),
                        "secretary",
                        1,
                        (self.clock)(),
                    )
                    .await?
                    .code,
                ),
                _ if crate::domain::parse_invite_code(line).is_some() => Some(line.to_owned()),
                _ => None,
            };
            match code {
                Some(c) => {
                    self.print(&format!("(gửi /start {c})\n")).await?;
                    self.send(Inbound::Command {
                        name: "start".into(),
                        args: c,
                    })
                    .await?;
                    return Ok(true);
                }
                None => {
                    self.print("Gõ số thứ tự của đơn vị trong danh sách, hoặc mã mời.\n")
                        .await?
                }
            }
        }
    }

    /// The button a typed line presses: `#N` always, a bare `N` unless figures are expected.
    fn button_number(&self, t: &str) -> Option<usize> {
        let (digits, explicit) = match t.strip_prefix('#') {
            Some(d) => (d, true),
            None => (t, false),
        };
        let n: usize = digits.trim().parse().ok()?;
        ((explicit || !self.numeric) && (1..=self.buttons.len()).contains(&n)).then_some(n)
    }

    /// Runs until end of input or `/thoat`.
    pub async fn run(mut self) -> anyhow::Result<()> {
        self.print(
            "chibo-bot — trò chuyện trên máy. Gõ số (hoặc #số) để bấm nút, /trogiup để xem lệnh, /thoat để thoát.\n",
        )
        .await?;
        // What was decided for this console user while away (e.g. a reminder).
        let pending = store::pending_for(self.engine.store().pool(), Channel::Console, self.chat.chat_id).await?;
        self.show(pending).await?;
        if !self.onboard().await? {
            return Ok(());
        }
        while let Some(line) = self.read_line().await? {
            let t = line.trim();
            if t.is_empty() {
                continue;
            }
            if matches!(t, "/thoat" | "/exit" | "/quit") {
                break;
            }
            let input = match self.button_number(t) {
                Some(n) => Inbound::Button(self.buttons[n - 1].clone()),
                None => Inbound::from_text(t),
            };
            if let Err(e) = self.send(input).await {
                tracing::error!(error.cause_chain = ?e, error.message = %e, "console step failed");
                self.print(&format!("\n🤖 {}\n", crate::engine::text::TEMPORARY_ERROR))
                    .await?;
            }
        }
        self.print("Tạm biệt! Mọi nội dung đã được lưu.\n").await?;
        Ok(())
    }
}
