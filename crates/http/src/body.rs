//! `Body<T>`: the JSON request body extractor. Unlike `web::Json` it names the field at fault
//! for every shape error (wrong type included), and all its failures use the one error shape.

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::{FromRequest, HttpMessage, HttpRequest, mime, web};
use futures::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// The largest request body accepted, in bytes; no request of this API needs more.
pub const BODY_LIMIT: usize = 64 * 1024;

pub struct Body<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Body<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = req.mime_type().ok().flatten().is_some_and(|mime| {
            mime.subtype() == mime::JSON || mime.suffix() == Some(mime::JSON)
        });
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if !is_json {
                return Err(ApiError::unsupported_media_type());
            }
            let bytes = bytes.await.map_err(|error| {
                match error.as_error::<PayloadError>() {
                    Some(PayloadError::Overflow) => ApiError::payload_too_large(BODY_LIMIT),
                    _ => ApiError::unreadable_body(error),
                }
            })?;
            let deserializer = &mut serde_json::Deserializer::from_slice(&bytes);
            serde_path_to_error::deserialize(deserializer)
                .map(Body)
                .map_err(ApiError::from_json)
        })
    }
}
