use time::OffsetDateTime;

use super::settings::{OrgSettings, SettingsPatch};
use crate::ids::OrgId;
use crate::member::AssignedRole;
use crate::plan::Plan;
use crate::validation::{ValidationError, trimmed_text};

/// An organization's name: trimmed, 1 to 100 characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrgName(String);

impl OrgName {
    pub const MAX_CHARS: usize = 100;

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// For adapters reading back values that were validated on the way in.
    pub fn from_trusted(value: String) -> Self {
        Self(value)
    }
}

impl TryFrom<&str> for OrgName {
    type Error = ValidationError;

    fn try_from(raw: &str) -> Result<Self, Self::Error> {
        trimmed_text("name", raw, Self::MAX_CHARS).map(Self)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Org {
    pub id: OrgId,
    pub name: OrgName,
    pub plan: Plan,
    pub created_at: OffsetDateTime,
    pub settings: OrgSettings,
}

/// What an update changes: the name when given, and the settings the patch names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OrgChanges {
    pub name: Option<OrgName>,
    pub settings: SettingsPatch,
}

/// An organization as one of its members sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrgSummary {
    pub org: Org,
    pub role: AssignedRole,
    pub member_count: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_is_trimmed_and_between_1_and_100_characters() {
        assert_eq!(
            OrgName::try_from("  Acme Corp ").unwrap().as_str(),
            "Acme Corp"
        );
        assert!(OrgName::try_from("é".repeat(100).as_str()).is_ok());
        let too_long = OrgName::try_from("é".repeat(101).as_str()).unwrap_err();
        assert_eq!(too_long.field, "name");
        assert!(OrgName::try_from(" \t ").is_err());
        assert!(OrgName::try_from("bad\u{0}name").is_err());
        assert!(
            OrgName::try_from("Acme\u{202e}proC").is_err(),
            "a bidi override"
        );
        assert!(
            OrgName::try_from("Ac\u{200b}me").is_err(),
            "a zero-width space"
        );
    }
}
