use std::net::IpAddr;

use crate::ids::{OrgId, UserId};

/// The authenticated caller of a use case, with what the audit log records about the request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    /// The user acting: the one signed in, or the one who made the API or service token in
    /// use. Access is judged on this user's memberships.
    pub user_id: UserId,
    /// The client's address, recorded in the audit events the call appends; `None` when not
    /// known.
    pub ip: Option<IpAddr>,
    /// The org the caller's session has chosen to work in, if any.
    pub active_org: Option<OrgId>,
    /// The only org the caller's API token works in, when it is pinned to one.
    pub pinned_org: Option<OrgId>,
    /// Through a service token: permission checks only (see [`crate::check`]).
    pub service: bool,
}

impl Actor {
    /// An actor for `user_id` with no IP, no active or pinned org, and not a service token.
    pub fn new(user_id: UserId) -> Self {
        Self {
            user_id,
            ip: None,
            active_org: None,
            pinned_org: None,
            service: false,
        }
    }

    /// Restricts the actor to `org`, as an API token pinned to it; `None` lifts the restriction.
    pub fn pinned_to(mut self, org: Option<OrgId>) -> Self {
        self.pinned_org = org;
        self
    }

    /// Whether this caller's credential works in `org` at all (membership aside).
    pub fn may_reach(&self, org: OrgId) -> bool {
        self.pinned_org.is_none_or(|pinned| pinned == org)
    }

    /// Marks whether the actor comes through a service token.
    pub fn as_service(mut self, service: bool) -> Self {
        self.service = service;
        self
    }

    /// Sets the org the session has chosen to work in (what `/api/org` routes act on).
    pub fn in_org(mut self, org: Option<OrgId>) -> Self {
        self.active_org = org;
        self
    }

    /// Sets the client address that audit events record.
    pub fn with_ip(mut self, ip: Option<IpAddr>) -> Self {
        self.ip = ip;
        self
    }
}
