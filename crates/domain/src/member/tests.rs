use std::sync::Arc;

use mockall::Sequence;

use super::*;
use crate::authz::{BuiltinRole, Permission, PermissionSet};
use crate::ids::{OrgId, RoleId, UserId};
use crate::org::Org;
use crate::plan::Plan;
use crate::testing::fixtures::{self, NOW, actor, builtin, custom_role, membership, org};
use crate::testing::{Committed, FixedClock, MockTransaction};
use crate::user::{Email, User, UserName};

fn members_with(tx: MockTransaction) -> (MemberService, Committed) {
    let (uow, committed) = tx.into_unit_of_work();
    (
        MemberService::new(Arc::new(uow), Arc::new(FixedClock(NOW))),
        committed,
    )
}

fn user(id: UserId) -> User {
    User {
        id,
        email: Email::from_trusted(format!("{id}@example.com")),
        name: UserName::from_trusted("Someone".into()),
        created_at: NOW,
        last_login_at: None,
        mfa_enabled: false,
    }
}

/// An org where the actor holds `actor_role` and a target user holds `target_role`.
fn world(
    plan: Plan,
    actor_role: AssignedRole,
    target_role: AssignedRole,
) -> (MockTransaction, Org, crate::authz::Actor, UserId) {
    let (actor, org) = (actor(), org(plan));
    let target = UserId::generate();
    let mut tx = MockTransaction::default();
    tx.given_org(&org);
    tx.given_role(&org, actor.user_id, actor_role);
    tx.given_role(&org, target, target_role);
    tx.users
        .expect_find_user()
        .returning(|id| Ok(Some(user(id))));
    (tx, org, actor, target)
}

fn recruiter(org: &Org) -> AssignedRole {
    AssignedRole::Custom(custom_role(
        org,
        PermissionSet::of(&[Permission::MembersRead, Permission::MembersWrite]),
    ))
}

#[test]
fn listing_members_needs_members_read() {
    for (role, allowed) in [
        (BuiltinRole::Auditor, true),
        (BuiltinRole::Member, false),
        (BuiltinRole::Viewer, false),
    ] {
        let (actor, org) = (actor(), org(Plan::Free));
        let mut tx = MockTransaction::default();
        tx.given_role(&org, actor.user_id, builtin(role));
        if allowed {
            tx.members
                .expect_list_members()
                .times(1)
                .returning(|_, _| Ok(vec![]));
        }
        let (service, _) = members_with(tx);
        let result = pollster::block_on(service.list(&actor, org.id, MemberPage::default()));
        assert_eq!(result.is_ok(), allowed, "{role}");
    }
}

#[test]
fn a_page_says_where_the_next_starts_only_when_more_members_follow() {
    for (stored, expect_next) in [(3, true), (2, false)] {
        let (actor, org) = (actor(), org(Plan::Free));
        let mut tx = MockTransaction::default();
        tx.given_role(&org, actor.user_id, builtin(BuiltinRole::Admin));
        tx.members
            .expect_list_members()
            .withf(|_, page| page.limit == Some(3))
            .returning(move |_, _| {
                Ok((0..stored)
                    .map(|_| Member {
                        user: user(UserId::generate()),
                        role: builtin(BuiltinRole::Member),
                        joined_at: NOW,
                        suspended: false,
                    })
                    .collect())
            });
        let (service, _) = members_with(tx);
        let page = MemberPage::new(None, Some(2)).unwrap();
        let list = pollster::block_on(service.list(&actor, org.id, page)).unwrap();
        assert_eq!(list.members.len(), 2, "{stored} stored");
        assert_eq!(
            list.next,
            expect_next.then(|| MemberCursor::after(&list.members[1])),
            "{stored} stored"
        );
    }
}

/// `given_role` puts the org's member list at version 7.
#[test]
fn a_held_copy_of_the_current_version_reads_no_member_but_still_checks_access() {
    for (held, reads_members) in [
        (None, true),
        (Some(MembersVersion(6)), true),
        (Some(MembersVersion(7)), false),
    ] {
        let (actor, org) = (actor(), org(Plan::Free));
        let mut tx = MockTransaction::default();
        tx.given_role(&org, actor.user_id, builtin(BuiltinRole::Admin));
        tx.members
            .expect_list_members()
            .times(usize::from(reads_members))
            .returning(|_, _| Ok(vec![]));
        let (service, _) = members_with(tx);
        let listed =
            pollster::block_on(service.list_since(&actor, org.id, MemberPage::default(), held))
                .unwrap();
        let expected = if reads_members {
            VersionedMembers::Changed(MembersVersion(7), MemberList::default())
        } else {
            VersionedMembers::Unchanged(MembersVersion(7))
        };
        assert_eq!(listed, expected, "held {held:?}");
    }
    // A member without members:read is refused even when holding the current version.
    let (actor, org) = (actor(), org(Plan::Free));
    let mut tx = MockTransaction::default();
    tx.given_role(&org, actor.user_id, builtin(BuiltinRole::Viewer));
    let (service, _) = members_with(tx);
    let held = Some(MembersVersion(7));
    let refused =
        pollster::block_on(service.list_since(&actor, org.id, MemberPage::default(), held));
    assert!(
        matches!(refused, Err(MemberError::Forbidden)),
        "{refused:?}"
    );
}

#[test]
fn update_role_stores_the_new_role_and_audits_it() {
    let (mut tx, org, actor, target) = world(
        Plan::Free,
        builtin(BuiltinRole::Admin),
        builtin(BuiltinRole::Viewer),
    );
    tx.members
        .expect_set_member_role()
        .withf(move |_, user, role| *user == target && *role == builtin(BuiltinRole::Auditor))
        .times(1)
        .returning(|_, _, _| Ok(()));
    let events = tx.record_audit();
    let (service, committed) = members_with(tx);

    let member = pollster::block_on(service.update_role(
        &actor,
        org.id,
        target,
        RoleChoice::Builtin(BuiltinRole::Auditor),
    ))
    .unwrap();

    assert_eq!(member.role, builtin(BuiltinRole::Auditor));
    assert!(committed.get());
    let events = events.lock().unwrap();
    assert_eq!(events[0].metadata["from"], "viewer");
    assert_eq!(events[0].metadata["role"], "auditor");
}

#[test]
fn update_role_refuses_each_rule_without_writing() {
    let team = Plan::Team;
    type Case = (
        Plan,
        fn(&Org) -> AssignedRole,
        AssignedRole,
        fn(RoleId) -> RoleChoice,
        fn(&MemberError) -> bool,
    );
    let cases: Vec<(&str, Case)> = vec![
        (
            "owner is immutable",
            (
                team,
                |_| builtin(BuiltinRole::Admin),
                builtin(BuiltinRole::Owner),
                |_| RoleChoice::Builtin(BuiltinRole::Member),
                |e| matches!(e, MemberError::OwnerImmutable),
            ),
        ),
        (
            "member lacks members:write",
            (
                team,
                |_| builtin(BuiltinRole::Member),
                builtin(BuiltinRole::Viewer),
                |_| RoleChoice::Builtin(BuiltinRole::Member),
                |e| matches!(e, MemberError::Forbidden),
            ),
        ),
        (
            "recruiter cannot grant admin",
            (
                team,
                recruiter,
                builtin(BuiltinRole::Viewer),
                |_| RoleChoice::Builtin(BuiltinRole::Admin),
                |e| matches!(e, MemberError::Escalation(_)),
            ),
        ),
        (
            "recruiter cannot demote an admin",
            (
                team,
                recruiter,
                builtin(BuiltinRole::Admin),
                |_| RoleChoice::Builtin(BuiltinRole::Viewer),
                |e| matches!(e, MemberError::Escalation(_)),
            ),
        ),
        (
            "custom roles need team",
            (
                Plan::Free,
                |_| builtin(BuiltinRole::Admin),
                builtin(BuiltinRole::Viewer),
                RoleChoice::Custom,
                |e| matches!(e, MemberError::PlanUpgradeRequired),
            ),
        ),
        (
            "unknown custom role",
            (
                team,
                |_| builtin(BuiltinRole::Admin),
                builtin(BuiltinRole::Viewer),
                RoleChoice::Custom,
                |e| matches!(e, MemberError::UnknownRole),
            ),
        ),
        (
            // Text never parses to it, but a library caller can build it.
            "ownership is not given, even by the owner",
            (
                team,
                |_| builtin(BuiltinRole::Owner),
                builtin(BuiltinRole::Viewer),
                |_| RoleChoice::Builtin(BuiltinRole::Owner),
                |e| matches!(e, MemberError::OwnershipNotGrantable),
            ),
        ),
    ];
    for (name, (plan, actor_role, target_role, choice, expected)) in cases {
        let template = org(plan);
        let (mut tx, org, actor, target) = world(plan, actor_role(&template), target_role);
        tx.roles.expect_find_role().returning(|_, _| Ok(None));
        let (service, committed) = members_with(tx);
        let choice = choice(RoleId::generate());
        let error =
            pollster::block_on(service.update_role(&actor, org.id, target, choice)).unwrap_err();
        assert!(expected(&error), "{name}: got {error:?}");
        assert!(!committed.get(), "{name}");
    }
}

#[test]
fn update_role_of_a_stranger_is_member_not_found() {
    let (mut tx, org, actor, _) = world(
        Plan::Free,
        builtin(BuiltinRole::Admin),
        builtin(BuiltinRole::Viewer),
    );
    let stranger = UserId::generate();
    tx.given_member(org.id, stranger, None);
    let (service, _) = members_with(tx);
    let error =
        pollster::block_on(service.update_role(&actor, org.id, stranger, RoleChoice::default()))
            .unwrap_err();
    assert!(matches!(error, MemberError::MemberNotFound));
}

#[test]
fn remove_never_takes_the_owner_and_respects_rank() {
    let (tx, org, actor, target) = world(
        Plan::Free,
        builtin(BuiltinRole::Admin),
        builtin(BuiltinRole::Owner),
    );
    let (service, _) = members_with(tx);
    let error = pollster::block_on(service.remove(&actor, org.id, target)).unwrap_err();
    assert!(matches!(error, MemberError::OwnerImmutable));

    let template = fixtures::org(Plan::Team);
    let (tx, org, actor, target) = world(
        Plan::Team,
        recruiter(&template),
        builtin(BuiltinRole::Admin),
    );
    let (service, _) = members_with(tx);
    let error = pollster::block_on(service.remove(&actor, org.id, target)).unwrap_err();
    assert!(matches!(error, MemberError::Escalation(_)));

    let (mut tx, org, actor, target) = world(
        Plan::Free,
        builtin(BuiltinRole::Admin),
        builtin(BuiltinRole::Admin),
    );
    tx.members
        .expect_delete_member()
        .withf(move |_, u| *u == target)
        .times(1)
        .returning(|_, _| Ok(()));
    tx.record_audit();
    let (service, committed) = members_with(tx);
    pollster::block_on(service.remove(&actor, org.id, target)).unwrap();
    assert!(committed.get());
}

/// Source org where the actor is admin and the target a member, plus a target org.
fn move_world(
    actor_in_target: Option<BuiltinRole>,
    target_in_target: bool,
    seats_used: u64,
) -> (MockTransaction, Org, Org, crate::authz::Actor, UserId) {
    let (mut tx, source, actor, target) = world(
        Plan::Free,
        builtin(BuiltinRole::Admin),
        builtin(BuiltinRole::Member),
    );
    let destination = org(Plan::Free);
    tx.given_org(&destination);
    tx.given_member(
        destination.id,
        actor.user_id,
        actor_in_target.map(|role| membership(&destination, actor.user_id, builtin(role))),
    );
    tx.given_member(
        destination.id,
        target,
        target_in_target.then(|| membership(&destination, target, builtin(BuiltinRole::Viewer))),
    );
    tx.members
        .expect_count_members()
        .returning(move |_| Ok(seats_used));
    tx.invitations
        .expect_count_pending_emails()
        .returning(|_, _| Ok(0));
    (tx, source, destination, actor, target)
}

/// (name, actor's role in the target, target already there, seats used, expected error)
type MoveCase = (
    &'static str,
    Option<BuiltinRole>,
    bool,
    u64,
    fn(&MemberError) -> bool,
);

#[test]
fn move_is_refused_for_each_rule_without_writing() {
    let cases: Vec<MoveCase> = vec![
        ("not in target", None, false, 1, |e| {
            matches!(e, MemberError::OrgNotFound)
        }),
        (
            "viewer in target",
            Some(BuiltinRole::Viewer),
            false,
            1,
            |e| matches!(e, MemberError::Forbidden),
        ),
        ("already there", Some(BuiltinRole::Admin), true, 1, |e| {
            matches!(e, MemberError::AlreadyMember)
        }),
        ("target full", Some(BuiltinRole::Admin), false, 5, |e| {
            matches!(e, MemberError::SeatLimitReached(5))
        }),
    ];
    for (name, actor_role, already, seats, expected) in cases {
        let (tx, source, destination, actor, target) = move_world(actor_role, already, seats);
        let (service, committed) = members_with(tx);
        let request = MoveMember {
            target_org: destination.id,
            role: RoleChoice::default(),
        };
        let error = pollster::block_on(service.move_member(&actor, source.id, target, request))
            .unwrap_err();
        assert!(expected(&error), "{name}: got {error:?}");
        assert!(!committed.get(), "{name}");
    }
}

#[test]
fn move_to_the_same_org_is_refused_before_any_transaction() {
    let (service, _) = members_with(MockTransaction::default());
    let org = OrgId::generate();
    let request = MoveMember {
        target_org: org,
        role: RoleChoice::default(),
    };
    let error = pollster::block_on(service.move_member(&actor(), org, UserId::generate(), request))
        .unwrap_err();
    assert!(matches!(error, MemberError::SameOrg));
}

#[test]
fn move_deletes_then_inserts_with_the_requested_role_in_one_commit() {
    let (mut tx, source, destination, actor, target) =
        move_world(Some(BuiltinRole::Admin), false, 2);
    let mut order = Sequence::new();
    let (from, to) = (source.id, destination.id);
    tx.members
        .expect_delete_member()
        .withf(move |o, u| *o == from && *u == target)
        .times(1)
        .in_sequence(&mut order)
        .returning(|_, _| Ok(()));
    tx.members
        .expect_insert_member()
        .withf(move |m| {
            m.org_id == to && m.user_id == target && m.role == builtin(BuiltinRole::Viewer)
        })
        .times(1)
        .in_sequence(&mut order)
        .returning(|_| Ok(()));
    let events = tx.record_audit();
    let (service, committed) = members_with(tx);

    let request = MoveMember {
        target_org: destination.id,
        role: RoleChoice::Builtin(BuiltinRole::Viewer),
    };
    let moved =
        pollster::block_on(service.move_member(&actor, source.id, target, request)).unwrap();

    assert_eq!(moved.role, builtin(BuiltinRole::Viewer));
    assert!(committed.get());
    let actions: Vec<_> = events
        .lock()
        .unwrap()
        .iter()
        .map(|e| e.action.name())
        .collect();
    assert_eq!(actions, vec!["member.moved_out", "member.moved_in"]);
}

#[test]
fn transfer_demotes_the_owner_before_promoting_the_member() {
    let (mut tx, org, actor, target) = world(
        Plan::Free,
        builtin(BuiltinRole::Owner),
        builtin(BuiltinRole::Member),
    );
    let mut order = Sequence::new();
    let owner = actor.user_id;
    tx.members
        .expect_set_member_role()
        .withf(move |_, u, r| *u == owner && *r == builtin(BuiltinRole::Admin))
        .times(1)
        .in_sequence(&mut order)
        .returning(|_, _, _| Ok(()));
    tx.members
        .expect_set_member_role()
        .withf(move |_, u, r| *u == target && r.is_owner())
        .times(1)
        .in_sequence(&mut order)
        .returning(|_, _, _| Ok(()));
    tx.record_audit();
    let (service, committed) = members_with(tx);
    pollster::block_on(service.transfer_ownership(&actor, org.id, target)).unwrap();
    assert!(committed.get());
}

#[test]
fn transfer_is_refused_for_each_rule() {
    let (tx, org, actor, target) = world(
        Plan::Free,
        builtin(BuiltinRole::Admin),
        builtin(BuiltinRole::Member),
    );
    let (service, _) = members_with(tx);
    let error = pollster::block_on(service.transfer_ownership(&actor, org.id, target)).unwrap_err();
    assert!(matches!(error, MemberError::Forbidden), "{error:?}");

    let (tx, org, actor, _) = world(
        Plan::Free,
        builtin(BuiltinRole::Owner),
        builtin(BuiltinRole::Member),
    );
    let (service, _) = members_with(tx);
    let error =
        pollster::block_on(service.transfer_ownership(&actor, org.id, actor.user_id)).unwrap_err();
    assert!(matches!(error, MemberError::AlreadyOwner), "{error:?}");

    let (mut tx, org, actor, _) = world(
        Plan::Free,
        builtin(BuiltinRole::Owner),
        builtin(BuiltinRole::Member),
    );
    let stranger = UserId::generate();
    tx.given_member(org.id, stranger, None);
    let (service, committed) = members_with(tx);
    let error =
        pollster::block_on(service.transfer_ownership(&actor, org.id, stranger)).unwrap_err();
    assert!(matches!(error, MemberError::MemberNotFound), "{error:?}");
    assert!(!committed.get());
}

#[test]
fn the_owner_cannot_leave_but_others_can() {
    let (tx, org, actor, _) = world(
        Plan::Free,
        builtin(BuiltinRole::Owner),
        builtin(BuiltinRole::Member),
    );
    let (service, committed) = members_with(tx);
    let error = pollster::block_on(service.leave(&actor, org.id)).unwrap_err();
    assert!(matches!(error, MemberError::OwnerMustTransfer));
    assert!(!committed.get());

    let (mut tx, org, actor, _) = world(
        Plan::Free,
        builtin(BuiltinRole::Viewer),
        builtin(BuiltinRole::Owner),
    );
    let me = actor.user_id;
    tx.members
        .expect_delete_member()
        .withf(move |_, u| *u == me)
        .times(1)
        .returning(|_, _| Ok(()));
    tx.record_audit();
    let (service, committed) = members_with(tx);
    pollster::block_on(service.leave(&actor, org.id)).unwrap();
    assert!(committed.get());
}

#[test]
fn the_operator_adds_only_known_users_who_are_not_members_into_free_seats() {
    let email = Email::try_from("new@example.com").unwrap();
    let org = org(Plan::Free);

    let mut tx = MockTransaction::default();
    tx.given_org(&org);
    tx.users.expect_find_user_by_email().returning(|_| Ok(None));
    let (service, _) = members_with(tx);
    let error = pollster::block_on(service.add_as_operator(org.id, &email, RoleChoice::default()))
        .unwrap_err();
    assert!(matches!(error, MemberError::UserNotFound));

    let known = UserId::generate();
    let mut tx = MockTransaction::default();
    tx.given_org(&org);
    tx.users.expect_find_user_by_email().returning(move |_| {
        Ok(Some(crate::user::UserWithPassword {
            email_verified: false,
            user: user(known),
            password_hash: crate::user::PasswordHash::new("x".into()),
        }))
    });
    tx.given_member(org.id, known, None);
    // Three members and two pending e-mail invitations fill the free plan's five seats.
    tx.members.expect_count_members().returning(|_| Ok(3));
    tx.invitations
        .expect_count_pending_emails()
        .withf(|_, at| *at == NOW)
        .returning(|_, _| Ok(2));
    let (service, committed) = members_with(tx);
    let error = pollster::block_on(service.add_as_operator(org.id, &email, RoleChoice::default()))
        .unwrap_err();
    assert!(matches!(error, MemberError::SeatLimitReached(5)));
    assert!(!committed.get());
}

#[test]
fn a_uniqueness_conflict_from_the_store_is_a_conflict_not_a_fault() {
    let (mut tx, org, actor, target) = world(
        Plan::Free,
        builtin(BuiltinRole::Owner),
        builtin(BuiltinRole::Admin),
    );
    tx.members.expect_set_member_role().returning(|_, _, _| {
        Err(crate::error::StoreError::Conflict(
            "uq_memberships_one_owner".into(),
        ))
    });
    let (service, committed) = members_with(tx);
    let error = pollster::block_on(service.transfer_ownership(&actor, org.id, target)).unwrap_err();
    assert!(matches!(error, MemberError::ConcurrentChange), "{error:?}");
    assert_eq!(
        crate::error::DomainError::kind(&error),
        crate::error::ErrorKind::Conflict
    );
    assert!(!committed.get());
}
