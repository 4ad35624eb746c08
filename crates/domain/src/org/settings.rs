//! An org's settings: a small map that the product built around Tenantry keeps per tenant
//! (`PUT /api/org/profile`), bounded so that one tenant cannot grow it without limit.

use std::collections::BTreeMap;

use crate::validation::{ValidationError, hides_text, is_snake_case_name};

/// A setting's name: lower-case ASCII letters, digits and `_`, starting with a letter.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct SettingKey(String);

impl SettingKey {
    /// The longest key, in characters (all ASCII, so also in bytes).
    pub const MAX_CHARS: usize = 64;

    /// The key as the API shows it and audit events name it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<&str> for SettingKey {
    type Error = ValidationError;

    fn try_from(raw: &str) -> Result<Self, ValidationError> {
        if is_snake_case_name(raw, Self::MAX_CHARS) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(ValidationError::new(
                "settings",
                format!(
                    "`{}` is not a setting name: lower-case letters, digits and _, starting \
                     with a letter, at most {} characters",
                    raw.chars().take(Self::MAX_CHARS).collect::<String>(),
                    Self::MAX_CHARS
                ),
            ))
        }
    }
}

/// A setting's value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SettingValue {
    /// A JSON `true` or `false`; `require_mfa` takes this form.
    Bool(bool),
    /// A whole number, signed, that fits in 64 bits.
    Integer(i64),
    /// Text; build it with [`SettingValue::text`], which enforces the length and character
    /// rules.
    Text(String),
}

impl SettingValue {
    /// The longest text value, in characters.
    pub const MAX_TEXT_CHARS: usize = 1_000;

    /// Text of at most [`Self::MAX_TEXT_CHARS`] characters, without control characters.
    pub fn text(key: &SettingKey, raw: &str) -> Result<Self, ValidationError> {
        if raw.chars().count() > Self::MAX_TEXT_CHARS || raw.chars().any(hides_text) {
            return Err(ValidationError::new(
                "settings",
                format!(
                    "`{}` must be text of at most {} characters, without control, invisible or \
                     direction-changing characters",
                    key.as_str(),
                    Self::MAX_TEXT_CHARS
                ),
            ));
        }
        Ok(Self::Text(raw.to_owned()))
    }
}

/// The settings an org has.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OrgSettings(BTreeMap<SettingKey, SettingValue>);

impl OrgSettings {
    /// The most settings one org holds; [`OrgSettings::patched`] refuses a result with more.
    pub const MAX_KEYS: usize = 50;
    /// The setting that makes a second factor mandatory for the org's members.
    pub const REQUIRE_MFA: &'static str = "require_mfa";

    /// The setting that refuses invitations by e-mail to addresses outside the org's
    /// verified domains (see [`crate::domains`]).
    pub const INVITE_ONLY_VERIFIED_DOMAINS: &'static str = "invite_only_verified_domains";

    /// Whether invitations by e-mail must go to the org's verified domains
    /// (`invite_only_verified_domains: true`).
    pub fn invite_only_verified_domains(&self) -> bool {
        self.0.iter().any(|(key, value)| {
            key.as_str() == Self::INVITE_ONLY_VERIFIED_DOMAINS && *value == SettingValue::Bool(true)
        })
    }

    /// Whether members need a second factor to act in the org (`require_mfa: true`).
    pub fn requires_mfa(&self) -> bool {
        self.0.iter().any(|(key, value)| {
            key.as_str() == Self::REQUIRE_MFA && *value == SettingValue::Bool(true)
        })
    }

    /// For adapters reading back settings that were validated on the way in.
    pub fn from_trusted(settings: BTreeMap<SettingKey, SettingValue>) -> Self {
        Self(settings)
    }

    /// For adapters: a key read back from storage.
    pub fn trusted_key(key: String) -> SettingKey {
        SettingKey(key)
    }

    /// The settings in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&SettingKey, &SettingValue)> {
        self.0.iter()
    }

    /// These settings with `patch` applied; fails when the result would hold too many.
    pub fn patched(&self, patch: &SettingsPatch) -> Result<Self, ValidationError> {
        let mut settings = self.0.clone();
        for (key, change) in &patch.0 {
            match change {
                Some(value) => settings.insert(key.clone(), value.clone()),
                None => settings.remove(key),
            };
        }
        if settings.len() > Self::MAX_KEYS {
            return Err(ValidationError::new(
                "settings",
                format!("an org holds at most {} settings", Self::MAX_KEYS),
            ));
        }
        Ok(Self(settings))
    }
}

/// Changes to settings: a value sets a key, `None` removes it; keys not named keep their value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SettingsPatch(BTreeMap<SettingKey, Option<SettingValue>>);

impl SettingsPatch {
    /// Takes the changes as given: the keys are valid by their type, and text values should
    /// come from [`SettingValue::text`]. The limit on the count is checked when the patch is
    /// applied, by [`OrgSettings::patched`].
    pub fn new(changes: BTreeMap<SettingKey, Option<SettingValue>>) -> Self {
        Self(changes)
    }

    /// Whether it changes nothing. An update with an empty patch and no new name writes
    /// nothing and records no audit event.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The names of the settings it changes, for the audit log (values may be private).
    pub fn keys(&self) -> impl Iterator<Item = &SettingKey> {
        self.0.keys()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str) -> SettingKey {
        SettingKey::try_from(name).unwrap()
    }

    #[test]
    fn keys_are_snake_case_names() {
        for good in ["a", "require_mfa", "x9", &"k".repeat(64)] {
            assert!(SettingKey::try_from(good).is_ok(), "{good}");
        }
        for bad in ["", "9a", "_a", "A", "a-b", "a b", "é", &"k".repeat(65)] {
            assert!(SettingKey::try_from(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn text_is_bounded_and_free_of_control_characters() {
        let k = key("motto");
        assert!(SettingValue::text(&k, &"é".repeat(1_000)).is_ok());
        assert!(SettingValue::text(&k, &"é".repeat(1_001)).is_err());
        assert!(SettingValue::text(&k, "a\u{202e}b").is_err());
        assert!(SettingValue::text(&k, "line\nbreak").is_err());
    }

    #[test]
    fn a_patch_sets_and_removes_and_leaves_the_rest() {
        let settings = OrgSettings::default()
            .patched(&SettingsPatch::new(BTreeMap::from([
                (key("a"), Some(SettingValue::Bool(true))),
                (key("b"), Some(SettingValue::Integer(3))),
            ])))
            .unwrap();
        let patched = settings
            .patched(&SettingsPatch::new(BTreeMap::from([
                (key("a"), None),
                (key("c"), Some(SettingValue::Text("x".into()))),
            ])))
            .unwrap();
        let names: Vec<_> = patched.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["b", "c"]);
    }

    #[test]
    fn an_org_holds_at_most_fifty_settings() {
        let many = |n: usize| {
            SettingsPatch::new(
                (0..n)
                    .map(|i| (key(&format!("k{i}")), Some(SettingValue::Integer(0))))
                    .collect(),
            )
        };
        assert!(OrgSettings::default().patched(&many(50)).is_ok());
        assert!(OrgSettings::default().patched(&many(51)).is_err());
    }
}
