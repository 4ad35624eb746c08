//! Permission checks: the questions other services ask and the verdicts with their reasons.

use serde::{Deserialize, Serialize};
use tenantry_domain::authz::Permission;
use tenantry_domain::check::{Questions, Verdict};
use tenantry_domain::ids::UserId;
use tenantry_domain::member::AssignedRole;
use tenantry_domain::validation::ValidationError;
use utoipa::ToSchema;

use super::role::unknown_slugs;

/// May one user use these permissions in the org?
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CheckRequest {
    #[schema(format = Uuid)]
    pub user_id: String,
    /// Permission slugs, 1 to 100; an unknown slug is refused by name.
    #[schema(schema_with = crate::dto::schema::permission_questions)]
    pub permissions: Vec<String>,
}

/// Many (user, permission) questions at once, for services that render lists.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchCheckRequest {
    /// 1 to 100 questions; the answers come back in the same order.
    #[schema(schema_with = crate::dto::schema::check_questions)]
    pub checks: Vec<CheckQuestion>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CheckQuestion {
    #[schema(format = Uuid)]
    pub user_id: String,
    #[schema(value_type = crate::openapi::PermissionSlug)]
    pub permission: String,
}

fn user(field: &'static str, raw: &str) -> Result<UserId, ValidationError> {
    raw.trim()
        .parse()
        .map_err(|_| ValidationError::new(field, format!("`{raw}` is not a user id")))
}

/// Every slug in the order given, all unknown ones named in one refusal.
fn permissions<'a>(
    field: &'static str,
    slugs: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<Permission>, ValidationError> {
    Permission::parse_list(slugs).map_err(|unknown| unknown_slugs(field, &unknown))
}

impl TryFrom<CheckRequest> for Questions {
    type Error = ValidationError;

    fn try_from(body: CheckRequest) -> Result<Self, Self::Error> {
        let user = user("userId", &body.user_id)?;
        let permissions = permissions("permissions", body.permissions.iter().map(String::as_str))?;
        Questions::new(
            "permissions",
            permissions.into_iter().map(|p| (user, p)).collect(),
        )
    }
}

impl TryFrom<BatchCheckRequest> for Questions {
    type Error = ValidationError;

    fn try_from(body: BatchCheckRequest) -> Result<Self, Self::Error> {
        let users = body
            .checks
            .iter()
            .map(|check| user("checks", &check.user_id))
            .collect::<Result<Vec<_>, _>>()?;
        let permissions = permissions("checks", body.checks.iter().map(|c| c.permission.as_str()))?;
        Questions::new("checks", users.into_iter().zip(permissions).collect())
    }
}

/// The role a verdict rests on.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoleRef {
    /// The custom role's id; `null` for a built-in role.
    #[serde(rename = "_id")]
    pub id: Option<String>,
    pub name: String,
    pub builtin: bool,
}

impl From<&AssignedRole> for RoleRef {
    fn from(role: &AssignedRole) -> Self {
        Self {
            id: match role {
                AssignedRole::Builtin(_) => None,
                AssignedRole::Custom(custom) => Some(custom.id.to_string()),
            },
            name: role.display_name().to_owned(),
            builtin: matches!(role, AssignedRole::Builtin(_)),
        }
    }
}

/// One answer.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VerdictResponse {
    pub user_id: String,
    #[schema(value_type = crate::openapi::PermissionSlug)]
    pub permission: &'static str,
    pub allowed: bool,
    /// `granted_by_role`, `role_lacks_permission`, `mfa_required` (the org requires a second
    /// factor the user lacks) or `not_a_member`.
    #[schema(example = "granted_by_role")]
    pub reason: &'static str,
    /// The user's role in the org; `null` when they are not a member.
    pub role: Option<RoleRef>,
}

impl From<Verdict> for VerdictResponse {
    fn from(verdict: Verdict) -> Self {
        Self {
            user_id: verdict.user.to_string(),
            permission: verdict.permission.slug(),
            allowed: verdict.allowed,
            reason: verdict.reason.code(),
            role: verdict.reason.role().map(RoleRef::from),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CheckResponse {
    /// Whether every permission asked about is allowed.
    pub allowed: bool,
    /// One answer per permission, in the order asked.
    pub results: Vec<VerdictResponse>,
}

impl From<Vec<Verdict>> for CheckResponse {
    fn from(verdicts: Vec<Verdict>) -> Self {
        Self {
            allowed: verdicts.iter().all(|verdict| verdict.allowed),
            results: verdicts.into_iter().map(VerdictResponse::from).collect(),
        }
    }
}
