//! Tenantry's domain: organizations, members, roles, permissions, invitations, audit log and
//! plans, as a library. The Tenantry server is one user of it; another Rust service can link
//! it (with `tenantry-persistence` for storage) and call the same use cases without HTTP.
//!
//! # Use cases
//!
//! [`Services`] gathers them, one service per context: [`Services::auth`] (accounts, sessions,
//! API tokens, TOTP), [`Services::orgs`], [`Services::members`], [`Services::roles`] (custom
//! roles), [`Services::invitations`], [`Services::audit`], [`Services::integrations`],
//! [`Services::checks`] (permission checks with reasons), [`Services::webhooks`] and
//! [`Services::domains`] (verified domains and auto-join); the
//! delivery workers' use cases are [`mail::DeliveryService`] and
//! [`webhook::WebhookDeliveryService`]. Every use case takes the acting
//! [`authz::Actor`] first and checks, through [`authz::Access`], what it needs of that actor
//! in the org it acts on: membership, a permission slug, or being the owner
//! ([`authz::Requirement`]). A caller outside the org is told "not found", never "forbidden",
//! so ids of other tenants reveal nothing. A write checks its caller on a read first, then
//! again under the org's lock, then applies its rule, appends its audit event and commits, all
//! in one transaction. Errors are one enum per context, each implementing
//! [`error::DomainError`] (a kind and a stable code) so that an adapter can map them.
//!
//! # Ports
//!
//! Nothing here performs I/O. The adapters plug into these traits:
//! - [`ports::UnitOfWork`]: transactions, each handing out the repositories
//!   ([`org::OrgRepository`], [`member::MemberRepository`], [`role::RoleRepository`],
//!   [`user::UserRepository`], [`audit::AuditRepository`], ...) over one database transaction;
//! - [`user::PasswordHasher`], [`integration::Sealer`] (credentials at rest),
//!   [`clock::Clock`], [`mail::Mailer`], [`webhook::WebhookSender`] (outgoing webhooks),
//!   [`domains::DnsResolver`] (TXT look-ups), and [`idempotency::IdempotencyStore`] for HTTP
//!   retries.
//!
//! # Example
//!
//! Wiring, given adapters (the workspace's `crates/server/examples/library.rs` runs this over
//! the SQLite adapter, makes an org with a custom role and asks a permission check):
//!
//! ```
//! use std::sync::Arc;
//! use tenantry_domain::clock::SystemClock;
//! use tenantry_domain::domains::DnsResolver;
//! use tenantry_domain::integration::Sealer;
//! use tenantry_domain::ports::UnitOfWork;
//! use tenantry_domain::user::PasswordHasher;
//! use tenantry_domain::webhook::WebhookSender;
//! use tenantry_domain::{Services, ServicesConfig};
//!
//! fn wire(
//!     store: Arc<dyn UnitOfWork>,
//!     hasher: Arc<dyn PasswordHasher>,
//!     sealer: Arc<dyn Sealer>,
//!     sender: Arc<dyn WebhookSender>,
//!     resolver: Arc<dyn DnsResolver>,
//! ) -> Services {
//!     let clock = Arc::new(SystemClock);
//!     Services::new(store, hasher, clock, sealer, sender, resolver, ServicesConfig::default())
//! }
//! ```
//!
//! The permission rule itself is a pure function, usable on memberships a service keeps:
//!
//! ```
//! use tenantry_domain::authz::{BuiltinRole, Permission};
//! use tenantry_domain::check::explain;
//! use tenantry_domain::ids::{OrgId, UserId};
//! use tenantry_domain::member::{AssignedRole, MemberAccess, Membership, MembersVersion};
//! use tenantry_domain::user::UserName;
//!
//! let user = UserId::generate();
//! let viewer = MemberAccess {
//!     membership: Membership {
//!         org_id: OrgId::generate(),
//!         user_id: user,
//!         role: AssignedRole::Builtin(BuiltinRole::Viewer),
//!         joined_at: time::OffsetDateTime::UNIX_EPOCH,
//!     },
//!     org_requires_mfa: false,
//!     has_mfa: false,
//!     members_version: MembersVersion::default(),
//!     suspended: false,
//!     name: UserName::try_from("Ada").unwrap(),
//! };
//! assert!(explain(user, Some(&viewer), Permission::ScansRead).allowed);
//! assert!(!explain(user, Some(&viewer), Permission::ScansWrite).allowed);
//! ```

#![warn(missing_docs)]

pub mod audit;
pub mod authz;
pub mod check;
pub mod clock;
pub mod directory;
pub mod domains;
pub mod error;
pub mod idempotency;
pub mod ids;
pub mod integration;
pub mod invitation;
pub mod mail;
pub mod member;
pub mod org;
pub mod plan;
pub mod ports;
pub mod role;
mod services;
#[cfg(any(test, feature = "mocks"))]
pub mod testing;
pub mod user;
pub mod validation;
pub mod webhook;

pub use services::{Services, ServicesConfig};
