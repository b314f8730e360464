//! Building Telegram's JSON, and reading texts as Telegram does (parse modes, markup).

use super::*;

// ----- message building ------------------------------------------------------

pub(super) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(1)
}

pub(super) fn bot_user_json() -> Value {
    json!({
        "id": FakeTelegram::BOT_ID, "is_bot": true,
        "first_name": FakeTelegram::BOT_FIRST_NAME, "username": FakeTelegram::BOT_USERNAME,
    })
}

pub(super) fn me_json() -> Value {
    let mut me = bot_user_json();
    merge(
        &mut me,
        json!({
            "can_join_groups": true, "can_read_all_group_messages": false,
            "supports_inline_queries": false, "can_connect_to_business": false,
            "has_main_web_app": false,
        }),
    );
    me
}

pub(super) fn bot_message(id: i64, chat: Value) -> Value {
    json!({"message_id": id, "date": unix_now(), "chat": chat, "from": bot_user_json()})
}

pub(super) fn is_bot_message(msg: &Value) -> bool {
    msg.pointer("/from/id").and_then(Value::as_i64) == Some(FakeTelegram::BOT_ID)
}

pub(super) fn merge(target: &mut Value, extra: Value) {
    if let (Value::Object(t), Value::Object(e)) = (target, extra) {
        t.extend(e);
    }
}

pub(super) fn set_markup(msg: &mut Value, inline: Option<&Value>) {
    if let Value::Object(m) = msg {
        match inline {
            Some(markup) => {
                m.insert("reply_markup".to_owned(), markup.clone());
            }
            None => {
                m.remove("reply_markup");
            }
        }
    }
}

pub(super) fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

pub(super) fn text_content(text: &str) -> Value {
    let mut content = json!({"text": text});
    if text.starts_with('/') {
        let command = text.split_whitespace().next().unwrap_or(text);
        content["entities"] = json!([{"type": "bot_command", "offset": 0, "length": utf16_len(command)}]);
    }
    content
}

pub(super) fn mime_for(file_name: &str) -> &'static str {
    let ext = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls" => "application/vnd.ms-excel",
        "doc" => "application/msword",
        "pdf" => "application/pdf",
        "csv" => "text/csv",
        "txt" => "text/plain",
        "json" => "application/json",
        "zip" => "application/zip",
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        _ => "application/octet-stream",
    }
}

/// A request's `reply_markup`, validated as Telegram does.
pub(super) struct Markup {
    /// `{"inline_keyboard": ...}` as it will appear on the message.
    pub(super) inline: Option<Value>,
    pub(super) reply_keyboard: Vec<Vec<String>>,
}

impl Markup {
    pub(super) fn from_params(p: &Params) -> Result<Markup, ApiErr> {
        let mut markup = Markup {
            inline: None,
            reply_keyboard: Vec::new(),
        };
        let Some(value) = p.json("reply_markup") else {
            return Ok(markup);
        };
        if let Some(rows) = value.get("inline_keyboard").and_then(Value::as_array) {
            for button in rows.iter().filter_map(Value::as_array).flatten() {
                if let Some(data) = button.get("callback_data").and_then(Value::as_str)
                    && (data.is_empty() || data.len() > CALLBACK_DATA_LIMIT)
                {
                    return Err(ApiErr::bad_request("BUTTON_DATA_INVALID"));
                }
            }
            if rows.iter().any(|r| r.as_array().is_some_and(|r| !r.is_empty())) {
                markup.inline = Some(json!({"inline_keyboard": rows}));
            }
        } else if let Some(rows) = value.get("keyboard").and_then(Value::as_array) {
            markup.reply_keyboard = rows
                .iter()
                .filter_map(Value::as_array)
                .map(|row| {
                    row.iter()
                        .filter_map(|b| b.as_str().or_else(|| b.get("text")?.as_str()))
                        .map(str::to_owned)
                        .collect()
                })
                .collect();
        }
        Ok(markup)
    }
}

pub(super) fn inline_buttons(markup: Option<&Value>) -> Vec<Vec<Button>> {
    let Some(rows) = markup.and_then(|m| m.get("inline_keyboard")).and_then(Value::as_array) else {
        return Vec::new();
    };
    rows.iter()
        .filter_map(Value::as_array)
        .map(|row| {
            row.iter()
                .map(|b| {
                    let field = |k: &str| b.get(k).and_then(Value::as_str).map(str::to_owned);
                    Button {
                        text: field("text").unwrap_or_default(),
                        data: field("callback_data"),
                        url: field("url"),
                        web_app: b
                            .get("web_app")
                            .and_then(|w| w.get("url"))
                            .and_then(Value::as_str)
                            .map(str::to_owned),
                    }
                })
                .collect()
        })
        .collect()
}

/// Bot API method names are case-insensitive, and teloxide 0.17 sends them
/// capitalised (`SendMessage`); record them as the Bot API documents them
/// (`sendMessage`).
pub(super) fn canonical_method(method: &str) -> String {
    let mut chars = method.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

pub(super) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

// ----- parse_mode ------------------------------------------------------------

/// The text a user sees for `raw` sent with `parse_mode`, or Telegram's
/// "can't parse entities" error.
pub(super) fn parse_text(raw: &str, parse_mode: Option<&str>) -> Result<String, ApiErr> {
    let parsed = match parse_mode.map(str::to_ascii_lowercase).as_deref() {
        None | Some("") => Ok(raw.to_owned()),
        Some("html") => html_to_plain(raw),
        Some("markdownv2") => markdown_v2_to_plain(raw),
        Some("markdown") => markdown_legacy_to_plain(raw),
        Some(other) => {
            return Err(ApiErr::bad_request(&format!("unsupported parse_mode {other:?}")));
        }
    };
    parsed.map_err(|e| ApiErr::bad_request(&format!("can't parse entities: {e}")))
}

pub(super) fn html_to_plain(s: &str) -> Result<String, String> {
    pub(super) const TAGS: &[&str] = &[
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "code",
        "pre",
        "blockquote",
        "tg-emoji",
    ];
    let mut out = String::with_capacity(s.len());
    let mut open: Vec<String> = Vec::new();
    let mut i = 0;
    while i < s.len() {
        let rest = &s[i..];
        if rest.starts_with('<') {
            let Some(end) = rest.find('>') else {
                return Err(format!("Unclosed start tag at byte offset {i}"));
            };
            let tag = &rest[1..end];
            if let Some(name) = tag.strip_prefix('/') {
                let name = name.trim().to_ascii_lowercase();
                match open.pop() {
                    Some(o) if o == name => {}
                    Some(o) => {
                        return Err(format!(
                            "Unmatched end tag at byte offset {i}, expected \"</{o}>\", found \"</{name}>\""
                        ));
                    }
                    None => return Err(format!("Unexpected end tag at byte offset {i}")),
                }
            } else {
                let name = tag
                    .split(|c: char| c.is_whitespace() || c == '/')
                    .next()
                    .unwrap_or("")
                    .to_ascii_lowercase();
                if !TAGS.contains(&name.as_str()) {
                    return Err(format!("Unsupported start tag \"{name}\" at byte offset {i}"));
                }
                open.push(name);
            }
            i += end + 1;
        } else if let Some((c, len)) = rest.strip_prefix('&').and_then(html_entity) {
            out.push(c);
            i += len + 1;
        } else {
            let Some(c) = rest.chars().next() else { break };
            out.push(c);
            i += c.len_utf8();
        }
    }
    if let Some(o) = open.last() {
        return Err(format!("Can't find end tag corresponding to start tag \"{o}\""));
    }
    Ok(out)
}

/// `s` follows a '&': the entity's character and length (through its ';').
pub(super) fn html_entity(s: &str) -> Option<(char, usize)> {
    let end = s.get(..12).unwrap_or(s).find(';')?;
    let name = &s[..end];
    let c = match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "quot" => '"',
        _ => {
            let num = name.strip_prefix('#')?;
            let code = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => num.parse().ok()?,
            };
            char::from_u32(code)?
        }
    };
    Some((c, end + 1))
}

pub(super) fn reserved(c: char) -> String {
    format!("Character '{c}' is reserved and must be escaped with the preceding '\\'")
}

pub(super) fn toggle(open: &mut Vec<(&'static str, usize)>, entity: &'static str, offset: usize) {
    match open.iter().rposition(|(e, _)| *e == entity) {
        Some(pos) => {
            open.remove(pos);
        }
        None => open.push((entity, offset)),
    }
}

/// An approximation of Telegram's MarkdownV2 parser: formatting is removed,
/// and unescaped reserved characters or unclosed entities are refused.
pub(super) fn markdown_v2_to_plain(s: &str) -> Result<String, String> {
    let chars: Vec<(usize, char)> = s.char_indices().collect();
    let at = |j: usize| chars.get(j).map(|&(_, c)| c);
    let mut out = String::with_capacity(s.len());
    let mut open: Vec<(&'static str, usize)> = Vec::new();
    let mut in_link = false;
    let mut i = 0;
    while let Some(&(offset, c)) = chars.get(i) {
        let next = at(i + 1);
        match c {
            '\\' => match next {
                Some(n) => {
                    out.push(n);
                    i += 2;
                    continue;
                }
                None => return Err(reserved('\\')),
            },
            '`' => {
                let fence = next == Some('`') && at(i + 2) == Some('`');
                let width = if fence { 3 } else { 1 };
                let mut j = i + width;
                let mut closed = false;
                while let Some(cj) = at(j) {
                    if cj == '\\'
                        && let Some(n) = at(j + 1)
                    {
                        out.push(n);
                        j += 2;
                        continue;
                    }
                    if cj == '`' && (!fence || (at(j + 1) == Some('`') && at(j + 2) == Some('`'))) {
                        closed = true;
                        j += width;
                        break;
                    }
                    out.push(cj);
                    j += 1;
                }
                if !closed {
                    let entity = if fence { "PreCode" } else { "Code" };
                    return Err(format!("Can't find end of {entity} entity at byte offset {offset}"));
                }
                i = j;
                continue;
            }
            '*' => toggle(&mut open, "Bold", offset),
            '_' if next == Some('_') => {
                toggle(&mut open, "Underline", offset);
                i += 2;
                continue;
            }
            '_' => toggle(&mut open, "Italic", offset),
            '~' => toggle(&mut open, "Strikethrough", offset),
            '|' if next == Some('|') => {
                toggle(&mut open, "Spoiler", offset);
                i += 2;
                continue;
            }
            '[' if !in_link => in_link = true,
            ']' if in_link && next == Some('(') => {
                in_link = false;
                let mut j = i + 2;
                loop {
                    match at(j) {
                        Some('\\') => j += 2,
                        Some(')') => break,
                        Some(_) => j += 1,
                        None => {
                            return Err(format!("Can't find end of a URL at byte offset {offset}"));
                        }
                    }
                }
                i = j + 1;
                continue;
            }
            '>' if offset == 0 || s[..offset].ends_with('\n') => {}
            '[' | ']' | '(' | ')' | '>' | '#' | '+' | '-' | '=' | '|' | '{' | '}' | '.' | '!' => {
                return Err(reserved(c));
            }
            _ => out.push(c),
        }
        i += 1;
    }
    if in_link {
        return Err(reserved('['));
    }
    if let Some((entity, offset)) = open.first() {
        return Err(format!("Can't find end of {entity} entity at byte offset {offset}"));
    }
    Ok(out)
}

/// An approximation of Telegram's legacy Markdown parser.
pub(super) fn markdown_legacy_to_plain(s: &str) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut open: Option<(char, usize)> = None;
    let mut chars = s.char_indices().peekable();
    while let Some((offset, c)) = chars.next() {
        match (open, c) {
            (Some(('`', _)), '`') => open = None,
            (Some(('`', _)), _) => out.push(c),
            (_, '\\') => match chars.next_if(|&(_, n)| "_*`[".contains(n)) {
                Some((_, n)) => out.push(n),
                None => out.push('\\'),
            },
            (Some((o, _)), _) if o == c => open = None,
            (None, '_' | '*' | '`') => open = Some((c, offset)),
            (None, '[') => open = Some(('[', offset)),
            (Some(('[', _)), ']') => {
                open = None;
                if chars.next_if(|&(_, n)| n == '(').is_some() {
                    for (_, n) in chars.by_ref() {
                        if n == ')' {
                            break;
                        }
                    }
                }
            }
            _ => out.push(c),
        }
    }
    if let Some((_, offset)) = open {
        return Err(format!("Can't find end of the entity starting at byte offset {offset}"));
    }
    Ok(out)
}

/// The `text` parameter as sent, its parse mode, and the text the user will see; refused
/// when empty or too long.
pub(super) fn checked_text(p: &Params, too_long: &str) -> Result<(String, Option<String>, String), ApiErr> {
    let raw = p.str("text").unwrap_or_default();
    let parse_mode = p.str("parse_mode");
    let text = parse_text(&raw, parse_mode.as_deref())?;
    if text.trim().is_empty() {
        return Err(ApiErr::bad_request("message text is empty"));
    }
    if utf16_len(&text) > TEXT_LIMIT {
        return Err(ApiErr::bad_request(too_long));
    }
    Ok((raw, parse_mode, text))
}
