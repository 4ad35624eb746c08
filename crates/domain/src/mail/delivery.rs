use std::sync::Arc;

use time::Duration;
use tracing::instrument;

use super::model::Mailer;
use crate::clock::Clock;
use crate::error::StoreError;
use crate::ports::UnitOfWork;

/// How the worker paces its retries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The wait after the first failure; it doubles with each further failure...
    pub first_delay: Duration,
    /// ...up to this. Messages are never dropped: a mail server may be down for a day.
    pub max_delay: Duration,
    /// How long a claimed message stays hidden from other workers while it is being sent.
    pub lease: Duration,
    /// Messages claimed per round.
    pub batch: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            first_delay: Duration::seconds(5),
            max_delay: Duration::minutes(15),
            // Longer than a whole batch takes against a mail server that stalls every send
            // (10 x the SMTP transport's 10 s deadline), so no second worker takes a message
            // that is still being sent.
            lease: Duration::minutes(5),
            batch: 10,
        }
    }
}

impl RetryPolicy {
    /// The wait before the next attempt, after `failures` failed ones (at least 1).
    pub fn delay_after(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(30);
        let delay = self
            .first_delay
            .checked_mul(1 << doublings)
            .unwrap_or(self.max_delay);
        delay.min(self.max_delay)
    }
}

/// What one round of delivery did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Messages the mailer took, recorded as sent.
    pub sent: usize,
    /// Messages the mailer refused, each due again after its backoff.
    pub failed: usize,
}

/// Drains the outbox: the use case the server's background worker runs in a loop.
#[derive(Clone)]
pub struct DeliveryService {
    uow: Arc<dyn UnitOfWork>,
    mailer: Arc<dyn Mailer>,
    clock: Arc<dyn Clock>,
    policy: RetryPolicy,
}

impl DeliveryService {
    /// Wires the worker to its ports; `policy` paces the retries and sizes the batches.
    pub fn new(
        uow: Arc<dyn UnitOfWork>,
        mailer: Arc<dyn Mailer>,
        clock: Arc<dyn Clock>,
        policy: RetryPolicy,
    ) -> Self {
        Self {
            uow,
            mailer,
            clock,
            policy,
        }
    }

    /// Claims up to [`RetryPolicy::batch`] due messages (a committed claim that leases them),
    /// sends each, then records every outcome in one transaction. A crash before that record
    /// loses the outcomes of the batch: its messages are sent again once the lease runs out
    /// (delivery is at least once). When nothing is due it only reads. A failed send is
    /// counted in the report, not returned as an error.
    #[instrument(skip_all)]
    pub async fn deliver_due(&self) -> Result<DeliveryReport, StoreError> {
        let now = self.clock.now();
        // SQLite has one writer for the whole database: an idle poll must not take its lock.
        if !self.uow.read().await?.outbox().has_due(now).await? {
            return Ok(DeliveryReport::default());
        }
        let tx = self.uow.begin().await?;
        let batch = tx
            .outbox()
            .claim_due(now, now + self.policy.lease, self.policy.batch)
            .await?;
        tx.commit().await?;

        // Sent first, recorded after, all in one write: one transaction per batch rather than
        // per message keeps the single SQLite writer free for requests. The lease covers the
        // batch; a crash before the record means these are sent again (at least once).
        if batch.is_empty() {
            return Ok(DeliveryReport::default());
        }
        let mut outcomes = Vec::with_capacity(batch.len());
        for message in &batch {
            outcomes.push(self.mailer.send(&message.mail).await);
        }
        let mut report = DeliveryReport::default();
        let mut sent = Vec::with_capacity(batch.len());
        let tx = self.uow.begin().await?;
        for (message, outcome) in batch.iter().zip(outcomes) {
            match outcome {
                Ok(()) => {
                    sent.push(message.id);
                    report.sent += 1;
                }
                Err(error) => {
                    let failures = message.attempts.saturating_add(1);
                    let retry_at = self.clock.now() + self.policy.delay_after(failures);
                    tracing::warn!(
                        message = %message.id,
                        failures,
                        retry_at = %retry_at,
                        %error,
                        "mail not delivered; will retry"
                    );
                    tx.outbox()
                        .mark_failed(message.id, failures, retry_at, &error.to_string())
                        .await?;
                    report.failed += 1;
                }
            }
        }
        if !sent.is_empty() {
            tx.outbox().mark_sent(&sent, self.clock.now()).await?;
        }
        tx.commit().await?;
        Ok(report)
    }
}
