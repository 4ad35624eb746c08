use std::sync::Arc;

use super::*;
use crate::authz::{Actor, BuiltinRole, Permission, PermissionSet};
use crate::error::StoreError;
use crate::member::AssignedRole;
use crate::org::Org;
use crate::plan::Plan;
use crate::testing::fixtures::{self, NOW, actor, builtin, custom_role, org};
use crate::testing::{Committed, FixedClock, MockTransaction};

fn roles_with(tx: MockTransaction) -> (RoleService, Committed) {
    let (uow, committed) = tx.into_unit_of_work();
    (
        RoleService::new(Arc::new(uow), Arc::new(FixedClock(NOW))),
        committed,
    )
}

fn world(plan: Plan, role: BuiltinRole) -> (MockTransaction, Org, Actor) {
    let (actor, org) = (actor(), org(plan));
    let mut tx = MockTransaction::default();
    tx.given_org(&org);
    tx.given_role(&org, actor.user_id, builtin(role));
    (tx, org, actor)
}

fn new_role(permissions: &[Permission]) -> NewRole {
    NewRole::new(
        RoleName::try_from("Ops").unwrap(),
        None,
        PermissionSet::of(permissions),
    )
    .unwrap()
}

#[test]
fn the_free_plan_has_no_custom_roles_but_permission_is_checked_first() {
    let (tx, org, actor) = world(Plan::Free, BuiltinRole::Admin);
    let (service, _) = roles_with(tx);
    let error = pollster::block_on(service.list(&actor, org.id)).unwrap_err();
    assert!(matches!(error, RoleError::PlanUpgradeRequired));

    let (tx, org, actor) = world(Plan::Free, BuiltinRole::Viewer);
    let (service, _) = roles_with(tx);
    let error = pollster::block_on(service.list(&actor, org.id)).unwrap_err();
    assert!(matches!(error, RoleError::Forbidden));

    let (actor, org) = (fixtures::actor(), fixtures::org(Plan::Team));
    let mut tx = MockTransaction::default();
    tx.given_org(&org);
    tx.given_member(org.id, actor.user_id, None);
    let (service, _) = roles_with(tx);
    let error = pollster::block_on(service.list(&actor, org.id)).unwrap_err();
    assert!(matches!(error, RoleError::OrgNotFound));
}

#[test]
fn create_stores_the_role_and_audits_it() {
    let (mut tx, org, actor) = world(Plan::Team, BuiltinRole::Admin);
    tx.roles.expect_count_roles().returning(|_| Ok(3));
    tx.roles
        .expect_insert_role()
        .withf(|role| {
            role.name.as_str() == "Ops" && role.permissions.contains(Permission::ScansRead)
        })
        .times(1)
        .returning(|_| Ok(()));
    let events = tx.record_audit();
    let (service, committed) = roles_with(tx);

    let created =
        pollster::block_on(service.create(&actor, org.id, new_role(&[Permission::ScansRead])))
            .unwrap();

    assert_eq!(created.member_count, 0);
    assert!(committed.get());
    assert_eq!(
        events.lock().unwrap()[0].metadata["permissions"],
        "scans:read"
    );
}

#[test]
fn create_is_refused_for_escalation_limit_and_taken_name() {
    let (tx, org, actor) = world(Plan::Team, BuiltinRole::Admin);
    let (service, _) = roles_with(tx);
    let error =
        pollster::block_on(service.create(&actor, org.id, new_role(&[Permission::BillingWrite])))
            .unwrap_err();
    assert!(matches!(&error, RoleError::Escalation(p) if p == &vec![Permission::BillingWrite]));

    let (mut tx, org, actor) = world(Plan::Team, BuiltinRole::Admin);
    tx.roles.expect_count_roles().returning(|_| Ok(20));
    let (service, _) = roles_with(tx);
    let error =
        pollster::block_on(service.create(&actor, org.id, new_role(&[Permission::ScansRead])))
            .unwrap_err();
    assert!(matches!(error, RoleError::RoleLimitReached(20)));

    let (mut tx, org, actor) = world(Plan::Team, BuiltinRole::Admin);
    tx.roles.expect_count_roles().returning(|_| Ok(0));
    tx.roles
        .expect_insert_role()
        .returning(|_| Err(StoreError::Conflict("uq_custom_roles_org_name".into())));
    let (service, committed) = roles_with(tx);
    let error =
        pollster::block_on(service.create(&actor, org.id, new_role(&[Permission::ScansRead])))
            .unwrap_err();
    assert!(matches!(error, RoleError::NameTaken));
    assert!(!committed.get());
}

#[test]
fn update_needs_the_role_to_exist_and_both_permission_sets_in_reach() {
    let (mut tx, org, actor) = world(Plan::Team, BuiltinRole::Admin);
    tx.roles.expect_list_roles().returning(|_| Ok(vec![]));
    let (service, _) = roles_with(tx);
    let patch = RolePatch::new(None, Some(None), None).unwrap();
    let error =
        pollster::block_on(service.update(&actor, org.id, crate::ids::RoleId::generate(), patch))
            .unwrap_err();
    assert!(matches!(error, RoleError::RoleNotFound));

    // A recruiter may not touch a role that holds more than they do.
    let (actor, org) = (fixtures::actor(), fixtures::org(Plan::Team));
    let recruiter = custom_role(
        &org,
        PermissionSet::of(&[Permission::MembersRead, Permission::MembersWrite]),
    );
    let billing = custom_role(&org, PermissionSet::of(&[Permission::BillingRead]));
    let mut tx = MockTransaction::default();
    tx.given_org(&org);
    tx.given_role(&org, actor.user_id, AssignedRole::Custom(recruiter));
    let listed = billing.clone();
    tx.roles.expect_list_roles().returning(move |_| {
        Ok(vec![RoleWithCount {
            role: listed.clone(),
            member_count: 2,
        }])
    });
    let (service, committed) = roles_with(tx);
    let patch = RolePatch::new(
        None,
        None,
        Some(PermissionSet::of(&[Permission::MembersRead])),
    )
    .unwrap();
    let error = pollster::block_on(service.update(&actor, org.id, billing.id, patch)).unwrap_err();
    assert!(matches!(error, RoleError::Escalation(_)));
    assert!(!committed.get());
}

#[test]
fn deleting_a_role_cannot_hand_its_holders_more_than_the_caller_holds() {
    // A recruiter holds only members:read/write; `member` holds repositories:write and more.
    let (actor, org) = (fixtures::actor(), fixtures::org(Plan::Team));
    let narrow = PermissionSet::of(&[Permission::MembersRead, Permission::MembersWrite]);
    let recruiter = custom_role(&org, narrow);
    let mut tx = MockTransaction::default();
    tx.given_org(&org);
    tx.given_role(&org, actor.user_id, AssignedRole::Custom(recruiter.clone()));
    let listed = recruiter.clone();
    tx.roles.expect_list_roles().returning(move |_| {
        Ok(vec![RoleWithCount {
            role: listed.clone(),
            member_count: 1,
        }])
    });
    let (service, committed) = roles_with(tx);
    let error = pollster::block_on(service.delete(&actor, org.id, recruiter.id)).unwrap_err();
    assert!(matches!(error, RoleError::Escalation(_)), "{error:?}");
    assert!(!committed.get());
}

#[test]
fn delete_moves_holders_to_member_before_removing_the_role() {
    let (mut tx, org, actor) = world(Plan::Team, BuiltinRole::Owner);
    let role = custom_role(&org, PermissionSet::of(&[Permission::ScansRead]));
    let (listed, id) = (role.clone(), role.id);
    tx.roles.expect_list_roles().returning(move |_| {
        Ok(vec![RoleWithCount {
            role: listed.clone(),
            member_count: 2,
        }])
    });
    let mut order = mockall::Sequence::new();
    tx.members
        .expect_reassign_custom_role()
        .withf(move |_, from, to| *from == id && *to == BuiltinRole::Member)
        .times(1)
        .in_sequence(&mut order)
        .returning(|_, _, _| Ok(2));
    tx.invitations
        .expect_reassign_custom_role()
        .withf(move |_, from, to| *from == id && *to == BuiltinRole::Member)
        .times(1)
        .in_sequence(&mut order)
        .returning(|_, _, _| Ok(1));
    tx.roles
        .expect_delete_role()
        .withf(move |_, r| *r == id)
        .times(1)
        .in_sequence(&mut order)
        .returning(|_, _| Ok(()));
    let events = tx.record_audit();
    let (service, committed) = roles_with(tx);

    pollster::block_on(service.delete(&actor, org.id, id)).unwrap();

    assert!(committed.get());
    let events = events.lock().unwrap();
    assert_eq!(events[0].metadata["reassignedMembers"], "2");
    assert_eq!(events[0].metadata["reassignedInvitations"], "1");
}
