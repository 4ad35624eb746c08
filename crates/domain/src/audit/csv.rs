//! The audit log as CSV: one format for every way out (the API's export, the console's
//! download), so auditors' tools read the same columns whichever way the file came. Written a
//! batch at a time, so a caller can stream an export of any size with flat memory.

use std::borrow::Cow;

use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

use super::ports::AuditEntry;

/// The columns, in order.
const HEADER: [&str; 8] = [
    "id",
    "timestamp",
    "action",
    "actorId",
    "actorName",
    "target",
    "metadata",
    "ip",
];

/// A cell a spreadsheet would run as a formula gets a leading apostrophe (OWASP "CSV
/// Injection"): names and metadata come from users.
fn neutral(cell: &str) -> Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

/// RFC 3339 in UTC: the text the API's JSON bodies give the same instant, so a row can be
/// matched with what the API listed.
fn timestamp(at: OffsetDateTime) -> String {
    at.to_offset(UtcOffset::UTC)
        .format(&Rfc3339)
        .unwrap_or_default()
}

fn write<R: AsRef<str>>(capacity: usize, rows: impl IntoIterator<Item = [R; 8]>) -> Vec<u8> {
    let mut writer = ::csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::with_capacity(capacity));
    for row in rows {
        // Writing into memory cannot fail.
        for cell in &row {
            let _ = writer.write_field(neutral(cell.as_ref()).as_bytes());
        }
        let _ = writer.write_record(None::<&[u8]>);
    }
    writer.into_inner().unwrap_or_default()
}

/// The header line: `id,timestamp,action,actorId,actorName,target,metadata,ip`, ended by a
/// line break. Send it once, before the first batch's [`rows`].
pub fn header() -> Vec<u8> {
    write(64, [HEADER])
}

/// One line per entry, in the order given: the time in RFC 3339 UTC, the action's dotted
/// name, the actor's id and current name (empty for an operator or a deleted account), the
/// target and metadata as JSON objects, and the client address. A cell that would start a
/// spreadsheet formula gets a leading apostrophe.
pub fn rows(entries: &[AuditEntry]) -> Vec<u8> {
    write(
        entries.len() * 256,
        entries.iter().map(|entry| {
            let event = &entry.event;
            [
                Cow::Owned(event.id.to_string()),
                Cow::Owned(timestamp(event.at)),
                Cow::Borrowed(event.action.name()),
                Cow::Owned(event.actor_id.map(|id| id.to_string()).unwrap_or_default()),
                Cow::Borrowed(entry.actor_name.as_deref().unwrap_or_default()),
                Cow::Owned(serde_json::to_string(&event.target).unwrap_or_default()),
                Cow::Owned(serde_json::to_string(&event.metadata).unwrap_or_default()),
                Cow::Owned(event.ip.map(|ip| ip.to_string()).unwrap_or_default()),
            ]
        }),
    )
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::audit::{AuditAction, AuditEvent};
    use crate::ids::{OrgId, UserId};

    #[test]
    fn formula_prefixes_are_neutralised_and_nothing_else_is_touched() {
        for risky in ["=SUM(A1)", "+1", "-1", "@cmd", "\tx", "\rx"] {
            assert_eq!(neutral(risky), format!("'{risky}"));
        }
        for plain in ["member.invited", "Ada", "", "{\"a\":\"=1\"}"] {
            assert_eq!(neutral(plain), plain);
        }
    }

    #[test]
    fn a_row_has_the_time_in_utc_json_maps_and_neutral_names() {
        let org = OrgId::generate();
        let user = UserId::generate();
        let mut event = AuditEvent::new(
            org,
            None,
            AuditAction::MemberInvited,
            datetime!(2025-03-01 10:30:00.25 +02:00),
        )
        .target("email", "a@example.com")
        .meta("role", "member");
        event.actor_id = Some(user);
        event.ip = Some([192, 0, 2, 7].into());
        let id = event.id;
        let entry = AuditEntry {
            event,
            actor_name: Some("=HYPERLINK(\"x\")".to_owned()),
        };
        let text = String::from_utf8([header(), rows(&[entry])].concat()).unwrap();
        assert_eq!(
            text,
            format!(
                "id,timestamp,action,actorId,actorName,target,metadata,ip\n\
                 {id},2025-03-01T08:30:00.25Z,member.invited,{user},\"'=HYPERLINK(\"\"x\"\")\",\
                 \"{{\"\"email\"\":\"\"a@example.com\"\"}}\",\"{{\"\"role\"\":\"\"member\"\"}}\",192.0.2.7\n"
            )
        );
        assert!(rows(&[]).is_empty());
    }
}
