//! API token bodies (`/api/me/tokens`), camelCase like the other account routes.

use serde::{Deserialize, Serialize};
use tenantry_domain::ids::OrgId;
use tenantry_domain::user::{ApiToken, IssuedApiToken, NewApiToken, TokenLifetime, TokenName};
use tenantry_domain::validation::ValidationError;
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa::openapi::schema::{AnyOfBuilder, ObjectBuilder, Schema, SchemaType, Type};

use super::{rfc3339, utc};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NewTokenRequest {
    /// A label.
    #[schema(schema_with = crate::dto::schema::token_name)]
    pub name: String,
    /// Pin the token to this org: it then works there and nowhere else.
    #[schema(schema_with = crate::dto::schema::id_or_null)]
    pub org_id: Option<String>,
    /// Default 90.
    #[schema(schema_with = crate::dto::schema::token_days_or_null)]
    pub expires_in_days: Option<u64>,
    /// A service token (default false): it needs `orgId`, only that org's owner may make one,
    /// and it can do nothing but ask `/permissions/check` about any member of that org.
    pub service: Option<bool>,
}

/// The rule of [`NewApiToken`] below that a field's own schema cannot say: a service token
/// names its org. `crate::openapi` adds it to `NewTokenRequest`'s schema, so the document
/// refuses what the API refuses (either `service` is not true, or `orgId` is an id).
pub(crate) fn service_token_names_its_org() -> Schema {
    let not_service = ObjectBuilder::new().property(
        "service",
        ObjectBuilder::new()
            .schema_type(SchemaType::from_iter([Type::Boolean, Type::Null]))
            .enum_values(Some([
                serde_json::Value::Bool(false),
                serde_json::Value::Null,
            ])),
    );
    let with_org = ObjectBuilder::new()
        .property("orgId", ObjectBuilder::new().schema_type(Type::String))
        .required("orgId");
    AnyOfBuilder::new().item(not_service).item(with_org).into()
}

impl TryFrom<NewTokenRequest> for NewApiToken {
    type Error = ValidationError;

    fn try_from(body: NewTokenRequest) -> Result<Self, Self::Error> {
        let org = body
            .org_id
            .as_deref()
            .map(|raw| {
                raw.parse::<OrgId>()
                    .map_err(|_| ValidationError::new("orgId", "must be an organization id"))
            })
            .transpose()?;
        let service = body.service.unwrap_or(false);
        if service && org.is_none() {
            return Err(ValidationError::new(
                "orgId",
                "a service token must be pinned to an organization",
            ));
        }
        Ok(Self {
            name: TokenName::try_from(body.name.as_str())?,
            org,
            lifetime: TokenLifetime::days(body.expires_in_days)?,
            service,
        })
    }
}

/// An API token without its secret.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenResponse {
    #[serde(rename = "_id")]
    pub id: String,
    pub name: String,
    /// The org it is pinned to, or `null`.
    pub org_id: Option<String>,
    /// Whether it is a service token (permission checks only).
    pub service: bool,
    #[serde(with = "rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "rfc3339")]
    pub expires_at: OffsetDateTime,
}

impl From<ApiToken> for TokenResponse {
    fn from(token: ApiToken) -> Self {
        Self {
            id: token.id.to_string(),
            name: token.name.as_str().to_owned(),
            org_id: token.org.map(|org| org.to_string()),
            service: token.service,
            created_at: utc(token.created_at),
            expires_at: utc(token.expires_at),
        }
    }
}

/// A token just made: the only response that carries its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct NewTokenResponse {
    #[serde(flatten)]
    pub token: TokenResponse,
    /// The bearer token. It is not shown again.
    #[serde(rename = "token")]
    pub secret: String,
}

impl From<IssuedApiToken> for NewTokenResponse {
    fn from(issued: IssuedApiToken) -> Self {
        Self {
            token: issued.token.into(),
            secret: issued.secret.expose().to_owned(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenListResponse {
    pub tokens: Vec<TokenResponse>,
}
