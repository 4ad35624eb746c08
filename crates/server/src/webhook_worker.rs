//! The HTTP sender of webhooks and the jobs that drain their queues through it.

use std::sync::Arc;
use std::time::Duration;

use tenantry_domain::clock::SystemClock;
use tenantry_domain::integration::Sealer;
use tenantry_domain::mail::RetryPolicy;
use tenantry_domain::webhook::{EVENTS_PER_ROUND, WebhookDeliveryService, WebhookSender};
use tenantry_http::Metrics;
use tenantry_persistence::Database;
use tenantry_webhook::{HttpSender, SenderSettings};

use crate::config::Config;
use crate::jobs::Job;

/// The sender the configuration describes: its deadline, and whether private targets pass.
pub fn webhook_sender(config: &Config) -> Arc<dyn WebhookSender> {
    Arc::new(HttpSender::new(SenderSettings {
        allow_private: config.webhook_allow_private,
        timeout: Duration::from_millis(config.webhook_timeout_ms.get()),
    }))
}

/// `webhook_workers` jobs, each taking one due webhook per round: a slow endpoint holds up one
/// worker, not the others. Failed posts are counted in `metrics`.
pub fn webhook_workers(
    config: &Config,
    database: Database,
    sender: Arc<dyn WebhookSender>,
    sealer: Arc<dyn Sealer>,
    metrics: Arc<Metrics>,
) -> Vec<Job> {
    // A round posts up to EVENTS_PER_ROUND events, each under the timeout: the lease must
    // outlast the slowest round, or a second worker would post the same events again, out of
    // order.
    let slowest_round = i64::try_from(config.webhook_timeout_ms.get())
        .unwrap_or(i64::MAX)
        .saturating_mul(i64::from(EVENTS_PER_ROUND) * 2);
    let policy = RetryPolicy {
        first_delay: time::Duration::milliseconds(
            i64::try_from(config.webhook_retry_delay_ms.get()).unwrap_or(i64::MAX),
        ),
        max_delay: time::Duration::hours(1),
        lease: RetryPolicy::default()
            .lease
            .max(time::Duration::milliseconds(slowest_round)),
        batch: 1,
    };
    let delivery = WebhookDeliveryService::new(
        Arc::new(database),
        sender,
        sealer,
        Arc::new(SystemClock),
        policy,
    );
    let interval = Duration::from_millis(config.webhook_poll_interval_ms.get());
    (0..config.webhook_workers.get())
        .map(|_| {
            let (delivery, metrics) = (delivery.clone(), metrics.clone());
            Job::every("webhooks", interval, move || {
                let (delivery, metrics) = (delivery.clone(), metrics.clone());
                async move {
                    match delivery.deliver_due().await {
                        // A round that did something may have left more behind.
                        Ok(report) => {
                            let failed = u64::try_from(report.failed).unwrap_or(u64::MAX);
                            metrics.record_webhook_failures(failed);
                            report.delivered + report.failed > 0
                        }
                        Err(error) => {
                            tracing::error!(%error, "the webhook queues cannot be read; retrying");
                            false
                        }
                    }
                }
            })
        })
        .collect()
}
