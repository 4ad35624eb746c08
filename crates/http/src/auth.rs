//! Bearer authentication: the `Authenticated` extractor turns the `Authorization` header into
//! the acting [`Actor`], or answers 401 with the error body.

use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures::future::LocalBoxFuture;
use tenantry_domain::authz::Actor;
use tenantry_domain::user::{AuthError, CurrentSession, SessionToken};

use crate::ApiState;
use crate::error::ApiError;

/// Longer than any token this service issues; longer headers are refused before any lookup.
const MAX_TOKEN_LENGTH: usize = 256;

pub struct Authenticated {
    pub actor: Actor,
    pub token: SessionToken,
    pub session: Arc<CurrentSession>,
}

impl Authenticated {
    /// Any valid bearer token, a service token included.
    fn any(req: &HttpRequest) -> LocalBoxFuture<'static, Result<Self, ApiError>> {
        let state = req.app_data::<web::Data<ApiState>>().cloned();
        let token = bearer_token(req);
        let ip = crate::routes::client(req);
        Box::pin(async move {
            let token = token.ok_or_else(ApiError::unauthenticated)?;
            let state = state.ok_or_else(ApiError::unauthenticated)?;
            let session = state.services.auth.current_session(&token).await?;
            Ok(Self {
                actor: session.actor().with_ip(ip),
                token,
                session,
            })
        })
    }
}

/// Every route but the permission checks: a service token is refused (`403
/// service_token_scope`), so it can do nothing but ask.
impl FromRequest for Authenticated {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let caller = Self::any(req);
        Box::pin(async move {
            let caller = caller.await?;
            if caller.actor.service {
                return Err(AuthError::ServiceTokenScope.into());
            }
            Ok(caller)
        })
    }
}

/// The caller of the permission-check routes: a user's token or a service token.
pub struct CheckCaller(pub Authenticated);

impl FromRequest for CheckCaller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let caller = Authenticated::any(req);
        Box::pin(async move { Ok(Self(caller.await?)) })
    }
}

/// The caller when a bearer token is presented, `None` when none is. A token that is presented
/// but not valid is still a 401: a client that means to be signed in must learn that it is not.
pub struct MaybeAuthenticated(pub Option<Authenticated>);

impl FromRequest for MaybeAuthenticated {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        if req.headers().contains_key(header::AUTHORIZATION) {
            let authenticated = Authenticated::from_request(req, payload);
            Box::pin(async move { Ok(Self(Some(authenticated.await?))) })
        } else {
            Box::pin(async { Ok(Self(None)) })
        }
    }
}

fn bearer_token(req: &HttpRequest) -> Option<SessionToken> {
    presented_bearer(req)
        .filter(|token| token.len() <= MAX_TOKEN_LENGTH)
        .map(SessionToken::from_presented)
}

/// The bearer token as sent, whether or not it is valid (`Idempotency-Key`s belong to it).
pub(crate) fn presented_bearer(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}
