//! Organizations: the tenants.

mod error;
mod model;
mod ports;
mod service;
#[cfg(test)]
mod tests;

pub use error::OrgError;
pub use model::{Org, OrgName, OrgSummary};
pub use ports::OrgRepository;
pub use service::OrgService;

#[cfg(any(test, feature = "mocks"))]
pub use ports::MockOrgRepository;
