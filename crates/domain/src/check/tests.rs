use std::sync::Arc;

use super::*;
use crate::authz::{BuiltinRole, Permission, PermissionSet};
use crate::ids::UserId;
use crate::member::{AssignedRole, MemberAccess, MembersVersion};
use crate::plan::Plan;
use crate::testing::MockTransaction;
use crate::testing::fixtures::{actor, builtin, custom_role, membership, org};
use crate::user::UserName;

fn ask(user: UserId, permissions: &[Permission]) -> Questions {
    Questions::new(
        "permissions",
        permissions.iter().map(|p| (user, *p)).collect(),
    )
    .unwrap()
}

fn access(role: AssignedRole, org_requires_mfa: bool, has_mfa: bool) -> MemberAccess {
    let org = org(Plan::Team);
    MemberAccess {
        membership: membership(&org, UserId::generate(), role),
        org_requires_mfa,
        has_mfa,
        members_version: MembersVersion::default(),
        suspended: false,
        name: UserName::from_trusted("Ada".into()),
    }
}

/// Every built-in role against every permission: a verdict agrees with the role's permission
/// set (which `authz` tests against `docs/roles.md`) and names the role that grants or lacks it.
#[test]
fn explains_each_built_in_role_by_its_permissions() {
    for role in BuiltinRole::ALL {
        let found = access(builtin(role), false, false);
        let user = found.membership.user_id;
        for permission in Permission::ALL {
            let verdict = explain(user, Some(&found), permission);
            let held = role.permissions().contains(permission);
            let reason = if held {
                Reason::GrantedByRole(builtin(role))
            } else {
                Reason::RoleLacksPermission(builtin(role))
            };
            assert_eq!(
                (verdict.allowed, verdict.reason),
                (held, reason),
                "{role:?} {permission}"
            );
        }
    }
}

#[test]
fn a_custom_role_grants_exactly_its_permissions_and_is_named_in_the_reason() {
    let org = org(Plan::Team);
    let role = custom_role(&org, PermissionSet::of(&[Permission::ScansWrite]));
    let found = access(AssignedRole::Custom(role.clone()), false, false);
    let user = found.membership.user_id;
    let write = explain(user, Some(&found), Permission::ScansWrite);
    assert!(write.allowed);
    assert_eq!(
        write.reason.role(),
        Some(&AssignedRole::Custom(role.clone()))
    );
    // A custom role holds only what it lists: no implied read.
    let read = explain(user, Some(&found), Permission::ScansRead);
    assert_eq!(
        (read.allowed, read.reason),
        (
            false,
            Reason::RoleLacksPermission(AssignedRole::Custom(role))
        )
    );
}

#[test]
fn an_mfa_policy_withdraws_every_grant_until_the_member_has_a_second_factor() {
    let without = access(builtin(BuiltinRole::Owner), true, false);
    let verdict = explain(
        without.membership.user_id,
        Some(&without),
        Permission::ScansRead,
    );
    assert_eq!(
        (verdict.allowed, verdict.reason),
        (false, Reason::MfaRequired(builtin(BuiltinRole::Owner)))
    );
    let with = access(builtin(BuiltinRole::Owner), true, true);
    assert!(explain(with.membership.user_id, Some(&with), Permission::ScansRead).allowed);
}

#[test]
fn a_non_member_is_granted_nothing() {
    let verdict = explain(UserId::generate(), None, Permission::ScansRead);
    assert_eq!(
        (verdict.allowed, verdict.reason),
        (false, Reason::NotMember)
    );
}

#[test]
fn questions_are_one_to_the_limit() {
    let user = UserId::generate();
    assert_eq!(
        Questions::new("checks", Vec::new()).unwrap_err().field,
        "checks"
    );
    let most = vec![(user, Permission::ScansRead); MAX_QUESTIONS];
    assert!(Questions::new("checks", most.clone()).is_ok());
    let over = [most, vec![(user, Permission::ScansRead)]].concat();
    assert!(Questions::new("checks", over).is_err());
}

fn service(tx: MockTransaction) -> CheckService {
    let (uow, _) = crate::testing::unit_of_work(vec![tx]);
    CheckService::new(Arc::new(uow))
}

#[test]
fn a_member_may_ask_about_themselves_without_members_read() {
    let (caller, org) = (actor(), org(Plan::Free));
    let mut tx = MockTransaction::default();
    tx.given_role(&org, caller.user_id, builtin(BuiltinRole::Viewer));
    let asked = ask(
        caller.user_id,
        &[Permission::ScansRead, Permission::ScansWrite],
    );

    let verdicts = pollster::block_on(service(tx).check(&caller, org.id, &asked)).unwrap();

    let allowed: Vec<_> = verdicts.iter().map(|v| (v.permission, v.allowed)).collect();
    assert_eq!(
        allowed,
        [
            (Permission::ScansRead, true),
            (Permission::ScansWrite, false)
        ]
    );
}

#[test]
fn asking_about_someone_else_needs_members_read_and_strangers_learn_nothing() {
    let org = org(Plan::Free);
    let other = UserId::generate();
    for (role, expected) in [
        (Some(BuiltinRole::Viewer), Err("forbidden")),
        (Some(BuiltinRole::Member), Err("forbidden")),
        (Some(BuiltinRole::Auditor), Ok(())),
        (None, Err("org_not_found")),
    ] {
        let caller = actor();
        let mut tx = MockTransaction::default();
        match role {
            Some(role) => tx.given_role(&org, caller.user_id, builtin(role)),
            None => tx.given_member(org.id, caller.user_id, None),
        }
        tx.given_role(&org, other, builtin(BuiltinRole::Member));
        let asked = ask(other, &[Permission::ScansWrite]);

        let answer = pollster::block_on(service(tx).check(&caller, org.id, &asked));

        let got = answer.as_ref().map(|_| ()).map_err(|error| {
            use crate::error::DomainError;
            error.code()
        });
        assert_eq!(got, expected, "{role:?}");
        if let Ok(verdicts) = answer {
            assert_eq!(
                verdicts[0].reason,
                Reason::GrantedByRole(builtin(BuiltinRole::Member))
            );
        }
    }
}

#[test]
fn a_token_pinned_to_another_org_is_a_stranger() {
    let org = org(Plan::Free);
    let caller = actor().pinned_to(Some(crate::ids::OrgId::generate()));
    let mut tx = MockTransaction::default();
    tx.given_role(&org, caller.user_id, builtin(BuiltinRole::Owner));
    let asked = ask(caller.user_id, &[Permission::ScansRead]);

    let answer = pollster::block_on(service(tx).check(&caller, org.id, &asked));

    assert!(matches!(answer, Err(CheckError::OrgNotFound)));
}
