//! What every request leaves behind: a request id (the caller's `X-Request-Id` when it is safe
//! to log, else a new one), echoed in the response header and in error bodies; one log line;
//! and its count and duration in the metrics.

use std::time::Instant;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, web};

use crate::ApiState;
use crate::error::ApiError;

pub(crate) const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The longest request id taken from a caller; a longer one is replaced.
pub const REQUEST_ID_MAX_LEN: usize = 128;

/// The id of the request being served, in its extensions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RequestId(pub(crate) String);

/// The route template of the request being served (`/api/orgs/{orgId}`, never the path), in
/// its extensions: the span, the log line and the metrics all name it, and finding it walks
/// the route table with a regex per template, so it is found once.
#[derive(Clone, Debug)]
pub(crate) struct RouteTemplate(pub(crate) String);

impl RouteTemplate {
    pub(crate) fn of(request: &ServiceRequest) -> Self {
        Self(
            request
                .match_pattern()
                .unwrap_or_else(|| "(no route)".to_owned()),
        )
    }
}

impl RequestId {
    /// The caller's id if it is short and plain enough to go into a log line and a header
    /// unchanged (letters, digits, `-`, `_`, `.`, `:`); otherwise a new UUID.
    fn of(request: &ServiceRequest) -> Self {
        let given = request
            .headers()
            .get(&REQUEST_ID_HEADER)
            .and_then(|value| value.to_str().ok())
            .filter(|id| {
                !id.is_empty()
                    && id.len() <= REQUEST_ID_MAX_LEN
                    && id
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
            });
        Self(given.map_or_else(|| uuid::Uuid::now_v7().to_string(), str::to_owned))
    }
}

pub(crate) async fn observe(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let started = Instant::now();
    let id = RequestId::of(&request);
    let route = RouteTemplate::of(&request);
    request.extensions_mut().insert(id.clone());
    request.extensions_mut().insert(route.clone());
    let state = request.app_data::<web::Data<ApiState>>().cloned();
    let method = request.method().clone();

    let response = next.call(request).await?;

    let rebuilt = response
        .response()
        .error()
        .and_then(|error| error.as_error::<ApiError>())
        .map(|error| error.response_for(Some(&id.0)));
    let mut response = match rebuilt {
        Some(rebuilt) => response.into_response(rebuilt).map_into_right_body(),
        None => response.map_into_left_body(),
    };
    if let Ok(value) = HeaderValue::from_str(&id.0) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    let RouteTemplate(route) = route;
    let status = response.status();
    let took = started.elapsed();
    if let Some(state) = state {
        state
            .metrics
            .record_request(method.as_str(), &route, status, took);
    }
    tracing::info!(
        request_id = %id.0,
        method = %method,
        route = %route,
        status = status.as_u16(),
        duration_ms = took.as_secs_f64() * 1e3,
        "request"
    );
    Ok(response)
}
