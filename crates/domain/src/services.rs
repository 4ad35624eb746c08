use std::sync::Arc;

use time::Duration;

use crate::clock::Clock;
use crate::member::MemberService;
use crate::org::OrgService;
use crate::ports::UnitOfWork;
use crate::role::RoleService;
use crate::user::{AuthService, PasswordHasher};

/// Settings of the use cases.
#[derive(Clone, Copy, Debug)]
pub struct ServicesConfig {
    /// How long a bearer token issued at sign-in stays valid.
    pub token_ttl: Duration,
}

impl Default for ServicesConfig {
    fn default() -> Self {
        Self {
            token_ttl: Duration::days(30),
        }
    }
}

/// Every use case, wired to the same ports. Cheap to clone.
#[derive(Clone)]
pub struct Services {
    pub auth: AuthService,
    pub orgs: OrgService,
    pub members: MemberService,
    pub roles: RoleService,
}

impl Services {
    pub fn new(
        uow: Arc<dyn UnitOfWork>,
        hasher: Arc<dyn PasswordHasher>,
        clock: Arc<dyn Clock>,
        config: ServicesConfig,
    ) -> Self {
        Self {
            auth: AuthService::new(uow.clone(), hasher, clock.clone(), config.token_ttl),
            orgs: OrgService::new(uow.clone(), clock.clone()),
            members: MemberService::new(uow.clone(), clock.clone()),
            roles: RoleService::new(uow, clock),
        }
    }
}
