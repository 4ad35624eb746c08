use std::sync::Arc;
use std::time::Instant;

use tracing::instrument;

use super::model::DeliveryAttempt;
use super::ports::{ClaimedWebhook, RoundOutcome, WebhookSender};
use super::service::open_secret;
use super::signature::{ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, payload, sign};
use crate::clock::Clock;
use crate::error::StoreError;
use crate::integration::Sealer;
use crate::mail::RetryPolicy;
use crate::ports::UnitOfWork;

/// Events posted to one webhook in one round, one after the other. With the sender's
/// deadline per post (10 s in the HTTP adapter) a round stays well inside the default lease
/// of five minutes, so no second worker takes a webhook whose round is still running.
pub const EVENTS_PER_ROUND: u32 = 20;

/// What one round of delivery did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WebhookReport {
    /// Events the receivers took (a 2xx answer).
    pub delivered: usize,
    /// Tries that failed; each failed event is due again after its backoff, ahead of the
    /// events queued behind it.
    pub failed: usize,
}

/// Drains the webhook queues: the use case the server's background workers run in a loop.
/// Each webhook's events go out in the order of its org's audit log; a failed one is retried
/// with exponential backoff before any later one is sent, and none is dropped (delivery is at
/// least once: receivers drop repeats by `webhook-id`).
#[derive(Clone)]
pub struct WebhookDeliveryService {
    uow: Arc<dyn UnitOfWork>,
    sender: Arc<dyn WebhookSender>,
    sealer: Arc<dyn Sealer>,
    clock: Arc<dyn Clock>,
    policy: RetryPolicy,
}

impl WebhookDeliveryService {
    /// Wires the worker to its ports; `policy` paces the retries, and its `batch` is how many
    /// webhooks one round takes.
    pub fn new(
        uow: Arc<dyn UnitOfWork>,
        sender: Arc<dyn WebhookSender>,
        sealer: Arc<dyn Sealer>,
        clock: Arc<dyn Clock>,
        policy: RetryPolicy,
    ) -> Self {
        Self {
            uow,
            sender,
            sealer,
            clock,
            policy,
        }
    }

    /// Claims due webhooks (a committed claim that leases them), posts their queued events in
    /// order until one fails, then records every outcome in one transaction. A crash before
    /// that record posts the same events again after the lease. When nothing is due it only
    /// reads.
    #[instrument(skip_all)]
    pub async fn deliver_due(&self) -> Result<WebhookReport, StoreError> {
        let now = self.clock.now();
        if !self.uow.read().await?.webhooks().has_due(now).await? {
            return Ok(WebhookReport::default());
        }
        let tx = self.uow.begin().await?;
        let claimed = tx
            .webhooks()
            .claim_due(
                now,
                now + self.policy.lease,
                self.policy.batch,
                EVENTS_PER_ROUND,
            )
            .await?;
        tx.commit().await?;
        if claimed.is_empty() {
            return Ok(WebhookReport::default());
        }
        let mut report = WebhookReport::default();
        let mut outcomes = Vec::with_capacity(claimed.len());
        for webhook in &claimed {
            let outcome = self.deliver(webhook).await;
            let failed = outcome.attempts.iter().filter(|a| !a.delivered()).count();
            report.failed += failed;
            report.delivered += outcome.attempts.len() - failed;
            outcomes.push(outcome);
        }
        let tx = self.uow.begin().await?;
        for outcome in &outcomes {
            tx.webhooks().record_round(outcome).await?;
        }
        tx.commit().await?;
        Ok(report)
    }

    /// Posts the webhook's queue in order and stops at the first failure.
    async fn deliver(&self, webhook: &ClaimedWebhook) -> RoundOutcome {
        let mut outcome = RoundOutcome {
            webhook: webhook.id,
            attempts: Vec::new(),
            delivered_through: None,
            failures: 0,
            retry_at: self.clock.now(),
        };
        let secret = open_secret(&*self.sealer, webhook.org_id, webhook.id, &webhook.secret);
        // During a rotation's overlap the old secret signs too; should it not open, the new
        // one still does, and receivers that switched lose nothing.
        let previous = webhook.previous_secret.as_ref().and_then(|sealed| {
            open_secret(&*self.sealer, webhook.org_id, webhook.id, sealed)
                .inspect_err(|error| {
                    tracing::error!(webhook = %webhook.id, %error, "previous webhook secret cannot be opened");
                })
                .ok()
        });
        for (index, queued) in webhook.queue.iter().enumerate() {
            let event = &queued.entry.event;
            let attempt = if index == 0 { webhook.failures + 1 } else { 1 };
            let at = self.clock.now();
            let started = Instant::now();
            let result = match &secret {
                Ok(secret) => {
                    let body = payload(&queued.entry);
                    let id = event.id.to_string();
                    let timestamp = at.unix_timestamp();
                    let mut signature = sign(secret, &id, timestamp, &body);
                    if let Some(previous) = &previous {
                        signature.push(' ');
                        signature.push_str(&sign(previous, &id, timestamp, &body));
                    }
                    let headers = vec![
                        (ID_HEADER, id),
                        (TIMESTAMP_HEADER, timestamp.to_string()),
                        (SIGNATURE_HEADER, signature),
                    ];
                    self.sender.post(&webhook.url, headers, body).await
                }
                Err(error) => {
                    tracing::error!(webhook = %webhook.id, %error, "webhook secret cannot be opened");
                    Err("the signing secret cannot be opened".to_owned())
                }
            };
            let (status, error) = match result {
                Ok(status) if (200..300).contains(&status) => (Some(status), None),
                Ok(status) => (
                    Some(status),
                    Some(format!("the receiver answered {status}")),
                ),
                Err(error) => (None, Some(error)),
            };
            let tried = DeliveryAttempt {
                event_id: event.id,
                action: event.action,
                attempt,
                status,
                error,
                at,
                duration_ms: u32::try_from(started.elapsed().as_millis()).unwrap_or(u32::MAX),
            };
            let delivered = tried.delivered();
            outcome.attempts.push(tried);
            if delivered {
                outcome.delivered_through = Some(queued.seq);
                continue;
            }
            outcome.failures = attempt;
            outcome.retry_at = self.clock.now() + self.policy.delay_after(attempt);
            tracing::warn!(
                webhook = %webhook.id,
                event = %event.id,
                attempt,
                retry_at = %outcome.retry_at,
                "webhook not delivered; will retry"
            );
            break;
        }
        outcome
    }
}
