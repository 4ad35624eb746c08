//! The wire form of a delivery, as the Standard Webhooks specification defines it: a JSON body
//! `{type, timestamp, data}` and three headers, the last an HMAC-SHA256 over
//! `"{webhook-id}.{webhook-timestamp}.{body}"` keyed with the secret's decoded bytes.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::model::WebhookSecret;
use crate::audit::AuditEntry;

/// The message id header: the audit event's id, the same on every retry so receivers can
/// drop duplicates.
pub const ID_HEADER: &str = "webhook-id";
/// The send time header, Unix seconds; receivers refuse old ones against replays.
pub const TIMESTAMP_HEADER: &str = "webhook-timestamp";
/// The signature header: `v1,<base64 HMAC-SHA256>`.
pub const SIGNATURE_HEADER: &str = "webhook-signature";

/// The `v1,<base64>` signature of one delivery.
///
/// ```
/// use tenantry_domain::webhook::{WebhookSecret, sign, verify};
///
/// let secret = WebhookSecret::from_text("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
/// let body = br#"{"type":"member.invited"}"#;
/// let signature = sign(&secret, "msg_1", 1_700_000_000, body);
/// assert!(signature.starts_with("v1,"));
/// assert!(verify(&secret, "msg_1", 1_700_000_000, body, &signature));
/// assert!(!verify(&secret, "msg_2", 1_700_000_000, body, &signature));
/// ```
pub fn sign(secret: &WebhookSecret, id: &str, timestamp: i64, body: &[u8]) -> String {
    format!(
        "v1,{}",
        STANDARD.encode(mac(secret, id, timestamp, body).finalize().into_bytes())
    )
}

/// Whether `header` (one or more space-separated `v1,<base64>` signatures, as a receiver gets
/// it during a secret rotation) holds a valid signature of the delivery. Compares in constant
/// time.
pub fn verify(secret: &WebhookSecret, id: &str, timestamp: i64, body: &[u8], header: &str) -> bool {
    header.split(' ').any(|signature| {
        signature
            .strip_prefix("v1,")
            .and_then(|encoded| STANDARD.decode(encoded).ok())
            .is_some_and(|bytes| {
                mac(secret, id, timestamp, body)
                    .verify_slice(&bytes)
                    .is_ok()
            })
    })
}

fn mac(secret: &WebhookSecret, id: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    // HMAC takes a key of any length: this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.key())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

#[derive(Serialize)]
struct Body<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    timestamp: String,
    data: Data<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Data<'a> {
    #[serde(rename = "_id")]
    id: String,
    org_id: String,
    action: &'static str,
    actor: Option<ActorData<'a>>,
    target: &'a BTreeMap<String, String>,
    metadata: &'a BTreeMap<String, String>,
    ip: Option<String>,
    timestamp: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ActorData<'a> {
    user_id: String,
    username: Option<&'a str>,
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC)
        .format(&Rfc3339)
        .unwrap_or_default()
}

/// The JSON body of the delivery of `entry`: `type` is the action, `timestamp` when it
/// happened, `data` the event with the fields of an audit-log entry plus `orgId`.
pub fn payload(entry: &AuditEntry) -> Vec<u8> {
    let event = &entry.event;
    let body = Body {
        kind: event.action.name(),
        timestamp: rfc3339(event.at),
        data: Data {
            id: event.id.to_string(),
            org_id: event.org_id.to_string(),
            action: event.action.name(),
            actor: event.actor_id.map(|id| ActorData {
                user_id: id.to_string(),
                username: entry.actor_name.as_deref(),
            }),
            target: &event.target,
            metadata: &event.metadata,
            ip: event.ip.map(|ip| ip.to_string()),
            timestamp: rfc3339(event.at),
        },
    };
    // Maps of strings and plain fields: serialising cannot fail.
    serde_json::to_vec(&body).unwrap_or_default()
}
