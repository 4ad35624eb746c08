//! Bodies of `/api/orgs/{orgId}/domains`, the org's domain policy and auto-join, in the
//! `_id`/camelCase of the multi-org API.

use serde::{Deserialize, Serialize};
use tenantry_domain::domains::{DomainChanges, DomainList, DomainName, JoinableOrg, OrgDomain};
use tenantry_domain::member::RoleChoice;
use tenantry_domain::validation::ValidationError;
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::{rfc3339, utc};

/// The DNS record that proves the org holds the domain.
#[derive(Debug, Serialize, ToSchema)]
pub struct DomainChallengeResponse {
    /// Always `TXT`.
    #[serde(rename = "type")]
    #[schema(example = "TXT")]
    pub record_type: &'static str,
    /// Where to publish it.
    #[schema(example = "_tenantry-challenge.acme.com")]
    pub name: String,
    /// What to publish.
    #[schema(example = "tenantry-verification=3q2-7wAAAAA")]
    pub value: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DomainResponse {
    #[serde(rename = "_id")]
    pub id: String,
    pub org_id: String,
    #[schema(example = "acme.com")]
    pub domain: String,
    /// `pending` until the TXT record is found, then `verified`.
    #[schema(example = "verified")]
    pub status: &'static str,
    #[serde(with = "rfc3339::option")]
    pub verified_at: Option<OffsetDateTime>,
    /// Whether accounts with a verified address on the domain may join by themselves.
    pub auto_join: bool,
    /// The role they join with: a built-in name or a custom role's id.
    #[schema(example = "member")]
    pub default_role: String,
    pub verification: DomainChallengeResponse,
    #[serde(with = "rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<OrgDomain> for DomainResponse {
    fn from(domain: OrgDomain) -> Self {
        Self {
            id: domain.id.to_string(),
            org_id: domain.org_id.to_string(),
            status: if domain.is_verified() {
                "verified"
            } else {
                "pending"
            },
            verified_at: domain.verified_at.map(utc),
            auto_join: domain.auto_join,
            default_role: domain.default_role.to_string(),
            verification: DomainChallengeResponse {
                record_type: "TXT",
                name: domain.domain.challenge_name(),
                value: domain.challenge,
            },
            domain: domain.domain.as_str().to_owned(),
            created_at: utc(domain.created_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DomainListResponse {
    pub domains: Vec<DomainResponse>,
    /// Whether invitations by e-mail must go to one of the org's verified domains.
    pub invite_only_verified_domains: bool,
}

impl From<DomainList> for DomainListResponse {
    fn from(list: DomainList) -> Self {
        Self {
            domains: list.domains.into_iter().map(DomainResponse::from).collect(),
            invite_only_verified_domains: list.invite_only_verified_domains,
        }
    }
}

/// `POST /api/orgs/{orgId}/domains`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDomainRequest {
    /// A DNS name of at least two labels, in ASCII (`xn--` for internationalised names);
    /// lower-cased.
    #[schema(schema_with = crate::dto::schema::domain_name)]
    pub domain: String,
}

impl TryFrom<NewDomainRequest> for DomainName {
    type Error = ValidationError;

    fn try_from(body: NewDomainRequest) -> Result<Self, Self::Error> {
        DomainName::try_from(body.domain.as_str())
    }
}

/// `PATCH /api/orgs/{orgId}/domains/{id}`: what is left out (or `null`) stays.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DomainUpdateRequest {
    pub auto_join: Option<bool>,
    /// `admin`, `auditor`, `member`, `viewer` or a custom role's id.
    #[schema(schema_with = crate::dto::schema::role_choice_or_null)]
    pub default_role: Option<String>,
}

impl TryFrom<DomainUpdateRequest> for DomainChanges {
    type Error = ValidationError;

    fn try_from(body: DomainUpdateRequest) -> Result<Self, Self::Error> {
        let default_role = body
            .default_role
            .as_deref()
            .map(|raw| {
                RoleChoice::try_from(raw)
                    .map_err(|error| ValidationError::new("defaultRole", error.message))
            })
            .transpose()?;
        Ok(Self {
            auto_join: body.auto_join,
            default_role,
        })
    }
}

/// `PUT /api/orgs/{orgId}/domain-policy`, and its answer.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DomainPolicy {
    /// When true, invitations by e-mail to addresses outside the org's verified domains are
    /// refused (`422 domain_not_allowed`).
    pub invite_only_verified_domains: bool,
}

/// An org the caller may join by the domain of their verified address, through
/// `POST /api/me/joinable-orgs/{orgId}/join`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JoinableOrgResponse {
    pub org_id: String,
    pub name: String,
    /// The verified domain that admits the caller.
    pub domain: String,
    /// The role they would join with.
    pub role: String,
}

impl From<JoinableOrg> for JoinableOrgResponse {
    fn from(org: JoinableOrg) -> Self {
        Self {
            org_id: org.org_id.to_string(),
            name: org.org_name.as_str().to_owned(),
            domain: org.domain.as_str().to_owned(),
            role: org.role.to_string(),
        }
    }
}
