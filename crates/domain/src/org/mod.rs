//! Organizations: the tenants.

mod error;
mod model;
mod ports;
mod service;
mod settings;
#[cfg(test)]
mod tests;

pub use error::OrgError;
pub use model::{Org, OrgChanges, OrgName, OrgSummary};
pub use ports::OrgRepository;
pub use service::OrgService;
pub use settings::{OrgSettings, SettingKey, SettingValue, SettingsPatch};

#[cfg(any(test, feature = "mocks"))]
pub use ports::MockOrgRepository;
