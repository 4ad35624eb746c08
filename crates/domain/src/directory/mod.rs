//! Directory sync: an org's identity provider provisions its members and groups (the SCIM
//! adapter speaks the protocol; the rules are here). A person the directory manages is a
//! membership plus the directory's record of it; a group gives its members a role when the
//! org's settings map it to one.

mod error;
mod model;
mod ports;
mod service;
#[cfg(test)]
mod tests;

pub use error::DirectoryError;
pub use model::{
    Attributes, DirectoryCaller, DirectoryGroup, DirectoryGroupRecord, DirectoryName,
    DirectoryToken, DirectoryTokenInfo, DirectoryUser, DirectoryUserRecord, ExternalId, GroupRole,
    ProvisioningSettings,
};
pub use ports::DirectoryRepository;
pub use service::DirectoryService;

#[cfg(any(test, feature = "mocks"))]
pub use ports::MockDirectoryRepository;
