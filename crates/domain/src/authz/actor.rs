use std::net::IpAddr;

use crate::ids::{OrgId, UserId};

/// The authenticated caller of a use case, with what the audit log records about the request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub user_id: UserId,
    pub ip: Option<IpAddr>,
    /// The org the caller's session has chosen to work in, if any.
    pub active_org: Option<OrgId>,
    /// The only org the caller's API token works in, when it is pinned to one.
    pub pinned_org: Option<OrgId>,
    /// Through a service token: permission checks only (see [`crate::check`]).
    pub service: bool,
}

impl Actor {
    pub fn new(user_id: UserId) -> Self {
        Self {
            user_id,
            ip: None,
            active_org: None,
            pinned_org: None,
            service: false,
        }
    }

    pub fn pinned_to(mut self, org: Option<OrgId>) -> Self {
        self.pinned_org = org;
        self
    }

    /// Whether this caller's credential works in `org` at all (membership aside).
    pub fn may_reach(&self, org: OrgId) -> bool {
        self.pinned_org.is_none_or(|pinned| pinned == org)
    }

    pub fn as_service(mut self, service: bool) -> Self {
        self.service = service;
        self
    }

    pub fn in_org(mut self, org: Option<OrgId>) -> Self {
        self.active_org = org;
        self
    }

    pub fn with_ip(mut self, ip: Option<IpAddr>) -> Self {
        self.ip = ip;
        self
    }
}
