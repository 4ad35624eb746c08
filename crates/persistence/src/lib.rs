//! SeaORM adapters of Tenantry's ports, on SQLite (the embedded default) and PostgreSQL.
//!
//! [`Database`] is the unit of work: each use case gets one [`transaction::SeaTransaction`]
//! that implements every repository over the same database transaction.

mod database;
mod entities;
mod error;
mod idempotency;
mod json;
mod repos;
mod sql;
#[cfg(feature = "testing")]
pub mod testing;
mod transaction;
mod writer;

pub use database::{Database, DatabaseStats, PoolSettings};
pub use sea_orm::{DbBackend, DbErr};
