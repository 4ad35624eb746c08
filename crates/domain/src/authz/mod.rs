//! Who is acting, what they may do, and the one place where that is checked.

mod access;
mod actor;
mod builtin;
mod permission;

pub use access::{Access, AccessDenied, Requirement};
pub use actor::Actor;
pub use builtin::BuiltinRole;
pub use permission::{Permission, PermissionSet, UnknownPermission};

#[cfg(test)]
mod tests;
