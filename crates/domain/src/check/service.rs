use std::collections::HashMap;
use std::sync::Arc;

use tracing::instrument;

use super::error::CheckError;
use super::model::{Questions, Verdict, explain};
use crate::authz::{Access, Actor, Permission, Requirement};
use crate::ids::{OrgId, UserId};
use crate::member::MemberAccess;
use crate::ports::UnitOfWork;

/// Answers permission questions about the members of an org.
#[derive(Clone)]
pub struct CheckService {
    uow: Arc<dyn UnitOfWork>,
}

impl CheckService {
    /// Builds the service over the store; a check only reads, and writes no audit event.
    pub fn new(uow: Arc<dyn UnitOfWork>) -> Self {
        Self { uow }
    }

    /// Answers each question, in order. A member may ask about themselves; asking about
    /// anyone else needs `members:read`, or a service token of the org. A caller outside the
    /// org learns nothing: `OrgNotFound`.
    #[instrument(skip_all, fields(org = %org))]
    pub async fn check(
        &self,
        actor: &Actor,
        org: OrgId,
        questions: &Questions,
    ) -> Result<Vec<Verdict>, CheckError> {
        // A token pinned to another org is, here, a stranger.
        if !actor.may_reach(org) {
            return Err(CheckError::OrgNotFound);
        }
        let mut users = questions.users();
        // A service token asks for its owner's org as a whole: its maker stays a member.
        let requirement = if actor.service || users.iter().all(|user| *user == actor.user_id) {
            Requirement::Membership
        } else {
            Requirement::Permission(Permission::MembersRead)
        };
        if !users.contains(&actor.user_id) {
            users.push(actor.user_id);
        }
        // The caller and everyone asked about, in one read.
        let tx = self.uow.read_one().await?;
        let found: HashMap<UserId, MemberAccess> = tx
            .members()
            .find_accesses(org, &users)
            .await?
            .into_iter()
            .map(|access| (access.membership.user_id, access))
            .collect();
        Access::judge(found.get(&actor.user_id).cloned(), requirement)?;
        Ok(questions
            .iter()
            .map(|(user, permission)| explain(user, found.get(&user), permission))
            .collect())
    }
}
