use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, Duration, OffsetDateTime, Time};

use super::model::AuditAction;
use super::ports::AuditEntry;
use crate::ids::{AuditEventId, UserId};
use crate::validation::ValidationError;

/// Which events to read: every condition given must hold.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Only events of this action.
    pub action: Option<AuditAction>,
    /// Only events this user did; events without an actor never match.
    pub actor: Option<UserId>,
    /// Inclusive.
    pub from: Option<OffsetDateTime>,
    /// Exclusive.
    pub until: Option<OffsetDateTime>,
}

impl AuditFilter {
    /// From the query's text: `action` a known action name, `actorId` a user id, `from` and
    /// `to` ISO 8601 dates or date-times. A date alone covers its whole day (UTC), so
    /// `from=2025-01-01&to=2025-01-31` is all of January.
    pub fn parse(
        action: Option<&str>,
        actor: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<Self, ValidationError> {
        let action = action
            .map(|raw| {
                raw.parse::<AuditAction>().map_err(|()| {
                    ValidationError::new(
                        "action",
                        "is not an audit action (see docs/audit-events.md)",
                    )
                })
            })
            .transpose()?;
        let actor = actor
            .map(|raw| {
                raw.trim()
                    .parse::<UserId>()
                    .map_err(|_| ValidationError::new("actorId", "must be a user id"))
            })
            .transpose()?;
        let from = from.map(|raw| instant("from", raw, false)).transpose()?;
        let until = to.map(|raw| instant("to", raw, true)).transpose()?;
        if let (Some(from), Some(until)) = (from, until)
            && from >= until
        {
            return Err(ValidationError::new("to", "must be after from"));
        }
        Ok(Self {
            action,
            actor,
            from,
            until,
        })
    }

    /// The same filter, ending before `now`: an export reads a fixed set of events even as new
    /// ones are written, its own `audit.exported` among them.
    pub fn ending_by(self, now: OffsetDateTime) -> Self {
        let until = match self.until {
            Some(until) if until <= now => until,
            _ => now,
        };
        Self {
            until: Some(until),
            ..self
        }
    }
}

/// A date-time as given, or a date: its start (`from`) or the start of the next day (`to`,
/// which is exclusive, so the day itself is included).
fn instant(field: &'static str, raw: &str, end: bool) -> Result<OffsetDateTime, ValidationError> {
    let raw = raw.trim();
    if let Ok(at) = OffsetDateTime::parse(raw, &Rfc3339) {
        // A date-time `to` includes its own instant.
        return Ok(if end {
            at + Duration::microseconds(1)
        } else {
            at
        });
    }
    let date = Date::parse(raw, format_description!("[year]-[month]-[day]")).map_err(|_| {
        ValidationError::new(
            field,
            "must be an ISO 8601 date (2025-01-31) or date-time (2025-01-31T10:00:00Z)",
        )
    })?;
    let day = OffsetDateTime::new_utc(date, Time::MIDNIGHT);
    Ok(if end { day + Duration::days(1) } else { day })
}

/// Which page of the list to read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuditPage {
    /// The page number, from 1 to [`AuditPage::MAX_PAGE`].
    pub page: u64,
    /// Events per page, from 1 to [`AuditPage::MAX_LIMIT`].
    pub limit: u64,
}

impl AuditPage {
    /// Events per page when the request gives no `limit`.
    pub const DEFAULT_LIMIT: u64 = 50;
    /// The largest `limit` accepted.
    pub const MAX_LIMIT: u64 = 200;
    /// Deep enough for any log; bounds the offset a request can make the database skip.
    pub const MAX_PAGE: u64 = 100_000;

    /// From the query's `page` (default 1) and `limit` (default [`AuditPage::DEFAULT_LIMIT`]);
    /// a value out of range is a [`ValidationError`] naming `page` or `limit`.
    pub fn new(page: Option<u64>, limit: Option<u64>) -> Result<Self, ValidationError> {
        let page = page.unwrap_or(1);
        if !(1..=Self::MAX_PAGE).contains(&page) {
            return Err(ValidationError::new(
                "page",
                format!("must be between 1 and {}", Self::MAX_PAGE),
            ));
        }
        let limit = limit.unwrap_or(Self::DEFAULT_LIMIT);
        if !(1..=Self::MAX_LIMIT).contains(&limit) {
            return Err(ValidationError::new(
                "limit",
                format!("must be between 1 and {}", Self::MAX_LIMIT),
            ));
        }
        Ok(Self { page, limit })
    }

    /// How many matching events come before this page: the rows the store skips.
    pub fn offset(&self) -> u64 {
        (self.page - 1) * self.limit
    }
}

/// Where the next export batch starts: after this event in newest-first order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuditCursor {
    /// The time of the last event handed out.
    pub at: OffsetDateTime,
    /// Its id, which orders events of the same time.
    pub id: AuditEventId,
}

impl AuditCursor {
    /// The cursor that continues after `entry`, the last of a batch.
    pub fn after(entry: &AuditEntry) -> Self {
        Self {
            at: entry.event.at,
            id: entry.event.id,
        }
    }
}

/// One page of the log, as the spec's `{logs, total, page, pages}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditLog {
    /// The page's events, newest first (by time, then id); empty past the last page.
    pub entries: Vec<AuditEntry>,
    /// How many events match the filter, over all pages.
    pub total: u64,
    /// The page number asked for, from 1.
    pub page: u64,
    /// How many pages the matches fill: `total / limit` rounded up, 0 when nothing matches.
    pub pages: u64,
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn a_date_covers_its_whole_day_and_a_date_time_its_instant() {
        let filter =
            AuditFilter::parse(None, None, Some("2025-01-01"), Some("2025-01-31")).unwrap();
        assert_eq!(filter.from, Some(datetime!(2025-01-01 0:00 UTC)));
        assert_eq!(filter.until, Some(datetime!(2025-02-01 0:00 UTC)));
        let exact =
            AuditFilter::parse(None, None, None, Some("2025-01-31T10:00:00+01:00")).unwrap();
        assert_eq!(
            exact.until,
            Some(datetime!(2025-01-31 9:00 UTC) + Duration::microseconds(1))
        );
    }

    #[test]
    fn bad_input_names_its_field() {
        for (action, actor, from, to, field) in [
            (Some("member.exploded"), None, None, None, "action"),
            (None, Some("nobody"), None, None, "actorId"),
            (None, None, Some("yesterday"), None, "from"),
            (None, None, None, Some("2025-13-01"), "to"),
            (None, None, Some("2025-02-01"), Some("2025-01-01"), "to"),
        ] {
            let error = AuditFilter::parse(action, actor, from, to).unwrap_err();
            assert_eq!(error.field, field);
        }
        assert_eq!(
            AuditFilter::parse(Some("member.invited"), None, None, None)
                .unwrap()
                .action,
            Some(AuditAction::MemberInvited)
        );
    }

    #[test]
    fn pages_are_bounded_and_default_to_the_first_fifty() {
        assert_eq!(
            AuditPage::new(None, None),
            Ok(AuditPage { page: 1, limit: 50 })
        );
        assert_eq!(AuditPage::new(Some(3), Some(20)).unwrap().offset(), 40);
        for (page, limit) in [(Some(0), None), (None, Some(0)), (None, Some(201))] {
            assert!(AuditPage::new(page, limit).is_err(), "{page:?} {limit:?}");
        }
    }

    #[test]
    fn an_export_reads_nothing_written_after_it_began() {
        let now = datetime!(2026-01-01 12:00 UTC);
        let open = AuditFilter::default().ending_by(now);
        assert_eq!(open.until, Some(now));
        let earlier = AuditFilter {
            until: Some(datetime!(2025-01-01 0:00 UTC)),
            ..AuditFilter::default()
        };
        assert_eq!(earlier.clone().ending_by(now), earlier);
    }
}
