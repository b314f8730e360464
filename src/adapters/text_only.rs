//! Buttons on a channel that has none (the console, Zalo): a message's buttons become
//! numbered options, and the member presses one by replying with its number. While figures
//! are expected (a table row), a bare number is a figure and `#N` presses option N.
//!
//! Shared by every text-only channel, so the numbering and what a typed number means are the
//! same everywhere; only the layout differs (a wide terminal or a phone screen).

use crate::engine::Inbound;
use crate::message::Button;

/// The options a member was last shown: the button data in the numbering shown, and whether
/// the bot was then waiting for figures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Menu {
    pub buttons: Vec<String>,
    pub numeric: bool,
}

impl Menu {
    /// The menu a message shows, or `None` when it has no buttons (a message without buttons
    /// leaves the earlier options in force, as on Telegram where old buttons stay pressable).
    pub fn of(buttons: &[Vec<Button>], numeric: bool) -> Option<Menu> {
        let data: Vec<String> = pressable(buttons).map(|b| b.data.clone()).collect();
        (!data.is_empty()).then_some(Menu { buttons: data, numeric })
    }

    /// The option a typed line presses: `#N` always, a bare `N` unless figures are expected.
    pub fn number(&self, typed: &str) -> Option<usize> {
        let t = typed.trim();
        let (digits, explicit) = match t.strip_prefix('#') {
            Some(d) => (d, true),
            None => (t, false),
        };
        let n: usize = digits.trim().parse().ok()?;
        ((explicit || !self.numeric) && (1..=self.buttons.len()).contains(&n)).then_some(n)
    }

    /// A typed line as the engine's input: a pressed option, or the text itself.
    pub fn input(&self, typed: &str) -> Inbound {
        match self.number(typed) {
            Some(n) => Inbound::Button(self.buttons[n - 1].clone()),
            None => Inbound::from_text(typed),
        }
    }
}

/// Could this typed line press an option (so the last menu must be looked up)?
pub fn may_press(typed: &str) -> bool {
    let t = typed.trim();
    let digits = t.strip_prefix('#').unwrap_or(t).trim();
    !digits.is_empty() && digits.len() <= 3 && digits.bytes().all(|b| b.is_ascii_digit())
}

/// The buttons a text-only channel can offer: a web page button (Telegram's Mini App) has
/// no text equivalent and is left out.
fn pressable(buttons: &[Vec<Button>]) -> impl Iterator<Item = &Button> {
    buttons.iter().flatten().filter(|b| b.web_app.is_none())
}

/// The console's layout: each row of buttons on one line, `[1] …   [2] …`.
pub fn options_in_rows(buttons: &[Vec<Button>]) -> String {
    let mut s = String::new();
    let mut n = 0;
    for row in buttons {
        let mut line = Vec::new();
        for b in row.iter().filter(|b| b.web_app.is_none()) {
            n += 1;
            line.push(format!("[{n}] {}", b.label));
        }
        if !line.is_empty() {
            s.push_str(&format!("   {}\n", line.join("   ")));
        }
    }
    s
}

/// A message for a phone: the text, then its options one a line (`1. …`) and a line saying
/// how to choose. An option the text already lists under its number (`3. Cơ quan`) is not
/// repeated.
pub fn render_for_phone(text: &str, buttons: &[Vec<Button>], numeric: bool) -> String {
    let labels: Vec<&str> = pressable(buttons).map(|b| b.label.as_str()).collect();
    if labels.is_empty() {
        return text.to_owned();
    }
    let listed: std::collections::HashSet<&str> = text.lines().map(str::trim).collect();
    let mut s = format!("{text}\n\n");
    for (i, l) in labels.iter().enumerate() {
        let line = format!("{}. {l}", i + 1);
        if !listed.contains(line.as_str()) {
            s.push_str(&line);
            s.push('\n');
        }
    }
    s.push_str(if numeric { PICK_WHILE_NUMERIC } else { PICK_BY_NUMBER });
    s
}

/// Under a phone's options.
pub const PICK_BY_NUMBER: &str = "👉 Đồng chí gửi số thứ tự để chọn (ví dụ: 1).";
/// Under a phone's options while figures are expected.
pub const PICK_WHILE_NUMERIC: &str =
    "👉 Số đồng chí gửi lúc này được lưu là số liệu. Muốn chọn một mục ở trên, gửi dấu # và số thứ tự (ví dụ: #1).";
/// The console's line under a message while figures are expected.
pub const CONSOLE_NUMERIC_HINT: &str = "   (đang nhập số liệu: số gõ vào là số liệu; bấm nút thì gõ #1, #2 …)\n";

#[cfg(test)]
mod tests {
    use super::*;

    fn b(label: &str, data: &str) -> Button {
        Button::new(label, data)
    }

    #[test]
    fn a_number_presses_an_option_unless_figures_are_expected() {
        let buttons = vec![vec![b("Điền tiếp", "a")], vec![b("Menu", "m"), b("Xong", "x")]];
        let menu = Menu::of(&buttons, false).unwrap();
        assert_eq!(menu.input("2"), Inbound::Button("m".into()));
        assert_eq!(menu.input("#3"), Inbound::Button("x".into()));
        assert_eq!(menu.input("4"), Inbound::Text("4".into()));
        let numeric = Menu::of(&buttons, true).unwrap();
        assert_eq!(numeric.input("2"), Inbound::Text("2".into()));
        assert_eq!(numeric.input("#2"), Inbound::Button("m".into()));
        assert!(Menu::of(&[], false).is_none());
        assert!(may_press(" #12 ") && may_press("3") && !may_press("3 4") && !may_press("#"));
    }

    #[test]
    fn options_are_numbered_in_order_in_both_layouts() {
        let buttons = vec![vec![b("Điền tiếp", "a")], vec![b("Menu", "m"), b("Xong", "x")]];
        assert_eq!(options_in_rows(&buttons), "   [1] Điền tiếp\n   [2] Menu   [3] Xong\n");
        let phone = render_for_phone("Chọn:", &buttons, false);
        assert!(
            phone.starts_with("Chọn:\n\n1. Điền tiếp\n2. Menu\n3. Xong\n👉"),
            "{phone}"
        );
        assert!(render_for_phone("Gửi số liệu", &buttons, true).contains("#1"));
        assert_eq!(render_for_phone("Chỉ chữ", &[], false), "Chỉ chữ");
        let listed = render_for_phone("Chọn:\n1. Điền tiếp\n2. Menu", &buttons, false);
        assert_eq!(listed.matches("1. Điền tiếp").count(), 1, "{listed}");
        assert!(listed.contains("\n\n3. Xong\n👉"), "{listed}");
    }
}
