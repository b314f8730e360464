//! Long polling. Zalo's `getUpdates` answers one update and has no offset: an update counts
//! as delivered once it was answered. So the next poll is made only after the update has been
//! applied and committed (tried again while the database cannot be written); its key (from
//! the message id) makes a re-delivered update apply once. What Zalo handed over just before
//! the process died is lost on Zalo's side; the webhook mode, which answers 200 only after the
//! commit, does not have that gap.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::{Inlet, ZaloClient};

/// Long-poll time of `getUpdates`, in seconds.
pub const POLL_TIMEOUT_SECS: u32 = 30;
/// The longest wait between two tries after a failure.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

pub struct Poller {
    inlet: Arc<Inlet>,
    client: ZaloClient,
    timeout_secs: u32,
}

impl Poller {
    pub fn new(inlet: Arc<Inlet>, client: ZaloClient) -> Poller {
        Poller {
            inlet,
            client,
            timeout_secs: POLL_TIMEOUT_SECS,
        }
    }

    /// A shorter long poll (tests).
    pub fn with_timeout(mut self, secs: u32) -> Poller {
        self.timeout_secs = secs.max(1);
        self
    }

    /// Polls until `stop` turns true. An update in hand is applied first.
    pub async fn run(self, mut stop: watch::Receiver<bool>) -> anyhow::Result<()> {
        let mut backoff = Duration::from_millis(500);
        tracing::info!("polling Zalo");
        loop {
            if *stop.borrow() {
                return Ok(());
            }
            let polled = tokio::select! {
                r = self.client.get_update(self.timeout_secs) => r,
                _ = stop.changed() => return Ok(()),
            };
            let update = match polled {
                Ok(Some(u)) => {
                    backoff = Duration::from_millis(500);
                    u
                }
                Ok(None) => {
                    backoff = Duration::from_millis(500);
                    continue;
                }
                Err(e) => {
                    tracing::warn!(error.message = %e, "Zalo getUpdates failed; trying again");
                    if pause(&mut stop, &mut backoff).await {
                        return Ok(());
                    }
                    continue;
                }
            };
            if !self.apply_until_committed(&[update], &mut stop).await {
                return Ok(());
            }
        }
    }

    /// False when asked to stop before the update was committed.
    async fn apply_until_committed(&self, updates: &[super::ZaloUpdate], stop: &mut watch::Receiver<bool>) -> bool {
        let mut backoff = Duration::from_millis(500);
        let batch = loop {
            match self.inlet.translate(updates).await {
                Ok(b) => break b,
                Err(e) => {
                    tracing::error!(error.cause_chain = ?e, error.message = %e, "Zalo update not read; trying again");
                    if pause(stop, &mut backoff).await {
                        return false;
                    }
                }
            }
        };
        loop {
            match self.inlet.apply(batch.clone()).await {
                Ok(()) => return true,
                Err(e) => {
                    tracing::error!(error.cause_chain = ?e, error.message = %e, "Zalo update not committed; it will be tried again");
                    self.inlet.apologise(&batch);
                    if pause(stop, &mut backoff).await {
                        return false;
                    }
                }
            }
        }
    }
}

/// Sleeps `backoff` (then doubles it, up to [`MAX_BACKOFF`]); true when asked to stop.
pub(super) async fn pause(stop: &mut watch::Receiver<bool>, backoff: &mut Duration) -> bool {
    let wait = *backoff;
    *backoff = (*backoff * 2).min(MAX_BACKOFF);
    tokio::select! {
        _ = tokio::time::sleep(wait) => *stop.borrow(),
        _ = stop.changed() => true,
    }
}
