//! The audit log as CSV: one format for every way out (the API's export, the console's
//! download), so auditors' tools read the same columns whichever way the file came. Written a
//! batch at a time, so a caller can stream an export of any size with flat memory.

use std::borrow::Cow;

use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};
use uuid::Uuid;

use super::ports::{AuditEntry, ExportChunk};
use super::query::AuditCursor;
use crate::ids::AuditEventId;

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
fn neutral(cell: &[u8]) -> Cow<'_, [u8]> {
    match cell.first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => Cow::Owned([b"'", cell].concat()),
        _ => Cow::Borrowed(cell),
    }
}

/// An event as an export writes it, borrowed from the row the store read: `target` and
/// `metadata` are the JSON texts the store keeps (written by `serde_json` from the event's
/// maps), so an export need not parse them only to write them out again.
#[derive(Clone, Copy, Debug)]
pub struct ExportRow<'a> {
    /// The event's id.
    pub id: Uuid,
    /// When it happened.
    pub at: OffsetDateTime,
    /// The action's dotted name.
    pub action: &'a str,
    /// Who did it; `None` for an operator or the directory.
    pub actor_id: Option<Uuid>,
    /// The actor's current display name.
    pub actor_name: Option<&'a str>,
    /// The target as a JSON object.
    pub target: &'a str,
    /// The metadata as a JSON object.
    pub metadata: &'a str,
    /// The client address.
    pub ip: Option<&'a str>,
}

/// Rows written into memory, a batch at a time, in the order given.
pub struct CsvBatch {
    writer: ::csv::Writer<Vec<u8>>,
    time: Vec<u8>,
    rows: u64,
    last: Option<AuditCursor>,
}

impl CsvBatch {
    /// An empty batch with room for about `rows` rows.
    pub fn with_capacity(rows: usize) -> Self {
        Self {
            writer: ::csv::WriterBuilder::new()
                .has_headers(false)
                .from_writer(Vec::with_capacity(rows * 256)),
            time: Vec::with_capacity(40),
            rows: 0,
            last: None,
        }
    }

    /// One line: the time in RFC 3339 UTC, the action's dotted name, the actor's id and
    /// current name (empty for an operator or a deleted account), the target and metadata as
    /// JSON objects, and the client address. A cell that would start a spreadsheet formula gets
    /// a leading apostrophe.
    pub fn push(&mut self, row: &ExportRow<'_>) {
        let mut id = Uuid::encode_buffer();
        let mut actor = Uuid::encode_buffer();
        self.time.clear();
        // Formatting a valid time into memory cannot fail.
        let _ = row
            .at
            .to_offset(UtcOffset::UTC)
            .format_into(&mut self.time, &Rfc3339);
        let cells: [&[u8]; 8] = [
            row.id.hyphenated().encode_lower(&mut id).as_bytes(),
            &self.time,
            row.action.as_bytes(),
            row.actor_id
                .map(|actor_id| actor_id.hyphenated().encode_lower(&mut actor).as_bytes())
                .unwrap_or_default(),
            row.actor_name.unwrap_or_default().as_bytes(),
            row.target.as_bytes(),
            row.metadata.as_bytes(),
            row.ip.unwrap_or_default().as_bytes(),
        ];
        for cell in cells {
            // Writing into memory cannot fail.
            let _ = self.writer.write_field(neutral(cell));
        }
        let _ = self.writer.write_record(None::<&[u8]>);
        self.rows += 1;
        self.last = Some(AuditCursor {
            at: row.at,
            id: AuditEventId::from_uuid(row.id),
        });
    }

    /// The batch as an export hands it on: the text, how many rows, and where the next batch
    /// starts (after the last row pushed).
    pub fn into_chunk(self) -> ExportChunk {
        ExportChunk {
            csv: self.writer.into_inner().unwrap_or_default(),
            rows: self.rows,
            last: self.last,
        }
    }
}

/// The header line: `id,timestamp,action,actorId,actorName,target,metadata,ip`, ended by a
/// line break. Send it once, before the first batch's rows.
pub fn header() -> Vec<u8> {
    let mut writer = ::csv::Writer::from_writer(Vec::with_capacity(64));
    let _ = writer.write_record(HEADER);
    writer.into_inner().unwrap_or_default()
}

/// [`CsvBatch::push`] for entries already read into the domain's types: the CSV text only.
pub fn rows(entries: &[AuditEntry]) -> Vec<u8> {
    chunk(entries).csv
}

/// [`CsvBatch::push`] for entries already read into the domain's types, as a batch of an
/// export.
pub fn chunk(entries: &[AuditEntry]) -> ExportChunk {
    let mut batch = CsvBatch::with_capacity(entries.len());
    for entry in entries {
        let event = &entry.event;
        let target = serde_json::to_string(&event.target).unwrap_or_default();
        let metadata = serde_json::to_string(&event.metadata).unwrap_or_default();
        let ip = event.ip.map(|ip| ip.to_string());
        batch.push(&ExportRow {
            id: event.id.as_uuid(),
            at: event.at,
            action: event.action.name(),
            actor_id: event.actor_id.map(|id| id.as_uuid()),
            actor_name: entry.actor_name.as_deref(),
            target: &target,
            metadata: &metadata,
            ip: ip.as_deref(),
        });
    }
    batch.into_chunk()
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
            assert_eq!(
                neutral(risky.as_bytes()).as_ref(),
                format!("'{risky}").as_bytes()
            );
        }
        for plain in ["member.invited", "Ada", "", "{\"a\":\"=1\"}"] {
            assert_eq!(neutral(plain.as_bytes()).as_ref(), plain.as_bytes());
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
