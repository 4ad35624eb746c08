use serde::{Deserialize, Serialize};
use tenantry_domain::user::{
    CurrentSession, Email, Me, NewAccount, Password, SignedIn, User, UserName,
};
use tenantry_domain::validation::ValidationError;
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::domain::JoinableOrgResponse;
use super::{rfc3339, utc};
use tenantry_domain::domains::Joinable;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignUpRequest {
    /// Trimmed and lower-cased before use.
    #[schema(schema_with = crate::dto::schema::email)]
    pub email: String,
    #[schema(min_length = 8, max_length = 256)]
    pub password: String,
    /// Trimmed; nothing hidden (no control, zero-width or direction-changing characters).
    #[schema(schema_with = crate::dto::schema::user_name)]
    pub name: String,
}

impl TryFrom<SignUpRequest> for NewAccount {
    type Error = ValidationError;

    fn try_from(body: SignUpRequest) -> Result<Self, Self::Error> {
        Ok(Self {
            email: Email::try_from(body.email.as_str())?,
            password: Password::try_from(body.password.as_str())?,
            name: UserName::try_from(body.name.as_str())?,
        })
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LogInRequest {
    pub email: String,
    pub password: String,
    /// Sign straight into this org: the session's active org for `/api/org`.
    #[serde(rename = "orgId")]
    #[schema(schema_with = crate::dto::schema::id_or_null)]
    pub org_id: Option<String>,
    /// The current code of the authenticator app, for accounts with a second factor.
    pub code: Option<String>,
}

/// `POST /api/auth/verify-email`: the token of a verification link (its last path segment).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyEmailRequest {
    pub token: String,
}

/// `POST /api/auth/password-reset`: the address to mail a reset link to.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetRequest {
    #[schema(schema_with = crate::dto::schema::email)]
    pub email: String,
}

/// `POST /api/auth/password-reset/confirm`: the token of a reset link (its last path segment)
/// and the new password.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetConfirmRequest {
    pub token: String,
    #[schema(min_length = 8, max_length = 256)]
    pub password: String,
}

/// A code from the authenticator app.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MfaCodeRequest {
    #[schema(example = "123456")]
    pub code: String,
}

/// A TOTP secret being enrolled: shown once.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TotpEnrolmentResponse {
    /// The secret in base32, to type into an authenticator app.
    pub secret: String,
    /// The same as an `otpauth://` URI, to show as a QR code.
    pub otpauth_uri: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserResponse {
    #[serde(rename = "_id")]
    pub id: String,
    pub email: String,
    pub name: String,
    #[serde(with = "rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "rfc3339::option")]
    pub last_login_at: Option<OffsetDateTime>,
    /// Whether the address is verified: through the link mailed at sign-up, or by taking up
    /// an e-mailed invitation.
    pub email_verified: bool,
}

impl UserResponse {
    pub fn new(user: User, email_verified: bool) -> Self {
        Self {
            id: user.id.to_string(),
            email: user.email.to_string(),
            name: user.name.as_str().to_owned(),
            created_at: utc(user.created_at),
            last_login_at: user.last_login_at.map(utc),
            email_verified,
        }
    }
}

/// A new bearer token; the only time it is shown.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionResponse {
    pub user: UserResponse,
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    #[serde(with = "rfc3339")]
    pub expires_at: OffsetDateTime,
}

impl From<SignedIn> for SessionResponse {
    fn from(signed_in: SignedIn) -> Self {
        Self {
            token: signed_in.token.expose().to_owned(),
            expires_at: utc(signed_in.expires_at),
            user: UserResponse::new(signed_in.user, signed_in.email_verified),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MembershipResponse {
    pub org_id: String,
    pub name: String,
    /// A built-in role name or a custom role's id.
    pub role: String,
}

/// The answer to sign-up: the session, and what comes next for the new address.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SignUpResponse {
    #[serde(flatten)]
    pub session: SessionResponse,
    /// Orgs the account may join through the domain of its address
    /// (`POST /api/me/joinable-orgs/{orgId}/join`); empty until the address is verified.
    pub joinable_orgs: Vec<JoinableOrgResponse>,
    /// For people: what to do next.
    #[schema(
        example = "We sent a link to jane@acme.com: follow it to verify your address. Organizations that admit people of your e-mail domain are then offered to you."
    )]
    pub next_step: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MeResponse {
    pub user: UserResponse,
    pub memberships: Vec<MembershipResponse>,
    /// Orgs the caller may join through the domain of their verified address
    /// (`POST /api/me/joinable-orgs/{orgId}/join`); empty while the address is unverified.
    pub joinable_orgs: Vec<JoinableOrgResponse>,
}

impl MeResponse {
    pub fn new(me: Me, joinable: Joinable) -> Self {
        Self {
            joinable_orgs: joinable
                .orgs
                .into_iter()
                .map(JoinableOrgResponse::from)
                .collect(),
            user: UserResponse::new(me.user, joinable.email_verified),
            memberships: me
                .memberships
                .into_iter()
                .map(|membership| MembershipResponse {
                    org_id: membership.org_id.to_string(),
                    name: membership.name.as_str().to_owned(),
                    role: membership.role.key(),
                })
                .collect(),
        }
    }
}

/// The bearer token of the request: its session and account.
#[derive(Debug, Serialize, ToSchema)]
pub struct CurrentSessionResponse {
    pub session: SessionInfo,
    pub user: UserResponse,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionInfo {
    #[serde(rename = "_id")]
    pub id: String,
    #[serde(with = "rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "rfc3339")]
    pub expires_at: OffsetDateTime,
    /// The org `/api/org` works on, once chosen.
    pub active_org_id: Option<String>,
    /// For an API token pinned to one org, that org.
    pub pinned_org_id: Option<String>,
    /// An API token's name; absent for a sign-in session.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl From<&CurrentSession> for CurrentSessionResponse {
    fn from(current: &CurrentSession) -> Self {
        let session = &current.session;
        Self {
            session: SessionInfo {
                id: session.id.to_string(),
                created_at: utc(session.created_at),
                expires_at: utc(session.expires_at),
                active_org_id: session.active_org.map(|org| org.to_string()),
                pinned_org_id: session.pinned_org.map(|org| org.to_string()),
                name: session.name.as_ref().map(|name| name.as_str().to_owned()),
            },
            user: UserResponse::new(current.user.clone(), current.email_verified),
        }
    }
}
