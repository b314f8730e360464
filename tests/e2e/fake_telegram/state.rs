//! The fake's state: queued updates, the chats, what the bot sent, injected failures.

use super::*;

// ----- shared state ----------------------------------------------------------

pub(super) struct Shared {
    pub(super) state: Mutex<FakeState>,
    /// Bumped when an update is queued (wakes long polls).
    pub(super) updates_tx: watch::Sender<u64>,
    /// Bumped on every request and every queued update (wakes test waiters).
    pub(super) activity_tx: watch::Sender<u64>,
}

impl Shared {
    pub(super) fn new() -> Self {
        Shared {
            state: Mutex::new(FakeState::new()),
            updates_tx: watch::Sender::new(0),
            activity_tx: watch::Sender::new(0),
        }
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, FakeState> {
        // A panicking test thread must not take every other assertion with it.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn activity(&self) {
        self.activity_tx.send_modify(|v| *v = v.wrapping_add(1));
    }

    pub(super) fn updates_changed(&self) {
        self.updates_tx.send_modify(|v| *v = v.wrapping_add(1));
        self.activity();
    }
}

pub(super) struct QueuedUpdate {
    pub(super) id: u32,
    pub(super) kind: &'static str,
    pub(super) json: Value,
    pub(super) delivered: bool,
    /// Sent again on purpose ([`FakeTelegram::redeliver`]): kept until delivered once more,
    /// whatever offset the bot asks for.
    pub(super) forced: bool,
}

pub(super) struct StoredMessage {
    /// The message as Telegram would send it (current text, keyboard, ...).
    pub(super) json: Value,
    /// The bot's text as sent, before its markup was parsed.
    pub(super) raw_text: Option<String>,
}

pub(super) struct Injected {
    pub(super) method: String,
    pub(super) chat: Option<i64>,
    pub(super) failure: Failure,
}

pub(super) struct UserInfo {
    pub(super) first_name: String,
    pub(super) username: Option<String>,
}

pub(super) struct FakeState {
    pub(super) next_update_id: u32,
    pub(super) next_message_id: i64,
    pub(super) next_callback: u64,
    pub(super) next_file: u64,
    pub(super) updates: VecDeque<QueuedUpdate>,
    /// Every update ever queued, by id (for redelivery).
    pub(super) sent_updates: HashMap<u32, (&'static str, Value)>,
    /// The persisted `allowed_updates` (None: Telegram's default, which
    /// includes messages and callback queries).
    pub(super) allowed_updates: Option<Vec<String>>,
    pub(super) filtered: Vec<Value>,
    pub(super) messages: HashMap<(i64, i64), StoredMessage>,
    pub(super) chats: HashMap<i64, Value>,
    pub(super) users: HashMap<i64, UserInfo>,
    pub(super) blocked: HashSet<i64>,
    pub(super) outbox: HashMap<i64, VecDeque<Sent>>,
    pub(super) history: Vec<Sent>,
    pub(super) calls: Vec<(String, Value)>,
    pub(super) ok_counts: HashMap<String, usize>,
    pub(super) rejected: Vec<(String, String)>,
    pub(super) unknown: Vec<String>,
    pub(super) open_callbacks: HashSet<String>,
    pub(super) answered: Vec<String>,
    pub(super) failures: Vec<Injected>,
    pub(super) commands: Option<Value>,
    /// Contents of the files users sent, by file id (served by `getFile` and `/file/…`).
    pub(super) files: HashMap<String, Vec<u8>>,
}

impl FakeState {
    pub(super) fn new() -> Self {
        FakeState {
            next_update_id: 1,
            next_message_id: 1,
            next_callback: 0,
            next_file: 0,
            updates: VecDeque::new(),
            sent_updates: HashMap::new(),
            allowed_updates: None,
            filtered: Vec::new(),
            messages: HashMap::new(),
            chats: HashMap::new(),
            users: HashMap::new(),
            blocked: HashSet::new(),
            outbox: HashMap::new(),
            history: Vec::new(),
            calls: Vec::new(),
            ok_counts: HashMap::new(),
            rejected: Vec::new(),
            unknown: Vec::new(),
            open_callbacks: HashSet::new(),
            answered: Vec::new(),
            failures: Vec::new(),
            commands: None,
            files: HashMap::new(),
        }
    }

    pub(super) fn alloc_message_id(&mut self) -> i64 {
        let id = self.next_message_id;
        self.next_message_id += 1;
        id
    }

    pub(super) fn alloc_file(&mut self) -> u64 {
        self.next_file += 1;
        self.next_file
    }

    pub(super) fn user_json(&self, user: i64) -> Value {
        let (first_name, username) = match self.users.get(&user) {
            Some(u) => (u.first_name.clone(), u.username.clone()),
            None => (format!("User {user}"), Some(format!("user{user}"))),
        };
        let mut v = json!({"id": user, "is_bot": false, "first_name": first_name, "language_code": "vi"});
        if let Some(username) = username {
            v["username"] = json!(username);
        }
        v
    }

    /// The chat's JSON, creating the chat on first use.
    pub(super) fn ensure_chat(&mut self, chat: i64, user: i64, group: bool) -> Value {
        if let Some(c) = self.chats.get(&chat) {
            return c.clone();
        }
        let c = if group {
            json!({"id": chat, "type": "group", "title": format!("Group {chat}")})
        } else {
            let u = self.user_json(user);
            let mut c = json!({"id": chat, "type": "private", "first_name": u["first_name"]});
            if let Some(username) = u.get("username") {
                c["username"] = username.clone();
            }
            c
        };
        self.chats.insert(chat, c.clone());
        c
    }

    pub(super) fn enqueue(&mut self, kind: &'static str, mut body: Value) {
        let id = self.next_update_id;
        self.next_update_id += 1;
        body["update_id"] = json!(id);
        self.sent_updates.insert(id, (kind, body.clone()));
        self.updates.push_back(QueuedUpdate {
            id,
            kind,
            json: body,
            delivered: false,
            forced: false,
        });
    }

    pub(super) fn take_failure(&mut self, method: &str, chat: Option<i64>) -> Option<Failure> {
        let pos = self
            .failures
            .iter()
            .position(|f| f.method.eq_ignore_ascii_case(method) && (f.chat.is_none() || f.chat == chat))?;
        Some(self.failures.remove(pos).failure)
    }

    pub(super) fn record_sent(&mut self, sent: Sent) {
        self.outbox.entry(sent.chat_id).or_default().push_back(sent.clone());
        self.history.push(sent);
    }

    // ----- getUpdates --------------------------------------------------------

    pub(super) fn confirm(&mut self, offset: i64) {
        if offset > 0 {
            self.updates.retain(|u| u.forced || i64::from(u.id) >= offset);
        } else if offset < 0 {
            let keep = usize::try_from(offset.unsigned_abs()).unwrap_or(usize::MAX);
            while self.updates.len() > keep {
                self.updates.pop_front();
            }
        }
    }

    pub(super) fn take_batch(&mut self, limit: usize) -> Vec<Value> {
        if let Some(allowed) = &self.allowed_updates {
            let (keep, drop): (VecDeque<_>, VecDeque<_>) = std::mem::take(&mut self.updates)
                .into_iter()
                .partition(|u| u.delivered || allowed.iter().any(|a| a == u.kind));
            self.updates = keep;
            self.filtered.extend(drop.into_iter().map(|u| u.json));
        }
        self.updates
            .iter_mut()
            .take(limit)
            .map(|u| {
                u.delivered = true;
                u.forced = false;
                u.json.clone()
            })
            .collect()
    }

    // ----- request handlers --------------------------------------------------

    /// [`Self::handle`], noting unknown methods and refused calls.
    pub(super) fn handle_recorded(&mut self, method: &str, p: &Params) -> Result<Value, ApiErr> {
        let reply = self.handle(method, p);
        match &reply {
            Ok(_) => {}
            Err(e) if e.code == 404 => self.unknown.push(method.to_owned()),
            Err(e) => self.rejected.push((method.to_owned(), e.description.clone())),
        }
        reply
    }

    pub(super) fn handle(&mut self, method: &str, p: &Params) -> Result<Value, ApiErr> {
        match method.to_ascii_lowercase().as_str() {
            "getme" => Ok(me_json()),
            "getwebhookinfo" => Ok(json!({
                "url": "", "has_custom_certificate": false,
                "pending_update_count": self.updates.len(),
            })),
            "deletewebhook" | "sendchataction" | "setchatmenubutton" | "setmydescription" | "setmyshortdescription" => {
                Ok(json!(true))
            }
            "setmycommands" => {
                self.commands = Some(p.json("commands").unwrap_or_else(|| json!([])));
                Ok(json!(true))
            }
            "deletemycommands" => {
                self.commands = None;
                Ok(json!(true))
            }
            "getmycommands" => Ok(self.commands.clone().unwrap_or_else(|| json!([]))),
            "answercallbackquery" => self.answer_callback(p),
            "getfile" => {
                let id = p.str("file_id").unwrap_or_default();
                match self.files.get(&id) {
                    Some(bytes) => Ok(json!({
                        "file_id": id, "file_unique_id": format!("u{id}"),
                        "file_size": bytes.len(), "file_path": format!("documents/{id}"),
                    })),
                    None => Err(ApiErr::bad_request("invalid file_id")),
                }
            }
            "sendmessage" => self.send_message(method, p),
            "senddocument" => self.send_document(method, p),
            "editmessagetext" => self.edit_message_text(method, p),
            "editmessagereplymarkup" => self.edit_reply_markup(method, p),
            "deletemessage" => self.delete_message(method, p),
            _ => Err(ApiErr::not_found()),
        }
    }

    /// The chat a send goes to: known, and not blocking the bot.
    pub(super) fn target_chat(&self, p: &Params) -> Result<(i64, Value), ApiErr> {
        let chat = match p.i64("chat_id") {
            Some(chat) => chat,
            None if p.fields.contains_key("chat_id") => {
                return Err(ApiErr::bad_request("chat not found"));
            }
            None => return Err(ApiErr::bad_request("chat_id is empty")),
        };
        let Some(chat_json) = self.chats.get(&chat) else {
            return Err(ApiErr::bad_request("chat not found"));
        };
        if self.blocked.contains(&chat) {
            return Err(ApiErr::blocked());
        }
        Ok((chat, chat_json.clone()))
    }

    /// The bot's own stored message that an edit targets.
    pub(super) fn edit_target(&self, p: &Params) -> Result<(i64, i64), ApiErr> {
        if p.fields.contains_key("inline_message_id") {
            return Err(ApiErr::bad_request("MESSAGE_ID_INVALID"));
        }
        let (chat, _) = self.target_chat(p)?;
        let Some(id) = p.i64("message_id") else {
            return Err(ApiErr::bad_request("message identifier is not specified"));
        };
        let Some(m) = self.messages.get(&(chat, id)) else {
            return Err(ApiErr::bad_request("message to edit not found"));
        };
        if !is_bot_message(&m.json) {
            return Err(ApiErr::bad_request("message can't be edited"));
        }
        Ok((chat, id))
    }

    pub(super) fn answer_callback(&mut self, p: &Params) -> Result<Value, ApiErr> {
        let id = p.str("callback_query_id").unwrap_or_default();
        if !self.open_callbacks.remove(&id) {
            return Err(ApiErr::bad_request(
                "query is too old and response timeout expired or query id is invalid",
            ));
        }
        self.answered.push(id);
        Ok(json!(true))
    }

    pub(super) fn send_message(&mut self, method: &str, p: &Params) -> Result<Value, ApiErr> {
        let (chat, chat_json) = self.target_chat(p)?;
        // Telegram words the too-long error differently for sends and edits.
        let (raw, parse_mode, text) = checked_text(p, "message is too long")?;
        let markup = Markup::from_params(p)?;
        let id = self.alloc_message_id();
        let mut msg = bot_message(id, chat_json);
        msg["text"] = json!(text);
        if let Some(inline) = &markup.inline {
            msg["reply_markup"] = inline.clone();
        }
        self.messages.insert(
            (chat, id),
            StoredMessage {
                json: msg.clone(),
                raw_text: Some(raw),
            },
        );
        self.record_sent(Sent {
            method: method.to_owned(),
            chat_id: chat,
            message_id: id,
            text: Some(text),
            buttons: inline_buttons(markup.inline.as_ref()),
            reply_keyboard: markup.reply_keyboard,
            document: None,
            caption: None,
            parse_mode,
            raw: p.to_value(),
        });
        Ok(msg)
    }

    pub(super) fn send_document(&mut self, method: &str, p: &Params) -> Result<Value, ApiErr> {
        let (chat, chat_json) = self.target_chat(p)?;
        let (name, bytes) = match (p.files.get("document"), p.str("document")) {
            (Some((name, bytes)), _) => {
                if bytes.is_empty() {
                    return Err(ApiErr::bad_request("file must be non-empty"));
                }
                (name.clone(), bytes.clone())
            }
            (None, Some(id_or_url)) if !id_or_url.starts_with("attach://") => (id_or_url, Vec::new()),
            _ => return Err(ApiErr::bad_request("there is no document in the request")),
        };
        let parse_mode = p.str("parse_mode");
        let caption = match p.str("caption") {
            Some(raw) => Some(parse_text(&raw, parse_mode.as_deref())?),
            None => None,
        }
        .filter(|c| !c.is_empty());
        if caption.as_deref().is_some_and(|c| utf16_len(c) > CAPTION_LIMIT) {
            return Err(ApiErr::bad_request("message caption is too long"));
        }
        let markup = Markup::from_params(p)?;
        let n = self.alloc_file();
        let id = self.alloc_message_id();
        let mut msg = bot_message(id, chat_json);
        let mut document = json!({
            "file_id": format!("botdoc-{n}"), "file_unique_id": format!("ubotdoc-{n}"),
            "mime_type": mime_for(&name), "file_size": bytes.len(),
        });
        if !name.is_empty() {
            document["file_name"] = json!(name);
        }
        msg["document"] = document;
        if let Some(caption) = &caption {
            msg["caption"] = json!(caption);
        }
        if let Some(inline) = &markup.inline {
            msg["reply_markup"] = inline.clone();
        }
        self.messages.insert(
            (chat, id),
            StoredMessage {
                json: msg.clone(),
                raw_text: None,
            },
        );
        self.record_sent(Sent {
            method: method.to_owned(),
            chat_id: chat,
            message_id: id,
            text: None,
            buttons: inline_buttons(markup.inline.as_ref()),
            reply_keyboard: markup.reply_keyboard,
            document: Some((name, bytes)),
            caption,
            parse_mode,
            raw: p.to_value(),
        });
        Ok(msg)
    }

    pub(super) fn edit_message_text(&mut self, method: &str, p: &Params) -> Result<Value, ApiErr> {
        let (chat, id) = self.edit_target(p)?;
        let (raw, parse_mode, text) = checked_text(p, "MESSAGE_TOO_LONG")?;
        let markup = Markup::from_params(p)?;
        let stored = self.messages.get_mut(&(chat, id)).expect("edit_target checked it");
        let Some(old_text) = stored.json.get("text").and_then(Value::as_str) else {
            return Err(ApiErr::bad_request("there is no text in the message to edit"));
        };
        if old_text == text
            && stored.raw_text.as_deref() == Some(raw.as_str())
            && stored.json.get("reply_markup") == markup.inline.as_ref()
        {
            return Err(ApiErr::not_modified());
        }
        stored.json["text"] = json!(text);
        stored.json["edit_date"] = json!(unix_now());
        set_markup(&mut stored.json, markup.inline.as_ref());
        stored.raw_text = Some(raw);
        let msg = stored.json.clone();
        self.record_sent(Sent {
            method: method.to_owned(),
            chat_id: chat,
            message_id: id,
            text: Some(text),
            buttons: inline_buttons(markup.inline.as_ref()),
            reply_keyboard: Vec::new(),
            document: None,
            caption: None,
            parse_mode,
            raw: p.to_value(),
        });
        Ok(msg)
    }

    pub(super) fn edit_reply_markup(&mut self, method: &str, p: &Params) -> Result<Value, ApiErr> {
        let (chat, id) = self.edit_target(p)?;
        let markup = Markup::from_params(p)?;
        let stored = self.messages.get_mut(&(chat, id)).expect("edit_target checked it");
        if stored.json.get("reply_markup") == markup.inline.as_ref() {
            return Err(ApiErr::not_modified());
        }
        set_markup(&mut stored.json, markup.inline.as_ref());
        stored.json["edit_date"] = json!(unix_now());
        let msg = stored.json.clone();
        let field = |k: &str| msg.get(k).and_then(Value::as_str).map(str::to_owned);
        let sent = Sent {
            method: method.to_owned(),
            chat_id: chat,
            message_id: id,
            text: field("text"),
            buttons: inline_buttons(markup.inline.as_ref()),
            reply_keyboard: Vec::new(),
            document: None,
            caption: field("caption"),
            parse_mode: None,
            raw: p.to_value(),
        };
        self.record_sent(sent);
        Ok(msg)
    }

    pub(super) fn delete_message(&mut self, method: &str, p: &Params) -> Result<Value, ApiErr> {
        let (chat, _) = self.target_chat(p)?;
        let Some(id) = p.i64("message_id") else {
            return Err(ApiErr::bad_request("message identifier is not specified"));
        };
        if self.messages.remove(&(chat, id)).is_none() {
            return Err(ApiErr::bad_request("message to delete not found"));
        }
        self.record_sent(Sent {
            method: method.to_owned(),
            chat_id: chat,
            message_id: id,
            text: None,
            buttons: Vec::new(),
            reply_keyboard: Vec::new(),
            document: None,
            caption: None,
            parse_mode: None,
            raw: p.to_value(),
        });
        Ok(json!(true))
    }
}
