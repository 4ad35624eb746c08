//! The audit log as CSV, written batch by batch so memory stays flat however many rows match.

use std::borrow::Cow;

use actix_web::web::Bytes;
use tenantry_domain::audit::AuditEntry;

use crate::dto::rfc3339_text;

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

fn write<R: AsRef<str>>(rows: impl IntoIterator<Item = [R; 8]>) -> Bytes {
    let mut writer = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::with_capacity(512 * 1024));
    for row in rows {
        // Writing into memory cannot fail.
        for cell in &row {
            let _ = writer.write_field(neutral(cell.as_ref()).as_bytes());
        }
        let _ = writer.write_record(None::<&[u8]>);
    }
    Bytes::from(writer.into_inner().unwrap_or_default())
}

pub(crate) fn header() -> Bytes {
    write([HEADER])
}

pub(crate) fn rows(batch: Vec<AuditEntry>) -> Bytes {
    write(batch.into_iter().map(|entry| {
        let event = entry.event;
        [
            event.id.to_string(),
            rfc3339_text(event.at),
            event.action.name().to_owned(),
            event.actor_id.map(|id| id.to_string()).unwrap_or_default(),
            entry.actor_name.unwrap_or_default(),
            serde_json::to_string(&event.target).unwrap_or_default(),
            serde_json::to_string(&event.metadata).unwrap_or_default(),
            event.ip.map(|ip| ip.to_string()).unwrap_or_default(),
        ]
    }))
}

#[cfg(test)]
mod tests {
    use super::neutral;

    #[test]
    fn formula_prefixes_are_neutralised_and_nothing_else_is_touched() {
        for risky in ["=SUM(A1)", "+1", "-1", "@cmd", "\tx", "\rx"] {
            assert_eq!(neutral(risky), format!("'{risky}"));
        }
        for plain in ["member.invited", "Ada", "", "{\"a\":\"=1\"}"] {
            assert_eq!(neutral(plain), plain);
        }
    }
}
