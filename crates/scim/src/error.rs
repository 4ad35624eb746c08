//! The SCIM error format (RFC 7644 §3.12): the one place of this adapter that turns a refusal
//! into a status, a `scimType` and a `detail`.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;
use tenantry_domain::directory::DirectoryError;
use tenantry_domain::error::{DomainError, ErrorKind};

use crate::filter::FilterError;
use crate::patch::PatchError;

/// The schema of an error body.
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
/// The media type of every SCIM body.
pub const SCIM_JSON: &str = "application/scim+json";

/// A refused request, as the client will read it.
#[derive(Debug, thiserror::Error)]
#[error("{status}: {detail}")]
pub struct ScimError {
    status: StatusCode,
    scim_type: Option<&'static str>,
    detail: String,
}

impl ScimError {
    /// A 400 with the `scimType` RFC 7644 names for it.
    pub fn bad_request(scim_type: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            scim_type: Some(scim_type),
            detail: detail.into(),
        }
    }

    /// A value that breaks the schema.
    pub fn invalid_value(detail: impl Into<String>) -> Self {
        Self::bad_request("invalidValue", detail)
    }

    /// No such resource or endpoint.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            scim_type: None,
            detail: detail.into(),
        }
    }

    /// No directory token, or not this endpoint's.
    pub fn unauthorized() -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            scim_type: None,
            detail: "a directory token of this organization is needed".into(),
        }
    }

    /// A known endpoint asked with a method it does not serve.
    pub fn method_not_allowed() -> Self {
        Self {
            status: StatusCode::METHOD_NOT_ALLOWED,
            scim_type: None,
            detail: "this endpoint does not serve that method".into(),
        }
    }
}

impl From<DirectoryError> for ScimError {
    fn from(error: DirectoryError) -> Self {
        let (status, scim_type) = match (&error, error.kind()) {
            (DirectoryError::VersionMismatch, _) => (StatusCode::PRECONDITION_FAILED, None),
            (DirectoryError::UserNameTaken | DirectoryError::GroupNameTaken, _) => {
                (StatusCode::CONFLICT, Some("uniqueness"))
            }
            (DirectoryError::OwnerImmutable, _) => (StatusCode::BAD_REQUEST, Some("mutability")),
            (_, ErrorKind::Invalid) => (StatusCode::BAD_REQUEST, Some("invalidValue")),
            (_, ErrorKind::Unauthenticated) => (StatusCode::UNAUTHORIZED, None),
            (_, ErrorKind::Forbidden) => (StatusCode::FORBIDDEN, None),
            (_, ErrorKind::NotFound) => (StatusCode::NOT_FOUND, None),
            (_, ErrorKind::Conflict | ErrorKind::Gone) => (StatusCode::CONFLICT, None),
            (_, ErrorKind::Unavailable) => (StatusCode::SERVICE_UNAVAILABLE, None),
            (_, ErrorKind::Internal) => (StatusCode::INTERNAL_SERVER_ERROR, None),
        };
        let detail = if status.is_server_error() {
            tracing::error!(error = %error, "directory request failed");
            "the server could not complete the request".to_owned()
        } else {
            match error.field() {
                Some(field) => format!("{field}: {error}"),
                None => error.to_string(),
            }
        };
        Self {
            status,
            scim_type,
            detail,
        }
    }
}

impl From<FilterError> for ScimError {
    fn from(error: FilterError) -> Self {
        Self::bad_request("invalidFilter", error.0)
    }
}

impl From<PatchError> for ScimError {
    fn from(error: PatchError) -> Self {
        Self::bad_request(error.scim_type(), error.to_string())
    }
}

impl ResponseError for ScimError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut body = json!({
            "schemas": [ERROR_SCHEMA],
            "status": self.status.as_u16().to_string(),
            "detail": self.detail,
        });
        if let Some(scim_type) = self.scim_type {
            body["scimType"] = scim_type.into();
        }
        let mut response = HttpResponse::build(self.status);
        response.content_type(SCIM_JSON);
        if self.status == StatusCode::UNAUTHORIZED {
            response.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
        }
        response.body(body.to_string())
    }
}
