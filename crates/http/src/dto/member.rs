use serde::{Deserialize, Serialize};
use tenantry_domain::ids::{OrgId, UserId};
use tenantry_domain::member::{Member, MemberCursor, MemberPage, MoveMember, RoleChoice};
use tenantry_domain::validation::ValidationError;
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use super::{rfc3339, utc};

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MemberResponse {
    pub user_id: String,
    /// The member's display name.
    pub username: String,
    pub email: String,
    /// A built-in role name or a custom role's id.
    pub role: String,
    /// The role's human-readable name (equal to `role` for built-in roles).
    pub role_name: String,
    #[serde(with = "rfc3339")]
    pub joined_at: OffsetDateTime,
    /// The org's identity provider suspended the member (SCIM `active: false`): they keep
    /// their seat and role but can act in the org no more.
    pub suspended: bool,
}

impl From<Member> for MemberResponse {
    fn from(member: Member) -> Self {
        Self {
            user_id: member.user.id.to_string(),
            username: member.user.name.as_str().to_owned(),
            email: member.user.email.to_string(),
            role: member.role.key(),
            role_name: member.role.display_name().to_owned(),
            joined_at: utc(member.joined_at),
            suspended: member.suspended,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MemberListResponse {
    pub members: Vec<MemberResponse>,
    /// Present when more members follow: pass it as `cursor`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// Optional paging; without `limit` the whole list comes back.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MemberListQuery {
    /// 1 to 500 members per page.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u64>,
    /// The `nextCursor` of the previous page.
    #[param(schema_with = crate::dto::schema::member_cursor)]
    pub cursor: Option<String>,
}

impl TryFrom<MemberListQuery> for MemberPage {
    type Error = ValidationError;

    fn try_from(query: MemberListQuery) -> Result<Self, Self::Error> {
        let after = query
            .cursor
            .as_deref()
            .map(str::parse::<MemberCursor>)
            .transpose()?;
        MemberPage::new(after, query.limit)
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMemberRequest {
    /// admin, auditor, member, viewer, or a custom role's id.
    #[schema(schema_with = crate::dto::schema::role_choice)]
    pub role: String,
}

impl TryFrom<UpdateMemberRequest> for RoleChoice {
    type Error = ValidationError;

    fn try_from(body: UpdateMemberRequest) -> Result<Self, Self::Error> {
        RoleChoice::try_from(body.role.as_str())
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MoveMemberRequest {
    #[schema(format = Uuid)]
    pub target_org_id: String,
    /// Role in the target org (default: member).
    #[schema(schema_with = crate::dto::schema::role_choice_or_null)]
    pub role: Option<String>,
}

impl TryFrom<MoveMemberRequest> for MoveMember {
    type Error = ValidationError;

    fn try_from(body: MoveMemberRequest) -> Result<Self, Self::Error> {
        let target_org = body
            .target_org_id
            .trim()
            .parse::<OrgId>()
            .map_err(|_| ValidationError::new("targetOrgId", "must be an organization id"))?;
        let role = body
            .role
            .as_deref()
            .map(RoleChoice::try_from)
            .transpose()?
            .unwrap_or_default();
        Ok(MoveMember { target_org, role })
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TransferOwnershipRequest {
    /// A current member's user id.
    #[schema(format = Uuid)]
    pub new_owner_id: String,
}

impl TryFrom<TransferOwnershipRequest> for UserId {
    type Error = ValidationError;

    fn try_from(body: TransferOwnershipRequest) -> Result<Self, Self::Error> {
        body.new_owner_id
            .trim()
            .parse()
            .map_err(|_| ValidationError::new("newOwnerId", "must be a user id"))
    }
}
