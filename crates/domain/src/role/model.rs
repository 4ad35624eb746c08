use time::OffsetDateTime;

use crate::authz::{BuiltinRole, PermissionSet};
use crate::ids::{OrgId, RoleId};
use crate::validation::{ValidationError, confusable_key, trimmed_text};

/// A custom role's name: trimmed, 1 to 50 characters, never a built-in role's name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleName(String);

impl RoleName {
    /// The longest name accepted, in characters, after NFKC normalisation and trimming.
    pub const MAX_CHARS: usize = 50;

    /// The name as stored: NFKC form, trimmed.
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
    /// The longest description accepted, in characters, after NFKC normalisation and
    /// trimming.
    pub const MAX_CHARS: usize = 500;

    /// The description as stored: NFKC form, trimmed, never empty.
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

/// A role an organization defined for itself: a named set of permissions it can give its
/// members instead of a built-in role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomRole {
    /// The role's id; the API shows it as a member's `role` and accepts it to assign the role.
    pub id: RoleId,
    /// The org the role belongs to; it can be assigned in no other.
    pub org_id: OrgId,
    /// Unique within the org, ignoring case and look-alike characters (see [`RoleName::key`]).
    pub name: RoleName,
    /// `None` when the role has no description.
    pub description: Option<RoleDescription>,
    /// What the role's holders may do. Never empty when made through [`NewRole`] or
    /// [`RolePatch`]; it applies on any plan.
    pub permissions: PermissionSet,
    /// When the role was created, by the service's clock.
    pub created_at: OffsetDateTime,
}

/// A custom role with how many members hold it, as the role use cases return it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleWithCount {
    /// The role itself.
    pub role: CustomRole,
    /// How many members of the org hold the role; pending invitations do not count.
    pub member_count: u64,
}

/// The validated body of a create-role request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewRole {
    /// The role's name; creating fails if the org already has one like it.
    pub name: RoleName,
    /// `None` for no description.
    pub description: Option<RoleDescription>,
    /// The permissions the role grants; at least one when built with [`NewRole::new`].
    pub permissions: PermissionSet,
}

impl NewRole {
    /// Checks that `permissions` holds at least one permission (else a validation error on the
    /// field `permissions`).
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
    /// `Some` renames the role; renaming fails if the org already has a role like the new name.
    pub name: Option<RoleName>,
    /// `Some(None)` clears the description.
    pub description: Option<Option<RoleDescription>>,
    /// `Some` replaces the role's whole permission set; never empty when built with
    /// [`RolePatch::new`].
    pub permissions: Option<PermissionSet>,
}

impl RolePatch {
    /// Refuses a patch that names no field (a validation error on the field `body`) and an
    /// empty permission set (on the field `permissions`).
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
