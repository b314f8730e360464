//! Tests of the fake Telegram server itself, through teloxide's real client:
//! what the fake answers must deserialize in teloxide's types, and what
//! teloxide sends must be understood by the fake.

use std::time::{Duration, Instant};

use teloxide::ApiError;
use teloxide::RequestError;
use teloxide::prelude::*;
use teloxide::types::{
    InlineKeyboardButton, InlineKeyboardMarkup, InputFile, MessageEntityKind, MessageId, ParseMode, UpdateKind,
};

use crate::fake_telegram::{Failure, FakeTelegram};

const WAIT: Duration = Duration::from_secs(5);

fn keyboard(buttons: &[(&str, &str)]) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(
        buttons
            .iter()
            .map(|(label, data)| vec![InlineKeyboardButton::callback(*label, *data)]),
    )
}

fn message_of(update: &Update) -> &Message {
    match &update.kind {
        UpdateKind::Message(m) => m,
        other => panic!("expected a message update, got {other:?}"),
    }
}

#[tokio::test]
async fn get_me_and_webhook_info_deserialize() {
    let fake = FakeTelegram::start().await;
    let bot = fake.bot();
    let me = bot.get_me().await.expect("getMe");
    assert!(me.user.is_bot);
    assert_eq!(me.user.id, UserId(123_456));
    assert_eq!(me.username(), FakeTelegram::BOT_USERNAME);
    let info = bot.get_webhook_info().await.expect("getWebhookInfo");
    assert!(info.url.is_none());
    bot.delete_webhook().await.expect("deleteWebhook");
    bot.set_my_commands(vec![teloxide::types::BotCommand::new("start", "Bắt đầu")])
        .await
        .expect("setMyCommands");
    assert_eq!(fake.my_commands().unwrap()[0]["command"], "start");
    assert_eq!(fake.calls("getMe").len(), 1);
    assert_eq!(fake.sent_count("getWebhookInfo"), 1);
    assert!(fake.unknown_methods().is_empty());
    assert!(fake.rejected().is_empty());
}

#[tokio::test]
async fn text_and_command_updates_deserialize() {
    let fake = FakeTelegram::start().await;
    let bot = fake.bot();
    fake.set_user(7, "Lan", Some("lan_nguyen"));
    let first = fake.send_text(7, 7, "/start abc");
    let second = fake.send_text(7, 7, "xin chào");
    assert!(second > first);
    assert_eq!(fake.updates_pending(), 2);

    let updates = bot.get_updates().await.expect("getUpdates");
    assert_eq!(updates.len(), 2);
    assert_eq!(fake.updates_pending(), 0);
    let cmd = message_of(&updates[0]);
    assert_eq!(cmd.id.0, i32::try_from(first).unwrap());
    assert_eq!(cmd.text(), Some("/start abc"));
    assert!(cmd.chat.is_private());
    assert_eq!(cmd.chat.id, ChatId(7));
    let from = cmd.from.as_ref().expect("from");
    assert_eq!(from.id, UserId(7));
    assert_eq!(from.first_name, "Lan");
    assert_eq!(from.username.as_deref(), Some("lan_nguyen"));
    assert_eq!(from.language_code.as_deref(), Some("vi"));
    let entity = &cmd.entities().expect("entities")[0];
    assert_eq!(entity.kind, MessageEntityKind::BotCommand);
    assert_eq!((entity.offset, entity.length), (0, 6));
    assert_eq!(message_of(&updates[1]).text(), Some("xin chào"));
    assert!(message_of(&updates[1]).entities().is_none_or(<[_]>::is_empty));

    // Unconfirmed updates are delivered again; a higher offset confirms them.
    let again = bot.get_updates().await.expect("getUpdates");
    assert_eq!(again.len(), 2);
    let offset = updates[1].id.as_offset();
    let after = bot.get_updates().offset(offset).await.expect("getUpdates");
    assert!(after.is_empty());
    assert_eq!(fake.updates_unconfirmed(), 0);
    assert_eq!(fake.calls("getUpdates")[2]["offset"], offset);
}

#[tokio::test]
async fn media_and_group_updates_deserialize() {
    let fake = FakeTelegram::start().await;
    let bot = fake.bot();
    fake.send_photo(7, 7);
    fake.send_sticker(7, 7);
    fake.send_voice(7, 7);
    fake.send_document(7, 7, "bao-cao.xlsx");
    fake.send_group_text(-100, 7, "/start@chibo_test_bot");

    let updates = bot.get_updates().await.expect("getUpdates");
    assert_eq!(updates.len(), 5);
    let photo = message_of(&updates[0]).photo().expect("photo");
    assert_eq!(photo.len(), 3);
    assert_eq!(photo[2].width, 1280);
    let sticker = message_of(&updates[1]).sticker().expect("sticker");
    assert_eq!(sticker.emoji.as_deref(), Some("👍"));
    let voice = message_of(&updates[2]).voice().expect("voice");
    assert_eq!(voice.duration.seconds(), 3);
    let doc = message_of(&updates[3]).document().expect("document");
    assert_eq!(doc.file_name.as_deref(), Some("bao-cao.xlsx"));
    assert!(doc.mime_type.as_ref().unwrap().as_ref().contains("spreadsheetml"));
    let group = message_of(&updates[4]);
    assert!(group.chat.is_group());
    assert_eq!(group.chat.title(), Some("Group -100"));
    assert_eq!(group.from.as_ref().unwrap().id, UserId(7));
    assert_eq!(group.entities().unwrap()[0].length, 21);
    for u in &updates {
        assert!(!matches!(u.kind, UpdateKind::Error(_)), "{u:?}");
    }
}

#[tokio::test]
async fn send_message_with_keyboard_then_press_and_answer() {
    let fake = FakeTelegram::start().await;
    let bot = fake.bot();
    fake.send_text(5, 5, "hi");
    let sent = bot
        .send_message(ChatId(5), "Chọn kỳ báo cáo")
        .reply_markup(keyboard(&[("Tháng 1", "m:1"), ("Tháng 2", "m:2")]))
        .await
        .expect("sendMessage");
    assert_eq!(sent.text(), Some("Chọn kỳ báo cáo"));
    assert_eq!(sent.chat.id, ChatId(5));
    assert_eq!(sent.from.as_ref().unwrap().id, UserId(123_456));
    assert_eq!(sent.reply_markup().unwrap().inline_keyboard.len(), 2);

    let seen = fake.next_for(5, WAIT).await.expect("sent event");
    assert_eq!(seen.method, "sendMessage");
    assert_eq!(i64::from(sent.id.0), seen.message_id);
    assert_eq!(seen.text.as_deref(), Some("Chọn kỳ báo cáo"));
    assert_eq!(seen.button_data("Tháng 2"), Some("m:2"));
    assert!(seen.has_button("Tháng 1"));
    assert!(!seen.has_button("Tháng 3"));
    assert_eq!(seen.button_labels(), ["Tháng 1", "Tháng 2"]);
    assert!(fake.expect_silence(5, Duration::from_millis(50)).await);

    let cb = fake.press(5, 5, seen.message_id, "m:2");
    let updates = bot.get_updates().offset(2).await.expect("getUpdates");
    assert_eq!(updates.len(), 1);
    let UpdateKind::CallbackQuery(q) = &updates[0].kind else {
        panic!("expected a callback query, got {:?}", updates[0].kind);
    };
    assert_eq!(q.id.0, cb);
    assert_eq!(q.data.as_deref(), Some("m:2"));
    assert_eq!(q.from.id, UserId(5));
    let on = q.regular_message().expect("regular message");
    assert_eq!(on.id, sent.id);
    assert_eq!(on.text(), Some("Chọn kỳ báo cáo"));
    assert_eq!(on.chat.id, ChatId(5));

    bot.answer_callback_query(q.id.clone())
        .text("Đã chọn")
        .await
        .expect("answerCallbackQuery");
    assert_eq!(fake.answered_callbacks(), vec![cb]);
    assert!(fake.unanswered_callbacks().is_empty());
    let twice = bot.answer_callback_query(q.id.clone()).await;
    assert!(
        matches!(twice, Err(RequestError::Api(ApiError::InvalidQueryId))),
        "{twice:?}"
    );
    assert_eq!(fake.calls("answerCallbackQuery")[0]["text"], "Đã chọn");
}

#[tokio::test]
async fn edits_update_the_stored_message() {
    let fake = FakeTelegram::start().await;
    let bot = fake.bot();
    let user_msg = fake.send_text(5, 5, "hi");
    let sent = bot
        .send_message(ChatId(5), "Câu 1?")
        .reply_markup(keyboard(&[("Có", "y"), ("Không", "n")]))
        .await
        .unwrap();
    let _ = fake.next_for(5, WAIT).await.unwrap();

    let edited = bot
        .edit_message_text(ChatId(5), sent.id, "Câu 1: Có")
        .reply_markup(keyboard(&[("Sửa", "edit")]))
        .await
        .expect("editMessageText");
    assert_eq!(edited.text(), Some("Câu 1: Có"));
    let ev = fake.next_for(5, WAIT).await.unwrap();
    assert_eq!(ev.method, "editMessageText");
    assert_eq!(ev.message_id, i64::from(sent.id.0));
    assert_eq!(ev.text.as_deref(), Some("Câu 1: Có"));
    assert_eq!(ev.button_data("Sửa"), Some("edit"));

    // Pressing now shows the edited message.
    fake.press(5, 5, ev.message_id, "edit");
    let updates = bot.get_updates().await.unwrap();
    let UpdateKind::CallbackQuery(q) = &updates.last().unwrap().kind else {
        panic!("expected a callback query");
    };
    assert_eq!(q.regular_message().unwrap().text(), Some("Câu 1: Có"));

    // The same content again is refused, as on Telegram.
    let same = bot
        .edit_message_text(ChatId(5), sent.id, "Câu 1: Có")
        .reply_markup(keyboard(&[("Sửa", "edit")]))
        .await;
    assert!(
        matches!(same, Err(RequestError::Api(ApiError::MessageNotModified))),
        "{same:?}"
    );

    // Removing the keyboard.
    let edited = bot
        .edit_message_reply_markup(ChatId(5), sent.id)
        .await
        .expect("editMessageReplyMarkup");
    assert!(edited.reply_markup().is_none());
    let ev = fake.next_for(5, WAIT).await.unwrap();
    assert_eq!(ev.method, "editMessageReplyMarkup");
    assert!(ev.buttons.is_empty());
    assert_eq!(ev.text.as_deref(), Some("Câu 1: Có"));
    assert!(fake.message_buttons(5, ev.message_id).is_empty());

    // The user's message and unknown messages cannot be edited.
    let theirs = bot
        .edit_message_text(ChatId(5), MessageId(i32::try_from(user_msg).unwrap()), "x")
        .await;
    assert!(
        matches!(theirs, Err(RequestError::Api(ApiError::MessageCantBeEdited))),
        "{theirs:?}"
    );
    let missing = bot.edit_message_text(ChatId(5), MessageId(9999), "x").await;
    assert!(
        matches!(missing, Err(RequestError::Api(ApiError::MessageToEditNotFound))),
        "{missing:?}"
    );
    assert_eq!(fake.rejected().len(), 3);
}

#[tokio::test]
async fn send_document_multipart() {
    let fake = FakeTelegram::start().await;
    let bot = fake.bot();
    fake.register_private_chat(5);
    let bytes = b"PK\x03\x04 not really a zip".to_vec();
    let sent = bot
        .send_document(ChatId(5), InputFile::memory(bytes.clone()).file_name("bao-cao.xlsx"))
        .caption("Báo cáo tháng 1")
        .reply_markup(keyboard(&[("Gửi lại", "resend")]))
        .await
        .expect("sendDocument");
    let doc = sent.document().expect("document in result");
    assert_eq!(doc.file_name.as_deref(), Some("bao-cao.xlsx"));
    assert_eq!(doc.file.size as usize, bytes.len());
    assert_eq!(sent.caption(), Some("Báo cáo tháng 1"));

    let ev = fake.next_for(5, WAIT).await.expect("event");
    assert_eq!(ev.method, "sendDocument");
    assert_eq!(ev.document, Some(("bao-cao.xlsx".to_owned(), bytes.clone())));
    assert_eq!(ev.caption.as_deref(), Some("Báo cáo tháng 1"));
    assert_eq!(ev.button_data("Gửi lại"), Some("resend"));
    let call = &fake.calls("sendDocument")[0];
    assert_eq!(call["chat_id"], 5);
    assert_eq!(call["document_name"], "bao-cao.xlsx");
    assert_eq!(call["document_size"], bytes.len());
    assert!(call["reply_markup"]["inline_keyboard"].is_array());

    // The buttons on a document can be pressed too.
    fake.press(5, 5, ev.message_id, "resend");
    let updates = bot.get_updates().await.unwrap();
    let UpdateKind::CallbackQuery(q) = &updates.last().unwrap().kind else {
        panic!("expected a callback query");
    };
    let on = q.regular_message().unwrap();
    assert_eq!(on.caption(), Some("Báo cáo tháng 1"));
    assert!(on.document().is_some());
}

#[tokio::test]
async fn injected_failures_map_to_teloxide_errors() {
    let fake = FakeTelegram::start().await;
    let bot = fake.bot();
    fake.register_private_chat(5);
    fake.register_private_chat(6);

    fake.fail_next("sendMessage", Failure::TooManyRequests { retry_after: 3 });
    let r = bot.send_message(ChatId(5), "a").await;
    assert!(
        matches!(r, Err(RequestError::RetryAfter(s)) if s.seconds() == 3),
        "{r:?}"
    );

    fake.fail_next("sendMessage", Failure::Forbidden);
    let r = bot.send_message(ChatId(5), "a").await;
    assert!(matches!(r, Err(RequestError::Api(ApiError::BotBlocked))), "{r:?}");

    fake.fail_next("sendMessage", Failure::ServerError);
    let started = Instant::now();
    let r = bot.send_message(ChatId(5), "a").await;
    assert!(
        matches!(&r, Err(RequestError::Api(ApiError::Unknown(d))) if d == "Internal Server Error"),
        "{r:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));

    // A chat-scoped failure waits for its chat.
    fake.fail_next_for_chat(6, "sendMessage", Failure::Forbidden);
    bot.send_message(ChatId(5), "to 5").await.expect("chat 5 unaffected");
    let r = bot.send_message(ChatId(6), "to 6").await;
    assert!(matches!(r, Err(RequestError::Api(ApiError::BotBlocked))));
    bot.send_message(ChatId(6), "to 6 again").await.expect("used up");

    // Failures are recorded as calls but not as sent events.
    assert_eq!(fake.calls("sendMessage").len(), 6);
    assert_eq!(fake.sent_count("sendMessage"), 2);
    assert_eq!(fake.next_for(5, WAIT).await.unwrap().text.as_deref(), Some("to 5"));
    assert!(fake.expect_silence(5, Duration::from_millis(20)).await);
    assert_eq!(
        fake.next_for(6, WAIT).await.unwrap().text.as_deref(),
        Some("to 6 again")
    );
    assert!(fake.rejected().is_empty(), "injected failures are not rejections");

    // getUpdates can fail too.
    fake.fail_next("getUpdates", Failure::TooManyRequests { retry_after: 1 });
    assert!(matches!(bot.get_updates().await, Err(RequestError::RetryAfter(_))));
}

#[tokio::test]
async fn blocked_unknown_chat_wrong_token_and_unknown_method() {
    let fake = FakeTelegram::start().await;
    let bot = fake.bot();

    let r = bot.send_message(ChatId(77), "hello?").await;
    assert!(matches!(r, Err(RequestError::Api(ApiError::ChatNotFound))), "{r:?}");

    fake.send_text(8, 8, "hi");
    fake.block(8);
    let r = bot.send_message(ChatId(8), "a").await;
    assert!(matches!(r, Err(RequestError::Api(ApiError::BotBlocked))), "{r:?}");
    fake.unblock(8);
    bot.send_message(ChatId(8), "a").await.expect("unblocked");

    let wrong = Bot::new("999:WRONG").set_api_url(fake.api_url());
    let r = wrong.get_me().await;
    assert!(matches!(r, Err(RequestError::Api(ApiError::InvalidToken))), "{r:?}");
    assert!(fake.calls("getMe").is_empty());

    assert!(fake.unknown_methods().is_empty());
    let r = bot.send_photo(ChatId(8), InputFile::file_id("x".into())).await;
    assert!(r.is_err());
    assert_eq!(fake.unknown_methods(), ["sendPhoto"]);
}

#[tokio::test]
async fn telegram_text_rules_are_enforced() {
    let fake = FakeTelegram::start().await;
    let bot = fake.bot();
    fake.register_private_chat(5);

    let r = bot.send_message(ChatId(5), "a".repeat(4097)).await;
    assert!(matches!(r, Err(RequestError::Api(ApiError::MessageIsTooLong))), "{r:?}");
    bot.send_message(ChatId(5), "ă".repeat(4096)).await.expect("4096 fits");
    let _ = fake.next_for(5, WAIT).await.unwrap();

    let r = bot.send_message(ChatId(5), "  ").await;
    assert!(
        matches!(r, Err(RequestError::Api(ApiError::MessageTextIsEmpty))),
        "{r:?}"
    );

    let r = bot
        .send_message(ChatId(5), "x")
        .reply_markup(keyboard(&[("long", &"d".repeat(65))]))
        .await;
    assert!(
        matches!(r, Err(RequestError::Api(ApiError::ButtonDataInvalid))),
        "{r:?}"
    );

    bot.send_message(ChatId(5), "<b>Chi bộ</b> &amp; <i>Đảng</i> &lt;3")
        .parse_mode(ParseMode::Html)
        .await
        .expect("valid HTML");
    let ev = fake.next_for(5, WAIT).await.unwrap();
    assert_eq!(ev.text.as_deref(), Some("Chi bộ & Đảng <3"));
    assert_eq!(ev.parse_mode.as_deref(), Some("HTML"));

    let r = bot.send_message(ChatId(5), "a < b").parse_mode(ParseMode::Html).await;
    assert!(
        matches!(r, Err(RequestError::Api(ApiError::CantParseEntities(_)))),
        "{r:?}"
    );
    let r = bot.send_message(ChatId(5), "<b>open").parse_mode(ParseMode::Html).await;
    assert!(
        matches!(r, Err(RequestError::Api(ApiError::CantParseEntities(_)))),
        "{r:?}"
    );

    bot.send_message(ChatId(5), "*Đậm* và \\. [liên kết](http://x.y/a\\)b)")
        .parse_mode(ParseMode::MarkdownV2)
        .await
        .expect("valid MarkdownV2");
    let ev = fake.next_for(5, WAIT).await.unwrap();
    assert_eq!(ev.text.as_deref(), Some("Đậm và . liên kết"));
    let r = bot
        .send_message(ChatId(5), "Xong.")
        .parse_mode(ParseMode::MarkdownV2)
        .await;
    assert!(
        matches!(r, Err(RequestError::Api(ApiError::CantParseEntities(_)))),
        "{r:?}"
    );
    assert_eq!(fake.rejected().len(), 6);
}

#[tokio::test]
async fn long_poll_wakes_on_a_new_update_and_honours_allowed_updates() {
    let fake = FakeTelegram::start().await;
    let bot = fake.bot();
    let poller = {
        let bot = bot.clone();
        tokio::spawn(async move {
            let started = Instant::now();
            let updates = bot.get_updates().timeout(30).await.expect("getUpdates");
            (updates, started.elapsed())
        })
    };
    assert!(fake.wait_until(WAIT, |f| !f.calls("getUpdates").is_empty()).await);
    fake.send_text(5, 5, "wake up");
    let (updates, elapsed) = poller.await.unwrap();
    assert_eq!(updates.len(), 1);
    assert!(elapsed < Duration::from_millis(900), "{elapsed:?}");

    // An empty long poll returns [] within the one-second cap.
    let started = Instant::now();
    let none = bot
        .get_updates()
        .offset(updates[0].id.as_offset())
        .timeout(30)
        .await
        .unwrap();
    assert!(none.is_empty());
    assert!(started.elapsed() < Duration::from_secs(3));

    // allowed_updates persists and filters, as on Telegram.
    let sent = bot
        .send_message(ChatId(5), "q")
        .reply_markup(keyboard(&[("A", "a")]))
        .await
        .unwrap();
    let next = updates[0].id.as_offset();
    bot.get_updates()
        .offset(next)
        .allowed_updates(vec![teloxide::types::AllowedUpdate::Message])
        .await
        .unwrap();
    fake.press(5, 5, i64::from(sent.id.0), "a");
    fake.send_text(5, 5, "after");
    let got = bot.get_updates().offset(next).await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(message_of(&got[0]).text(), Some("after"));
    assert_eq!(fake.filtered_updates().len(), 1);
}

#[tokio::test]
async fn real_dispatcher_round_trip() {
    let fake = FakeTelegram::start().await;
    let handler = Update::filter_message().endpoint(|bot: Bot, msg: Message| async move {
        bot.send_message(msg.chat.id, format!("echo: {}", msg.text().unwrap_or("")))
            .await?;
        respond(())
    });
    let mut dispatcher = Dispatcher::builder(fake.bot(), handler).build();
    let token = dispatcher.shutdown_token();
    let running = tokio::spawn(async move { dispatcher.dispatch().await });

    fake.send_text(42, 42, "xin chào");
    let reply = fake.next_for(42, Duration::from_secs(10)).await.expect("reply");
    assert_eq!(reply.text.as_deref(), Some("echo: xin chào"));
    assert!(fake.expect_silence(42, Duration::from_millis(100)).await);

    token.shutdown().expect("dispatcher is running").await;
    running.await.unwrap();
    assert_eq!(fake.updates_pending(), 0);
    assert_eq!(fake.updates_unconfirmed(), 0, "shutdown confirms the offset");
    assert!(fake.unknown_methods().is_empty(), "{:?}", fake.unknown_methods());
    assert!(fake.rejected().is_empty(), "{:?}", fake.rejected());
    let methods = fake.methods_called();
    assert!(methods.contains(&"getMe".to_owned()), "{methods:?}");
    assert!(methods.contains(&"getWebhookInfo".to_owned()), "{methods:?}");
}
