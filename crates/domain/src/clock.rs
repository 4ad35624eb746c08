//! Where use cases read the current time: a port, so that tests can fix it.

use time::OffsetDateTime;

/// The time source of the use cases, a port so that tests can fix "now".
pub trait Clock: Send + Sync {
    /// The current instant, which use cases date their changes and check expiries by.
    /// [`SystemClock`] gives UTC to the microsecond, the finest time the stores keep.
    fn now(&self) -> OffsetDateTime;
}

/// The real clock, in UTC, truncated to microseconds because both databases store no finer.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        let now = OffsetDateTime::now_utc();
        now.replace_nanosecond(now.nanosecond() / 1_000 * 1_000)
            .unwrap_or(now)
    }
}
