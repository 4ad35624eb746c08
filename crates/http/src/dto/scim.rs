//! Bodies of `/api/orgs/{orgId}/scim/...`: the owner's side of directory sync.

use serde::{Deserialize, Serialize};
use tenantry_domain::directory::{
    DirectoryName, DirectoryTokenInfo, GroupRole, ProvisioningSettings,
};
use tenantry_domain::member::RoleChoice;
use tenantry_domain::user::TokenName;
use tenantry_domain::validation::ValidationError;
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::{rfc3339, utc};

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewScimTokenRequest {
    /// A label, such as the identity provider's name.
    #[schema(schema_with = crate::dto::schema::token_name)]
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScimTokenResponse {
    #[serde(rename = "_id")]
    pub id: String,
    pub name: String,
    #[serde(with = "rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<DirectoryTokenInfo> for ScimTokenResponse {
    fn from(token: DirectoryTokenInfo) -> Self {
        Self {
            id: token.id.to_string(),
            name: token.name.as_str().to_owned(),
            created_at: utc(token.created_at),
        }
    }
}

/// A new directory token: the only answer that shows it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedScimTokenResponse {
    #[serde(flatten)]
    pub info: ScimTokenResponse,
    /// The bearer token for the identity provider. Shown once; keep it.
    pub token: String,
    /// The SCIM base URL's path on this server: `/scim/v2/{orgId}`.
    pub scim_path: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScimTokenListResponse {
    pub tokens: Vec<ScimTokenResponse>,
}

/// Which role the members of a directory group get.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct GroupRoleBody {
    /// The group's displayName, compared without regard to case.
    #[schema(schema_with = crate::dto::schema::directory_name)]
    pub group: String,
    /// admin, auditor, member, viewer or a custom role's id.
    #[schema(schema_with = crate::dto::schema::role_choice)]
    pub role: String,
}

/// The org's directory settings.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScimSettingsBody {
    /// The role of a person the directory provisions: admin, auditor, member (the default),
    /// viewer or a custom role's id.
    #[schema(schema_with = crate::dto::schema::role_choice)]
    pub default_role: String,
    /// In order: a managed member gets the role of the first mapping whose group holds them,
    /// else the default role. With none, roles are managed by hand.
    #[schema(schema_with = crate::dto::schema::group_roles)]
    #[serde(default)]
    pub group_roles: Vec<GroupRoleBody>,
}

impl From<ProvisioningSettings> for ScimSettingsBody {
    fn from(settings: ProvisioningSettings) -> Self {
        Self {
            default_role: settings.default_role.to_string(),
            group_roles: settings
                .group_roles
                .into_iter()
                .map(|mapping| GroupRoleBody {
                    group: mapping.group.as_str().to_owned(),
                    role: mapping.role.to_string(),
                })
                .collect(),
        }
    }
}

impl TryFrom<ScimSettingsBody> for ProvisioningSettings {
    type Error = ValidationError;

    fn try_from(body: ScimSettingsBody) -> Result<Self, ValidationError> {
        if body.group_roles.len() > ProvisioningSettings::MAX_GROUP_ROLES {
            return Err(ValidationError::new(
                "groupRoles",
                format!("at most {} mappings", ProvisioningSettings::MAX_GROUP_ROLES),
            ));
        }
        let group_roles = body
            .group_roles
            .iter()
            .map(|mapping| {
                Ok(GroupRole {
                    group: DirectoryName::parse("group", &mapping.group)?,
                    role: RoleChoice::try_from(mapping.role.as_str())?,
                })
            })
            .collect::<Result<_, ValidationError>>()?;
        Ok(Self {
            default_role: RoleChoice::try_from(body.default_role.as_str())?,
            group_roles,
        })
    }
}

impl TryFrom<NewScimTokenRequest> for TokenName {
    type Error = ValidationError;

    fn try_from(body: NewScimTokenRequest) -> Result<Self, ValidationError> {
        TokenName::try_from(body.name.as_str())
    }
}
