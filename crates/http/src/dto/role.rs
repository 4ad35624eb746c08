use serde::{Deserialize, Deserializer, Serialize};
use tenantry_domain::authz::{PermissionSet, UnknownPermission};
use tenantry_domain::role::{NewRole, RoleDescription, RoleName, RolePatch, RoleWithCount};
use tenantry_domain::validation::ValidationError;
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::{rfc3339, utc};
use crate::openapi::PermissionSlug;

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RoleResponse {
    #[serde(rename = "_id")]
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    #[schema(value_type = Vec<PermissionSlug>, example = json!(["scans:read", "members:read"]))]
    pub permissions: Vec<&'static str>,
    pub member_count: u64,
    #[serde(with = "rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<RoleWithCount> for RoleResponse {
    fn from(listed: RoleWithCount) -> Self {
        let role = listed.role;
        Self {
            id: role.id.to_string(),
            name: role.name.as_str().to_owned(),
            description: role.description.map(|d| d.as_str().to_owned()),
            permissions: role.permissions.iter().map(|p| p.slug()).collect(),
            member_count: listed.member_count,
            created_at: utc(role.created_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RoleListResponse {
    pub roles: Vec<RoleResponse>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRoleRequest {
    /// 1 to 50 characters, unique in the org (any case), not a built-in role's name.
    #[schema(schema_with = crate::dto::schema::role_name)]
    pub name: String,
    #[schema(schema_with = crate::dto::schema::role_description_or_null)]
    pub description: Option<String>,
    /// Permission slugs; at least one.
    #[schema(value_type = Vec<PermissionSlug>, min_items = 1)]
    pub permissions: Vec<String>,
}

/// Every field is optional; `"description": null` clears the description.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRoleRequest {
    #[schema(schema_with = crate::dto::schema::role_name_or_null)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(schema_with = crate::dto::schema::role_description_or_null)]
    pub description: Option<Option<String>>,
    #[schema(value_type = Option<Vec<PermissionSlug>>, min_items = 1)]
    pub permissions: Option<Vec<String>>,
}

/// Tells an explicit `null` (Some(None)) from an absent field (None).
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(deserializer).map(Some)
}

fn permissions(slugs: &[String]) -> Result<PermissionSet, ValidationError> {
    PermissionSet::parse(slugs.iter().map(String::as_str))
        .map_err(|unknown| unknown_slugs("permissions", &unknown))
}

/// The refusal of slugs the catalogue does not know, naming each.
pub(crate) fn unknown_slugs(field: &'static str, unknown: &[UnknownPermission]) -> ValidationError {
    let names: Vec<_> = unknown.iter().map(|u| format!("`{}`", u.0)).collect();
    ValidationError::new(
        field,
        format!("unknown permission slugs: {}", names.join(", ")),
    )
}

fn description(raw: Option<&str>) -> Result<Option<RoleDescription>, ValidationError> {
    raw.map(RoleDescription::parse)
        .transpose()
        .map(Option::flatten)
}

impl TryFrom<CreateRoleRequest> for NewRole {
    type Error = ValidationError;

    fn try_from(body: CreateRoleRequest) -> Result<Self, Self::Error> {
        NewRole::new(
            RoleName::try_from(body.name.as_str())?,
            description(body.description.as_deref())?,
            permissions(&body.permissions)?,
        )
    }
}

impl TryFrom<UpdateRoleRequest> for RolePatch {
    type Error = ValidationError;

    fn try_from(body: UpdateRoleRequest) -> Result<Self, Self::Error> {
        RolePatch::new(
            body.name.as_deref().map(RoleName::try_from).transpose()?,
            body.description
                .map(|value| description(value.as_deref()))
                .transpose()?,
            body.permissions.as_deref().map(permissions).transpose()?,
        )
    }
}
