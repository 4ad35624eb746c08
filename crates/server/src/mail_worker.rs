//! The mail transport the configuration names, and the job that drains the outbox through it.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tenantry_domain::clock::SystemClock;
use tenantry_domain::mail::{DeliveryService, Mailer, RetryPolicy};
use tenantry_email::{FileOutbox, SmtpMailer};
use tenantry_http::Metrics;
use tenantry_persistence::Database;

use crate::config::Config;
use crate::jobs::Job;

/// The transport the configuration names: SMTP when `smtp_url` is set, else `.eml` files.
pub fn mailer(config: &Config) -> anyhow::Result<Arc<dyn Mailer>> {
    Ok(match &config.smtp_url {
        Some(url) => Arc::new(
            SmtpMailer::from_url(url, &config.mail_from)
                .context("invalid TENANTRY_SMTP_URL or TENANTRY_MAIL_FROM")?,
        ),
        None => Arc::new(
            FileOutbox::new(&config.mail_outbox, &config.mail_from)
                .context("cannot use TENANTRY_MAIL_OUTBOX or TENANTRY_MAIL_FROM")?,
        ),
    })
}

/// The worker that drains the outbox through `mailer`.
/// Failed deliveries are counted in `metrics`.
pub fn mail_worker(
    config: &Config,
    database: Database,
    mailer: Arc<dyn Mailer>,
    metrics: Arc<Metrics>,
) -> Job {
    let policy = RetryPolicy {
        first_delay: time::Duration::milliseconds(
            i64::try_from(config.mail_retry_delay_ms.get()).unwrap_or(i64::MAX),
        ),
        ..RetryPolicy::default()
    };
    let delivery = DeliveryService::new(Arc::new(database), mailer, Arc::new(SystemClock), policy);
    let interval = Duration::from_millis(config.mail_poll_interval_ms.get());
    Job::every("mail", interval, move || {
        let (delivery, metrics) = (delivery.clone(), metrics.clone());
        async move {
            match delivery.deliver_due().await {
                Ok(report) => {
                    metrics.record_mail_failures(u64::try_from(report.failed).unwrap_or(u64::MAX));
                    if report.sent > 0 {
                        tracing::info!(
                            sent = report.sent,
                            failed = report.failed,
                            "mail delivered"
                        );
                    }
                    // A round that sent something may have left more behind.
                    report.sent > 0
                }
                Err(error) => {
                    tracing::error!(%error, "the outbox cannot be read; retrying");
                    false
                }
            }
        }
    })
}
