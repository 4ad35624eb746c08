use std::sync::Arc;

use super::*;
use crate::authz::BuiltinRole;
use crate::error::StoreError;
use crate::ids::OrgId;
use crate::plan::Plan;
use crate::testing::fixtures::{NOW, actor, builtin, org};
use crate::testing::{FixedClock, MockTransaction};

fn orgs_with(tx: MockTransaction) -> (OrgService, crate::testing::Committed) {
    let (uow, committed) = tx.into_unit_of_work();
    (
        OrgService::new(Arc::new(uow), Arc::new(FixedClock(NOW))),
        committed,
    )
}

#[test]
fn create_makes_the_creator_owner_of_a_free_org_in_one_transaction() {
    let actor = actor();
    let mut tx = MockTransaction::default();
    tx.orgs
        .expect_insert_org()
        .withf(|org| org.plan == Plan::Free && org.name.as_str() == "Acme")
        .times(1)
        .returning(|_| Ok(()));
    let owner = actor.user_id;
    tx.members
        .expect_insert_member()
        .withf(move |m| m.user_id == owner && m.role.is_owner())
        .times(1)
        .returning(|_| Ok(()));
    let events = tx.record_audit();
    let (service, committed) = orgs_with(tx);

    let created =
        pollster::block_on(service.create(&actor, OrgName::try_from("Acme").unwrap())).unwrap();

    assert_eq!(created.member_count, 1);
    assert!(created.role.is_owner());
    assert!(committed.get());
    assert_eq!(events.lock().unwrap()[0].action.name(), "org.created");
}

#[test]
fn create_commits_nothing_when_a_write_fails() {
    let mut tx = MockTransaction::default();
    tx.orgs.expect_insert_org().returning(|_| Ok(()));
    tx.members
        .expect_insert_member()
        .returning(|_| Err(StoreError::Unavailable("disk full".into())));
    let (service, committed) = orgs_with(tx);

    let result = pollster::block_on(service.create(&actor(), OrgName::try_from("Acme").unwrap()));

    assert!(matches!(result, Err(OrgError::Store(_))));
    assert!(!committed.get());
}

#[test]
fn get_is_not_found_for_a_non_member() {
    let (actor, org) = (actor(), org(Plan::Free));
    let mut tx = MockTransaction::default();
    tx.given_member(org.id, actor.user_id, None);
    let (service, _) = orgs_with(tx);

    let result = pollster::block_on(service.get(&actor, org.id));
    assert!(matches!(result, Err(OrgError::NotFound)));
}

#[test]
fn get_shows_a_member_their_role_and_the_member_count() {
    let (actor, org) = (actor(), org(Plan::Team));
    let mut tx = MockTransaction::default();
    tx.given_org(&org);
    tx.given_role(&org, actor.user_id, builtin(BuiltinRole::Viewer));
    tx.members.expect_count_members().returning(|_| Ok(7));
    let (service, _) = orgs_with(tx);

    let summary = pollster::block_on(service.get(&actor, org.id)).unwrap();
    assert_eq!(summary.member_count, 7);
    assert_eq!(summary.role, builtin(BuiltinRole::Viewer));
    assert_eq!(summary.org.plan, Plan::Team);
}

#[test]
fn rename_needs_settings_write() {
    for (role, allowed) in [
        (BuiltinRole::Owner, true),
        (BuiltinRole::Admin, true),
        (BuiltinRole::Auditor, false),
        (BuiltinRole::Member, false),
        (BuiltinRole::Viewer, false),
    ] {
        let (actor, org) = (actor(), org(Plan::Free));
        let mut tx = MockTransaction::default();
        tx.given_org(&org);
        tx.given_role(&org, actor.user_id, builtin(role));
        if allowed {
            tx.orgs
                .expect_rename_org()
                .withf(|_, name| name.as_str() == "New")
                .times(1)
                .returning(|_, _| Ok(()));
            tx.members.expect_count_members().returning(|_| Ok(1));
            tx.record_audit();
        }
        let (service, committed) = orgs_with(tx);

        let result =
            pollster::block_on(service.rename(&actor, org.id, OrgName::try_from("New").unwrap()));

        assert_eq!(result.is_ok(), allowed, "{role}");
        if !allowed {
            assert!(matches!(result, Err(OrgError::Forbidden)), "{role}");
        }
        assert_eq!(committed.get(), allowed, "{role}");
    }
}

#[test]
fn rename_of_an_unknown_org_is_not_found() {
    let (actor, org) = (actor(), OrgId::generate());
    let mut tx = MockTransaction::default();
    tx.given_member(org, actor.user_id, None);
    tx.orgs.expect_lock_org().returning(|_| Ok(None));
    let (service, committed) = orgs_with(tx);
    let result = pollster::block_on(service.rename(&actor, org, OrgName::try_from("New").unwrap()));
    assert!(matches!(result, Err(OrgError::NotFound)));
    assert!(!committed.get());
}

#[test]
fn only_the_owner_deletes() {
    for role in [BuiltinRole::Admin, BuiltinRole::Viewer] {
        let (actor, org) = (actor(), org(Plan::Free));
        let mut tx = MockTransaction::default();
        tx.given_org(&org);
        tx.given_role(&org, actor.user_id, builtin(role));
        let (service, committed) = orgs_with(tx);
        let result = pollster::block_on(service.delete(&actor, org.id));
        assert!(matches!(result, Err(OrgError::Forbidden)), "{role}");
        assert!(!committed.get());
    }

    let (actor, org) = (actor(), org(Plan::Free));
    let mut tx = MockTransaction::default();
    tx.given_org(&org);
    tx.given_role(&org, actor.user_id, builtin(BuiltinRole::Owner));
    let id = org.id;
    tx.orgs
        .expect_delete_org()
        .withf(move |o| *o == id)
        .times(1)
        .returning(|_| Ok(()));
    let (service, committed) = orgs_with(tx);
    pollster::block_on(service.delete(&actor, org.id)).unwrap();
    assert!(committed.get());
}

#[test]
fn set_plan_records_the_change() {
    let org = org(Plan::Free);
    let mut tx = MockTransaction::default();
    tx.given_org(&org);
    tx.orgs
        .expect_set_plan()
        .withf(|_, plan| *plan == Plan::Enterprise)
        .times(1)
        .returning(|_, _| Ok(()));
    let events = tx.record_audit();
    let (service, committed) = orgs_with(tx);

    let updated =
        pollster::block_on(service.set_plan_as_operator(org.id, Plan::Enterprise)).unwrap();

    assert_eq!(updated.plan, Plan::Enterprise);
    assert!(committed.get());
    let events = events.lock().unwrap();
    assert_eq!(events[0].actor_id, None);
    assert_eq!(events[0].metadata["from"], "free");
}

#[test]
fn setting_the_current_plan_again_writes_nothing() {
    let org = org(Plan::Team);
    let mut tx = MockTransaction::default();
    tx.given_org(&org);
    let (service, committed) = orgs_with(tx);
    let unchanged = pollster::block_on(service.set_plan_as_operator(org.id, Plan::Team)).unwrap();
    assert_eq!(unchanged.plan, Plan::Team);
    assert!(!committed.get());
}
