//! Integrations: the connections of an org to outside systems (a cloud account, a code host),
//! with credentials that are sealed at rest and never shown again.

mod error;
mod model;
mod ports;
mod service;
#[cfg(test)]
mod tests;

pub use error::IntegrationError;
pub use model::{
    Credentials, Integration, IntegrationChanges, IntegrationConfig, IntegrationStatus,
    IntegrationType, MAX_KEY_CHARS, NewIntegration, SealedCredentials,
};
pub use ports::{IntegrationRepository, SealError, Sealer, seal_context};
pub use service::IntegrationService;

#[cfg(any(test, feature = "mocks"))]
pub use ports::{MockIntegrationRepository, MockSealer};
