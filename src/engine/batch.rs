//! A batch of updates applied in one SQLite transaction: each step's answers, conversation
//! state and outgoing messages, and the ids of the updates applied, commit together. A
//! re-delivered update is recognised by its key and skipped. A step that fails is isolated:
//! the batch is applied again with a savepoint per step, the failed step is rolled back and
//! answered with the temporary-error text, and the others commit.

use std::collections::{HashMap, HashSet};

use anyhow::Context;
use chrono::{DateTime, Utc};

use super::state::State;
use super::views::{UnitView, needs_all_units};
use super::{Channel, ChatRef, Delivery, Engine, EngineError, Inbound, Outgoing, Reply, text};
use crate::store::{self, Member, Tx};

/// Where an update came from and its id there: the key that makes it apply once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UpdateKey {
    pub channel: &'static str,
    pub id: i64,
}

/// One incoming event of a batch.
#[derive(Debug, Clone)]
pub struct Update {
    /// `None` for inputs that cannot arrive twice (the console).
    pub key: Option<UpdateKey>,
    pub chat: ChatRef,
    pub input: Inbound,
}

/// What a committed batch produced.
#[derive(Debug, Default)]
pub struct Applied {
    /// The messages to send, in order (committed to the outbox, except documents).
    pub deliveries: Vec<Delivery>,
    /// Steps applied (including failed ones answered with the temporary-error text).
    pub applied: usize,
    /// Updates skipped because they had been applied before.
    pub duplicates: Vec<UpdateKey>,
    /// Steps that failed and were rolled back.
    pub failed: usize,
    /// How many of the first deliveries were claimed in the batch's commit for this
    /// process's sender (see [`Engine::with_presend`]); those of its channel only.
    pub preclaimed: usize,
}

/// Work that must wait for the commit (it reads what the batch wrote, or takes long).
#[derive(Debug, Clone)]
pub(super) enum After {
    Export {
        to: (Channel, i64),
        kind: super::board::Export,
    },
    Remind {
        to: (Channel, i64),
    },
    /// A unit's Excel template, with the step's reply as its caption.
    Template {
        to: (Channel, i64),
        unit: i64,
        caption: String,
    },
}

/// What one step decided.
pub(super) struct StepOut {
    pub next: State,
    pub messages: Vec<Outgoing>,
    pub after: Vec<After>,
    /// The member row of the user changed (registration, reachable again): read it anew.
    pub member_changed: bool,
    /// The unit whose report the step changed.
    pub touched: Option<i64>,
}

/// Conversation states and members of the batch's chats, read once for the whole batch.
#[derive(Default)]
pub(super) struct Loaded {
    pub states: HashMap<(Channel, i64), State>,
    pub members: HashMap<i64, Option<Member>>,
}

struct Outcome {
    messages: Vec<Outgoing>,
    after: Vec<After>,
    applied: usize,
    duplicates: Vec<UpdateKey>,
    failed: usize,
}

impl Engine {
    /// Applies a batch in one transaction. An error means nothing was committed (the
    /// database could not be written): the caller must not acknowledge the batch.
    pub async fn apply(&self, updates: Vec<Update>, now: DateTime<Utc>) -> Result<Applied, EngineError> {
        let views = self.views_before(&updates).await?;
        let mut tx = self.store.begin().await?;
        let outcome = match self.apply_in(&mut tx, &updates, now, false, views.as_deref()).await {
            Ok(o) => o,
            Err(e) => {
                tracing::warn!(error.message = %e, "a step failed; the batch is applied again step by step");
                tx.rollback().await.context("rolling back the batch")?;
                tx = self.store.begin().await?;
                self.apply_in(&mut tx, &updates, now, true, views.as_deref()).await?
            }
        };
        let deliveries = self.commit(tx, outcome.messages, now).await?;
        let preclaimed = if self.presend.is_some() { deliveries.len() } else { 0 };
        let mut applied = Applied {
            deliveries,
            applied: outcome.applied,
            duplicates: outcome.duplicates,
            failed: outcome.failed,
            preclaimed,
        };
        for a in outcome.after {
            applied.deliveries.extend(self.after_commit(a, now).await);
        }
        Ok(applied)
    }

    /// Numbers and queues the batch's messages, then commits.
    async fn commit(
        &self,
        mut tx: Tx,
        messages: Vec<Outgoing>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Delivery>, EngineError> {
        let mut deliveries = Vec::with_capacity(messages.len());
        let mut rows = Vec::with_capacity(messages.len());
        let mut next = store::last_outbox_id(&mut tx).await?;
        for message in messages {
            next += 1;
            let body = serde_json::to_string(&message).context("encoding message")?;
            rows.push((next, message.channel.as_str(), message.chat_id, body));
            deliveries.push(Delivery {
                outbox_id: Some(next),
                message,
            });
        }
        let claim = self.presend.as_ref().map(|(channel, owner, for_)| store::PreClaim {
            channel: *channel,
            owner: owner.clone(),
            until: now + *for_,
        });
        store::push_outbox_many(&mut tx, &rows, claim.as_ref(), now).await?;
        tx.commit().await.context("committing the batch")?;
        Ok(deliveries)
    }

    /// Board views of every unit are read here, in a read transaction, so the batch's write
    /// lock is never held while thousands of units are read.
    async fn views_before(&self, updates: &[Update]) -> Result<Option<Vec<UnitView>>, EngineError> {
        let users: Vec<i64> = updates
            .iter()
            .filter(|u| u.chat.private && needs_all_units(&u.input))
            .filter_map(|u| u.chat.user_id)
            .collect();
        if users.is_empty() {
            return Ok(None);
        }
        let mut read = self.store.read().await?;
        let board = store::members_by_users(&mut read, &users)
            .await?
            .iter()
            .any(|m| m.is_board() && m.removed_at.is_none());
        let views = if board {
            Some(self.unit_views(&mut read).await?)
        } else {
            None
        };
        read.rollback().await.context("ending the read")?;
        Ok(views)
    }

    async fn apply_in(
        &self,
        tx: &mut Tx,
        updates: &[Update],
        now: DateTime<Utc>,
        isolated: bool,
        views: Option<&[UnitView]>,
    ) -> Result<Outcome, EngineError> {
        self.refresh_campaign(tx).await?;
        let mut done: HashSet<UpdateKey> = HashSet::new();
        let channels: HashSet<&'static str> = updates.iter().filter_map(|u| u.key.map(|k| k.channel)).collect();
        for channel in channels {
            let ids: Vec<i64> = updates
                .iter()
                .filter_map(|u| u.key.filter(|k| k.channel == channel).map(|k| k.id))
                .collect();
            for id in store::applied_updates(tx, channel, &ids).await? {
                done.insert(UpdateKey { channel, id });
            }
        }
        let mut loaded = self.load(tx, updates).await?;
        let mut out = Outcome {
            messages: Vec::new(),
            after: Vec::new(),
            applied: 0,
            duplicates: Vec::new(),
            failed: 0,
        };
        let mut records: HashMap<&'static str, Vec<(i64, bool)>> = HashMap::new();
        let mut changed: Vec<(Channel, i64)> = Vec::new();
        let mut touched: Vec<i64> = Vec::new();
        for u in updates {
            if let Some(k) = u.key
                && !done.insert(k)
            {
                out.duplicates.push(k);
                continue;
            }
            if let Some(user) = u.chat.user_id
                && !loaded.members.contains_key(&user)
            {
                let m = store::member_by_user(tx, user).await?;
                loaded.members.insert(user, m);
            }
            if isolated {
                sqlx::query("SAVEPOINT step")
                    .execute(&mut **tx)
                    .await
                    .context("savepoint")?;
            }
            let failed = match self.step_in(tx, &loaded, views, &u.chat, u.input.clone(), now).await {
                Ok(step) => {
                    if isolated {
                        sqlx::query("RELEASE step")
                            .execute(&mut **tx)
                            .await
                            .context("release")?;
                    }
                    if u.chat.private {
                        let at = (u.chat.channel, u.chat.chat_id);
                        loaded.states.insert(at, step.next);
                        if !changed.contains(&at) {
                            changed.push(at);
                        }
                    }
                    if step.member_changed
                        && let Some(user) = u.chat.user_id
                    {
                        loaded.members.remove(&user);
                    }
                    out.messages.extend(step.messages);
                    out.after.extend(step.after);
                    if let Some(unit) = step.touched
                        && !touched.contains(&unit)
                    {
                        touched.push(unit);
                    }
                    false
                }
                Err(e) if isolated => {
                    tracing::error!(error.cause_chain = ?e, error.message = %e, chat_id = u.chat.chat_id, "step failed; rolled back");
                    sqlx::query("ROLLBACK TO step; RELEASE step")
                        .execute(&mut **tx)
                        .await
                        .context("rolling back a step")?;
                    out.messages
                        .push(Outgoing::new(u.chat.chat_id, text::TEMPORARY_ERROR, vec![]).via(u.chat.channel));
                    out.failed += 1;
                    true
                }
                Err(e) => return Err(e),
            };
            out.applied += 1;
            if let Some(k) = u.key {
                records.entry(k.channel).or_default().push((k.id, failed));
            }
        }
        let states = changed
            .into_iter()
            .filter_map(|at| {
                let s = loaded.states.get(&at)?;
                Some(serde_json::to_string(s).map(|j| (at.0.as_str(), at.1, j)))
            })
            .collect::<Result<Vec<_>, _>>()
            .context("encoding states")?;
        store::save_conversations(tx, &states, now).await?;
        store::touch_reports(tx, self.campaign().id, &touched, now).await?;
        for (channel, ids) in records {
            store::record_updates(tx, channel, &ids, now).await?;
        }
        Ok(out)
    }

    /// Reads the states and members of every chat in the batch in two queries.
    async fn load(&self, tx: &mut Tx, updates: &[Update]) -> Result<Loaded, EngineError> {
        let mut chats: Vec<(Channel, i64)> = updates
            .iter()
            .filter(|u| u.chat.private)
            .map(|u| (u.chat.channel, u.chat.chat_id))
            .collect();
        chats.sort_unstable_by_key(|(c, id)| (c.as_str(), *id));
        chats.dedup();
        let mut users: Vec<i64> = updates.iter().filter_map(|u| u.chat.user_id).collect();
        users.sort_unstable();
        users.dedup();
        let mut loaded = Loaded::default();
        let channels: HashSet<Channel> = chats.iter().map(|(c, _)| *c).collect();
        for channel in channels {
            let ids: Vec<i64> = chats.iter().filter(|(c, _)| *c == channel).map(|(_, id)| *id).collect();
            for (chat, json) in store::conversations(tx, channel, &ids).await? {
                loaded
                    .states
                    .insert((channel, chat), serde_json::from_str(&json).unwrap_or_default());
            }
        }
        for u in &users {
            loaded.members.insert(*u, None);
        }
        for m in store::members_by_users(tx, &users).await? {
            loaded.members.insert(m.user_id, Some(m));
        }
        Ok(loaded)
    }

    async fn after_commit(&self, a: After, now: DateTime<Utc>) -> Vec<Delivery> {
        match a {
            After::Export { to, kind } => {
                let message = match kind {
                    super::board::Export::Workbook(drafts) => self.export_document(to.1, drafts, now).await,
                    super::board::Export::Report(drafts) => self.report_document(to.1, drafts, now).await,
                };
                vec![Delivery {
                    outbox_id: None,
                    message: message.via(to.0),
                }]
            }
            After::Template { to, unit, caption } => vec![Delivery {
                outbox_id: None,
                message: self.template_document(to.1, unit, caption).await.via(to.0),
            }],
            After::Remind { to } => {
                let sched = crate::reminders::Scheduler::new(self.clone(), self.reminders.clone());
                match sched.remind_now(now).await {
                    Ok((o, sent)) => {
                        let note = text::reminded_now(o.units.len(), o.messages, o.unreachable.len());
                        let mut out = vec![Delivery {
                            outbox_id: None,
                            message: self.out(to, &note, vec![], None),
                        }];
                        out.extend(sent);
                        out
                    }
                    Err(e) => {
                        tracing::error!(error.cause_chain = ?e, error.message = %e, "manual reminder pass failed");
                        vec![Delivery {
                            outbox_id: None,
                            message: Outgoing::new(to.1, text::TEMPORARY_ERROR, vec![]).via(to.0),
                        }]
                    }
                }
            }
        }
    }

    /// One step inside the batch's transaction. It writes answers and report changes, and
    /// returns the next state and the messages; the batch saves both.
    pub(super) async fn step_in(
        &self,
        tx: &mut Tx,
        loaded: &Loaded,
        views: Option<&[UnitView]>,
        chat: &ChatRef,
        input: Inbound,
        now: DateTime<Utc>,
    ) -> Result<StepOut, EngineError> {
        if !chat.private {
            return Ok(StepOut {
                next: State::default(),
                messages: vec![self.out((chat.channel, chat.chat_id), text::GROUP_REFUSAL, vec![], None)],
                after: vec![],
                member_changed: false,
                touched: None,
            });
        }
        let state = loaded
            .states
            .get(&(chat.channel, chat.chat_id))
            .cloned()
            .unwrap_or_default();
        let row = chat.user_id.and_then(|u| loaded.members.get(&u).cloned().flatten());
        let removed = row.as_ref().is_some_and(|m| m.removed_at.is_some());
        let member = row.filter(|m| m.removed_at.is_none());
        let mut member_changed = false;
        if let Some(m) = &member
            && m.unreachable_at.is_some()
        {
            // Writing again means the bot is no longer blocked.
            store::mark_unreachable(tx, m.channel(), m.chat_id, None).await?;
            member_changed = true;
        }
        let start_code = match &input {
            Inbound::Command { name, args } if name == "start" && !args.is_empty() => Some(args.clone()),
            _ => None,
        };
        let mut extra = super::StepExtra {
            sent_at: chat.sent_at,
            ..Default::default()
        };
        let mut after = Vec::new();
        let (next, replies) = match (member, start_code) {
            (None, _) => {
                member_changed = true;
                let (next, mut replies) = self.registration(tx, chat, state, &input, now).await?;
                if removed
                    && next == State::AwaitInvite
                    && replies
                        .iter()
                        .all(|r| r.text == text::ask_invite(&self.form.campaign.board))
                {
                    replies = vec![plain(&text::member_removed(&self.form.campaign.board))];
                }
                (next, replies)
            }
            (Some(_), Some(_)) => {
                // A registered member opening a link again: a valid code re-binds them; a
                // spent one leaves them where they were.
                member_changed = true;
                let (next, mut replies) = self.registration(tx, chat, state, &input, now).await?;
                if next == State::AwaitInvite {
                    replies.push(plain(text::STILL_REGISTERED));
                    (State::Menu, replies)
                } else {
                    (next, replies)
                }
            }
            (Some(m), None) if m.is_board() => {
                let b = self.board(tx, &m, state, input, now, views).await?;
                extra.others.extend(b.notify);
                if let Some(kind) = b.export {
                    after.push(After::Export {
                        to: (chat.channel, chat.chat_id),
                        kind,
                    });
                }
                if b.remind {
                    after.push(After::Remind {
                        to: (chat.channel, chat.chat_id),
                    });
                }
                (b.next, b.replies)
            }
            (Some(m), None) => {
                let (next, replies) = self.secretary(tx, &m, state, input, now, &mut extra).await?;
                match extra.template {
                    // The template is the answer; the reply becomes its caption.
                    Some(unit) => {
                        let caption = super::flow::merge(replies).pop().map(|r| r.text).unwrap_or_default();
                        after.push(After::Template {
                            to: (chat.channel, chat.chat_id),
                            unit,
                            caption,
                        });
                        (next, vec![])
                    }
                    None => (next, replies),
                }
            }
        };
        let mut messages: Vec<Outgoing> = Vec::with_capacity(replies.len() + extra.others.len());
        // One message per input, whoever sent it.
        for (i, r) in super::flow::merge(replies).into_iter().enumerate() {
            let edit = if i == 0 && r.edit { chat.message_id } else { None };
            messages.push(Outgoing {
                numeric: r.numeric,
                ..self.out((chat.channel, chat.chat_id), &r.text, r.buttons, edit)
            });
        }
        messages.extend(extra.others);
        Ok(StepOut {
            next,
            messages,
            after,
            member_changed,
            touched: extra.touched,
        })
    }
}

fn plain(t: &str) -> Reply {
    Reply {
        text: t.to_owned(),
        buttons: vec![],
        edit: false,
        numeric: false,
    }
}
