//! The worker against a recording port and a real SQLite file.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::watch;

use super::port::{Call, RecordingPort};
use super::*;
use crate::message::{Channel, Outgoing};
use crate::store::Store;

async fn store(dir: &tempfile::TempDir) -> Store {
    Store::open(&format!("sqlite://{}", dir.path().join("outbox.db").display()))
        .await
        .expect("store")
}

async fn commit(store: &Store, messages: Vec<Outgoing>) -> Vec<i64> {
    let mut tx = store.begin().await.unwrap();
    let mut ids = Vec::new();
    for m in messages {
        ids.push(store::queue(&mut tx, m, Utc::now()).await.unwrap().outbox_id.unwrap());
    }
    tx.commit().await.unwrap();
    ids
}

fn fast() -> Policy {
    Policy {
        first_pause: Duration::from_millis(20),
        max_pause: Duration::from_millis(200),
        max_attempts: 4,
        ..Policy::default()
    }
}

fn texts(port: &RecordingPort, chat: i64) -> Vec<String> {
    port.calls()
        .into_iter()
        .filter_map(|c| match c {
            Call::Send { chat: c, text } | Call::Edit { chat: c, text, .. } if c == chat => Some(text),
            _ => None,
        })
        .collect()
}

async fn unsent(store: &Store) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL")
        .fetch_one(store.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_failed_message_holds_back_its_chat_and_everything_arrives_once_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let port = Arc::new(RecordingPort::new(Channel::Telegram));
    port.fail_next([
        SendError::Transient("timeout".into()),
        SendError::RetryAfter(Duration::from_millis(50)),
        SendError::Transient("502".into()),
    ]);
    commit(
        &store,
        (1..=5).map(|i| Outgoing::new(7, format!("tin {i}"), vec![])).collect(),
    )
    .await;
    let (worker, handle) = Worker::new(
        store.clone(),
        port.clone(),
        "t",
        Limits {
            per_sec: 1000,
            per_chat_per_sec: 1000,
            chat_burst: 10,
        },
        fast(),
    );
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(worker.run(stopped));
    handle.wake();
    for _ in 0..200 {
        if unsent(&store).await == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = stop.send(true);
    task.await.unwrap();
    assert_eq!(texts(&port, 7), (1..=5).map(|i| format!("tin {i}")).collect::<Vec<_>>());
    let attempts: i64 = sqlx::query_scalar("SELECT MAX(attempts) FROM outbox")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(attempts, 2, "two transient failures counted, the 429 not");
}

#[tokio::test]
async fn attempts_are_capped_and_the_message_is_recorded_as_undeliverable() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let port = Arc::new(RecordingPort::new(Channel::Telegram));
    port.fail_next((0..4).map(|_| SendError::Transient("down".into())));
    commit(
        &store,
        vec![Outgoing::new(8, "mất", vec![]), Outgoing::new(8, "sau", vec![])],
    )
    .await;
    let (worker, handle) = Worker::new(store.clone(), port.clone(), "t", Limits::default(), fast());
    handle.wake();
    worker.drain(Duration::from_secs(10)).await;
    let mut conn = store.conn().await.unwrap();
    let failed = store::undeliverable(&mut conn).await.unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].error, "down");
    assert_eq!(texts(&port, 8), vec!["sau".to_owned()], "the next message goes on");
}

#[tokio::test]
async fn an_edit_stays_an_edit_when_retried_and_becomes_a_message_only_when_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let port = Arc::new(RecordingPort::new(Channel::Telegram));
    port.fail_next([SendError::RetryAfter(Duration::from_millis(30))]);
    let mut edit = Outgoing::new(9, "sửa", vec![]);
    edit.edit_message = Some(41);
    commit(&store, vec![edit.clone()]).await;
    let (worker, handle) = Worker::new(store.clone(), port.clone(), "t", Limits::default(), fast());
    handle.wake();
    worker.drain(Duration::from_secs(5)).await;
    assert_eq!(
        port.calls(),
        vec![Call::Edit {
            chat: 9,
            message_id: 41,
            text: "sửa".into()
        }]
    );
    // Refused for good (too old): the text arrives as a new message.
    port.fail_next([SendError::Permanent("message can't be edited".into())]);
    commit(&store, vec![edit]).await;
    let (worker, handle) = Worker::new(store.clone(), port.clone(), "t", Limits::default(), fast());
    handle.wake();
    worker.drain(Duration::from_secs(5)).await;
    assert_eq!(
        port.calls().last(),
        Some(&Call::Send {
            chat: 9,
            text: "sửa".into()
        })
    );
}

#[tokio::test]
async fn a_row_claimed_by_one_sender_is_not_sent_by_another() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    commit(
        &store,
        (1..=20)
            .map(|i| Outgoing::new(i, format!("nhắc {i}"), vec![]))
            .collect(),
    )
    .await;
    let a = Arc::new(RecordingPort::new(Channel::Telegram));
    let b = Arc::new(RecordingPort::new(Channel::Telegram));
    let (wa, ha) = Worker::new(store.clone(), a.clone(), "bot", Limits::default(), fast());
    let (wb, hb) = Worker::new(store.clone(), b.clone(), "cli:1", Limits::default(), fast());
    ha.wake();
    hb.wake();
    tokio::join!(wa.drain(Duration::from_secs(10)), wb.drain(Duration::from_secs(10)));
    assert_eq!(a.calls().len() + b.calls().len(), 20, "each reminder sent once");
    assert_eq!(unsent(&store).await, 0);
}

#[tokio::test]
async fn other_channels_rows_are_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    commit(
        &store,
        vec![
            Outgoing::new(5, "máy", vec![]).via(Channel::Console),
            Outgoing::new(5, "telegram", vec![]),
        ],
    )
    .await;
    let port = Arc::new(RecordingPort::new(Channel::Telegram));
    let (w, h) = Worker::new(store.clone(), port.clone(), "bot", Limits::default(), fast());
    h.wake();
    w.drain(Duration::from_secs(5)).await;
    assert_eq!(texts(&port, 5), vec!["telegram".to_owned()]);
    assert_eq!(unsent(&store).await, 1, "the console's message waits for the console");
}

#[tokio::test]
async fn a_step_s_messages_leave_at_once_under_the_chat_burst() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let port = Arc::new(RecordingPort::new(Channel::Telegram));
    let (w, _h) = Worker::new(store, port, "bot", Limits::default(), fast());
    // Telegram's default: 1 message per second per chat, with a burst of 3 so a receipt
    // and the next prompt need no wait; the fourth in a row must wait.
    for _ in 0..3 {
        assert!(w.per_chat.check_key(&3).is_ok());
    }
    assert!(w.per_chat.check_key(&3).is_err());
    assert!(w.per_chat.check_key(&4).is_ok(), "chats are independent");
}
