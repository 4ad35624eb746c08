//! API tokens: named bearer tokens a user makes for scripts and services, optionally pinned to
//! one org, where alone they then work. They share the sessions' store and lookup; a sign-in
//! session has no name.

use time::{Duration, OffsetDateTime};

use super::token::SessionToken;
use crate::ids::{OrgId, SessionId};
use crate::validation::{ValidationError, trimmed_text};

/// A token's label: trimmed, 1 to 100 characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenName(String);

impl TokenName {
    /// The longest name, in characters, counted after NFKC normalisation and trimming.
    pub const MAX_CHARS: usize = 100;

    /// The name as validated: NFKC, trimmed.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// For adapters reading back values that were validated on the way in.
    pub fn from_trusted(value: String) -> Self {
        Self(value)
    }
}

impl TryFrom<&str> for TokenName {
    type Error = ValidationError;

    /// Puts `raw` in NFKC form and trims it, then refuses it when it is empty, longer than
    /// [`TokenName::MAX_CHARS`] characters, or holds control, invisible or direction-changing
    /// characters. Errors name the field `name`.
    fn try_from(raw: &str) -> Result<Self, ValidationError> {
        trimmed_text("name", raw, Self::MAX_CHARS).map(Self)
    }
}

/// How long a new API token lives: 1 to 365 days, 90 unless asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenLifetime(u16);

impl TokenLifetime {
    /// The lifetime when the request names none.
    pub const DEFAULT_DAYS: u16 = 90;
    /// The longest lifetime a token may be given.
    pub const MAX_DAYS: u16 = 365;

    /// Accepts `None` (meaning [`Self::DEFAULT_DAYS`]) or 1 to [`Self::MAX_DAYS`] days; refuses
    /// anything else, naming the field `expiresInDays`.
    pub fn days(days: Option<u64>) -> Result<Self, ValidationError> {
        match days {
            None => Ok(Self(Self::DEFAULT_DAYS)),
            Some(days @ 1..) if days <= u64::from(Self::MAX_DAYS) => {
                Ok(Self(u16::try_from(days).unwrap_or(Self::MAX_DAYS)))
            }
            Some(_) => Err(ValidationError::new(
                "expiresInDays",
                format!("must be between 1 and {}", Self::MAX_DAYS),
            )),
        }
    }

    /// The lifetime as a span of whole days; the token expires this long after it is made.
    pub fn duration(self) -> Duration {
        Duration::days(i64::from(self.0))
    }
}

/// The validated request for a new API token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewApiToken {
    /// The label its owner sees when listing tokens.
    pub name: TokenName,
    /// The org it works in, and nowhere else; `None` works wherever its user may.
    pub org: Option<OrgId>,
    /// How long from its making until it expires.
    pub lifetime: TokenLifetime,
    /// A service token: pinned to `org`, made by its owner, good for permission checks only.
    pub service: bool,
}

/// An API token as its owner lists it: never its secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiToken {
    /// What [`AuthService::revoke_api_token`](crate::user::AuthService::revoke_api_token) takes.
    pub id: SessionId,
    /// The label its owner gave it.
    pub name: TokenName,
    /// The org it is pinned to and works in alone; `None` when it works wherever its user may.
    pub org: Option<OrgId>,
    /// Whether it is a service token (see [`NewApiToken::service`]).
    pub service: bool,
    /// When it was made.
    pub created_at: OffsetDateTime,
    /// When it stops working: its making plus its [`TokenLifetime`]. An expired token stays
    /// listed until it is swept or its owner next signs in.
    pub expires_at: OffsetDateTime,
}

/// A token just made, with its secret: shown this once.
#[derive(Debug)]
pub struct IssuedApiToken {
    /// The token as it will be listed from now on.
    pub token: ApiToken,
    /// The bearer secret; only its hash is stored, so it cannot be shown again.
    pub secret: SessionToken,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_are_one_day_to_a_year_and_ninety_days_by_default() {
        assert_eq!(
            TokenLifetime::days(None).unwrap().duration(),
            Duration::days(90)
        );
        assert_eq!(
            TokenLifetime::days(Some(1)).unwrap().duration(),
            Duration::days(1)
        );
        assert!(TokenLifetime::days(Some(365)).is_ok());
        for bad in [0, 366, u64::MAX] {
            assert_eq!(
                TokenLifetime::days(Some(bad)).unwrap_err().field,
                "expiresInDays"
            );
        }
    }
}
