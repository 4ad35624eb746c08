//! Extractors for request input. Unlike `web::Json` and `web::Query` they name the field at
//! fault for every shape error (wrong type included), and all their failures use the one error
//! shape.

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::{FromRequest, HttpMessage, HttpRequest, mime, web};
use futures::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// The largest request body accepted, in bytes; no request of this API needs more, but for
/// a bulk invitation ([`body_limit`]).
pub const BODY_LIMIT: usize = 64 * 1024;

/// The largest body a request to `path` may send: a bulk invitation's rows need more room.
pub(crate) fn body_limit(path: &str) -> usize {
    if path.ends_with("/invitations/bulk") {
        tenantry_domain::invitation::MAX_BULK_BODY_BYTES
    } else {
        BODY_LIMIT
    }
}

/// The body, parsed or not. Extraction itself never fails: actix runs a handler's extractors
/// side by side, and a body error must not answer before the bearer token has been checked.
/// Handlers call [`Body::value`] once authentication has passed.
pub struct Body<T>(Result<T, ApiError>);

impl<T> Body<T> {
    pub fn value(self) -> Result<T, ApiError> {
        self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Body<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = req.mime_type().ok().flatten().is_some_and(|mime| {
            mime.type_() == mime::APPLICATION
                && (mime.subtype() == mime::JSON || mime.suffix() == Some(mime::JSON))
        });
        let bytes = web::Bytes::from_request(req, payload);
        let limit = body_limit(req.path());
        Box::pin(async move { Ok(Body(parse(is_json, limit, bytes.await))) })
    }
}

fn parse<T: DeserializeOwned>(
    is_json: bool,
    limit: usize,
    bytes: Result<web::Bytes, actix_web::Error>,
) -> Result<T, ApiError> {
    if !is_json {
        return Err(ApiError::unsupported_media_type());
    }
    let bytes = bytes.map_err(|error| match error.as_error::<PayloadError>() {
        Some(PayloadError::Overflow) => ApiError::payload_too_large(limit),
        _ => ApiError::unreadable_body(error),
    })?;
    let deserializer = &mut serde_json::Deserializer::from_slice(&bytes);
    let mut value: serde_json::Value =
        serde_path_to_error::deserialize(deserializer).map_err(ApiError::from_json)?;
    // serde would read a struct from an array too (`[null, null]`, field by field).
    if !value.is_object() {
        return Err(ApiError::not_an_object());
    }
    integral_numbers(&mut value);
    serde_path_to_error::deserialize(value).map_err(ApiError::from_json)
}

/// JSON has one number type: `118.0` is the integer 118 to a client (and to JSON Schema), so
/// it is read as one; `118.5` stays a float and is refused where an integer is due.
fn integral_numbers(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Number(number) => {
            if let Some(float) = number.as_f64().filter(|_| number.is_f64())
                && float.fract() == 0.0
                && float.abs() < 9_007_199_254_740_992.0
            {
                // Exact: below 2^53 every integral f64 is an i64.
                #[allow(clippy::cast_possible_truncation)]
                let integer = float as i64;
                *number = integer.into();
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(integral_numbers),
        serde_json::Value::Object(fields) => fields.values_mut().for_each(integral_numbers),
        _ => {}
    }
}

/// Query-string parameters, with the same field-naming 422s as [`Body`] and, like it, read by
/// the handler only after authentication.
pub struct Query<T>(Result<T, ApiError>);

impl<T> Query<T> {
    pub fn value(self) -> Result<T, ApiError> {
        self.0
    }
}

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let pairs = form_urlencoded::parse(req.query_string().as_bytes());
        let deserializer = serde_urlencoded::Deserializer::new(pairs);
        let parsed = serde_path_to_error::deserialize(deserializer).map_err(ApiError::from_query);
        std::future::ready(Ok(Query(parsed)))
    }
}
