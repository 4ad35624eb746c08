//! The only place that knows HTTP status codes: every failure becomes one JSON shape,
//! `{"error": {"code", "message", "field"?}}`.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use tenantry_domain::error::{DomainError, ErrorKind};
use utoipa::ToSchema;

/// The error body of every endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable; see `docs/errors.md`.
    pub code: &'static str,
    /// For people; may change between versions.
    pub message: String,
    /// The request field at fault, when one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The request's id, as in the `X-Request-Id` response header: quote it when reporting a
    /// problem, and it finds the request's log lines.
    #[serde(rename = "requestId", skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    field: Option<String>,
    retry_after_seconds: Option<u64>,
    allow: Option<String>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            field: None,
            retry_after_seconds: None,
            allow: None,
        }
    }

    pub(crate) fn rate_limited(retry_after_seconds: u64) -> Self {
        Self {
            retry_after_seconds: Some(retry_after_seconds),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!("too many attempts; retry in {retry_after_seconds} s"),
            )
        }
    }

    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "missing, malformed, expired or revoked bearer token",
        )
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "no such resource")
    }

    /// `allow` lists the methods the resource does support, for the `Allow` header.
    pub fn method_not_allowed(allow: &str) -> Self {
        Self {
            allow: Some(allow.to_owned()),
            ..Self::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                format!("this resource supports {allow} only"),
            )
        }
    }

    /// A failure of this service, not of the request: the cause is logged, never sent.
    pub(crate) fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error; it has been logged",
        )
    }

    /// The database could not be reached in time: nothing was done, and the request may be
    /// sent again. The cause is logged, never sent.
    pub(crate) fn unavailable(cause: impl std::fmt::Display) -> Self {
        tracing::warn!(error = %cause, "request refused: the database cannot be reached");
        Self {
            retry_after_seconds: Some(1),
            ..Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the database cannot be reached; nothing was done, retry shortly",
            )
        }
    }

    /// Another request with this `Idempotency-Key` is being served: retry shortly for its
    /// answer.
    pub(crate) fn idempotency_in_progress() -> Self {
        Self {
            retry_after_seconds: Some(1),
            ..Self::new(
                StatusCode::CONFLICT,
                "idempotency_in_progress",
                "a request with this Idempotency-Key is still being served; retry shortly",
            )
        }
    }

    /// The `Idempotency-Key` was used for another request (method, path or body).
    pub(crate) fn idempotency_key_reused() -> Self {
        Self {
            field: Some("Idempotency-Key".to_owned()),
            ..Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                "this Idempotency-Key was used for a different request",
            )
        }
    }

    pub fn not_ready() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_ready",
            "the database is not reachable",
        )
    }

    fn invalid(field: Option<String>, message: impl Into<String>) -> Self {
        Self {
            field,
            ..Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                message,
            )
        }
    }
}

impl<E: DomainError> From<E> for ApiError {
    fn from(error: E) -> Self {
        let status = match error.kind() {
            ErrorKind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorKind::Unauthenticated => StatusCode::UNAUTHORIZED,
            ErrorKind::Forbidden => StatusCode::FORBIDDEN,
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            ErrorKind::Conflict => StatusCode::CONFLICT,
            ErrorKind::Gone => StatusCode::GONE,
            ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        };
        if status == StatusCode::SERVICE_UNAVAILABLE {
            return Self::unavailable(format_args!("{error}"));
        }
        if status.is_server_error() {
            return Self::internal(format_args!("{error} ({})", error.code()));
        }
        Self {
            field: error.field().map(str::to_owned),
            ..Self::new(status, error.code(), error.to_string())
        }
    }
}

impl ApiError {
    /// The stable code, for pages that show an error in their own markup.
    pub(crate) fn code(&self) -> &'static str {
        self.code
    }

    /// The message for people (never a 5xx's cause).
    pub(crate) fn message(&self) -> &str {
        &self.message
    }

    /// The error as one item of a larger answer (a row of a bulk request), without a request
    /// id: the answer around it carries that.
    pub(crate) fn detail(&self) -> ErrorDetail {
        ErrorDetail {
            code: self.code,
            message: self.message.clone(),
            field: self.field.clone(),
            request_id: None,
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        self.response_for(None)
    }
}

impl ApiError {
    /// The error response, naming the request it answers.
    pub(crate) fn response_for(&self, request_id: Option<&str>) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        if self.status == StatusCode::UNAUTHORIZED {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        if let Some(allow) = &self.allow {
            response.insert_header((header::ALLOW, allow.as_str()));
        }
        if let Some(seconds) = self.retry_after_seconds {
            response.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        response.json(ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message.clone(),
                field: self.field.clone(),
                request_id: request_id.map(str::to_owned),
            },
        })
    }
}

impl ApiError {
    pub(crate) fn unsupported_media_type() -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as application/json",
        )
    }

    pub(crate) fn payload_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the body must be at most {limit} bytes"),
        )
    }

    pub(crate) fn unreadable_body(detail: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("the body could not be read: {detail}"),
        )
    }

    pub(crate) fn from_query(
        error: serde_path_to_error::Error<serde_urlencoded::de::Error>,
    ) -> Self {
        let message = error.inner().to_string();
        Self::invalid(located_field(error.path().to_string(), &message), message)
    }

    /// A body that is not JSON at all is a 400; JSON of the wrong shape names its field (422).
    pub(crate) fn not_an_object() -> Self {
        Self::invalid(Some("body".to_owned()), "the body must be a JSON object")
    }

    pub(crate) fn from_json(error: serde_path_to_error::Error<serde_json::Error>) -> Self {
        let path = error.path().to_string();
        let inner = error.into_inner();
        if !inner.is_data() {
            return Self::new(
                StatusCode::BAD_REQUEST,
                "malformed_json",
                format!("the body is not valid JSON: {inner}"),
            );
        }
        let message = inner.to_string();
        Self::invalid(located_field(path, &message), message)
    }
}

/// The path serde_path_to_error tracked, or at the top level ("."), the field serde names.
fn located_field(path: String, message: &str) -> Option<String> {
    if path == "." {
        quoted_field(message)
    } else {
        Some(path)
    }
}

/// At the top level serde names the field between backticks: "missing field `name`",
/// "unknown field `x`, expected ...".
fn quoted_field(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let length = message[start..].find('`')?;
    Some(message[start..start + length].to_owned())
}

#[cfg(test)]
mod tests {
    use super::quoted_field;

    #[test]
    fn field_is_taken_from_serde_messages() {
        assert_eq!(
            quoted_field("unknown field `nmae`, expected `name` at line 1 column 7").as_deref(),
            Some("nmae")
        );
        assert_eq!(quoted_field("invalid type: integer"), None);
    }
}
