//! Webhooks: an org's audit events posted to endpoints it chooses, signed as the Standard
//! Webhooks specification says, queued in the transaction of each change (an outbox) and
//! delivered in order with retries.

mod delivery;
mod error;
mod model;
mod ports;
mod service;
mod signature;
#[cfg(test)]
mod tests;

pub use delivery::{EVENTS_PER_ROUND, WebhookDeliveryService, WebhookReport};
pub use error::WebhookError;
pub use model::{
    CreatedWebhook, DeliveryAttempt, DeliveryLog, EventTypes, MAX_WEBHOOKS_PER_ORG, NewWebhook,
    SECRET_OVERLAP, SECRET_PREFIX, Webhook, WebhookChanges, WebhookSecret, WebhookUrl,
    is_public_address,
};
pub use ports::{ClaimedWebhook, QueuedEvent, RoundOutcome, WebhookRepository, WebhookSender};
pub use service::WebhookService;
pub use signature::{ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, payload, sign, verify};

#[cfg(any(test, feature = "mocks"))]
pub use ports::{MockWebhookRepository, MockWebhookSender};
