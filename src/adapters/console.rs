//! A chat in the terminal on the same engine and database, so anyone can try the bot
//! without a Telegram token. Buttons are listed with numbers and pressed by typing one.

use anyhow::Context;
use chrono::{DateTime, Utc};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, AsyncWriteExt};

use super::text_only::{self, Menu};
use crate::admin;
use crate::engine::{Button, Channel, ChatRef, Delivery, Document, Engine, Inbound};
use crate::outbox::port::{Port, PortFuture, SendError};
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

/// The console's side of the channel port: a message is text printed to the terminal, its
/// buttons listed with numbers; an edit is printed anew (a terminal cannot change what it
/// printed); a document is saved in the current folder.
pub struct ConsoleScreen<W> {
    writer: tokio::sync::Mutex<W>,
}

impl<W: AsyncWrite + Unpin + Send> ConsoleScreen<W> {
    pub fn new(writer: W) -> ConsoleScreen<W> {
        ConsoleScreen {
            writer: tokio::sync::Mutex::new(writer),
        }
    }

    async fn write(&self, s: &str) -> Result<(), SendError> {
        let mut w = self.writer.lock().await;
        w.write_all(s.as_bytes())
            .await
            .map_err(|e| SendError::Transient(e.to_string()))?;
        w.flush().await.map_err(|e| SendError::Transient(e.to_string()))
    }

    fn message(text: &str, buttons: &[Vec<Button>]) -> String {
        format!("\n🤖 {text}\n{}", text_only::options_in_rows(buttons))
    }
}

impl<W: AsyncWrite + Unpin + Send> Port for ConsoleScreen<W> {
    fn channel(&self) -> Channel {
        Channel::Console
    }
    fn max_text(&self) -> usize {
        usize::MAX
    }
    fn send_text<'a>(&'a self, _chat: i64, text: &'a str, buttons: &'a [Vec<Button>]) -> PortFuture<'a> {
        Box::pin(async move { self.write(&Self::message(text, buttons)).await })
    }
    fn edit_text<'a>(
        &'a self,
        chat: i64,
        _message_id: i32,
        text: &'a str,
        buttons: &'a [Vec<Button>],
    ) -> PortFuture<'a> {
        self.send_text(chat, text, buttons)
    }
    fn answer_button<'a>(&'a self, _callback_id: &'a str) -> PortFuture<'a> {
        Box::pin(async { Ok(()) })
    }
    fn send_document<'a>(&'a self, _chat: i64, document: &'a Document, caption: &'a str) -> PortFuture<'a> {
        Box::pin(async move {
            let saved = save_new(&document.file_name, &document.bytes)
                .await
                .map_err(|e| SendError::Permanent(format!("saving {}: {e}", document.file_name)))?;
            self.write(&format!(
                "\n🤖 {caption}\n   📎 đã lưu tệp {saved} ({} byte)\n",
                document.bytes.len()
            ))
            .await
        })
    }
}

/// Writes `bytes` to `name`, or to `name (2)`, `name (3)` … when it exists: a file saved
/// earlier is never overwritten. Returns the name used.
async fn save_new(name: &str, bytes: &[u8]) -> std::io::Result<String> {
    use tokio::io::AsyncWriteExt;
    let (stem, ext) = match name.rsplit_once('.') {
        Some((s, e)) => (s, format!(".{e}")),
        None => (name, String::new()),
    };
    for n in 1.. {
        let candidate = if n == 1 {
            name.to_owned()
        } else {
            format!("{stem} ({n}){ext}")
        };
        match tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&candidate)
            .await
        {
            Ok(mut f) => {
                f.write_all(bytes).await?;
                f.sync_all().await?;
                return Ok(candidate);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    unreachable!("some name is free")
}

pub struct Console<R, W> {
    engine: Engine,
    chat: ChatRef,
    reader: R,
    screen: ConsoleScreen<W>,
    clock: fn() -> DateTime<Utc>,
    /// The options of the last message with buttons, in the numbering shown.
    menu: Menu,
}

impl<R: AsyncBufRead + Unpin, W: AsyncWrite + Unpin + Send> Console<R, W> {
    pub fn new(engine: Engine, name: &str, reader: R, writer: W, clock: fn() -> DateTime<Utc>) -> Self {
        let id = console_id(name);
        let chat = ChatRef {
            channel: Channel::Console,
            chat_id: id,
            user_id: Some(id),
            name: name.to_owned(),
            private: true,
            message_id: None,
            sent_at: None,
        };
        Console {
            engine,
            chat,
            reader,
            screen: ConsoleScreen::new(writer),
            clock,
            menu: Menu::default(),
        }
    }

    async fn print(&mut self, s: &str) -> anyhow::Result<()> {
        self.screen
            .write(s)
            .await
            .map_err(|e| anyhow::anyhow!("writing to the terminal: {e}"))
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
                let shown_ok = match (&m.document, m.edit_message) {
                    (Some(doc), _) => self.screen.send_document(m.chat_id, doc, &m.text).await,
                    (None, Some(id)) => self.screen.edit_text(m.chat_id, id, &m.text, &m.buttons).await,
                    (None, None) => self.screen.send_text(m.chat_id, &m.text, &m.buttons).await,
                };
                shown_ok.map_err(|e| anyhow::anyhow!("{e}"))?;
                if let Some(menu) = Menu::of(&m.buttons, m.numeric) {
                    self.menu = menu;
                    if self.menu.numeric {
                        self.print(text_only::CONSOLE_NUMERIC_HINT).await?;
                    }
                }
                shown.extend(d.outbox_id);
            } else {
                self.print(&format!(
                    "\n(📨 một tin nhắn được gửi tới {} khác: {})\n",
                    match d.message.channel {
                        Channel::Telegram => "người dùng Telegram",
                        Channel::Console => "người dùng máy",
                        Channel::Zalo => "người dùng Zalo",
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
            self.print("Cơ sở dữ liệu chưa có đơn vị nào. Nạp danh sách đơn vị mẫu (19 đơn vị của Phong Thổ, để dùng thử)? Gõ c (có) hoặc k (không):\n")
                .await?;
            if !self.yes_or_no().await? {
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
        // store::units lists them in the order of the imported list, not by code.
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

    /// Asks until the answer is c (có) or k (không); the end of input is «không».
    async fn yes_or_no(&mut self) -> anyhow::Result<bool> {
        loop {
            let Some(ans) = self.read_line().await? else {
                return Ok(false);
            };
            match ans.trim().to_lowercase().as_str() {
                "c" | "có" | "co" | "y" | "yes" => return Ok(true),
                "k" | "không" | "khong" | "n" | "no" => return Ok(false),
                _ => self.print("Đồng chí gõ c (có) hoặc k (không):\n").await?,
            }
        }
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
            let input = self.menu.input(t);
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

#[cfg(test)]
mod tests {
    use super::save_new;

    #[tokio::test]
    async fn a_saved_file_is_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let name = dir.path().join("tong-hop.xlsx").display().to_string();
        let first = save_new(&name, b"one").await.unwrap();
        let second = save_new(&name, b"two").await.unwrap();
        assert_eq!(first, name);
        assert!(second.ends_with("tong-hop (2).xlsx"), "{second}");
        assert_eq!(std::fs::read(&first).unwrap(), b"one");
        assert_eq!(std::fs::read(&second).unwrap(), b"two");
    }
}
