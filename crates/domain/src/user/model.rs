use std::fmt;

use time::OffsetDateTime;
use validator::ValidateEmail;

use crate::ids::UserId;
use crate::validation::{ValidationError, trimmed_text};

/// An e-mail address, trimmed and lower-cased, so that comparisons are exact.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// The longest address, in bytes (RFC 5321's path limit less the brackets).
    pub const MAX_LEN: usize = 254;

    /// The normalised address, as stored and compared.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<&str> for Email {
    type Error = ValidationError;

    /// Trims and lower-cases `raw`, then refuses it when it is empty, longer than
    /// [`Email::MAX_LEN`] bytes or not an e-mail address. Errors name the field `email`.
    fn try_from(raw: &str) -> Result<Self, Self::Error> {
        let normalised = raw.trim().to_lowercase();
        if normalised.is_empty() {
            return Err(ValidationError::new("email", "must not be empty"));
        }
        if normalised.len() > Self::MAX_LEN || !normalised.validate_email() {
            return Err(ValidationError::new(
                "email",
                "is not a valid e-mail address",
            ));
        }
        Ok(Self(normalised))
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A person's display name, shown as `username` in member lists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserName(String);

impl UserName {
    /// The longest name, in characters, counted after NFKC normalisation and trimming.
    pub const MAX_CHARS: usize = 100;

    /// The name as validated: NFKC, trimmed.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<&str> for UserName {
    type Error = ValidationError;

    /// Puts `raw` in NFKC form and trims it, then refuses it when it is empty, longer than
    /// [`UserName::MAX_CHARS`] characters, or holds control, invisible or direction-changing
    /// characters. Errors name the field `name`.
    fn try_from(raw: &str) -> Result<Self, Self::Error> {
        trimmed_text("name", raw, Self::MAX_CHARS).map(Self)
    }
}

/// A plain-text password on its way to the hasher. Its `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// The shortest password a new account may set, in Unicode characters (not bytes).
    pub const MIN_CHARS: usize = 8;
    /// Long enough for any passphrase, short enough that hashing it costs nothing extra.
    pub const MAX_CHARS: usize = 256;

    /// The plain text, for the hasher only; never log or store it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// A password presented at sign-in: checked against the hash, not against today's policy,
    /// only capped so that a huge input costs nothing to reject.
    pub fn presented(raw: &str) -> Option<Self> {
        (raw.chars().count() <= Self::MAX_CHARS).then(|| Self(raw.to_owned()))
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(..)")
    }
}

impl TryFrom<&str> for Password {
    type Error = ValidationError;

    /// The policy for a new password: [`Password::MIN_CHARS`] to [`Password::MAX_CHARS`] Unicode
    /// characters, not trimmed. Errors name the field `password`. For a password presented at
    /// sign-in, use [`Password::presented`] instead.
    fn try_from(raw: &str) -> Result<Self, Self::Error> {
        let chars = raw.chars().count();
        if chars < Self::MIN_CHARS {
            return Err(ValidationError::new(
                "password",
                format!("must be at least {} characters", Self::MIN_CHARS),
            ));
        }
        if chars > Self::MAX_CHARS {
            return Err(ValidationError::new(
                "password",
                format!("must be at most {} characters", Self::MAX_CHARS),
            ));
        }
        Ok(Self(raw.to_owned()))
    }
}

/// A PHC-format password hash (argon2id in the shipped hasher).
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Wraps a PHC string from the hasher or the store. Nothing is checked: a hash that does not
    /// parse never verifies.
    pub fn new(phc: String) -> Self {
        Self(phc)
    }

    /// The hash of an account made without a password (by an operator's import): it is no
    /// PHC string, so no password verifies against it and the account cannot sign in.
    pub fn none() -> Self {
        Self("!".to_owned())
    }

    /// The PHC string, as the store keeps it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(..)")
    }
}

/// A user account as the rest of the system sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// Made when the account is created; never changes.
    pub id: UserId,
    /// The sign-in address; no two accounts share one.
    pub email: Email,
    /// What other members of the user's orgs see.
    pub name: UserName,
    /// When the account was made.
    pub created_at: OffsetDateTime,
    /// The latest sign-in; making the account by sign-up or by accepting an invitation counts as
    /// one. `None` for an account that never signed in, such as one made by an operator's import.
    pub last_login_at: Option<OffsetDateTime>,
    /// Whether a second factor (TOTP) is on.
    pub mfa_enabled: bool,
}

/// A user with the stored password hash, only ever read to sign in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserWithPassword {
    /// The account, as any other read returns it.
    pub user: User,
    /// What the presented password is verified against.
    pub password_hash: PasswordHash,
    /// Whether the account has shown that it reads its address's mailbox.
    pub email_verified: bool,
}

/// The validated body of a sign-up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAccount {
    /// The address to sign in with; sign-up fails if an account already has it.
    pub email: Email,
    /// Already checked against the policy: [`Password::MIN_CHARS`] to [`Password::MAX_CHARS`]
    /// characters.
    pub password: Password,
    /// Shown to the other members of the account's orgs.
    pub name: UserName,
}

impl Email {
    /// For adapters reading back values that were validated on the way in.
    pub fn from_trusted(value: String) -> Self {
        Self(value)
    }
}

impl UserName {
    /// For adapters reading back values that were validated on the way in.
    pub fn from_trusted(value: String) -> Self {
        Self(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_trimmed_and_lower_cased() {
        let email = Email::try_from("  Jane.Doe@Example.COM ").unwrap();
        assert_eq!(email.as_str(), "jane.doe@example.com");
    }

    #[test]
    fn malformed_email_names_the_field() {
        for raw in ["", "   ", "no-at-sign", "a@", "@b.c", "a b@c.d"] {
            let error = Email::try_from(raw).unwrap_err();
            assert_eq!(error.field, "email", "{raw:?}");
        }
    }

    #[test]
    fn password_needs_eight_characters_counted_as_characters() {
        let error = Password::try_from("seven77").unwrap_err();
        assert_eq!(error.field, "password");
        assert!(error.message.contains("at least 8"), "{}", error.message);
        assert!(Password::try_from("ééééééé").is_err());
        assert!(Password::try_from("éééééééé").is_ok());
    }

    #[test]
    fn password_debug_hides_the_secret() {
        let password = Password::try_from("correct horse").unwrap();
        assert!(!format!("{password:?}").contains("horse"));
    }

    #[test]
    fn name_is_trimmed_and_bounded() {
        assert_eq!(UserName::try_from("  Ada ").unwrap().as_str(), "Ada");
        assert!(UserName::try_from("  ").is_err());
        assert!(UserName::try_from("x".repeat(101).as_str()).is_err());
    }
}
