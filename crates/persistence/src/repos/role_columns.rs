use std::collections::BTreeSet;
use std::sync::{Mutex, PoisonError};

use sea_orm::FromQueryResult;
use tenantry_domain::authz::{BuiltinRole, PermissionSet};
use tenantry_domain::error::StoreError;
use tenantry_domain::ids::{OrgId, RoleId};
use tenantry_domain::member::AssignedRole;
use tenantry_domain::role::{CustomRole, RoleDescription, RoleName};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::entities::custom_roles;
use crate::error::corrupt;

/// The value of `memberships.role` for a custom role; its id is in `custom_role_id`.
pub(crate) const CUSTOM: &str = "custom";

/// The columns of the LEFT JOINed custom role (`r`) that [`RoleColumns`] reads.
macro_rules! custom_role_columns {
    () => {
        "r.id AS r_id, r.name AS r_name, r.description AS r_description, \
         r.permissions AS r_permissions, r.created_at AS r_created_at"
    };
}

/// The columns every query that reads a member's role selects, given `m` for memberships and
/// `r` for the LEFT JOINed custom_roles.
pub(crate) const ROLE_SELECT: &str = concat!("m.role AS role, ", custom_role_columns!());

/// The same for an invitation's role, given `i` for invitations.
pub(crate) const INVITATION_ROLE_SELECT: &str = concat!("i.role AS role, ", custom_role_columns!());

#[derive(Debug, FromQueryResult)]
pub(crate) struct RoleColumns {
    role: String,
    r_id: Option<Uuid>,
    r_name: Option<String>,
    r_description: Option<String>,
    r_permissions: Option<String>,
    r_created_at: Option<OffsetDateTime>,
}

impl RoleColumns {
    pub(crate) fn into_role(self, org_id: Uuid) -> Result<AssignedRole, StoreError> {
        if self.role != CUSTOM {
            return builtin(&self.role).map(AssignedRole::Builtin);
        }
        match (
            self.r_id,
            self.r_name,
            self.r_permissions,
            self.r_created_at,
        ) {
            (Some(id), Some(name), Some(permissions), Some(created_at)) => {
                custom_role(StoredRole {
                    id,
                    org_id,
                    name,
                    description: self.r_description,
                    permissions,
                    created_at,
                })
                .map(AssignedRole::Custom)
            }
            _ => Err(corrupt("membership role", "custom without a role")),
        }
    }
}

pub(crate) fn builtin(name: &str) -> Result<BuiltinRole, StoreError> {
    name.parse().map_err(|()| corrupt("role", name))
}

/// What `memberships.role` and `memberships.custom_role_id` hold for a role.
pub(crate) fn role_columns(role: &AssignedRole) -> (&'static str, Option<Uuid>) {
    match role {
        AssignedRole::Builtin(role) => (role.name(), None),
        AssignedRole::Custom(role) => (CUSTOM, Some(role.id.as_uuid())),
    }
}

/// The columns of a custom role the domain reads back.
#[derive(Debug, FromQueryResult)]
pub(crate) struct StoredRole {
    pub(crate) id: Uuid,
    pub(crate) org_id: Uuid,
    pub(crate) name: String,
    pub(crate) description: Option<String>,
    pub(crate) permissions: String,
    pub(crate) created_at: OffsetDateTime,
}

impl From<custom_roles::Model> for StoredRole {
    fn from(row: custom_roles::Model) -> Self {
        Self {
            id: row.id,
            org_id: row.org_id,
            name: row.name,
            description: row.description,
            permissions: row.permissions,
            created_at: row.created_at,
        }
    }
}

pub(crate) fn custom_role(row: StoredRole) -> Result<CustomRole, StoreError> {
    let (permissions, unknown) =
        PermissionSet::parse_known(row.permissions.split(',').filter(|s| !s.is_empty()));
    for slug in unknown {
        warn_once_of_unknown(slug, row.id);
    }
    Ok(CustomRole {
        id: RoleId::from_uuid(row.id),
        org_id: OrgId::from_uuid(row.org_id),
        name: RoleName::from_trusted(row.name),
        description: row.description.map(RoleDescription::from_trusted),
        permissions,
        created_at: row.created_at,
    })
}

pub(crate) fn permissions_column(permissions: PermissionSet) -> String {
    permissions
        .iter()
        .map(|permission| permission.slug())
        .collect::<Vec<_>>()
        .join(",")
}

/// Logs a stored permission slug the catalogue does not know, once per slug and process: it
/// grants nothing, and its holders' requests go on as if it were not there.
fn warn_once_of_unknown(slug: &str, role: uuid::Uuid) {
    static SEEN: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
    let first = SEEN
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(slug.to_owned());
    if first {
        tracing::warn!(slug, role = %role, "a custom role holds a permission this version does not know; it grants nothing");
    }
}
