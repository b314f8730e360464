//! The outbox worker: the only sender, in the bot and in every command that sends.
//!
//! - It claims committed messages of its channel from the outbox (the claim expires, so a
//!   dead sender's messages are taken over) and sends them through a [`Port`].
//! - Sending is immediate while under the limits: token buckets for the channel's overall
//!   rate and for each chat, with a small burst so that a step's messages leave at once.
//! - Order is strict per chat: a message that failed holds back that chat's later ones.
//! - Timeouts, server errors and dropped connections are retried with a pause that doubles
//!   from about a second; a 429 is honoured with its `retry_after`; an edit stays an edit;
//!   a button's answer is retried while it is still valid. Attempts are capped (also across
//!   restarts); what stays undeliverable is logged and shown to the board.
//! - What was delivered is marked in one commit per pass.

pub mod port;
mod send;

use std::collections::{HashMap, HashSet, VecDeque};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;

pub use port::{Port, SendError};
use send::{answer, pause, send};

use crate::message::{Delivery, Outgoing};
use crate::store::{self, Settled, Store};

/// Sending limits of a channel.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Messages per second overall (Telegram: 30).
    pub per_sec: u32,
    /// Messages per second to one chat (Telegram: about 1).
    pub per_chat_per_sec: u32,
    /// Messages one chat may get at once before the per-chat rate applies.
    pub chat_burst: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            per_sec: 30,
            per_chat_per_sec: 1,
            chat_burst: 3,
        }
    }
}

/// Retry policy.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub first_pause: Duration,
    pub max_pause: Duration,
    /// Failed attempts after which a message is given up (429s do not count).
    pub max_attempts: u32,
    /// How long a claim holds; renewed while the message is held.
    pub claim_for: Duration,
    /// How long a button press may still be answered.
    pub answer_valid_for: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            first_pause: Duration::from_secs(1),
            max_pause: Duration::from_secs(300),
            max_attempts: 10,
            claim_for: Duration::from_secs(60),
            answer_valid_for: Duration::from_secs(15),
        }
    }
}

enum Job {
    /// New rows were committed: claim them.
    Wake,
    /// Rows committed already claimed for this worker (see `Engine::with_presend`).
    Claimed(i64, Outgoing),
    /// A message that is not in the outbox (a document, a note that the database is down).
    Direct(Outgoing),
    /// A button press to answer.
    Answer(String),
}

/// How the rest of the program hands work to the worker. Cheap to clone.
#[derive(Clone)]
pub struct OutboxHandle {
    jobs: mpsc::UnboundedSender<Job>,
}

impl OutboxHandle {
    /// Committed messages are waiting.
    pub fn wake(&self) {
        let _ = self.jobs.send(Job::Wake);
    }
    /// Hands over a step's deliveries: committed ones are claimed from the outbox, the
    /// others (documents) are sent as they are.
    pub fn deliver(&self, deliveries: Vec<Delivery>) {
        let mut committed = false;
        for d in deliveries {
            match d.outbox_id {
                Some(_) => committed = true,
                None => {
                    let _ = self.jobs.send(Job::Direct(d.message));
                }
            }
        }
        if committed {
            self.wake();
        }
    }
    /// Sends a message that is not in the outbox.
    pub fn send_now(&self, message: Outgoing) {
        let _ = self.jobs.send(Job::Direct(message));
    }
    /// Hands over deliveries whose rows were claimed for this worker as they were committed:
    /// they are sent without a claim of their own. Others go as in [`Self::deliver`].
    pub fn handover(&self, deliveries: Vec<Delivery>) {
        for d in deliveries {
            match d.outbox_id {
                Some(id) => {
                    let _ = self.jobs.send(Job::Claimed(id, d.message));
                }
                None => {
                    let _ = self.jobs.send(Job::Direct(d.message));
                }
            }
        }
    }

    pub fn answer_button(&self, callback_id: String) {
        let _ = self.jobs.send(Job::Answer(callback_id));
    }
}

struct Item {
    id: Option<i64>,
    message: Outgoing,
    attempts: u32,
    /// Parts of a long text already delivered.
    part: usize,
    /// The edit was refused for good: send the text as a new message.
    as_new: bool,
}

#[derive(Default)]
struct ChatQueue {
    items: VecDeque<Item>,
    busy: bool,
    not_before: Option<Instant>,
}

type Outcome = (i64, Item, Result<(), SendError>);

pub struct Worker {
    store: Store,
    port: Arc<dyn Port>,
    owner: String,
    policy: Policy,
    overall: Arc<DefaultDirectRateLimiter>,
    per_chat: Arc<DefaultKeyedRateLimiter<i64>>,
    jobs: mpsc::UnboundedReceiver<Job>,
    chats: HashMap<i64, ChatQueue>,
    held: HashSet<i64>,
    settled: Settled,
    unreachable: Vec<i64>,
    last_claim: Instant,
    last_flush: Instant,
}

/// Other senders' rows, retries due in the database and expired claims are looked at this often.
const CLAIM_EVERY: Duration = Duration::from_secs(1);
/// Messages claimed at once.
const CLAIM_PAGE: usize = 1000;
/// Fewer messages than this in hand: claim the next page of a backlog.
const CLAIM_LOW: usize = 500;
/// Delivered messages are recorded at most this late (one commit for many).
const FLUSH_EVERY: Duration = Duration::from_millis(50);

fn nonzero(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN)
}

impl Worker {
    /// A worker for `port`'s channel; `owner` names its claims (the bot uses one fixed name
    /// and takes over its previous run's claims; a command uses a name of its own).
    pub fn new(
        store: Store,
        port: Arc<dyn Port>,
        owner: &str,
        limits: Limits,
        policy: Policy,
    ) -> (Worker, OutboxHandle) {
        let (tx, rx) = mpsc::unbounded_channel();
        let per_chat = Quota::per_second(nonzero(limits.per_chat_per_sec)).allow_burst(nonzero(limits.chat_burst));
        let worker = Worker {
            store,
            port,
            owner: owner.to_owned(),
            policy,
            // No burst overall: the channel's per-second limit holds over any second.
            overall: Arc::new(RateLimiter::direct(
                Quota::per_second(nonzero(limits.per_sec)).allow_burst(NonZeroU32::MIN),
            )),
            per_chat: Arc::new(RateLimiter::keyed(per_chat)),
            jobs: rx,
            chats: HashMap::new(),
            held: HashSet::new(),
            settled: Settled::default(),
            unreachable: Vec::new(),
            last_claim: Instant::now(),
            last_flush: Instant::now(),
        };
        (worker, OutboxHandle { jobs: tx })
    }

    /// Gives back the claims this owner left behind (the bot's previous run).
    pub async fn take_over(&self) -> anyhow::Result<()> {
        let n = store::release(self.store.pool(), &self.owner).await?;
        if n > 0 {
            tracing::info!(count = n, "taking over messages left from the last run");
        }
        Ok(())
    }

    /// Sends until `stop` turns true, then finishes what is in flight and gives back its
    /// claims.
    pub async fn run(mut self, mut stop: watch::Receiver<bool>) {
        let mut tasks: JoinSet<Outcome> = JoinSet::new();
        let mut claim_due = true;
        let mut backlog = false;
        let mut last_renew = Instant::now();
        loop {
            // A large backlog is taken 1,000 at a time, the next page when this one runs low.
            if claim_due || (backlog && self.held.len() < CLAIM_LOW) || self.last_claim.elapsed() >= CLAIM_EVERY {
                claim_due = false;
                backlog = self.claim().await >= CLAIM_PAGE;
            }
            self.start(&mut tasks);
            if self.settled.sent.len() >= 500 || self.last_flush.elapsed() >= FLUSH_EVERY {
                self.flush().await;
            }
            if last_renew.elapsed() > self.policy.claim_for / 3 {
                last_renew = Instant::now();
                self.renew().await;
                // Chats quiet for a while are forgotten by the per-chat limiter.
                self.per_chat.retain_recent();
            }
            let wake_at = self.next_wake();
            tokio::select! {
                Some(done) = tasks.join_next(), if !tasks.is_empty() => {
                    self.finished(done);
                    while let Some(more) = tasks.try_join_next() {
                        self.finished(more);
                    }
                }
                job = self.jobs.recv() => match job {
                    Some(job) => claim_due = self.take(job),
                    None => break,
                },
                _ = tokio::time::sleep_until(wake_at) => {}
                _ = stop.changed() => break,
            }
            while let Ok(job) = self.jobs.try_recv() {
                claim_due |= self.take(job);
            }
        }
        while let Some(done) = tasks.join_next().await {
            self.finished(done);
        }
        self.flush().await;
        if let Err(e) = store::release(self.store.pool(), &self.owner).await {
            tracing::warn!(error.message = %e, "could not give back claims");
        }
    }

    /// Sends what is due now and returns when nothing of this channel is left to send or
    /// everything left waits for a retry (a command that sends, then exits).
    pub async fn drain(mut self, patience: Duration) {
        let deadline = Instant::now() + patience;
        let mut tasks: JoinSet<Outcome> = JoinSet::new();
        loop {
            while let Ok(job) = self.jobs.try_recv() {
                self.take(job);
            }
            if self.held.len() < CLAIM_LOW || self.last_claim.elapsed() >= CLAIM_EVERY {
                self.claim().await;
            }
            self.start(&mut tasks);
            if tasks.is_empty() && self.chats.values().all(|q| q.items.is_empty()) {
                // Nothing in hand: done unless the outbox has more for this channel.
                if self.claim().await == 0 {
                    break;
                }
                continue;
            }
            let wake_at = self.next_wake().min(deadline);
            tokio::select! {
                Some(done) = tasks.join_next(), if !tasks.is_empty() => {
                    self.finished(done);
                    while let Some(more) = tasks.try_join_next() {
                        self.finished(more);
                    }
                }
                _ = tokio::time::sleep_until(wake_at) => {}
            }
            if self.settled.sent.len() >= 500 || self.last_flush.elapsed() >= FLUSH_EVERY {
                self.flush().await;
            }
            if Instant::now() >= deadline {
                break;
            }
        }
        while let Some(done) = tasks.join_next().await {
            self.finished(done);
        }
        self.flush().await;
        if let Err(e) = store::release(self.store.pool(), &self.owner).await {
            tracing::warn!(error.message = %e, "could not give back claims");
        }
    }

    /// True when the outbox should be looked at.
    fn take(&mut self, job: Job) -> bool {
        let channel = self.port.channel();
        match &job {
            Job::Claimed(_, m) | Job::Direct(m) if m.channel != channel => {
                tracing::warn!(
                    to = m.channel.as_str(),
                    "a message for another channel was handed to this sender; left to its own"
                );
                return true;
            }
            _ => {}
        }
        match job {
            Job::Wake => true,
            Job::Claimed(id, message) => {
                self.hold(id, message, 0);
                false
            }
            Job::Direct(message) => {
                self.push(Item {
                    id: None,
                    message,
                    attempts: 0,
                    part: 0,
                    as_new: false,
                });
                false
            }
            Job::Answer(id) => {
                let port = Arc::clone(&self.port);
                let policy = self.policy;
                tokio::spawn(answer(port, id, policy));
                false
            }
        }
    }

    fn push(&mut self, item: Item) {
        self.chats
            .entry(item.message.chat_id)
            .or_default()
            .items
            .push_back(item);
    }

    /// Queues a claimed row in its chat in id order (a reminder claimed from the database
    /// and a reply handed over may arrive in either order).
    fn hold(&mut self, id: i64, message: Outgoing, attempts: u32) {
        if !self.held.insert(id) {
            return;
        }
        let q = self.chats.entry(message.chat_id).or_default();
        let at = q
            .items
            .iter()
            .position(|i| i.id.is_some_and(|other| other > id))
            .unwrap_or(q.items.len());
        q.items.insert(
            at,
            Item {
                id: Some(id),
                message,
                attempts,
                part: 0,
                as_new: false,
            },
        );
    }

    /// Claims what is due; returns how many messages were newly taken in hand.
    async fn claim(&mut self) -> usize {
        self.last_claim = Instant::now();
        let now = Utc::now();
        let until =
            now + chrono::Duration::from_std(self.policy.claim_for).unwrap_or_else(|_| chrono::Duration::seconds(60));
        match store::claim(
            self.store.pool(),
            self.port.channel(),
            &self.owner,
            now,
            until,
            CLAIM_PAGE as i64,
        )
        .await
        {
            Ok(rows) => {
                let before = self.held.len();
                for c in rows {
                    self.hold(c.id, c.message, u32::try_from(c.attempts).unwrap_or(u32::MAX));
                }
                self.held.len() - before
            }
            Err(e) => {
                tracing::error!(error.message = %e, "cannot claim messages");
                0
            }
        }
    }

    async fn renew(&self) {
        let ids: Vec<i64> = self.held.iter().copied().collect();
        let until = Utc::now()
            + chrono::Duration::from_std(self.policy.claim_for).unwrap_or_else(|_| chrono::Duration::seconds(60));
        if let Err(e) = store::renew(self.store.pool(), &self.owner, &ids, until).await {
            tracing::warn!(error.message = %e, "cannot renew claims");
        }
    }

    /// Starts sending the head of every chat that is free and due.
    fn start(&mut self, tasks: &mut JoinSet<Outcome>) {
        let now = Instant::now();
        for (chat, q) in self.chats.iter_mut() {
            if q.busy || q.not_before.is_some_and(|t| t > now) {
                continue;
            }
            let Some(item) = q.items.pop_front() else { continue };
            q.busy = true;
            let (port, overall, per_chat, chat) = (
                Arc::clone(&self.port),
                Arc::clone(&self.overall),
                Arc::clone(&self.per_chat),
                *chat,
            );
            tasks.spawn(async move {
                let mut item = item;
                let r = send(&*port, &overall, &per_chat, &mut item).await;
                (chat, item, r)
            });
        }
    }

    fn finished(&mut self, done: Result<Outcome, tokio::task::JoinError>) {
        let (chat, mut item, result) = match done {
            Ok(o) => o,
            Err(e) => {
                tracing::error!(error.message = %e, "a send task failed");
                return;
            }
        };
        let policy = self.policy;
        let q = self.chats.entry(chat).or_default();
        q.busy = false;
        let done = |item: &Item, settled: &mut Settled, held: &mut HashSet<i64>| {
            if let Some(id) = item.id {
                settled.sent.push(id);
                held.remove(&id);
            }
        };
        match result {
            Ok(()) => {
                q.not_before = None;
                done(&item, &mut self.settled, &mut self.held);
            }
            Err(SendError::Unreachable) => {
                tracing::info!(chat_id = chat, "the member cannot be reached; marked unreachable");
                self.unreachable.push(chat);
                done(&item, &mut self.settled, &mut self.held);
            }
            Err(SendError::RetryAfter(wait)) => {
                tracing::info!(
                    chat_id = chat,
                    wait_s = wait.as_secs(),
                    "asked to wait; the message will follow"
                );
                q.not_before = Some(Instant::now() + wait);
                q.items.push_front(item);
            }
            Err(SendError::Transient(e)) => {
                item.attempts += 1;
                if item.attempts >= policy.max_attempts {
                    tracing::error!(chat_id = chat, attempts = item.attempts, error = %e, "message given up after the last attempt");
                    if let Some(id) = item.id {
                        self.settled.failed.push((id, e));
                        self.held.remove(&id);
                    }
                    q.not_before = None;
                } else {
                    let pause = pause(&policy, item.attempts);
                    tracing::warn!(chat_id = chat, attempts = item.attempts, pause_ms = pause.as_millis() as u64, error = %e, "message not delivered; it will be tried again");
                    q.not_before = Some(Instant::now() + pause);
                    if let Some(id) = item.id {
                        let at = Utc::now() + chrono::Duration::from_std(pause).unwrap_or_default();
                        self.settled.retry.push((id, i64::from(item.attempts), at, e));
                    }
                    q.items.push_front(item);
                }
            }
            Err(SendError::Permanent(e)) => {
                tracing::error!(chat_id = chat, error = %e, "message refused by the channel; given up");
                if let Some(id) = item.id {
                    self.settled.failed.push((id, e));
                    self.held.remove(&id);
                }
            }
        }
        if q.items.is_empty() && !q.busy {
            self.chats.remove(&chat);
        }
    }

    /// Records the pass in one commit.
    async fn flush(&mut self) {
        self.last_flush = Instant::now();
        let now = Utc::now();
        if !self.unreachable.is_empty() {
            let channel = self.port.channel();
            for chat in std::mem::take(&mut self.unreachable) {
                let r = async {
                    let mut conn = self.store.conn().await?;
                    store::mark_unreachable(&mut conn, channel, chat, Some(now)).await
                }
                .await;
                if let Err(e) = r {
                    tracing::error!(error.message = %e, "cannot record an unreachable member");
                }
            }
        }
        if self.settled.is_empty() {
            return;
        }
        let settled = std::mem::take(&mut self.settled);
        if let Err(e) = store::settle(self.store.pool(), &settled, now).await {
            // Delivered messages not marked are sent again by a later run (at least once).
            tracing::error!(error.message = %e, "cannot record delivered messages");
        }
    }

    fn next_wake(&self) -> Instant {
        let now = Instant::now();
        let soonest = self
            .chats
            .values()
            .filter(|q| !q.busy && !q.items.is_empty())
            .filter_map(|q| q.not_before)
            .min();
        let mut at = self.last_claim + CLAIM_EVERY;
        if let Some(t) = soonest {
            at = at.min(t);
        }
        if !self.settled.is_empty() || !self.unreachable.is_empty() {
            at = at.min(self.last_flush + FLUSH_EVERY);
        }
        at.max(now)
    }
}

#[cfg(test)]
mod tests;
