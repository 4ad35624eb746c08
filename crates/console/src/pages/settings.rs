//! The org's settings page.

use actix_web::web;

pub(crate) fn register(_cfg: &mut web::ServiceConfig) {}
