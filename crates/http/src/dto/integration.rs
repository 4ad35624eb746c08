//! Bodies of `/api/org/integrations`: snake_case as `org-endpoint.md` writes them. Credentials
//! go in and never come out: a response shows each one's name with a redacted value.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tenantry_domain::integration::{
    Credentials, Integration, IntegrationChanges, IntegrationConfig, IntegrationStatus,
    IntegrationType, NewIntegration,
};
use tenantry_domain::validation::ValidationError;
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::{rfc3339, utc};

/// What a response shows in place of a credential's value.
pub const REDACTED: &str = "[REDACTED]";

#[derive(Debug, Serialize, ToSchema)]
pub struct IntegrationResponse {
    pub id: String,
    #[serde(rename = "type")]
    #[schema(example = "aws")]
    pub kind: String,
    /// connected, disconnected or error.
    pub status: &'static str,
    #[serde(with = "rfc3339::option")]
    pub last_scan: Option<OffsetDateTime>,
    /// The settings, and every credential's name with the value `[REDACTED]`.
    pub config: BTreeMap<String, String>,
    #[serde(with = "rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<Integration> for IntegrationResponse {
    fn from(integration: Integration) -> Self {
        let mut config = integration.config.entries().clone();
        for name in integration.credential_names {
            config.insert(name, REDACTED.to_owned());
        }
        Self {
            id: integration.id.to_string(),
            kind: integration.kind.as_str().to_owned(),
            status: integration.status.name(),
            last_scan: integration.last_scan.map(utc),
            config,
            created_at: utc(integration.created_at),
        }
    }
}

/// `POST /api/org/integrations`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewIntegrationRequest {
    #[serde(rename = "type")]
    #[schema(schema_with = crate::dto::schema::integration_type)]
    pub kind: String,
    /// Settings that are not secret.
    #[serde(default)]
    #[schema(schema_with = crate::dto::schema::integration_config)]
    pub config: BTreeMap<String, String>,
    /// Secrets: sealed at rest, never returned.
    #[serde(default)]
    #[schema(schema_with = crate::dto::schema::credentials)]
    pub credentials: BTreeMap<String, String>,
}

impl TryFrom<NewIntegrationRequest> for NewIntegration {
    type Error = ValidationError;

    fn try_from(body: NewIntegrationRequest) -> Result<Self, Self::Error> {
        Ok(Self {
            kind: IntegrationType::try_from(body.kind.as_str())?,
            config: IntegrationConfig::new(body.config)?,
            credentials: Credentials::new(body.credentials)?,
        })
    }
}

/// `PATCH /api/org/integrations/{id}`: what is omitted stays; `credentials` replaces them all.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntegrationUpdateRequest {
    /// connected, disconnected or error.
    #[schema(schema_with = crate::dto::schema::integration_status_or_null)]
    pub status: Option<String>,
    /// When the last scan ran (RFC 3339).
    #[serde(default, with = "rfc3339::option")]
    pub last_scan: Option<OffsetDateTime>,
    #[schema(schema_with = crate::dto::schema::integration_config_or_null)]
    pub config: Option<BTreeMap<String, String>>,
    #[schema(schema_with = crate::dto::schema::credentials_or_null)]
    pub credentials: Option<BTreeMap<String, String>>,
}

impl TryFrom<IntegrationUpdateRequest> for IntegrationChanges {
    type Error = ValidationError;

    fn try_from(body: IntegrationUpdateRequest) -> Result<Self, Self::Error> {
        Ok(Self {
            status: body
                .status
                .as_deref()
                .map(IntegrationStatus::try_from)
                .transpose()?,
            last_scan: body.last_scan,
            config: body.config.map(IntegrationConfig::new).transpose()?,
            credentials: body.credentials.map(Credentials::new).transpose()?,
        })
    }
}
