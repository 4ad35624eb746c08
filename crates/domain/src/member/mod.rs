//! Memberships: who belongs to which organization, with which role.

mod error;
mod model;
mod ports;
mod service;
#[cfg(test)]
mod tests;

pub use error::MemberError;
pub(crate) use error::escalation_message;
pub use model::{
    AssignedRole, Member, MemberAccess, MemberCursor, MemberList, MemberPage, MemberSearch,
    MembersVersion, Membership, RoleChoice, RoleFilter, VersionedMembers,
};
pub use ports::MemberRepository;
pub use service::{ImportReport, ImportedMember, MemberService, MoveMember};
pub(crate) use service::{ensure_seat, resolve_role};

#[cfg(any(test, feature = "mocks"))]
pub use ports::MockMemberRepository;
