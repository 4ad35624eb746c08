use actix_web::{HttpResponse, web};

use crate::ApiState;
use crate::error::ApiError;

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, description = "up")))]
pub(crate) async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

/// The database answers.
#[utoipa::path(get, path = "/readyz", tag = "health", responses(
    (status = 200, description = "ready"),
    (status = 503, description = "database unreachable", body = crate::error::ErrorBody),
))]
pub(crate) async fn readyz(state: web::Data<ApiState>) -> Result<HttpResponse, ApiError> {
    if state.readiness.ready().await {
        Ok(HttpResponse::Ok().json(serde_json::json!({ "status": "ready" })))
    } else {
        Err(ApiError::not_ready())
    }
}
