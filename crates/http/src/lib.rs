//! Tenantry's actix-web adapter: routes, request and response bodies, bearer authentication,
//! and the single mapping from domain errors to HTTP (`error.rs`).

mod auth;
mod body;
mod client_ip;
mod dto;
mod error;
mod idempotency;
mod member_cache;
mod metrics;
mod observe;
mod openapi;
mod pages;
mod rate_limit;
mod request_span;
mod routes;

pub use member_cache::{MEMBER_LIST_CACHE_BYTES, MemberListCache};
pub use metrics::{GaugeSource, Metrics, StoreGauges};
pub use observe::REQUEST_ID_MAX_LEN;

use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::DefaultHeaders;
use actix_web::{App, HttpResponse, web};
use async_trait::async_trait;
use tenantry_domain::Services;
use tenantry_domain::idempotency::IdempotencyStore;
use tracing_actix_web::TracingLogger;

pub use body::BODY_LIMIT;
pub use client_ip::TrustedProxies;
pub use error::{ErrorBody, ErrorDetail};
pub use openapi::{ApiDoc, openapi_json};
pub use rate_limit::AuthRateLimit;

/// Whether the service can do its work (the database answers), for `GET /readyz`.
#[async_trait]
pub trait Readiness: Send + Sync {
    async fn ready(&self) -> bool;
}

/// What every request handler can reach.
#[derive(Clone)]
pub struct ApiState {
    pub services: Services,
    pub readiness: Arc<dyn Readiness>,
    pub auth_rate_limit: Arc<AuthRateLimit>,
    /// Invitations made, looked up and taken up: per client and per signed-in account.
    pub invitation_rate_limit: Arc<AuthRateLimit>,
    /// Whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Arc<TrustedProxies>,
    pub member_lists: Arc<MemberListCache>,
    pub metrics: Arc<Metrics>,
    /// What `/metrics` reads from the store when scraped.
    pub gauges: Arc<dyn GaugeSource>,
    /// The answers kept for `Idempotency-Key` replays.
    pub idempotency: Arc<dyn IdempotencyStore>,
}

/// The whole HTTP application; `main` and the tests build it the same way.
pub fn app(
    state: ApiState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(web::Data::new(state))
        .app_data(web::PayloadConfig::new(BODY_LIMIT))
        // Innermost: it sees the handler's answer before the request id and default headers
        // are added, and a replay gets those of the request that replays it.
        .wrap(actix_web::middleware::from_fn(idempotency::idempotency))
        .wrap(
            DefaultHeaders::new()
                .add(("X-Content-Type-Options", "nosniff"))
                .add(("Cache-Control", "no-store")),
        )
        .wrap(TracingLogger::<request_span::RedactedRootSpan>::new())
        // Outermost, so the id exists before the request's span opens and the metrics time
        // everything.
        .wrap(actix_web::middleware::from_fn(observe::observe))
        .configure(routes::configure)
        .service(openapi::viewer())
        .default_service(web::to(|| async {
            Err::<HttpResponse, _>(error::ApiError::not_found())
        }))
}
