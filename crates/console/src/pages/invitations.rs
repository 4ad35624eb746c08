//! The org's invitations page.

use actix_web::web;

pub(crate) fn register(_cfg: &mut web::ServiceConfig) {}
