use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use mockall::Sequence;
use time::{Duration, OffsetDateTime};

use super::*;
use crate::audit::AuditEvent;
use crate::authz::{Actor, BuiltinRole, Permission, PermissionSet};
use crate::error::{DomainError, ErrorKind};
use crate::ids::{InvitationId, OrgId, RoleId, UserId};
use crate::mail::{InvitationMail, Mail, MailContent};
use crate::member::{AssignedRole, MemberError, Membership, RoleChoice};
use crate::org::Org;
use crate::plan::Plan;
use crate::ports::MockUnitOfWork;
use crate::testing::fixtures::{self, NOW, actor, builtin, custom_role, membership, org};
use crate::testing::{Committed, FixedClock, MockTransaction, unit_of_work};
use crate::user::{
    Email, MockPasswordHasher, Password, PasswordHash, Session, TokenHash, User, UserName,
    UserWithPassword,
};

const TTL: Duration = Duration::days(7);
const SESSION_TTL: Duration = Duration::days(30);
const PUBLIC_URL: &str = "https://tenantry.test";
const INVITEE: &str = "new.hire@example.com";
const INVITER_NAME: &str = "Ines Inviter";

fn settings(public_url: &str) -> InvitationSettings {
    InvitationSettings {
        ttl: TTL,
        public_url: public_url.to_owned(),
        session_ttl: SESSION_TTL,
    }
}

fn service(
    public_url: &str,
    transactions: Vec<MockTransaction>,
    hasher: MockPasswordHasher,
) -> (InvitationService, Vec<Committed>) {
    let (uow, committed) = unit_of_work(transactions);
    (over(uow, public_url, hasher), committed)
}

fn over(uow: MockUnitOfWork, public_url: &str, hasher: MockPasswordHasher) -> InvitationService {
    InvitationService::new(
        Arc::new(uow),
        Arc::new(hasher),
        Arc::new(FixedClock(NOW)),
        settings(public_url),
    )
}

/// A service over one transaction, whose hasher fails the test if it is ever called.
fn invitations_with(tx: MockTransaction) -> (InvitationService, Committed) {
    let (uow, committed) = tx.into_unit_of_work();
    (over(uow, PUBLIC_URL, MockPasswordHasher::new()), committed)
}

fn email(raw: &str) -> Email {
    Email::try_from(raw).unwrap()
}

fn user(id: UserId, address: &str, name: &str) -> User {
    User {
        id,
        email: email(address),
        name: UserName::from_trusted(name.into()),
        created_at: NOW - Duration::days(100),
        last_login_at: None,
        mfa_enabled: false,
    }
}

fn with_password(user: User) -> UserWithPassword {
    UserWithPassword {
        email_verified: false,
        user,
        password_hash: PasswordHash::new("hashed:whatever".into()),
    }
}

fn email_invitation(
    org: &Org,
    to: &str,
    role: AssignedRole,
    status: InvitationStatus,
    expires_at: OffsetDateTime,
) -> Invitation {
    Invitation {
        id: InvitationId::generate(),
        org_id: org.id,
        kind: InvitationKind::Email(email(to)),
        role,
        invited_by: Some(UserId::generate()),
        status,
        created_at: expires_at - TTL,
        expires_at,
    }
}

fn link_invitation(org: &Org, role: AssignedRole) -> Invitation {
    Invitation {
        id: InvitationId::generate(),
        org_id: org.id,
        kind: InvitationKind::Link {
            max_uses: Some(10),
            uses: 3,
        },
        role,
        invited_by: Some(UserId::generate()),
        status: InvitationStatus::Pending,
        created_at: NOW - Duration::days(1),
        expires_at: NOW + Duration::days(6),
    }
}

/// A custom role allowed to manage members, and nothing else.
fn recruiter(org: &Org) -> AssignedRole {
    AssignedRole::Custom(custom_role(
        org,
        PermissionSet::of(&[Permission::MembersRead, Permission::MembersWrite]),
    ))
}

/// An org on `plan` where the actor holds `role`; every account is named [`INVITER_NAME`].
fn inviter(plan: Plan, role: fn(&Org) -> AssignedRole) -> (MockTransaction, Org, Actor) {
    let (actor, org) = (actor(), org(plan));
    let mut tx = MockTransaction::default();
    tx.given_org(&org);
    tx.given_name(actor.user_id, INVITER_NAME);
    tx.given_role(&org, actor.user_id, role(&org));
    tx.users
        .expect_find_user()
        .returning(|id| Ok(Some(user(id, "ines@example.com", INVITER_NAME))));
    (tx, org, actor)
}

fn no_account(tx: &mut MockTransaction) {
    tx.users.expect_find_user_by_email().returning(|_| Ok(None));
}

fn no_previous_invitation(tx: &mut MockTransaction) {
    tx.invitations
        .expect_find_pending_for()
        .returning(|_, _| Ok(None));
}

/// The org has `members` members and `pending` live e-mail invitations (counted at NOW).
fn seats(tx: &mut MockTransaction, members: u64, pending: u64) {
    tx.members
        .expect_count_members()
        .returning(move |_| Ok(members));
    tx.invitations
        .expect_count_pending_emails()
        .withf(|_, at| *at == NOW)
        .returning(move |_, _| Ok(pending));
}

/// Collects every invitation stored, with the secret hash stored along.
fn stored_invitations(tx: &mut MockTransaction) -> Arc<Mutex<Vec<(Invitation, TokenHash)>>> {
    let stored = Arc::new(Mutex::new(Vec::new()));
    let sink = stored.clone();
    tx.invitations
        .expect_insert_invitation()
        .returning(move |invitation, hash| {
            sink.lock()
                .unwrap()
                .push((invitation.clone(), hash.clone()));
            Ok(())
        });
    stored
}

/// Collects every mail queued (at NOW, tied to its invitation).
fn queued_mails(tx: &mut MockTransaction) -> Arc<Mutex<Vec<Mail>>> {
    let mails = Arc::new(Mutex::new(Vec::new()));
    let sink = mails.clone();
    tx.outbox
        .expect_enqueue()
        .withf(|_, about, at| *at == NOW && about.is_some())
        .returning(move |mail, _, _| {
            sink.lock().unwrap().push(mail.clone());
            Ok(())
        });
    mails
}

/// Nothing about invitations, members or mail may be written.
fn forbid_writes(tx: &mut MockTransaction) {
    tx.invitations.expect_insert_invitation().never();
    tx.invitations.expect_close_invitation().never();
    tx.invitations.expect_record_link_use().never();
    tx.invitations.expect_renew_invitation().never();
    tx.members.expect_insert_member().never();
    tx.outbox.expect_enqueue().never();
    tx.audit.expect_append().never();
}

fn actions(events: &Arc<Mutex<Vec<AuditEvent>>>) -> Vec<&'static str> {
    events
        .lock()
        .unwrap()
        .iter()
        .map(|event| event.action.name())
        .collect()
}

fn invitation_mail(mail: &Mail) -> &InvitationMail {
    match &mail.content {
        MailContent::Invitation(content) => content,
        other => panic!("not an invitation: {other:?}"),
    }
}

fn invite(to: &str, role: RoleChoice) -> EmailInvite {
    EmailInvite {
        email: email(to),
        role,
    }
}

// --- invite_by_email ---------------------------------------------------------------------

#[test]
fn inviting_needs_members_write_and_a_non_member_does_not_see_the_org() {
    for role in [
        BuiltinRole::Viewer,
        BuiltinRole::Member,
        BuiltinRole::Auditor,
    ] {
        let (actor, org) = (actor(), org(Plan::Free));
        let mut tx = MockTransaction::default();
        tx.given_org(&org);
        tx.given_role(&org, actor.user_id, builtin(role));
        forbid_writes(&mut tx);
        let (service, committed) = invitations_with(tx);
        let error = pollster::block_on(service.invite_by_email(
            &actor,
            org.id,
            invite(INVITEE, RoleChoice::Builtin(BuiltinRole::Viewer)),
        ))
        .unwrap_err();
        assert!(
            matches!(error, InvitationError::Forbidden),
            "{role}: {error:?}"
        );
        assert_eq!(error.code(), "forbidden", "{role}");
        assert!(!committed.get(), "{role}");
    }

    let (actor, org) = (actor(), org(Plan::Free));
    let mut tx = MockTransaction::default();
    tx.given_org(&org);
    tx.given_member(org.id, actor.user_id, None);
    forbid_writes(&mut tx);
    let (service, committed) = invitations_with(tx);
    let error = pollster::block_on(service.invite_by_email(
        &actor,
        org.id,
        invite(INVITEE, RoleChoice::default()),
    ))
    .unwrap_err();
    assert!(matches!(error, InvitationError::OrgNotFound), "{error:?}");
    assert_eq!(error.kind(), ErrorKind::NotFound);
    assert!(!committed.get());
}

#[test]
fn inviting_stores_a_hashed_pending_invitation_audits_it_and_queues_one_mail() {
    let (mut tx, org, actor) = inviter(Plan::Free, |_| builtin(BuiltinRole::Admin));
    no_account(&mut tx);
    no_previous_invitation(&mut tx);
    seats(&mut tx, 3, 1);
    let stored = stored_invitations(&mut tx);
    let events = tx.record_audit();
    let mails = queued_mails(&mut tx);
    let (service, committed) = invitations_with(tx);

    let issued = pollster::block_on(service.invite_by_email(
        &actor,
        org.id,
        invite(
            "New.Hire@Example.com",
            RoleChoice::Builtin(BuiltinRole::Auditor),
        ),
    ))
    .unwrap();

    let stored = stored.lock().unwrap();
    assert_eq!(stored.len(), 1);
    let (invitation, hash) = &stored[0];
    assert_eq!(*invitation, issued.invitation);
    assert_eq!(invitation.org_id, org.id);
    assert_eq!(invitation.kind, InvitationKind::Email(email(INVITEE)));
    assert_eq!(invitation.role, builtin(BuiltinRole::Auditor));
    assert_eq!(invitation.status, InvitationStatus::Pending);
    assert_eq!(invitation.invited_by, Some(actor.user_id));
    assert_eq!(invitation.created_at, NOW);
    assert_eq!(invitation.expires_at, NOW + TTL);
    assert_eq!(
        *hash,
        issued.secret.hash(),
        "only the secret's hash is stored"
    );
    assert_ne!(hash.as_str(), issued.secret.expose());
    assert_eq!(
        issued.link,
        format!("{PUBLIC_URL}/invitations/{}", issued.secret.expose())
    );

    let events = events.lock().unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].action.name(), "member.invited");
    assert_eq!(events[0].actor_id, Some(actor.user_id));
    assert_eq!(events[0].target["email"], INVITEE);
    assert_eq!(events[0].metadata["role"], "auditor");
    assert_eq!(
        events[0].metadata["invitationId"],
        invitation.id.to_string()
    );

    let mails = mails.lock().unwrap();
    assert_eq!(mails.len(), 1, "exactly one mail");
    assert_eq!(mails[0].to, email(INVITEE));
    assert_eq!(
        *invitation_mail(&mails[0]),
        InvitationMail {
            org_name: "Acme".into(),
            inviter_name: INVITER_NAME.into(),
            role: "auditor".into(),
            expires_at: NOW + TTL,
            link: format!("{PUBLIC_URL}/invitations/{}", issued.secret.expose()),
        }
    );
    assert!(committed.get());
}

#[test]
fn a_public_url_with_a_trailing_slash_gives_links_without_a_double_slash() {
    let (mut tx, org, actor) = inviter(Plan::Free, |_| builtin(BuiltinRole::Admin));
    no_account(&mut tx);
    no_previous_invitation(&mut tx);
    seats(&mut tx, 1, 0);
    stored_invitations(&mut tx);
    tx.record_audit();
    let mails = queued_mails(&mut tx);
    let (uow, _) = tx.into_unit_of_work();
    let service = over(uow, "https://tenantry.test/", MockPasswordHasher::new());

    let issued = pollster::block_on(service.invite_by_email(
        &actor,
        org.id,
        invite(INVITEE, RoleChoice::default()),
    ))
    .unwrap();

    let expected = format!(
        "https://tenantry.test/invitations/{}",
        issued.secret.expose()
    );
    assert_eq!(issued.link, expected);
    assert_eq!(invitation_mail(&mails.lock().unwrap()[0]).link, expected);
}

/// One way an invitation by e-mail is refused.
struct Refusal {
    name: &'static str,
    plan: Plan,
    actor_role: fn(&Org) -> AssignedRole,
    role: RoleChoice,
    invitee_is_member: bool,
    live_invitation: bool,
    /// (members, pending e-mail invitations)
    seats: (u64, u64),
    expected: fn(&InvitationError) -> bool,
    code: &'static str,
}

#[test]
fn inviting_is_refused_for_each_rule_without_writing() {
    let admin: fn(&Org) -> AssignedRole = |_| builtin(BuiltinRole::Admin);
    let member = RoleChoice::Builtin(BuiltinRole::Member);
    let cases = [
        Refusal {
            name: "the address belongs to a member",
            plan: Plan::Free,
            actor_role: admin,
            role: member,
            invitee_is_member: true,
            live_invitation: false,
            seats: (1, 0),
            expected: |e| matches!(e, InvitationError::Member(MemberError::AlreadyMember)),
            code: "already_member",
        },
        Refusal {
            name: "the address has a live invitation",
            plan: Plan::Free,
            actor_role: admin,
            role: member,
            invitee_is_member: false,
            live_invitation: true,
            seats: (1, 1),
            expected: |e| matches!(e, InvitationError::AlreadyInvited),
            code: "already_invited",
        },
        Refusal {
            name: "members and pending invitations fill the free plan's five seats",
            plan: Plan::Free,
            actor_role: admin,
            role: member,
            invitee_is_member: false,
            live_invitation: false,
            seats: (3, 2),
            expected: |e| matches!(e, InvitationError::Member(MemberError::SeatLimitReached(5))),
            code: "seat_limit_reached",
        },
        Refusal {
            name: "a recruiter cannot invite an admin",
            plan: Plan::Team,
            actor_role: recruiter,
            role: RoleChoice::Builtin(BuiltinRole::Admin),
            invitee_is_member: false,
            live_invitation: false,
            seats: (1, 0),
            expected: |e| matches!(e, InvitationError::Member(MemberError::Escalation(_))),
            code: "privilege_escalation",
        },
        Refusal {
            name: "custom roles need the team plan",
            plan: Plan::Free,
            actor_role: admin,
            role: RoleChoice::Custom(RoleId::generate()),
            invitee_is_member: false,
            live_invitation: false,
            seats: (1, 0),
            expected: |e| matches!(e, InvitationError::Member(MemberError::PlanUpgradeRequired)),
            code: "plan_upgrade_required",
        },
        Refusal {
            name: "an unknown custom role",
            plan: Plan::Team,
            actor_role: admin,
            role: RoleChoice::Custom(RoleId::generate()),
            invitee_is_member: false,
            live_invitation: false,
            seats: (1, 0),
            expected: |e| matches!(e, InvitationError::Member(MemberError::UnknownRole)),
            code: "unknown_role",
        },
    ];
    for case in cases {
        let name = case.name;
        let (mut tx, org, actor) = inviter(case.plan, case.actor_role);
        tx.roles.expect_find_role().returning(|_, _| Ok(None));
        if case.invitee_is_member {
            let existing = user(UserId::generate(), INVITEE, "Already Here");
            let id = existing.id;
            tx.users
                .expect_find_user_by_email()
                .returning(move |_| Ok(Some(with_password(existing.clone()))));
            tx.given_member(
                org.id,
                id,
                Some(membership(&org, id, builtin(BuiltinRole::Viewer))),
            );
        } else {
            no_account(&mut tx);
        }
        let live = case.live_invitation.then(|| {
            email_invitation(
                &org,
                INVITEE,
                builtin(BuiltinRole::Member),
                InvitationStatus::Pending,
                NOW + Duration::days(1),
            )
        });
        tx.invitations
            .expect_find_pending_for()
            .returning(move |_, _| Ok(live.clone()));
        seats(&mut tx, case.seats.0, case.seats.1);
        forbid_writes(&mut tx);
        let (service, committed) = invitations_with(tx);

        let error =
            pollster::block_on(service.invite_by_email(&actor, org.id, invite(INVITEE, case.role)))
                .unwrap_err();

        assert!((case.expected)(&error), "{name}: got {error:?}");
        assert_eq!(error.code(), case.code, "{name}");
        assert!(!committed.get(), "{name}");
    }
}

#[test]
fn an_expired_invitation_to_the_address_is_closed_as_expired_before_a_new_one_is_stored() {
    let (mut tx, org, actor) = inviter(Plan::Free, |_| builtin(BuiltinRole::Admin));
    no_account(&mut tx);
    // Expired from its expiry on: this one expires exactly now.
    let previous = email_invitation(
        &org,
        INVITEE,
        builtin(BuiltinRole::Member),
        InvitationStatus::Pending,
        NOW,
    );
    let (old_id, org_id) = (previous.id, org.id);
    tx.invitations
        .expect_find_pending_for()
        .withf(move |o, e| *o == org_id && e.as_str() == INVITEE)
        .returning(move |_, _| Ok(Some(previous.clone())));
    // The expired invitation no longer holds a seat.
    seats(&mut tx, 4, 0);
    let mut order = Sequence::new();
    tx.invitations
        .expect_close_invitation()
        .withf(move |id, to, at| *id == old_id && *to == InvitationStatus::Expired && *at == NOW)
        .times(1)
        .in_sequence(&mut order)
        .returning(|_, _, _| Ok(true));
    tx.invitations
        .expect_insert_invitation()
        .withf(move |invitation, _| {
            invitation.id != old_id && invitation.kind == InvitationKind::Email(email(INVITEE))
        })
        .times(1)
        .in_sequence(&mut order)
        .returning(|_, _| Ok(()));
    tx.record_audit();
    let mails = queued_mails(&mut tx);
    let (service, committed) = invitations_with(tx);

    let issued = pollster::block_on(service.invite_by_email(
        &actor,
        org.id,
        invite(INVITEE, RoleChoice::default()),
    ))
    .unwrap();

    assert_ne!(issued.invitation.id, old_id);
    assert_eq!(issued.invitation.expires_at, NOW + TTL);
    assert_eq!(mails.lock().unwrap().len(), 1);
    assert!(committed.get());
}

// --- create_link -------------------------------------------------------------------------

#[test]
fn a_join_link_keeps_its_max_uses_takes_no_seat_and_sends_no_mail() {
    let (mut tx, org, actor) = inviter(Plan::Free, |_| builtin(BuiltinRole::Admin));
    let stored = stored_invitations(&mut tx);
    let events = tx.record_audit();
    tx.outbox.expect_enqueue().never();
    // Seats are checked when someone joins: a full org may still hand out a link.
    tx.members.expect_count_members().never();
    tx.invitations.expect_count_pending_emails().never();
    let (service, committed) = invitations_with(tx);

    let invite = LinkInvite::new(RoleChoice::Builtin(BuiltinRole::Viewer), Some(25)).unwrap();
    let issued = pollster::block_on(service.create_link(&actor, org.id, invite)).unwrap();

    assert_eq!(
        issued.link,
        format!("{PUBLIC_URL}/join/{}", issued.secret.expose())
    );
    let stored = stored.lock().unwrap();
    assert_eq!(stored.len(), 1);
    let (invitation, hash) = &stored[0];
    assert_eq!(
        invitation.kind,
        InvitationKind::Link {
            max_uses: Some(25),
            uses: 0
        }
    );
    assert_eq!(invitation.role, builtin(BuiltinRole::Viewer));
    assert_eq!(invitation.expires_at, NOW + TTL);
    assert_eq!(*hash, issued.secret.hash());
    let events = events.lock().unwrap();
    assert_eq!(events[0].action.name(), "invitation.link_created");
    assert_eq!(events[0].metadata["maxUses"], "25");
    assert!(committed.get());
}

// --- accept (signed in) ------------------------------------------------------------------

/// The caller presents `secret`, which finds `invitation`; the org has `members` members
/// and `pending` live e-mail invitations; the caller is not a member yet.
fn accepting(
    org: &Org,
    invitation: &Invitation,
    secret: &InvitationSecret,
    caller: &User,
    (members, pending): (u64, u64),
) -> MockTransaction {
    let mut tx = MockTransaction::default();
    tx.given_org(org);
    let (by_secret, by_id) = (invitation.clone(), invitation.clone());
    let (hash, id) = (secret.hash(), invitation.id);
    tx.invitations
        .expect_find_by_secret()
        .withf(move |h| *h == hash)
        .returning(move |_| Ok(Some(by_secret.clone())));
    tx.invitations
        .expect_find_invitation()
        .withf(move |i| *i == id)
        .returning(move |_| Ok(Some(by_id.clone())));
    let (me, my_id) = (caller.clone(), caller.id);
    tx.users
        .expect_find_user()
        .withf(move |u| *u == my_id)
        .returning(move |_| Ok(Some(me.clone())));
    tx.given_member(org.id, caller.id, None);
    seats(&mut tx, members, pending);
    tx
}

fn invitee() -> User {
    user(UserId::generate(), INVITEE, "Nina New")
}

#[test]
fn an_invitation_for_another_address_is_refused_and_admits_no_one() {
    let org = org(Plan::Free);
    let invitation = email_invitation(
        &org,
        INVITEE,
        builtin(BuiltinRole::Member),
        InvitationStatus::Pending,
        NOW + Duration::days(1),
    );
    let secret = InvitationSecret::generate();
    let someone_else = user(UserId::generate(), "someone.else@example.com", "Sam");
    let mut tx = accepting(&org, &invitation, &secret, &someone_else, (1, 1));
    forbid_writes(&mut tx);
    let (service, committed) = invitations_with(tx);

    let error =
        pollster::block_on(service.accept(&Actor::new(someone_else.id), &secret, Channel::Email))
            .unwrap_err();

    assert!(matches!(error, InvitationError::WrongAccount), "{error:?}");
    assert_eq!(error.code(), "invitation_wrong_account");
    assert!(!committed.get());
}

#[test]
fn a_closed_invitation_says_why_it_is_closed_and_admits_no_one() {
    type Expected = fn(&InvitationError) -> bool;
    let later = NOW + Duration::days(1);
    let cases: [(InvitationStatus, OffsetDateTime, Expected, &str); 5] = [
        (
            InvitationStatus::Expired,
            later,
            |e| matches!(e, InvitationError::Expired),
            "invitation_expired",
        ),
        (
            InvitationStatus::Pending,
            NOW - Duration::seconds(1),
            |e| matches!(e, InvitationError::Expired),
            "invitation_expired",
        ),
        (
            InvitationStatus::Revoked,
            later,
            |e| matches!(e, InvitationError::Revoked),
            "invitation_revoked",
        ),
        (
            InvitationStatus::Accepted,
            later,
            |e| matches!(e, InvitationError::Used),
            "invitation_used",
        ),
        (
            InvitationStatus::Declined,
            later,
            |e| matches!(e, InvitationError::Declined),
            "invitation_declined",
        ),
    ];
    for (status, expires_at, expected, code) in cases {
        let org = org(Plan::Free);
        let invitation = email_invitation(
            &org,
            INVITEE,
            builtin(BuiltinRole::Member),
            status,
            expires_at,
        );
        let (secret, caller) = (InvitationSecret::generate(), invitee());
        let mut tx = accepting(&org, &invitation, &secret, &caller, (1, 0));
        forbid_writes(&mut tx);
        let (service, committed) = invitations_with(tx);

        let error =
            pollster::block_on(service.accept(&Actor::new(caller.id), &secret, Channel::Email))
                .unwrap_err();

        assert!(
            expected(&error),
            "{status} until {expires_at}: got {error:?}"
        );
        assert_eq!(error.code(), code, "{status}");
        assert_eq!(error.kind(), ErrorKind::Gone, "{status}");
        assert!(!committed.get(), "{status}");
    }
}

#[test]
fn losing_the_race_to_close_the_invitation_is_used_and_admits_no_one() {
    let org = org(Plan::Free);
    let invitation = email_invitation(
        &org,
        INVITEE,
        builtin(BuiltinRole::Member),
        InvitationStatus::Pending,
        NOW + Duration::days(1),
    );
    let (secret, caller) = (InvitationSecret::generate(), invitee());
    let mut tx = accepting(&org, &invitation, &secret, &caller, (1, 1));
    tx.invitations
        .expect_close_invitation()
        .times(1)
        .returning(|_, _, _| Ok(false));
    tx.members.expect_insert_member().never();
    tx.audit.expect_append().never();
    let (service, committed) = invitations_with(tx);

    let error = pollster::block_on(service.accept(&Actor::new(caller.id), &secret, Channel::Email))
        .unwrap_err();

    assert!(matches!(error, InvitationError::Used), "{error:?}");
    assert!(!committed.get());
}

#[test]
fn accepting_an_email_invitation_makes_the_caller_a_member_with_the_invited_role() {
    let org = org(Plan::Free);
    let invitation = email_invitation(
        &org,
        INVITEE,
        builtin(BuiltinRole::Auditor),
        InvitationStatus::Pending,
        NOW + Duration::days(1),
    );
    let (secret, caller) = (InvitationSecret::generate(), invitee());
    let mut tx = accepting(&org, &invitation, &secret, &caller, (2, 1));
    let (id, org_id, me) = (invitation.id, org.id, caller.id);
    tx.invitations
        .expect_close_invitation()
        .withf(move |i, to, at| *i == id && *to == InvitationStatus::Accepted && *at == NOW)
        .times(1)
        .returning(|_, _, _| Ok(true));
    tx.members
        .expect_insert_member()
        .withf(move |m| {
            m.org_id == org_id
                && m.user_id == me
                && m.role == builtin(BuiltinRole::Auditor)
                && m.joined_at == NOW
        })
        .times(1)
        .returning(|_| Ok(()));
    // Taking up the e-mailed token proves the caller reads that mailbox.
    tx.users
        .expect_mark_email_verified()
        .withf(move |u, at| *u == me && *at == NOW)
        .times(1)
        .returning(|_, _| Ok(()));
    let events = tx.record_audit();
    let (service, committed) = invitations_with(tx);

    let joined =
        pollster::block_on(service.accept(&Actor::new(caller.id), &secret, Channel::Email))
            .unwrap();

    assert_eq!(
        joined,
        Membership {
            org_id: org.id,
            user_id: caller.id,
            role: builtin(BuiltinRole::Auditor),
            joined_at: NOW,
        }
    );
    assert_eq!(actions(&events), vec!["member.joined"]);
    let events = events.lock().unwrap();
    assert_eq!(events[0].target["userId"], caller.id.to_string());
    assert_eq!(events[0].metadata["via"], "email");
    assert_eq!(events[0].metadata["invitationId"], id.to_string());
    assert!(committed.get());
}

#[test]
fn an_email_invitation_brings_its_own_seat_but_a_join_link_needs_a_free_one() {
    // A full free org (4 members + this pending invitation) still admits its invitee.
    let org = org(Plan::Free);
    let invitation = email_invitation(
        &org,
        INVITEE,
        builtin(BuiltinRole::Member),
        InvitationStatus::Pending,
        NOW + Duration::days(1),
    );
    let (secret, caller) = (InvitationSecret::generate(), invitee());
    let mut tx = accepting(&org, &invitation, &secret, &caller, (4, 1));
    tx.users
        .expect_mark_email_verified()
        .times(1)
        .returning(|_, _| Ok(()));
    tx.invitations
        .expect_close_invitation()
        .times(1)
        .returning(|_, _, _| Ok(true));
    tx.members
        .expect_insert_member()
        .times(1)
        .returning(|_| Ok(()));
    tx.record_audit();
    let (service, committed) = invitations_with(tx);
    pollster::block_on(service.accept(&Actor::new(caller.id), &secret, Channel::Email)).unwrap();
    assert!(committed.get(), "the invitee of a full org gets in");

    // The same full org refuses someone coming through a join link...
    let link = link_invitation(&org, builtin(BuiltinRole::Viewer));
    let (secret, caller) = (
        InvitationSecret::generate(),
        user(UserId::generate(), "walk.in@example.com", "Walk In"),
    );
    let mut tx = accepting(&org, &link, &secret, &caller, (4, 1));
    forbid_writes(&mut tx);
    let (service, committed) = invitations_with(tx);
    let error = pollster::block_on(service.accept(&Actor::new(caller.id), &secret, Channel::Link))
        .unwrap_err();
    assert!(
        matches!(
            error,
            InvitationError::Member(MemberError::SeatLimitReached(5))
        ),
        "{error:?}"
    );
    assert!(!committed.get());

    // ...and lets them in, counting one use of the link, once a seat is free.
    let mut tx = accepting(&org, &link, &secret, &caller, (4, 0));
    let id = link.id;
    tx.invitations
        .expect_record_link_use()
        .withf(move |i, at| *i == id && *at == NOW)
        .times(1)
        .returning(|_, _| Ok(true));
    tx.invitations.expect_close_invitation().never();
    let me = caller.id;
    tx.members
        .expect_insert_member()
        .withf(move |m| m.user_id == me && m.role == builtin(BuiltinRole::Viewer))
        .times(1)
        .returning(|_| Ok(()));
    let events = tx.record_audit();
    let (service, committed) = invitations_with(tx);
    pollster::block_on(service.accept(&Actor::new(caller.id), &secret, Channel::Link)).unwrap();
    assert_eq!(events.lock().unwrap()[0].metadata["via"], "link");
    assert!(committed.get());
}

// --- accept_as_new_account ---------------------------------------------------------------

fn new_invitee() -> NewInvitee {
    NewInvitee {
        name: UserName::try_from("Nina New").unwrap(),
        password: Password::try_from("correct horse").unwrap(),
    }
}

/// The read-only first look of a registration: `secret` finds `invitation`; `account` is
/// what the invited address already has.
fn registration_check(
    invitation: &Invitation,
    secret: &InvitationSecret,
    account: Option<User>,
) -> MockTransaction {
    let mut tx = MockTransaction::default();
    let (found, hash) = (invitation.clone(), secret.hash());
    tx.invitations
        .expect_find_by_secret()
        .withf(move |h| *h == hash)
        .returning(move |_| Ok(Some(found.clone())));
    tx.users
        .expect_find_user_by_email()
        .withf(|e| e.as_str() == INVITEE)
        .returning(move |_| Ok(account.clone().map(with_password)));
    tx
}

fn never_hashes() -> MockPasswordHasher {
    let mut hasher = MockPasswordHasher::new();
    hasher.expect_hash().never();
    hasher
}

#[test]
fn registering_for_an_address_that_has_an_account_is_refused_before_hashing() {
    let org = org(Plan::Free);
    let invitation = email_invitation(
        &org,
        INVITEE,
        builtin(BuiltinRole::Member),
        InvitationStatus::Pending,
        NOW + Duration::days(1),
    );
    let secret = InvitationSecret::generate();
    let mut check = registration_check(&invitation, &secret, Some(invitee()));
    check.users.expect_insert_user().never();
    // A single transaction: opening a second one would fail with a store error.
    let (service, committed) = service(PUBLIC_URL, vec![check], never_hashes());

    let error = pollster::block_on(service.accept_as_new_account(&secret, new_invitee(), None))
        .unwrap_err();

    assert!(matches!(error, InvitationError::AccountExists), "{error:?}");
    assert_eq!(error.code(), "account_exists");
    assert!(!committed[0].get());
}

#[test]
fn a_join_link_code_cannot_register_an_account() {
    let org = org(Plan::Free);
    let link = link_invitation(&org, builtin(BuiltinRole::Member));
    let secret = InvitationSecret::generate();
    let mut check = MockTransaction::default();
    check
        .invitations
        .expect_find_by_secret()
        .returning(move |_| Ok(Some(link.clone())));
    check.users.expect_insert_user().never();
    let (service, _) = service(PUBLIC_URL, vec![check], never_hashes());

    let error = pollster::block_on(service.accept_as_new_account(&secret, new_invitee(), None))
        .unwrap_err();

    assert!(matches!(error, InvitationError::NotFound), "{error:?}");
    assert_eq!(error.code(), "invitation_not_found");
}

#[test]
fn registering_while_accepting_creates_the_account_the_membership_and_a_session() {
    let org = org(Plan::Free);
    let invitation = email_invitation(
        &org,
        INVITEE,
        builtin(BuiltinRole::Viewer),
        InvitationStatus::Pending,
        NOW + Duration::days(1),
    );
    let secret = InvitationSecret::generate();
    let check = registration_check(&invitation, &secret, None);

    let mut write = MockTransaction::default();
    write.given_org(&org);
    let (by_secret, by_id, id) = (invitation.clone(), invitation.clone(), invitation.id);
    write
        .invitations
        .expect_find_by_secret()
        .returning(move |_| Ok(Some(by_secret.clone())));
    write
        .invitations
        .expect_find_invitation()
        .withf(move |i| *i == id)
        .returning(move |_| Ok(Some(by_id.clone())));
    no_account(&mut write);
    write
        .users
        .expect_mark_email_verified()
        .times(1)
        .returning(|_, _| Ok(()));
    let users = Arc::new(Mutex::new(Vec::new()));
    let sink = users.clone();
    write
        .users
        .expect_insert_user()
        .withf(|_, hash| hash.as_str() == "hashed:correct horse")
        .times(1)
        .returning(move |user, _| {
            sink.lock().unwrap().push(user.clone());
            Ok(())
        });
    write
        .members
        .expect_find_member()
        .returning(|_, _| Ok(None));
    seats(&mut write, 4, 1);
    write
        .invitations
        .expect_close_invitation()
        .withf(move |i, to, _| *i == id && *to == InvitationStatus::Accepted)
        .times(1)
        .returning(|_, _, _| Ok(true));
    let members = Arc::new(Mutex::new(Vec::new()));
    let sink = members.clone();
    write
        .members
        .expect_insert_member()
        .times(1)
        .returning(move |membership| {
            sink.lock().unwrap().push(membership.clone());
            Ok(())
        });
    let sessions: Arc<Mutex<Vec<Session>>> = Arc::new(Mutex::new(Vec::new()));
    let sink = sessions.clone();
    write
        .sessions
        .expect_insert_session()
        .times(1)
        .returning(move |session| {
            sink.lock().unwrap().push(session.clone());
            Ok(())
        });
    let events = write.record_audit();

    let mut hasher = MockPasswordHasher::new();
    hasher
        .expect_hash()
        .withf(|password| password.expose() == "correct horse")
        .times(1)
        .returning(|password| Ok(PasswordHash::new(format!("hashed:{}", password.expose()))));
    let (service, committed) = service(PUBLIC_URL, vec![check, write], hasher);
    let ip: IpAddr = "203.0.113.7".parse().unwrap();

    let signed_in =
        pollster::block_on(service.accept_as_new_account(&secret, new_invitee(), Some(ip)))
            .unwrap();

    let users = users.lock().unwrap();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0], signed_in.user);
    assert_eq!(signed_in.user.email, email(INVITEE));
    assert_eq!(signed_in.user.name.as_str(), "Nina New");
    assert_eq!(signed_in.user.last_login_at, Some(NOW));
    let members = members.lock().unwrap();
    assert_eq!(
        members[0],
        Membership {
            org_id: org.id,
            user_id: signed_in.user.id,
            role: builtin(BuiltinRole::Viewer),
            joined_at: NOW,
        }
    );
    let sessions = sessions.lock().unwrap();
    assert_eq!(sessions[0].user_id, signed_in.user.id);
    assert_eq!(sessions[0].token_hash, signed_in.token.hash());
    assert_eq!(sessions[0].expires_at, NOW + SESSION_TTL);
    assert_eq!(signed_in.expires_at, NOW + SESSION_TTL);
    let events = events.lock().unwrap();
    assert_eq!(events[0].action.name(), "member.joined");
    assert_eq!(events[0].actor_id, Some(signed_in.user.id));
    assert_eq!(events[0].ip, Some(ip));
    assert!(committed[1].get());
}

// --- decline -----------------------------------------------------------------------------

#[test]
fn declining_closes_the_invitation_as_declined_and_admits_no_one() {
    let org = org(Plan::Free);
    let invitation = email_invitation(
        &org,
        INVITEE,
        builtin(BuiltinRole::Member),
        InvitationStatus::Pending,
        NOW + Duration::days(1),
    );
    let (secret, caller) = (InvitationSecret::generate(), invitee());
    let mut tx = accepting(&org, &invitation, &secret, &caller, (1, 1));
    let id = invitation.id;
    tx.invitations
        .expect_close_invitation()
        .withf(move |i, to, at| *i == id && *to == InvitationStatus::Declined && *at == NOW)
        .times(1)
        .returning(|_, _, _| Ok(true));
    tx.members.expect_insert_member().never();
    let events = tx.record_audit();
    let (service, committed) = invitations_with(tx);

    pollster::block_on(service.decline(&secret)).unwrap();

    assert_eq!(actions(&events), vec!["invitation.declined"]);
    assert_eq!(events.lock().unwrap()[0].actor_id, None);
    assert!(committed.get());
}

// --- revoke ------------------------------------------------------------------------------

/// An admin of a free org, and `invitation` stored under its id.
fn revoking(invitation: fn(&Org) -> Invitation) -> (MockTransaction, Org, Actor, Invitation) {
    let (mut tx, org, actor) = inviter(Plan::Free, |_| builtin(BuiltinRole::Admin));
    let invitation = invitation(&org);
    let (found, id) = (invitation.clone(), invitation.id);
    tx.invitations
        .expect_find_invitation()
        .withf(move |i| *i == id)
        .returning(move |_| Ok(Some(found.clone())));
    (tx, org, actor, invitation)
}

fn pending_to_invitee(org: &Org) -> Invitation {
    email_invitation(
        org,
        INVITEE,
        builtin(BuiltinRole::Member),
        InvitationStatus::Pending,
        NOW + Duration::days(2),
    )
}

#[test]
fn revoking_a_pending_invitation_closes_it_and_audits_it() {
    let (mut tx, org, actor, invitation) = revoking(pending_to_invitee);
    let id = invitation.id;
    tx.invitations
        .expect_close_invitation()
        .withf(move |i, to, at| *i == id && *to == InvitationStatus::Revoked && *at == NOW)
        .times(1)
        .returning(|_, _, _| Ok(true));
    // A message still queued would deliver a dead link.
    tx.outbox
        .expect_discard_unsent()
        .withf(move |i| *i == id)
        .times(1)
        .returning(|_| Ok(1));
    let events = tx.record_audit();
    let (service, committed) = invitations_with(tx);

    pollster::block_on(service.revoke(&actor, org.id, id)).unwrap();

    assert_eq!(actions(&events), vec!["invitation.revoked"]);
    let events = events.lock().unwrap();
    assert_eq!(events[0].target["email"], INVITEE);
    assert_eq!(events[0].target["invitationId"], id.to_string());
    assert!(committed.get());
}

#[test]
fn revoking_a_revoked_invitation_again_succeeds_without_writing() {
    let (mut tx, org, actor, invitation) = revoking(|org| Invitation {
        status: InvitationStatus::Revoked,
        ..pending_to_invitee(org)
    });
    forbid_writes(&mut tx);
    let (service, _) = invitations_with(tx);
    pollster::block_on(service.revoke(&actor, org.id, invitation.id)).unwrap();
}

#[test]
fn an_accepted_invitation_cannot_be_revoked_and_another_orgs_is_not_found() {
    let (mut tx, org, actor, invitation) = revoking(|org| Invitation {
        status: InvitationStatus::Accepted,
        ..pending_to_invitee(org)
    });
    forbid_writes(&mut tx);
    let (service, committed) = invitations_with(tx);
    let error = pollster::block_on(service.revoke(&actor, org.id, invitation.id)).unwrap_err();
    assert!(matches!(error, InvitationError::Used), "{error:?}");
    assert!(!committed.get());

    let (mut tx, org, actor, invitation) = revoking(|_| {
        let elsewhere = Org {
            id: OrgId::generate(),
            ..fixtures::org(Plan::Free)
        };
        pending_to_invitee(&elsewhere)
    });
    forbid_writes(&mut tx);
    let (service, committed) = invitations_with(tx);
    let error = pollster::block_on(service.revoke(&actor, org.id, invitation.id)).unwrap_err();
    assert!(matches!(error, InvitationError::NotFound), "{error:?}");
    assert_eq!(error.code(), "invitation_not_found");
    assert!(!committed.get());
}

// --- resend ------------------------------------------------------------------------------

#[test]
fn a_join_link_cannot_be_resent() {
    let (mut tx, org, actor, link) =
        revoking(|org| link_invitation(org, builtin(BuiltinRole::Member)));
    forbid_writes(&mut tx);
    let (service, committed) = invitations_with(tx);
    let error = pollster::block_on(service.resend(&actor, org.id, link.id)).unwrap_err();
    assert!(
        matches!(error, InvitationError::NotAnEmailInvitation),
        "{error:?}"
    );
    assert_eq!(error.code(), "not_an_email_invitation");
    assert!(!committed.get());
}

#[test]
fn resending_renews_the_secret_and_expiry_and_mails_the_new_link() {
    let (mut tx, org, actor, invitation) = revoking(pending_to_invitee);
    // The org is full, but a live invitation already holds its seat.
    seats(&mut tx, 4, 1);
    no_account(&mut tx);
    let id = invitation.id;
    tx.outbox
        .expect_discard_unsent()
        .withf(move |i| *i == id)
        .times(1)
        .returning(|_| Ok(1));
    let renewed: Arc<Mutex<Vec<TokenHash>>> = Arc::new(Mutex::new(Vec::new()));
    let sink = renewed.clone();
    tx.invitations
        .expect_renew_invitation()
        .withf(move |i, _, expires_at| *i == id && *expires_at == NOW + TTL)
        .times(1)
        .returning(move |_, hash, _| {
            sink.lock().unwrap().push(hash.clone());
            Ok(())
        });
    let events = tx.record_audit();
    let mails = queued_mails(&mut tx);
    let (service, committed) = invitations_with(tx);

    let issued = pollster::block_on(service.resend(&actor, org.id, id)).unwrap();

    assert_eq!(*renewed.lock().unwrap(), vec![issued.secret.hash()]);
    assert_eq!(issued.invitation.id, id);
    assert_eq!(issued.invitation.expires_at, NOW + TTL);
    let link = format!("{PUBLIC_URL}/invitations/{}", issued.secret.expose());
    assert_eq!(issued.link, link);
    let mails = mails.lock().unwrap();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, email(INVITEE));
    assert_eq!(invitation_mail(&mails[0]).link, link);
    assert_eq!(invitation_mail(&mails[0]).expires_at, NOW + TTL);
    assert_eq!(actions(&events), vec!["invitation.resent"]);
    assert!(committed.get());
}

#[test]
fn resending_an_expired_invitation_needs_a_free_seat_again() {
    let (mut tx, org, actor, invitation) = revoking(|org| {
        email_invitation(
            org,
            INVITEE,
            builtin(BuiltinRole::Member),
            InvitationStatus::Pending,
            NOW - Duration::days(1),
        )
    });
    no_account(&mut tx);
    tx.outbox.expect_discard_unsent().returning(|_| Ok(0));
    // The expired invitation is not among the five seats in use.
    seats(&mut tx, 4, 1);
    forbid_writes(&mut tx);
    let (service, committed) = invitations_with(tx);
    let error = pollster::block_on(service.resend(&actor, org.id, invitation.id)).unwrap_err();
    assert_eq!(error.code(), "seat_limit_reached", "{error:?}");
    assert!(!committed.get());
}

// --- preview -----------------------------------------------------------------------------

/// A service whose unit of work hands out `tx` once, and the flag that tells whether it was
/// opened for a write.
fn read_only(tx: MockTransaction) -> (InvitationService, Committed) {
    let begun = tx.begun();
    let (service, _) = invitations_with(tx);
    (service, begun)
}

#[test]
fn a_preview_only_reads_and_shows_a_pending_invitation_past_expiry_as_expired() {
    let (org, inviter) = (org(Plan::Free), UserId::generate());
    let invitation = Invitation {
        invited_by: Some(inviter),
        ..email_invitation(
            &org,
            INVITEE,
            builtin(BuiltinRole::Member),
            InvitationStatus::Pending,
            NOW - Duration::minutes(1),
        )
    };
    let secret = InvitationSecret::generate();
    let mut tx = MockTransaction::default();
    tx.given_org(&org);
    let (found, hash) = (invitation.clone(), secret.hash());
    tx.invitations
        .expect_find_by_secret()
        .withf(move |h| *h == hash)
        .returning(move |_| Ok(Some(found.clone())));
    tx.users
        .expect_find_user()
        .withf(move |u| *u == inviter)
        .returning(|id| Ok(Some(user(id, "ines@example.com", INVITER_NAME))));
    forbid_writes(&mut tx);
    let (service, begun) = read_only(tx);

    let view = pollster::block_on(service.preview(&secret, Channel::Email)).unwrap();

    assert!(!begun.get());
    assert_eq!(view.invitation.status, InvitationStatus::Expired);
    assert_eq!(view.invitation.id, invitation.id);
    assert_eq!(view.org_name, "Acme");
    assert_eq!(view.inviter_name.as_deref(), Some(INVITER_NAME));
}

#[test]
fn a_join_link_code_previewed_as_an_email_token_is_not_found() {
    let org = org(Plan::Free);
    let link = link_invitation(&org, builtin(BuiltinRole::Member));
    let mut tx = MockTransaction::default();
    tx.invitations
        .expect_find_by_secret()
        .returning(move |_| Ok(Some(link.clone())));
    forbid_writes(&mut tx);
    let (service, begun) = read_only(tx);
    let error = pollster::block_on(service.preview(&InvitationSecret::generate(), Channel::Email))
        .unwrap_err();
    assert!(matches!(error, InvitationError::NotFound), "{error:?}");
    assert!(!begun.get());
}
