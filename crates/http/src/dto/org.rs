use serde::{Deserialize, Serialize};
use tenantry_domain::org::{OrgName, OrgSummary};
use tenantry_domain::validation::ValidationError;
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::{rfc3339, utc};

/// The body of create and update.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrgRequest {
    /// Trimmed; nothing hidden (no control, zero-width or direction-changing characters).
    #[schema(schema_with = crate::dto::schema::org_name)]
    pub name: String,
}

impl TryFrom<OrgRequest> for OrgName {
    type Error = ValidationError;

    fn try_from(body: OrgRequest) -> Result<Self, Self::Error> {
        OrgName::try_from(body.name.as_str())
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrgResponse {
    #[serde(rename = "_id")]
    pub id: String,
    pub name: String,
    /// The caller's role: a built-in name or a custom role's id.
    pub role: String,
    pub member_count: u64,
    #[schema(example = "free")]
    pub plan: String,
    #[serde(with = "rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<OrgSummary> for OrgResponse {
    fn from(summary: OrgSummary) -> Self {
        Self {
            id: summary.org.id.to_string(),
            name: summary.org.name.as_str().to_owned(),
            role: summary.role.key(),
            member_count: summary.member_count,
            plan: summary.org.plan.name().to_owned(),
            created_at: utc(summary.org.created_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrgListResponse {
    pub organizations: Vec<OrgResponse>,
}
