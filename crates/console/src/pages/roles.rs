//! The org's roles page.

use actix_web::web;

pub(crate) fn register(_cfg: &mut web::ServiceConfig) {}
