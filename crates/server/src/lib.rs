//! The `tenantry` binary's library half: configuration and wiring, shared by `main` and tests.

pub mod config;
pub mod import;
mod jobs;
mod mail_worker;
mod password;
mod startup;
pub mod telemetry;
mod webhook_worker;

pub use config::{Config, Secret};
pub use mail_worker::{mail_worker, mailer};
pub use password::Argon2Hasher;
pub use startup::{Application, api_state, open_database, services};
