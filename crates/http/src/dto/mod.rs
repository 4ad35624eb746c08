//! Request and response bodies of the `/api/orgs` face and of the account routes. Field names
//! follow `organizations-api.md` exactly (`_id`, camelCase); requests reject unknown fields and
//! turn into validated domain values with `TryFrom`.

pub mod auth;
pub mod check;
pub mod domain;
pub mod integration;
pub mod member;
pub mod org;
pub mod role;
pub(crate) mod schema;
pub mod scim;
pub mod tenant;
pub mod token;
pub mod webhook;

use time::OffsetDateTime;

/// RFC 3339 in UTC, as every timestamp of the API.
pub(crate) mod rfc3339 {
    pub use time::serde::rfc3339::*;
}

pub(crate) fn utc(at: OffsetDateTime) -> OffsetDateTime {
    at.to_offset(time::UtcOffset::UTC)
}
pub mod audit;
pub mod invitation;
