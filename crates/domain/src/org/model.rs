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
    /// The longest name, in characters (Unicode scalar values), after trimming.
    pub const MAX_CHARS: usize = 100;

    /// The name as stored and shown: NFKC-normalised and trimmed.
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

/// An organization: one tenant, whose members, roles, invitations, integrations and audit log
/// belong to it alone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Org {
    /// Made at creation and time-ordered, so ordering by id is ordering by age.
    pub id: OrgId,
    /// Renamed by a member holding `settings:write`.
    pub name: OrgName,
    /// Sets the org's limits and features. [`Plan::Free`] at creation; no API route changes
    /// it, only an operator, through [`super::OrgService::set_plan_as_operator`].
    pub plan: Plan,
    /// When the org was created, by the service's clock.
    pub created_at: OffsetDateTime,
    /// The per-tenant settings map; empty at creation.
    pub settings: OrgSettings,
}

/// What an update changes: the name when given, and the settings the patch names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OrgChanges {
    /// The new name; `None` keeps the current one.
    pub name: Option<OrgName>,
    /// Merged into the current settings; an empty patch leaves them as they are.
    pub settings: SettingsPatch,
}

/// An organization as one of its members sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrgSummary {
    /// The org as stored, settings included.
    pub org: Org,
    /// The role of the member who sees it (the caller, for the use cases), not of anyone else.
    pub role: AssignedRole,
    /// How many members the org has now, the owner included; pending invitations are not
    /// counted.
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
