//! Custom roles: named permission sets an organization defines for itself (Team plan and up).

mod error;
mod model;
mod ports;
mod service;
#[cfg(test)]
mod tests;

pub use error::RoleError;
pub use model::{CustomRole, NewRole, RoleDescription, RoleName, RolePatch, RoleWithCount};
pub use ports::RoleRepository;
pub use service::RoleService;

#[cfg(any(test, feature = "mocks"))]
pub use ports::MockRoleRepository;
