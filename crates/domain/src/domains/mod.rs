//! Verified domains: an org claims a DNS domain, proves it holds it by publishing a TXT
//! record (`_tenantry-challenge.<domain>`), and may then let people whose verified e-mail
//! address is on that domain join by themselves (auto-join), and keep its invitations within
//! its verified domains. A verified domain belongs to one org at a time.

mod error;
mod model;
mod ports;
mod service;
#[cfg(test)]
mod tests;

pub use error::DomainsError;
pub use model::{
    CHALLENGE_LABEL, DomainChanges, DomainList, DomainName, Joinable, JoinableOrg,
    MAX_DOMAINS_PER_ORG, OrgDomain,
};
pub use ports::{DnsError, DnsResolver, DomainRepository};
pub use service::DomainService;
pub(crate) use service::ensure_invitable;

#[cfg(any(test, feature = "mocks"))]
pub use ports::{MockDnsResolver, MockDomainRepository};
