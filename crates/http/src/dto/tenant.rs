//! Bodies of the tenant face, `/api/org/...` (`org-endpoint.md`): snake_case field names, and
//! the same domain values as the `/api/orgs` face underneath.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tenantry_domain::authz::BuiltinRole;
use tenantry_domain::invitation::{EmailInvite, IssuedInvitation};
use tenantry_domain::member::{Member, RoleChoice, RoleFilter};
use tenantry_domain::org::{
    OrgChanges, OrgName, OrgSettings, OrgSummary, SettingKey, SettingValue, SettingsPatch,
};
use tenantry_domain::plan::Feature;
use tenantry_domain::user::Email;
use tenantry_domain::validation::ValidationError;
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use super::{rfc3339, utc};

fn settings_json(settings: &OrgSettings) -> BTreeMap<String, Value> {
    settings
        .iter()
        .map(|(key, value)| {
            let value = match value {
                SettingValue::Bool(flag) => Value::from(*flag),
                SettingValue::Integer(n) => Value::from(*n),
                SettingValue::Text(text) => Value::from(text.as_str()),
            };
            (key.as_str().to_owned(), value)
        })
        .collect()
}

/// The current org as `GET /api/org/profile` shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProfileResponse {
    pub tenant_id: String,
    pub name: String,
    /// The plan, upper-case: FREE, TEAM or ENTERPRISE.
    #[schema(example = "TEAM")]
    pub license_tier: String,
    #[serde(with = "rfc3339")]
    pub created_at: OffsetDateTime,
    /// Seats of the plan (members and pending e-mail invitations); `null` for unlimited.
    pub max_users: Option<u64>,
    /// Compliance frameworks the plan allows; `null` for unlimited.
    pub max_frameworks: Option<u64>,
    /// Each plan feature and whether this org has it.
    pub feature_flags: BTreeMap<&'static str, bool>,
    /// The org's settings (see `PUT /api/org/profile`).
    #[schema(value_type = Object)]
    pub settings: BTreeMap<String, Value>,
}

impl From<OrgSummary> for ProfileResponse {
    fn from(summary: OrgSummary) -> Self {
        let org = summary.org;
        let limits = org.plan.limits();
        Self {
            tenant_id: org.id.to_string(),
            name: org.name.as_str().to_owned(),
            license_tier: org.plan.name().to_uppercase(),
            created_at: utc(org.created_at),
            max_users: limits.seats,
            max_frameworks: limits.frameworks,
            feature_flags: Feature::ALL
                .into_iter()
                .map(|feature| (feature.name(), org.plan.includes(feature)))
                .collect(),
            settings: settings_json(&org.settings),
        }
    }
}

/// `PUT /api/org/profile`: the fields to change; omitted ones keep their value.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileUpdate {
    #[schema(schema_with = crate::dto::schema::org_name_or_null)]
    pub name: Option<String>,
    /// Settings to set, each a boolean, a whole number or text (at most 1,000 characters);
    /// `null` removes one. Names are lower-case snake_case; an org holds at most 50.
    #[schema(schema_with = crate::dto::schema::settings_patch_or_null)]
    pub settings: Option<serde_json::Map<String, Value>>,
}

fn setting(key: &SettingKey, value: Value) -> Result<Option<SettingValue>, ValidationError> {
    let wrong_type = || {
        ValidationError::new(
            "settings",
            format!(
                "`{}` must be a boolean, a whole number, text or null",
                key.as_str()
            ),
        )
    };
    match value {
        Value::Null => Ok(None),
        Value::Bool(flag) => Ok(Some(SettingValue::Bool(flag))),
        Value::Number(n) => n
            .as_i64()
            .map(|n| Some(SettingValue::Integer(n)))
            .ok_or_else(wrong_type),
        Value::String(text) => SettingValue::text(key, &text).map(Some),
        Value::Array(_) | Value::Object(_) => Err(wrong_type()),
    }
}

impl TryFrom<ProfileUpdate> for OrgChanges {
    type Error = ValidationError;

    fn try_from(body: ProfileUpdate) -> Result<Self, Self::Error> {
        let name = body.name.as_deref().map(OrgName::try_from).transpose()?;
        let changes = body
            .settings
            .unwrap_or_default()
            .into_iter()
            .map(|(key, value)| {
                let key = SettingKey::try_from(key.as_str())?;
                let value = setting(&key, value)?;
                Ok((key, value))
            })
            .collect::<Result<_, ValidationError>>()?;
        Ok(Self {
            name,
            settings: SettingsPatch::new(changes),
        })
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TenantMembersQuery {
    /// Only members with this role: owner, admin, auditor, member, viewer or a custom role's id.
    #[param(schema_with = crate::dto::schema::role_filter)]
    pub role: Option<String>,
}

impl TryFrom<TenantMembersQuery> for Option<RoleFilter> {
    type Error = ValidationError;

    fn try_from(query: TenantMembersQuery) -> Result<Self, Self::Error> {
        query.role.as_deref().map(RoleFilter::try_from).transpose()
    }
}

/// A member as `GET /api/org/members` lists them.
#[derive(Debug, Serialize, ToSchema)]
pub struct TenantMemberResponse {
    pub id: String,
    pub email: String,
    pub name: String,
    /// A built-in role name or a custom role's id, as in `/api/orgs`.
    pub role: String,
    /// The role's human-readable name.
    pub role_name: String,
    #[serde(with = "rfc3339::option")]
    pub last_login: Option<OffsetDateTime>,
    /// Whether the member has turned on a second factor.
    pub mfa_enabled: bool,
    /// Whether the org's identity provider suspended the member.
    pub suspended: bool,
}

impl From<Member> for TenantMemberResponse {
    fn from(member: Member) -> Self {
        Self {
            id: member.user.id.to_string(),
            email: member.user.email.to_string(),
            name: member.user.name.as_str().to_owned(),
            role: member.role.key(),
            role_name: member.role.display_name().to_owned(),
            last_login: member.user.last_login_at.map(utc),
            mfa_enabled: member.user.mfa_enabled,
            suspended: member.suspended,
        }
    }
}

/// The roles this face may invite to.
const INVITABLE: [BuiltinRole; 3] = [
    BuiltinRole::Admin,
    BuiltinRole::Auditor,
    BuiltinRole::Member,
];

/// `POST /api/org/members/invite`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantInviteRequest {
    #[schema(schema_with = crate::dto::schema::email)]
    pub email: String,
    /// admin, auditor or member.
    #[schema(schema_with = tenant_invitable)]
    pub role: String,
}

/// The roles this face invites to.
fn tenant_invitable() -> utoipa::openapi::schema::Schema {
    crate::dto::schema::one_of_names(INVITABLE.map(BuiltinRole::name))
}

impl TryFrom<TenantInviteRequest> for EmailInvite {
    type Error = ValidationError;

    fn try_from(body: TenantInviteRequest) -> Result<Self, Self::Error> {
        let role = INVITABLE
            .into_iter()
            .find(|role| role.name() == body.role.trim())
            .ok_or_else(|| ValidationError::new("role", "must be admin, auditor or member"))?;
        Ok(Self {
            email: Email::try_from(body.email.as_str())?,
            role: RoleChoice::Builtin(role),
        })
    }
}

/// The invitation just sent.
#[derive(Debug, Serialize, ToSchema)]
pub struct TenantInvitationResponse {
    pub id: String,
    pub email: String,
    pub role: String,
    /// pending, as it was just sent.
    pub status: &'static str,
    #[serde(with = "rfc3339")]
    pub expires_at: OffsetDateTime,
}

impl From<IssuedInvitation> for TenantInvitationResponse {
    fn from(issued: IssuedInvitation) -> Self {
        let invitation = issued.invitation;
        Self {
            id: invitation.id.to_string(),
            email: invitation
                .email()
                .map(ToString::to_string)
                .unwrap_or_default(),
            role: invitation.role.key(),
            status: invitation.status.name(),
            expires_at: utc(invitation.expires_at),
        }
    }
}

/// `PUT /api/me/active-org`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ActiveOrgRequest {
    #[schema(schema_with = crate::dto::schema::id)]
    pub org_id: String,
}
