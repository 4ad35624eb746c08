//! The background worker that drains the outbox through the configured transport.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tenantry_domain::clock::SystemClock;
use tenantry_domain::mail::{DeliveryService, Mailer, RetryPolicy};
use tenantry_email::{FileOutbox, SmtpMailer};
use tenantry_persistence::Database;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::Config;

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

/// A running worker; [`MailWorker::stop`] lets the round in progress finish.
pub struct MailWorker {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl MailWorker {
    pub fn spawn(config: &Config, database: Database, mailer: Arc<dyn Mailer>) -> Self {
        let policy = RetryPolicy {
            first_delay: time::Duration::milliseconds(
                i64::try_from(config.mail_retry_delay_ms.get()).unwrap_or(i64::MAX),
            ),
            ..RetryPolicy::default()
        };
        let delivery =
            DeliveryService::new(Arc::new(database), mailer, Arc::new(SystemClock), policy);
        let interval = Duration::from_millis(config.mail_poll_interval_ms.get());
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(run(delivery, interval, stopped));
        Self { stop, task }
    }

    pub async fn stop(self) {
        let _ = self.stop.send(true);
        if let Err(error) = self.task.await {
            tracing::error!(%error, "the mail worker ended abnormally");
        }
    }
}

async fn run(delivery: DeliveryService, interval: Duration, mut stopped: watch::Receiver<bool>) {
    loop {
        let busy = match delivery.deliver_due().await {
            Ok(report) => {
                if report.sent > 0 {
                    tracing::info!(sent = report.sent, failed = report.failed, "mail delivered");
                }
                // A round that sent something may have left more behind: go again at once.
                report.sent > 0
            }
            Err(error) => {
                tracing::error!(%error, "the outbox cannot be read; retrying");
                false
            }
        };
        if *stopped.borrow() {
            return;
        }
        if !busy {
            tokio::select! {
                () = tokio::time::sleep(interval) => {}
                _ = stopped.changed() => return,
            }
        }
    }
}
