use std::net::IpAddr;

use crate::ids::UserId;

/// The authenticated caller of a use case, with what the audit log records about the request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub user_id: UserId,
    pub ip: Option<IpAddr>,
}

impl Actor {
    pub fn new(user_id: UserId) -> Self {
        Self { user_id, ip: None }
    }

    pub fn with_ip(mut self, ip: Option<IpAddr>) -> Self {
        self.ip = ip;
        self
    }
}
