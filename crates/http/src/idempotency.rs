//! `Idempotency-Key` on every POST of the JSON API: the first answer is kept for 24 hours and sent again to a
//! retry of the same request, so a client whose connection dropped can retry without making
//! two orgs or two invitations. Keys belong to the bearer token that sent them.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpResponse, web};
use futures::StreamExt;
use tenantry_domain::idempotency::{
    Claim, IdempotencyKey, IdempotencyScope, RequestFingerprint, StoredResponse,
};

use crate::ApiState;
use crate::auth::presented_bearer;
use crate::error::ApiError;
use crate::observe::RequestId;

pub(crate) const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
/// Set on an answer sent again from the store.
pub(crate) const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

pub(crate) async fn idempotency(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let raw_key = request.headers().get(&IDEMPOTENCY_KEY).cloned();
    let state = request.app_data::<web::Data<ApiState>>().cloned();
    // The JSON API only: the HTML pages' forms are not retried by scripts.
    let api_post = request.method() == Method::POST && request.path().starts_with("/api/");
    let (Some(raw_key), Some(state), true) = (raw_key, state, api_post) else {
        return Ok(next.call(request).await?.map_into_boxed_body());
    };
    let key = match IdempotencyKey::try_from(raw_key.to_str().unwrap_or_default()) {
        Ok(key) => key,
        Err(invalid) => return Ok(request.error_response(ApiError::from(invalid))),
    };
    let scope = IdempotencyScope::of(presented_bearer(request.request()));

    // The body is read here to fingerprint it, then handed on to the handler unchanged.
    let (http_request, mut payload) = request.into_parts();
    // Read by hand: the route's own size limit (a bulk invitation's is larger) is not known
    // to the app-wide configuration this middleware would otherwise read it with.
    let limit = crate::body::body_limit(http_request.path());
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let refusal = match chunk {
            Ok(chunk) if body.len() + chunk.len() <= limit => {
                body.extend_from_slice(&chunk);
                continue;
            }
            Ok(_) => ApiError::payload_too_large(limit),
            Err(error) => ApiError::unreadable_body(error),
        };
        return Ok(ServiceResponse::from_err(refusal, http_request));
    }
    let body = body.freeze();
    let path = http_request
        .uri()
        .path_and_query()
        .map_or("/", |path| path.as_str());
    let fingerprint = RequestFingerprint::of(http_request.method().as_str(), path, &body);
    let now = time::OffsetDateTime::now_utc();
    let store = &state.idempotency;

    let refusal = match store.claim(&scope, &key, &fingerprint, now).await {
        Ok(Claim::Fresh) => None,
        Ok(Claim::Replay(stored)) => {
            let request_id = http_request.extensions().get::<RequestId>().cloned();
            let response = replay(stored, request_id);
            return Ok(ServiceResponse::new(http_request, response));
        }
        Ok(Claim::InProgress) => Some(ApiError::idempotency_in_progress()),
        Ok(Claim::Mismatch) => Some(ApiError::idempotency_key_reused()),
        Err(error) => Some(ApiError::from(error)),
    };
    if let Some(refusal) = refusal {
        return Ok(ServiceResponse::from_err(refusal, http_request));
    }

    let request = ServiceRequest::from_parts(http_request, Payload::from(body));
    let response = match next.call(request).await {
        Ok(response) if StoredResponse::is_final(response.status().as_u16()) => response,
        other => {
            // Not an answer to keep: a retry with this key is served afresh.
            release(&state, &scope, &key).await;
            return other.map(ServiceResponse::map_into_boxed_body);
        }
    };
    let status = response.status().as_u16();
    let (http_request, response) = response.into_parts();
    let (head, body) = response.into_parts();
    let Ok(body) = actix_web::body::to_bytes(body).await else {
        release(&state, &scope, &key).await;
        let failure = ApiError::internal("a response body could not be read");
        return Ok(ServiceResponse::from_err(failure, http_request));
    };
    let content_type = head
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let stored = StoredResponse {
        status,
        content_type,
        body: body.to_vec(),
    };
    if let Err(error) = store.complete(&scope, &key, &stored).await {
        // The change is made; only its replay is lost. A retry then finds the key in progress
        // until it expires, which is safer than doing the change twice.
        tracing::warn!(%error, "an idempotent answer could not be kept");
    }
    Ok(ServiceResponse::new(
        http_request,
        head.set_body(body).map_into_boxed_body(),
    ))
}

async fn release(state: &ApiState, scope: &IdempotencyScope, key: &IdempotencyKey) {
    if let Err(error) = state.idempotency.release(scope, key).await {
        tracing::warn!(%error, "an idempotency key could not be released");
    }
}

/// The kept answer, marked as replayed. An error body names the request that replays it, as
/// every error body names its own request.
fn replay(stored: StoredResponse, request_id: Option<RequestId>) -> HttpResponse {
    let mut body = stored.body;
    if let (true, Some(RequestId(id))) = (stored.status >= 400, request_id)
        && let Ok(mut error) = serde_json::from_slice::<serde_json::Value>(&body)
        && let Some(detail) = error.get_mut("error").and_then(|e| e.as_object_mut())
    {
        detail.insert("requestId".to_owned(), id.into());
        body = error.to_string().into_bytes();
    }
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let mut response = HttpResponse::build(status);
    response.insert_header((REPLAYED, HeaderValue::from_static("true")));
    if let Some(content_type) = stored.content_type {
        response.insert_header((header::CONTENT_TYPE, content_type));
    }
    response.body(body)
}
