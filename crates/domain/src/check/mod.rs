//! Permission checks for the other services of a product: may this user do that in this org,
//! and why. The answer comes from the same rule every use case of Tenantry applies
//! ([`crate::authz::Access::judge`]), so a service asking here and Tenantry itself never
//! disagree.

mod error;
mod model;
mod service;

pub use error::CheckError;
pub use model::{MAX_QUESTIONS, Questions, Reason, Verdict, explain};
pub use service::CheckService;

#[cfg(test)]
mod tests;
