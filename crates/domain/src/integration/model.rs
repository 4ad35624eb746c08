use std::collections::BTreeMap;
use std::fmt;

use time::OffsetDateTime;

use crate::ids::{IntegrationId, OrgId};
use crate::validation::{ValidationError, hides_text, is_snake_case_name};

/// What an integration connects to (`aws`, `github`, ...): a lower-case slug, so that the
/// product around Tenantry can add kinds without a change here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IntegrationType(String);

impl IntegrationType {
    /// The longest slug, in characters (all ASCII, so also in bytes).
    pub const MAX_CHARS: usize = 32;

    /// The rule of `try_from` as a regular expression, for the API document.
    pub fn pattern() -> String {
        format!("^[a-z][a-z0-9_-]{{0,{}}}$", Self::MAX_CHARS - 1)
    }

    /// The slug, as the API shows it in `type` and audit events record it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// For adapters reading back values that were validated on the way in.
    pub fn from_trusted(value: String) -> Self {
        Self(value)
    }
}

impl TryFrom<&str> for IntegrationType {
    type Error = ValidationError;

    fn try_from(raw: &str) -> Result<Self, ValidationError> {
        let ok = !raw.is_empty()
            && raw.len() <= Self::MAX_CHARS
            && raw.starts_with(|c: char| c.is_ascii_lowercase())
            && raw
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(ValidationError::new(
                "type",
                format!(
                    "must be 1 to {} lower-case letters, digits, _ or -, starting with a letter",
                    Self::MAX_CHARS
                ),
            ))
        }
    }
}

/// Whether the integration works, as the service that uses it last reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntegrationStatus {
    /// Reported working by the service that uses it.
    Connected,
    /// Reported not connected by the service that uses it, or not reported on yet: every
    /// integration starts here.
    Disconnected,
    /// The service that uses it reported a failure.
    Error,
}

impl IntegrationStatus {
    /// Every status: what `TryFrom<&str>` accepts and the API document lists.
    pub const ALL: [Self; 3] = [Self::Connected, Self::Disconnected, Self::Error];

    /// The status as the API and the store write it (`connected`, `disconnected`, `error`);
    /// `TryFrom<&str>` accepts exactly these names and refuses any other.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Connected => "connected",
            Self::Disconnected => "disconnected",
            Self::Error => "error",
        }
    }
}

impl TryFrom<&str> for IntegrationStatus {
    type Error = ValidationError;

    fn try_from(raw: &str) -> Result<Self, ValidationError> {
        Self::ALL
            .into_iter()
            .find(|status| status.name() == raw)
            .ok_or_else(|| {
                ValidationError::new("status", "must be connected, disconnected or error")
            })
    }
}

/// A key of `config` or `credentials`: lower-case snake_case, starting with a letter.
fn key(field: &'static str, raw: &str) -> Result<String, ValidationError> {
    if is_snake_case_name(raw, MAX_KEY_CHARS) {
        Ok(raw.to_owned())
    } else {
        Err(ValidationError::new(
            field,
            format!(
                "keys are lower-case letters, digits and _, starting with a letter, at most \
                 {MAX_KEY_CHARS} characters"
            ),
        ))
    }
}

/// The longest key of `config` or `credentials`.
pub const MAX_KEY_CHARS: usize = 64;

/// Settings of an integration that are not secret (a region, an account id): shown as stored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IntegrationConfig(BTreeMap<String, String>);

impl IntegrationConfig {
    /// The most settings one integration holds.
    pub const MAX_KEYS: usize = 20;
    /// The longest value, in characters.
    pub const MAX_VALUE_CHARS: usize = 500;

    /// Accepts at most [`Self::MAX_KEYS`] entries whose keys are snake_case names of at most
    /// [`MAX_KEY_CHARS`] characters and whose values hold at most [`Self::MAX_VALUE_CHARS`]
    /// characters, none of them control, invisible or direction-changing. Refuses anything
    /// else with field `config`.
    pub fn new(entries: BTreeMap<String, String>) -> Result<Self, ValidationError> {
        bounded("config", &entries, Self::MAX_KEYS, Self::MAX_VALUE_CHARS)?;
        Ok(Self(entries))
    }

    /// For adapters reading back values that were validated on the way in.
    pub fn from_trusted(entries: BTreeMap<String, String>) -> Self {
        Self(entries)
    }

    /// The settings, in key order.
    pub fn entries(&self) -> &BTreeMap<String, String> {
        &self.0
    }
}

/// Secrets of an integration (keys, tokens, passwords). They are sealed before they are
/// stored and never shown again: `Debug` prints the names only, so a stray log line cannot
/// leak a value.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Credentials(BTreeMap<String, String>);

impl Credentials {
    /// The most credentials one integration holds.
    pub const MAX_KEYS: usize = 10;
    /// The longest secret value, in characters.
    pub const MAX_VALUE_CHARS: usize = 4_096;

    /// Accepts at most [`Self::MAX_KEYS`] entries whose keys are snake_case names of at most
    /// [`MAX_KEY_CHARS`] characters and whose values hold at most [`Self::MAX_VALUE_CHARS`]
    /// characters, none of them control, invisible or direction-changing. Refuses anything
    /// else with field `credentials`; the message never quotes a value.
    pub fn new(entries: BTreeMap<String, String>) -> Result<Self, ValidationError> {
        bounded(
            "credentials",
            &entries,
            Self::MAX_KEYS,
            Self::MAX_VALUE_CHARS,
        )?;
        Ok(Self(entries))
    }

    /// For the sealing adapter, opening what it sealed.
    pub fn from_trusted(entries: BTreeMap<String, String>) -> Self {
        Self(entries)
    }

    /// The secret values, for the sealing adapter only.
    pub fn expose(&self) -> &BTreeMap<String, String> {
        &self.0
    }

    /// Credential names only (never values), in key order, so lists and audit events can show
    /// what is set.
    pub fn names(&self) -> Vec<String> {
        self.0.keys().cloned().collect()
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

fn bounded(
    field: &'static str,
    entries: &BTreeMap<String, String>,
    max_keys: usize,
    max_value_chars: usize,
) -> Result<(), ValidationError> {
    if entries.len() > max_keys {
        return Err(ValidationError::new(
            field,
            format!("at most {max_keys} entries"),
        ));
    }
    for (name, value) in entries {
        key(field, name)?;
        if value.chars().count() > max_value_chars || value.chars().any(hides_text) {
            return Err(ValidationError::new(
                field,
                format!(
                    "`{name}` must be text of at most {max_value_chars} characters, without \
                     control, invisible or direction-changing characters"
                ),
            ));
        }
    }
    Ok(())
}

/// Credentials as stored: sealed by the [`Sealer`](super::Sealer) port, opaque to everyone
/// else.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedCredentials(pub String);

impl fmt::Debug for SealedCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SealedCredentials(..)")
    }
}

/// An integration as its org's managers see it: the names of its credentials, never their
/// values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Integration {
    /// Made when the integration is created; unique across all orgs.
    pub id: IntegrationId,
    /// The org that owns it. Every lookup and change is scoped to this org, so another
    /// tenant's id finds nothing.
    pub org_id: OrgId,
    /// What it connects to; `type` in the API. Fixed at creation.
    pub kind: IntegrationType,
    /// As last reported through an update; [`IntegrationStatus::Disconnected`] when created.
    pub status: IntegrationStatus,
    /// When the last scan ran, as reported through an update; `None` until one is reported.
    /// Once set it can be moved but not cleared.
    pub last_scan: Option<OffsetDateTime>,
    /// The settings that are not secret, shown as stored. No key is also a credential name.
    pub config: IntegrationConfig,
    /// The names of the sealed credentials, in key order; their values are only in the
    /// [`SealedCredentials`] kept beside the row.
    pub credential_names: Vec<String>,
    /// When it was created, by the service's clock; lists are ordered by it.
    pub created_at: OffsetDateTime,
}

/// The validated body of a new integration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewIntegration {
    /// What it connects to; fixed for the integration's life.
    pub kind: IntegrationType,
    /// The settings that are not secret; a key may not also be a credential name.
    pub config: IntegrationConfig,
    /// The secrets, sealed before they are stored; only their names are kept in the clear.
    pub credentials: Credentials,
}

/// A name may be a setting or a credential, not both: the response shows credentials in
/// `config` as redacted values, where a setting of the same name would hide one of them.
pub(crate) fn distinct_names(
    config: &IntegrationConfig,
    credential_names: &[String],
) -> Result<(), ValidationError> {
    match credential_names
        .iter()
        .find(|name| config.entries().contains_key(*name))
    {
        Some(name) => Err(ValidationError::new(
            "credentials",
            format!("`{name}` is already a setting in config"),
        )),
        None => Ok(()),
    }
}

/// What an update changes; `None` keeps the current value. New credentials replace all the
/// old ones: they are never read back to be merged.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IntegrationChanges {
    /// The status the service that uses the integration now reports.
    pub status: Option<IntegrationStatus>,
    /// When the latest scan ran. There is no way to clear it: `None` keeps the current value.
    pub last_scan: Option<OffsetDateTime>,
    /// Replaces all the settings; a key may not also be a credential name.
    pub config: Option<IntegrationConfig>,
    /// Replaces all the credentials (sealed anew); names left out are gone.
    pub credentials: Option<Credentials>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_show_their_values_in_debug_output() {
        let credentials = Credentials::new(BTreeMap::from([(
            "secret_access_key".to_owned(),
            "wJalrXUtnFEMI/K7MDENG".to_owned(),
        )]))
        .unwrap();
        let printed = format!("{credentials:?} {:?}", SealedCredentials("v1.abc".into()));
        assert!(printed.contains("secret_access_key"));
        assert!(!printed.contains("wJalr"));
        assert!(!printed.contains("abc"));
    }

    #[test]
    fn types_keys_and_values_are_bounded() {
        assert!(IntegrationType::try_from("aws").is_ok());
        assert!(IntegrationType::try_from("google-cloud_2").is_ok());
        for bad in ["", "AWS", "9aws", "a b", &"a".repeat(33)] {
            assert!(IntegrationType::try_from(bad).is_err(), "{bad}");
        }
        let one = |k: &str, v: &str| BTreeMap::from([(k.to_owned(), v.to_owned())]);
        assert!(IntegrationConfig::new(one("region", "eu-west-1")).is_ok());
        assert!(IntegrationConfig::new(one("Region", "x")).is_err());
        assert!(IntegrationConfig::new(one("region", &"x".repeat(501))).is_err());
        assert!(Credentials::new(one("token", &"x".repeat(4_096))).is_ok());
        assert!(Credentials::new(one("token", "a\u{202e}b")).is_err());
        let many = (0..11).map(|n| (format!("k{n}"), String::new())).collect();
        assert_eq!(Credentials::new(many).unwrap_err().field, "credentials");
    }
}
