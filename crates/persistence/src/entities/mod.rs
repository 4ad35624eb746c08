//! SeaORM models of the tables. They stay inside this crate: repositories translate them to and
//! from domain types.

pub mod audit_events;
pub mod custom_roles;
pub mod integrations;
pub mod memberships;
pub mod orgs;
pub mod sessions;
pub mod users;
