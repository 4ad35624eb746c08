//! Tenantry's domain: organizations, members, roles, permissions and plans.
//!
//! Every use case takes the acting [`authz::Actor`] first, opens one unit of work through the
//! [`ports::UnitOfWork`] port, checks the permission it needs with [`authz::Access`], applies its
//! rule, appends its audit event and commits. Adapters (persistence, HTTP, e-mail) plug into the
//! ports; nothing here performs I/O itself.

pub mod audit;
pub mod authz;
pub mod check;
pub mod clock;
pub mod error;
pub mod ids;
pub mod integration;
pub mod invitation;
pub mod mail;
pub mod member;
pub mod org;
pub mod plan;
pub mod ports;
pub mod role;
mod services;
#[cfg(any(test, feature = "mocks"))]
pub mod testing;
pub mod user;
pub mod validation;

pub use services::{Services, ServicesConfig};
