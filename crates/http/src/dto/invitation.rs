use serde::{Deserialize, Serialize};
use tenantry_domain::invitation::{
    EmailInvite, Invitation, InvitationKind, InvitationView, IssuedInvitation, LinkInvite,
    NewInvitee,
};
use tenantry_domain::member::{Membership, RoleChoice};
use tenantry_domain::user::{Email, Password, UserName};
use tenantry_domain::validation::ValidationError;
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::{rfc3339, utc};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailInvitationRequest {
    /// Trimmed and lower-cased before use.
    #[schema(schema_with = crate::dto::schema::email)]
    pub email: String,
    /// admin, auditor, member, viewer, or a custom role's id (default: member).
    #[schema(schema_with = crate::dto::schema::role_choice_or_null)]
    pub role: Option<String>,
}

impl TryFrom<EmailInvitationRequest> for EmailInvite {
    type Error = ValidationError;

    fn try_from(body: EmailInvitationRequest) -> Result<Self, Self::Error> {
        Ok(Self {
            email: Email::try_from(body.email.as_str())?,
            role: role_or_default(body.role.as_deref())?,
        })
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LinkInvitationRequest {
    /// The role of everyone who joins through the link (default: member).
    #[schema(schema_with = crate::dto::schema::role_choice_or_null)]
    pub role: Option<String>,
    /// How many people may join through it; unlimited when absent.
    #[schema(minimum = 1, maximum = 10_000)]
    pub max_uses: Option<u32>,
}

impl TryFrom<LinkInvitationRequest> for LinkInvite {
    type Error = ValidationError;

    fn try_from(body: LinkInvitationRequest) -> Result<Self, Self::Error> {
        LinkInvite::new(role_or_default(body.role.as_deref())?, body.max_uses)
    }
}

fn role_or_default(role: Option<&str>) -> Result<RoleChoice, ValidationError> {
    role.map(RoleChoice::try_from)
        .transpose()
        .map(Option::unwrap_or_default)
}

/// Accepting without being signed in: the account to create for the invited address.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInvitationRequest {
    /// Required unless signed in.
    #[schema(schema_with = crate::dto::schema::user_name_or_null)]
    pub name: Option<String>,
    /// Required unless signed in.
    #[schema(min_length = 8, max_length = 256)]
    pub password: Option<String>,
}

impl TryFrom<AcceptInvitationRequest> for NewInvitee {
    type Error = ValidationError;

    fn try_from(body: AcceptInvitationRequest) -> Result<Self, Self::Error> {
        let name = body
            .name
            .ok_or_else(|| ValidationError::new("name", "is required unless signed in"))?;
        let password = body
            .password
            .ok_or_else(|| ValidationError::new("password", "is required unless signed in"))?;
        Ok(Self {
            name: UserName::try_from(name.as_str())?,
            password: Password::try_from(password.as_str())?,
        })
    }
}

/// An invitation as its org's managers see it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InvitationResponse {
    #[serde(rename = "_id")]
    pub id: String,
    /// `email` or `link`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// A built-in role name or a custom role's id.
    pub role: String,
    pub role_name: String,
    /// pending, accepted, declined, revoked or expired, as of the request.
    #[schema(example = "pending")]
    pub status: &'static str,
    #[serde(with = "rfc3339")]
    pub expires_at: OffsetDateTime,
    #[serde(with = "rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invited_by: Option<String>,
    /// Join links only: people who joined through it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uses: Option<u32>,
    /// Join links only, when limited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_uses: Option<u32>,
    /// Join links, when just created: the only time the link is shown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

impl From<Invitation> for InvitationResponse {
    fn from(invitation: Invitation) -> Self {
        let (email, uses, max_uses) = match &invitation.kind {
            InvitationKind::Email(email) => (Some(email.to_string()), None, None),
            InvitationKind::Link { max_uses, uses } => (None, Some(*uses), *max_uses),
        };
        Self {
            id: invitation.id.to_string(),
            kind: invitation.kind.channel().name(),
            email,
            role: invitation.role.key(),
            role_name: invitation.role.display_name().to_owned(),
            status: invitation.status.name(),
            expires_at: utc(invitation.expires_at),
            created_at: utc(invitation.created_at),
            invited_by: invitation.invited_by.map(|id| id.to_string()),
            uses,
            max_uses,
            link: None,
        }
    }
}

impl From<IssuedInvitation> for InvitationResponse {
    /// A join link shows its link once; an e-mail invitation's token goes only to the inbox.
    fn from(issued: IssuedInvitation) -> Self {
        let is_link = issued.invitation.email().is_none();
        Self {
            link: is_link.then_some(issued.link),
            ..Self::from(issued.invitation)
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationListResponse {
    pub invitations: Vec<InvitationResponse>,
}

/// What an invitation offers, as its invitee sees it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InvitationPreview {
    #[serde(rename = "_id")]
    pub id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub org_id: String,
    pub org_name: String,
    /// Absent once the inviter's account is gone.
    pub inviter_name: Option<String>,
    pub role: String,
    pub role_name: String,
    /// E-mail invitations only: the invited address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[schema(example = "pending")]
    pub status: &'static str,
    #[serde(with = "rfc3339")]
    pub expires_at: OffsetDateTime,
}

impl From<InvitationView> for InvitationPreview {
    fn from(view: InvitationView) -> Self {
        let invitation = view.invitation;
        Self {
            id: invitation.id.to_string(),
            kind: invitation.kind.channel().name(),
            org_id: invitation.org_id.to_string(),
            org_name: view.org_name,
            inviter_name: view.inviter_name,
            role: invitation.role.key(),
            role_name: invitation.role.display_name().to_owned(),
            email: invitation.email().map(ToString::to_string),
            status: invitation.status.name(),
            expires_at: utc(invitation.expires_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MyInvitationsResponse {
    pub invitations: Vec<InvitationPreview>,
}

/// The membership an accepted invitation or a join link created.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JoinedResponse {
    pub org_id: String,
    pub user_id: String,
    pub role: String,
    pub role_name: String,
    #[serde(with = "rfc3339")]
    pub joined_at: OffsetDateTime,
}

impl From<Membership> for JoinedResponse {
    fn from(membership: Membership) -> Self {
        Self {
            org_id: membership.org_id.to_string(),
            user_id: membership.user_id.to_string(),
            role: membership.role.key(),
            role_name: membership.role.display_name().to_owned(),
            joined_at: utc(membership.joined_at),
        }
    }
}

/// `POST /api/orgs/{orgId}/invitations/bulk`: many e-mail invitations at once.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkInvitationRequest {
    /// 1 to 1,000 rows.
    #[schema(schema_with = crate::dto::schema::bulk_invitations)]
    pub invitations: Vec<BulkInvitationRow>,
}

/// One row of a bulk invitation. Its values are judged row by row, as
/// `POST .../invitations/email` judges its body, and a row that breaks a rule is reported in
/// the answer, not refused with the request: so the document promises only their types here.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkInvitationRow {
    /// An address; trimmed and lower-cased before use.
    pub email: String,
    /// admin, auditor, member, viewer, or a custom role's id (default: member).
    pub role: Option<String>,
}

impl TryFrom<BulkInvitationRow> for EmailInvite {
    type Error = ValidationError;

    fn try_from(row: BulkInvitationRow) -> Result<Self, Self::Error> {
        EmailInvite::try_from(EmailInvitationRequest {
            email: row.email,
            role: row.role,
        })
    }
}

/// What became of one row, in the order of the request.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BulkRowResult {
    /// The row's place in the request, from 1.
    pub row: usize,
    /// The address as the row gave it.
    pub email: String,
    /// `invited` or `failed`.
    #[schema(example = "invited")]
    pub status: &'static str,
    /// The new invitation, when invited.
    pub invitation_id: Option<String>,
    /// Why not, when failed: the code, message and field a single invitation would get.
    pub error: Option<crate::error::ErrorDetail>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BulkInvitationResponse {
    /// Rows invited.
    pub invited: usize,
    /// Rows refused; the others were applied, all in one transaction.
    pub failed: usize,
    pub results: Vec<BulkRowResult>,
}
