use std::net::IpAddr;

use crate::ids::{OrgId, UserId};

/// The authenticated caller of a use case, with what the audit log records about the request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub user_id: UserId,
    pub ip: Option<IpAddr>,
    /// The org the caller's session has chosen to work in, if any.
    pub active_org: Option<OrgId>,
}

impl Actor {
    pub fn new(user_id: UserId) -> Self {
        Self {
            user_id,
            ip: None,
            active_org: None,
        }
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
