use time::OffsetDateTime;

use crate::authz::{BuiltinRole, PermissionSet};
use crate::ids::{OrgId, RoleId};
use crate::validation::{ValidationError, confusable_key, trimmed_text};

/// A custom role's name: trimmed, 1 to 50 characters, never a built-in role's name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleName(String);

impl RoleName {
    pub const MAX_CHARS: usize = 50;

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What uniqueness is decided on: two names that differ only in case, or that look alike
    /// (a Cyrillic `А` for a Latin `A`, `rn` for `m`), are the same role.
    pub fn key(&self) -> String {
        confusable_key(&self.0)
    }

    /// For adapters reading back values that were validated on the way in.
    pub fn from_trusted(value: String) -> Self {
        Self(value)
    }
}

impl TryFrom<&str> for RoleName {
    type Error = ValidationError;

    fn try_from(raw: &str) -> Result<Self, Self::Error> {
        let name = Self(trimmed_text("name", raw, Self::MAX_CHARS)?);
        let key = name.key();
        if BuiltinRole::ALL
            .iter()
            .any(|role| confusable_key(role.name()) == key)
        {
            return Err(ValidationError::new(
                "name",
                format!("`{}` is the name of a built-in role", name.0),
            ));
        }
        Ok(name)
    }
}

/// A custom role's description: up to 500 characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleDescription(String);

impl RoleDescription {
    pub const MAX_CHARS: usize = 500;

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// For adapters reading back values that were validated on the way in.
    pub fn from_trusted(value: String) -> Self {
        Self(value)
    }

    /// An empty description means none.
    pub fn parse(raw: &str) -> Result<Option<Self>, ValidationError> {
        if raw.trim().is_empty() {
            return Ok(None);
        }
        trimmed_text("description", raw, Self::MAX_CHARS).map(|text| Some(Self(text)))
    }
}

/// The permissions of a new or changed role: at least one.
pub(crate) fn non_empty(permissions: PermissionSet) -> Result<PermissionSet, ValidationError> {
    if permissions.is_empty() {
        Err(ValidationError::new(
            "permissions",
            "must hold at least one permission",
        ))
    } else {
        Ok(permissions)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomRole {
    pub id: RoleId,
    pub org_id: OrgId,
    pub name: RoleName,
    pub description: Option<RoleDescription>,
    pub permissions: PermissionSet,
    pub created_at: OffsetDateTime,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleWithCount {
    pub role: CustomRole,
    pub member_count: u64,
}

/// The validated body of a create-role request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewRole {
    pub name: RoleName,
    pub description: Option<RoleDescription>,
    pub permissions: PermissionSet,
}

impl NewRole {
    pub fn new(
        name: RoleName,
        description: Option<RoleDescription>,
        permissions: PermissionSet,
    ) -> Result<Self, ValidationError> {
        Ok(Self {
            name,
            description,
            permissions: non_empty(permissions)?,
        })
    }
}

/// The validated body of an update-role request: only the fields present change.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RolePatch {
    pub name: Option<RoleName>,
    /// `Some(None)` clears the description.
    pub description: Option<Option<RoleDescription>>,
    pub permissions: Option<PermissionSet>,
}

impl RolePatch {
    pub fn new(
        name: Option<RoleName>,
        description: Option<Option<RoleDescription>>,
        permissions: Option<PermissionSet>,
    ) -> Result<Self, ValidationError> {
        if name.is_none() && description.is_none() && permissions.is_none() {
            return Err(ValidationError::new(
                "body",
                "give at least one of name, description, permissions",
            ));
        }
        Ok(Self {
            name,
            description,
            permissions: permissions.map(non_empty).transpose()?,
        })
    }

    pub(crate) fn apply(self, role: &CustomRole) -> CustomRole {
        CustomRole {
            name: self.name.unwrap_or_else(|| role.name.clone()),
            description: self.description.unwrap_or_else(|| role.description.clone()),
            permissions: self.permissions.unwrap_or(role.permissions),
            ..role.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authz::Permission;

    #[test]
    fn builtin_names_are_reserved_in_any_case() {
        for name in ["admin", "Owner", " VIEWER "] {
            assert_eq!(
                RoleName::try_from(name).unwrap_err().field,
                "name",
                "{name}"
            );
        }
        assert_eq!(
            RoleName::try_from(" DevOps Lead ").unwrap().as_str(),
            "DevOps Lead"
        );
    }

    #[test]
    fn look_alikes_of_builtin_names_are_reserved_too() {
        // Cyrillic А and о, full-width letters, a zero-width space.
        for name in [
            "\u{0410}dmin",
            "\u{FF21}dmin",
            "Audit\u{043E}r",
            "Ad\u{200B}min",
        ] {
            assert!(RoleName::try_from(name).is_err(), "{name:?}");
        }
        // Full-width letters are stored as the plain letters they show.
        let ops = RoleName::try_from("\u{FF2F}ps").unwrap();
        assert_eq!(ops.as_str(), "Ops");
    }

    #[test]
    fn names_that_look_alike_share_a_key() {
        let key = |name: &str| RoleName::try_from(name).unwrap().key();
        assert_eq!(key("Reviewers"), key("reviewers"));
        assert_eq!(key("Reviewers"), key("R\u{0435}viewers"));
        assert_ne!(key("Reviewers"), key("Reviewer"));
    }

    #[test]
    fn a_role_needs_a_permission_and_a_patch_needs_a_field() {
        let name = RoleName::try_from("Ops").unwrap();
        assert_eq!(
            NewRole::new(name, None, PermissionSet::EMPTY)
                .unwrap_err()
                .field,
            "permissions"
        );
        assert_eq!(RolePatch::new(None, None, None).unwrap_err().field, "body");
        assert!(RolePatch::new(None, Some(None), None).is_ok());
    }

    #[test]
    fn patch_changes_only_what_it_names() {
        let role = CustomRole {
            id: RoleId::generate(),
            org_id: OrgId::generate(),
            name: RoleName::try_from("Ops").unwrap(),
            description: RoleDescription::parse("runs things").unwrap(),
            permissions: PermissionSet::of(&[Permission::ScansRead]),
            created_at: OffsetDateTime::UNIX_EPOCH,
        };
        let patch = RolePatch::new(
            None,
            None,
            Some(PermissionSet::of(&[Permission::ScansWrite])),
        )
        .unwrap();
        let changed = patch.apply(&role);
        assert_eq!(changed.name, role.name);
        assert_eq!(changed.description, role.description);
        assert_eq!(
            changed.permissions,
            PermissionSet::of(&[Permission::ScansWrite])
        );
    }
}
