//! HTTP tests through the real actix app, over a real database per test.

// A test that meets the unexpected should stop right there.
#![allow(clippy::unwrap_used)]

mod account;
mod audit;
mod checks;
mod concurrency;
mod domains;
mod errors;
mod helpers;
mod idempotency;
mod integrations;
mod invitation_limits;
mod invitations;
mod list_versions;
mod lock_order;
mod mass_assignment;
mod matrix;
mod members;
mod mfa;
mod operator;
mod orgs;
mod password_reset;
mod permission_checks;
mod roles;
mod scim;
mod tenant;
mod tokens;
mod webhooks;
