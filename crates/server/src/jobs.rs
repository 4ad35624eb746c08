//! Background jobs of the server: a round of work, repeated on an interval, stopped gracefully
//! (the round in progress finishes) when the server shuts down.

use std::future::Future;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A running job.
pub struct Job {
    name: &'static str,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Job {
    /// Runs `round` now and then every `interval`; a round that answers `true` (more work may
    /// be waiting) is followed by the next at once.
    pub fn every<F, Fut>(name: &'static str, interval: Duration, mut round: F) -> Self
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = bool> + Send,
    {
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            loop {
                let busy = round().await;
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
        });
        Self { name, stop, task }
    }

    pub async fn stop(self) {
        let _ = self.stop.send(true);
        if let Err(error) = self.task.await {
            tracing::error!(job = self.name, %error, "a background job ended abnormally");
        }
    }
}
