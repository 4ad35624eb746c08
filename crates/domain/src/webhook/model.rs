use std::fmt;
use std::net::IpAddr;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use time::OffsetDateTime;

use crate::audit::AuditAction;
use crate::ids::{AuditEventId, OrgId, WebhookId};
use crate::validation::ValidationError;

/// The most webhooks one org keeps: each event is queued once per subscribed webhook, inside
/// the transaction of the change, so the fan-out is bounded.
pub const MAX_WEBHOOKS_PER_ORG: usize = 20;

/// Where an org's events are posted: an absolute `http` or `https` URL without credentials or
/// fragment. Whether its host is an address Tenantry may reach is a separate check
/// ([`WebhookSender::check_target`](super::WebhookSender::check_target)), made when the URL is
/// set and again at each connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookUrl(String);

impl WebhookUrl {
    /// The longest URL accepted, in characters.
    pub const MAX_CHARS: usize = 2_048;

    /// The URL as given (normalised by the URL parser: lower-case scheme and host).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The host, as written in the URL: a name, an IPv4 address or a bracket-less IPv6 one.
    pub fn host(&self) -> String {
        url::Url::parse(&self.0)
            .ok()
            .and_then(|url| {
                url.host_str()
                    .map(|host| host.trim_matches(['[', ']']).to_owned())
            })
            .unwrap_or_default()
    }

    /// The port the URL names, or its scheme's default.
    pub fn port(&self) -> u16 {
        url::Url::parse(&self.0)
            .ok()
            .and_then(|url| url.port_or_known_default())
            .unwrap_or(443)
    }

    /// The scheme, host and port only: what the audit log records. Paths and queries often
    /// carry a token of the receiver's (chat webhooks do), and the audit log is read by roles
    /// that may not read webhooks.
    pub fn origin(&self) -> String {
        url::Url::parse(&self.0)
            .map(|url| url.origin().ascii_serialization())
            .unwrap_or_default()
    }

    /// For adapters reading back values that were validated on the way in.
    pub fn from_trusted(value: String) -> Self {
        Self(value)
    }
}

impl TryFrom<&str> for WebhookUrl {
    type Error = ValidationError;

    fn try_from(raw: &str) -> Result<Self, ValidationError> {
        let refuse = |why: &str| Err(ValidationError::new("url", why.to_owned()));
        let raw = raw.trim();
        if raw.chars().count() > Self::MAX_CHARS {
            return refuse(&format!("must be at most {} characters", Self::MAX_CHARS));
        }
        let Ok(url) = url::Url::parse(raw) else {
            return refuse("must be an absolute http or https URL");
        };
        if !matches!(url.scheme(), "http" | "https") {
            return refuse("must use http or https");
        }
        if url.host_str().is_none_or(str::is_empty) {
            return refuse("must name a host");
        }
        // Credentials in a URL would be shown in the webhook list and kept in logs.
        if !url.username().is_empty() || url.password().is_some() {
            return refuse("must not hold a user name or password");
        }
        if url.fragment().is_some() {
            return refuse("must not have a #fragment");
        }
        Ok(Self(url.into()))
    }
}

/// Whether Tenantry may post to `ip` without `TENANTRY_WEBHOOK_ALLOW_PRIVATE`: not loopback,
/// private (RFC 1918, unique-local), link-local (where cloud metadata services listen),
/// shared (RFC 6598), unspecified, broadcast, multicast or documentation space. An IPv4
/// address written as IPv6 (`::ffff:10.0.0.1`) is judged as the IPv4 address it is.
pub fn is_public_address(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 192 && b == 0 && c == 0)
                || (a == 198 && (18..20).contains(&b))
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_address(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || (first & 0xffc0) == 0xfec0
                || first == 0x2001 && v6.segments()[1] == 0x0db8
                // IPv4-compatible (deprecated) and NAT64 forms carry an IPv4 address inside.
                || v6.segments()[..6].iter().all(|s| *s == 0)
                || (first == 0x64 && v6.segments()[1] == 0xff9b))
        }
    }
}

/// The audit actions a webhook receives: at least one, each named once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventTypes(Vec<AuditAction>);

impl EventTypes {
    /// Parses the dotted action names of `docs/audit-events.md`; refuses an empty list, an
    /// unknown name (naming it) or a repeated one, with field `events`.
    pub fn parse<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<Self, ValidationError> {
        let mut actions = Vec::new();
        for name in names {
            let action: AuditAction = name.parse().map_err(|()| {
                ValidationError::new("events", format!("unknown event type: {name}"))
            })?;
            if actions.contains(&action) {
                return Err(ValidationError::new(
                    "events",
                    format!("{name} is listed twice"),
                ));
            }
            actions.push(action);
        }
        if actions.is_empty() {
            return Err(ValidationError::new(
                "events",
                "must list at least one event type",
            ));
        }
        actions.sort_by_key(|action| AuditAction::ALL.iter().position(|a| a == action));
        Ok(Self(actions))
    }

    /// Whether events of `action` are delivered.
    pub fn contains(&self, action: AuditAction) -> bool {
        self.0.contains(&action)
    }

    /// The actions, in the order of [`AuditAction::ALL`].
    pub fn actions(&self) -> &[AuditAction] {
        &self.0
    }

    /// For adapters reading back values that were validated on the way in.
    pub fn from_trusted(actions: Vec<AuditAction>) -> Self {
        Self(actions)
    }
}

/// How long a webhook's previous secret keeps signing after a rotation, beside the new one:
/// receivers have this long to switch. Standard Webhooks lets a delivery carry several
/// signatures, and its libraries accept a delivery when any of them verifies.
pub const SECRET_OVERLAP: time::Duration = time::Duration::hours(24);

/// The prefix of a signing secret's text, as Standard Webhooks writes it.
pub const SECRET_PREFIX: &str = "whsec_";

/// The key a webhook's deliveries are signed with: 32 random bytes, shown once as
/// `whsec_<base64>` and stored only sealed. Its `Debug` hides the bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(Vec<u8>);

impl WebhookSecret {
    /// How many random bytes a new secret holds (Standard Webhooks asks for 24 to 64).
    pub const BYTES: usize = 32;

    /// A fresh secret from the operating system's random source.
    ///
    /// # Panics
    /// When that source fails, as the other secrets of Tenantry do: no safe secret exists then.
    pub fn generate() -> Self {
        let mut bytes = vec![0u8; Self::BYTES];
        getrandom::fill(&mut bytes).expect("the operating system's random source failed");
        Self(bytes)
    }

    /// Reads `whsec_<base64>` back; `None` for any other text.
    pub fn from_text(text: &str) -> Option<Self> {
        let bytes = STANDARD.decode(text.strip_prefix(SECRET_PREFIX)?).ok()?;
        (!bytes.is_empty()).then_some(Self(bytes))
    }

    /// `whsec_<base64>`: what the API shows once and what receivers configure.
    pub fn text(&self) -> String {
        format!("{SECRET_PREFIX}{}", STANDARD.encode(&self.0))
    }

    /// The HMAC key: the decoded bytes.
    pub fn key(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(..)")
    }
}

/// An endpoint of an org that receives the org's audit events of the types it subscribes to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Webhook {
    /// Made at creation; the path parameter of its routes.
    pub id: WebhookId,
    /// The org whose events it receives.
    pub org_id: OrgId,
    /// Where the events are posted.
    pub url: WebhookUrl,
    /// Which events are posted.
    pub events: EventTypes,
    /// Whether its events are posted now. A paused webhook's events wait in its queue, in
    /// order, and go out once it is active again.
    pub active: bool,
    /// Until when the secret it had before its last rotation signs beside the current one;
    /// `None` when there is no such secret, or no longer.
    pub previous_secret_expires_at: Option<OffsetDateTime>,
    /// When it was created; events before it are never sent to it.
    pub created_at: OffsetDateTime,
}

/// What creating a webhook takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewWebhook {
    /// Where to post.
    pub url: WebhookUrl,
    /// What to post.
    pub events: EventTypes,
}

/// A change of a webhook: what is `None` stays.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WebhookChanges {
    /// A new target; checked like a new webhook's.
    pub url: Option<WebhookUrl>,
    /// A new subscription; events already queued are still delivered.
    pub events: Option<EventTypes>,
    /// Pause (`false`) or resume (`true`) deliveries.
    pub active: Option<bool>,
}

/// A webhook with a new signing secret, as creating it or rotating its secret hands it out:
/// the only times the secret is.
#[derive(Debug)]
pub struct CreatedWebhook {
    /// The stored webhook.
    pub webhook: Webhook,
    /// The secret receivers verify signatures with.
    pub secret: WebhookSecret,
}

/// One try to deliver one event to one webhook.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryAttempt {
    /// The event, which is also the `webhook-id` of every try to deliver it.
    pub event_id: AuditEventId,
    /// Its type.
    pub action: AuditAction,
    /// 1 for the first try of this event, 2 for the first retry, ...
    pub attempt: u32,
    /// The HTTP status the receiver answered; `None` when no answer came (refused, timed
    /// out, an address that may not be reached).
    pub status: Option<u16>,
    /// Why it failed, when it did: the status's meaning or the connection's error.
    pub error: Option<String>,
    /// When the try started.
    pub at: OffsetDateTime,
    /// How long it took, in milliseconds.
    pub duration_ms: u32,
}

impl DeliveryAttempt {
    /// Whether the receiver took the event: a 2xx answer.
    pub fn delivered(&self) -> bool {
        self.status
            .is_some_and(|status| (200..300).contains(&status))
    }
}

/// A page of a webhook's delivery attempts, newest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryLog {
    /// The attempts on this page.
    pub attempts: Vec<DeliveryAttempt>,
    /// Attempts recorded in all.
    pub total: u64,
    /// This page's number, from 1.
    pub page: u64,
    /// How many pages there are at this page size (at least 1).
    pub pages: u64,
}
