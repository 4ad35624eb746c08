use std::sync::Arc;

use super::*;
use crate::audit::AuditAction;
use crate::authz::{Actor, BuiltinRole};
use crate::error::{DomainError, StoreError};
use crate::ids::{DomainId, OrgId, UserId};
use crate::member::{AssignedRole, RoleChoice};
use crate::org::{Org, OrgSettings, SettingValue};
use crate::plan::Plan;
use crate::testing::fixtures::{NOW, actor, builtin, org};
use crate::testing::{FixedClock, MockTransaction};
use crate::user::{Email, User, UserName};

#[test]
fn domain_names_follow_the_hostname_rules() {
    for (raw, expected) in [
        ("acme.com", "acme.com"),
        ("Mail.ACME.co.uk.", "mail.acme.co.uk"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("a-b.c1.io", "a-b.c1.io"),
    ] {
        assert_eq!(
            DomainName::try_from(raw).unwrap().as_str(),
            expected,
            "{raw}"
        );
    }
    let long_label = format!("{}.com", "a".repeat(64));
    let too_long = format!("{}.com", vec!["a".repeat(60); 5].join("."));
    for bad in [
        "",
        "localhost",
        "bücher.example",
        "-acme.com",
        "acme-.com",
        "ac_me.com",
        "acme..com",
        "10.0.0.1",
        "acme.com/path",
        " acme.com",
        "acme.1com",
        long_label.as_str(),
        too_long.as_str(),
    ] {
        let error = DomainName::try_from(bad).unwrap_err();
        assert_eq!(error.field, "domain", "{bad}");
    }
    let pattern = regex::Regex::new(DomainName::PATTERN).unwrap();
    for good in [
        "acme.com",
        "Mail.ACME.co.uk.",
        "xn--bcher-kva.example",
        "a-b.c1.io",
    ] {
        assert!(pattern.is_match(good), "{good}");
    }
    for bad in [
        "",
        "localhost",
        "-acme.com",
        "acme..com",
        "10.0.0.1",
        " acme.com",
        "acme.1com",
    ] {
        assert!(!pattern.is_match(bad), "{bad}");
    }
    let email = Email::try_from("Jane@Mail.Acme.com").unwrap();
    assert_eq!(
        DomainName::of_email(&email).unwrap().as_str(),
        "mail.acme.com"
    );
    assert_eq!(
        DomainName::try_from("acme.com").unwrap().challenge_name(),
        "_tenantry-challenge.acme.com"
    );
}

fn pending(org: &Org, name: &str) -> OrgDomain {
    OrgDomain {
        id: DomainId::generate(),
        org_id: org.id,
        domain: DomainName::try_from(name).unwrap(),
        challenge: "tenantry-verification=abc".into(),
        verified_at: None,
        auto_join: false,
        default_role: RoleChoice::default(),
        created_at: NOW,
    }
}

fn service(tx: MockTransaction, resolver: MockDnsResolver) -> DomainService {
    let (uow, _) = tx.into_unit_of_work();
    DomainService::new(Arc::new(uow), Arc::new(FixedClock(NOW)), Arc::new(resolver))
}

fn answering(records: Vec<&'static str>) -> MockDnsResolver {
    let mut resolver = MockDnsResolver::new();
    resolver
        .expect_txt_records()
        .withf(|name| name == "_tenantry-challenge.acme.com")
        .times(1)
        .returning(move |_| Ok(records.iter().map(|r| (*r).to_owned()).collect()));
    resolver
}

/// An admin of `org` asking about `domain`, found in the store.
fn managed(org: &Org, domain: &OrgDomain) -> (MockTransaction, Actor) {
    let mut tx = MockTransaction::default();
    let caller = actor();
    tx.given_org(org);
    tx.given_role(org, caller.user_id, builtin(BuiltinRole::Admin));
    let found = domain.clone();
    tx.domains
        .expect_find_domain()
        .returning(move |_, _| Ok(Some(found.clone())));
    (tx, caller)
}

#[test]
fn a_stranger_cannot_make_the_service_look_a_domain_up() {
    let acme = org(Plan::Free);
    let domain = pending(&acme, "acme.com");
    let mut tx = MockTransaction::default();
    tx.given_org(&acme);
    let stranger = actor();
    tx.given_member(acme.id, stranger.user_id, None);
    let begun = tx.begun();
    // No expectation: a stranger's request must not reach DNS.
    let service = service(tx, MockDnsResolver::new());
    let error = pollster::block_on(service.verify(&stranger, acme.id, domain.id)).unwrap_err();
    assert_eq!(error.code(), "org_not_found");
    assert!(!begun.get(), "no write turn for a stranger");
}

#[test]
fn a_missing_record_fails_the_verification_before_any_write() {
    let acme = org(Plan::Free);
    let domain = pending(&acme, "acme.com");
    let (tx, admin) = managed(&acme, &domain);
    let begun = tx.begun();
    let service = service(
        tx,
        answering(vec!["v=spf1 -all", "tenantry-verification=other"]),
    );
    let error = pollster::block_on(service.verify(&admin, acme.id, domain.id)).unwrap_err();
    assert!(
        matches!(error, DomainsError::VerificationFailed(_)),
        "{error:?}"
    );
    assert_eq!(error.code(), "domain_verification_failed");
    assert_eq!(error.kind(), crate::error::ErrorKind::Conflict);
    assert!(error.to_string().contains("_tenantry-challenge.acme.com"));
    assert!(!begun.get());
}

#[test]
fn the_published_challenge_verifies_the_domain_with_its_audit_event() {
    let acme = org(Plan::Free);
    let domain = pending(&acme, "acme.com");
    let (mut tx, admin) = managed(&acme, &domain);
    tx.domains.expect_find_verified().returning(|_| Ok(None));
    let id = domain.id;
    tx.domains
        .expect_mark_verified()
        .withf(move |marked, at| *marked == id && *at == NOW)
        .times(1)
        .returning(|_, _| Ok(()));
    let events = tx.record_audit();
    let committed = tx.committed();
    let service = service(tx, answering(vec![" tenantry-verification=abc "]));

    let verified = pollster::block_on(service.verify(&admin, acme.id, domain.id)).unwrap();

    assert_eq!(verified.verified_at, Some(NOW));
    assert!(committed.get());
    let events = events.lock().unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].action, AuditAction::DomainVerified);
    assert_eq!(events[0].target["domain"], "acme.com");
    assert_eq!(events[0].metadata["via"], "request");
}

#[test]
fn a_domain_another_org_verified_is_taken_even_when_the_race_is_lost_in_the_store() {
    let acme = org(Plan::Free);
    let domain = pending(&acme, "acme.com");
    let rival = org(Plan::Free);
    // Read first: another org holds it.
    let (mut held, admin) = managed(&acme, &domain);
    let theirs = OrgDomain {
        verified_at: Some(NOW),
        ..pending(&rival, "acme.com")
    };
    held.domains
        .expect_find_verified()
        .returning(move |_| Ok(Some(theirs.clone())));
    let committed = held.committed();
    let service_held = service(held, answering(vec!["tenantry-verification=abc"]));
    let error = pollster::block_on(service_held.verify(&admin, acme.id, domain.id)).unwrap_err();
    assert_eq!(error.code(), "domain_taken");
    assert!(!committed.get());

    // Or the unique index refuses the write of the second of two racing orgs.
    let (mut raced, admin) = managed(&acme, &domain);
    raced.domains.expect_find_verified().returning(|_| Ok(None));
    raced
        .domains
        .expect_mark_verified()
        .returning(|_, _| Err(StoreError::Conflict("uq_org_domains_verified".into())));
    let committed = raced.committed();
    let service_raced = service(raced, answering(vec!["tenantry-verification=abc"]));
    let error = pollster::block_on(service_raced.verify(&admin, acme.id, domain.id)).unwrap_err();
    assert!(matches!(error, DomainsError::Taken));
    assert!(!committed.get());
}

#[test]
fn an_admin_cannot_make_a_role_beyond_their_own_the_default() {
    let acme = org(Plan::Free);
    let domain = pending(&acme, "acme.com");
    let mut tx = MockTransaction::default();
    let caller = actor();
    tx.given_org(&acme);
    // An auditor lacks settings:write altogether.
    tx.given_role(&acme, caller.user_id, builtin(BuiltinRole::Auditor));
    let service = service(tx, MockDnsResolver::new());
    let changes = DomainChanges {
        auto_join: Some(true),
        default_role: None,
    };
    let error =
        pollster::block_on(service.update(&caller, acme.id, domain.id, changes)).unwrap_err();
    assert_eq!(error.code(), "forbidden");
}

fn someone(address: &str) -> User {
    User {
        id: UserId::generate(),
        email: Email::try_from(address).unwrap(),
        name: UserName::try_from("Someone").unwrap(),
        created_at: NOW,
        last_login_at: None,
        mfa_enabled: false,
    }
}

/// `user` (verified or not) asking to join `org`, which holds acme.com verified with
/// auto-join as viewers.
fn joining(org: &Org, user: &User, verified: bool) -> MockTransaction {
    let mut tx = MockTransaction::default();
    tx.given_org(org);
    tx.given_member(org.id, user.id, None);
    let found = user.clone();
    tx.users
        .expect_find_user()
        .returning(move |_| Ok(Some(found.clone())));
    tx.users
        .expect_email_verified()
        .returning(move |_| Ok(verified));
    let domain = OrgDomain {
        verified_at: Some(NOW),
        auto_join: true,
        default_role: RoleChoice::Builtin(BuiltinRole::Viewer),
        ..pending(org, "acme.com")
    };
    tx.domains
        .expect_find_verified()
        .withf(|name| name.as_str() == "acme.com")
        .returning(move |_| Ok(Some(domain.clone())));
    tx
}

#[test]
fn a_verified_address_on_an_auto_join_domain_joins_with_the_default_role() {
    let acme = org(Plan::Enterprise);
    let user = someone("someone@acme.com");
    let mut tx = joining(&acme, &user, true);
    let id = user.id;
    tx.members
        .expect_insert_member()
        .withf(move |membership| {
            membership.user_id == id
                && membership.role == AssignedRole::Builtin(BuiltinRole::Viewer)
        })
        .times(1)
        .returning(|_| Ok(()));
    let events = tx.record_audit();
    let committed = tx.committed();
    let service = service(tx, MockDnsResolver::new());
    let caller = Actor::new(user.id);

    let membership = pollster::block_on(service.join(&caller, acme.id)).unwrap();

    assert_eq!(membership.joined_at, NOW);
    assert!(committed.get());
    let events = events.lock().unwrap();
    assert_eq!(events[0].action, AuditAction::MemberJoined);
    assert_eq!(events[0].metadata["via"], "domain");
    assert_eq!(events[0].metadata["role"], "viewer");
}

#[test]
fn joining_needs_a_verified_address_on_the_org_domain_and_a_reachable_org() {
    let acme = org(Plan::Enterprise);
    // Not verified yet: told so, since this org would admit the address.
    let user = someone("someone@acme.com");
    let service_unverified = service(joining(&acme, &user, false), MockDnsResolver::new());
    let error =
        pollster::block_on(service_unverified.join(&Actor::new(user.id), acme.id)).unwrap_err();
    assert_eq!(error.code(), "email_unverified");

    // Another org: not found, whatever the address.
    let other = OrgId::generate();
    let service_other = service(joining(&acme, &user, true), MockDnsResolver::new());
    let error = pollster::block_on(service_other.join(&Actor::new(user.id), other)).unwrap_err();
    assert_eq!(error.code(), "org_not_found");

    // A token pinned to another org is a stranger here.
    let pinned = Actor::new(user.id).pinned_to(Some(other));
    let service_pinned = service(joining(&acme, &user, true), MockDnsResolver::new());
    let error = pollster::block_on(service_pinned.join(&pinned, acme.id)).unwrap_err();
    assert_eq!(error.code(), "org_not_found");

    // Nothing is offered before verification.
    let service_offer = service(joining(&acme, &user, false), MockDnsResolver::new());
    let offer = pollster::block_on(service_offer.joinable(&Actor::new(user.id))).unwrap();
    assert!(!offer.email_verified);
    assert!(offer.orgs.is_empty());
}

fn invite_only(org: &Org) -> Org {
    let key = OrgSettings::trusted_key(OrgSettings::INVITE_ONLY_VERIFIED_DOMAINS.into());
    Org {
        settings: OrgSettings::from_trusted([(key, SettingValue::Bool(true))].into()),
        ..org.clone()
    }
}

#[test]
fn invitations_stay_within_the_verified_domains_only_when_the_org_says_so() {
    let acme = org(Plan::Free);
    let rival = org(Plan::Free);
    let email = |address: &str| Email::try_from(address).unwrap();
    // Off: no domain is even read (no expectation on the mock).
    let tx = MockTransaction::default();
    assert!(
        pollster::block_on(ensure_invitable(&*tx_of(tx), &acme, &email("x@else.com"))).unwrap()
    );

    let strict = invite_only(&acme);
    let mut tx = MockTransaction::default();
    let ours = OrgDomain {
        verified_at: Some(NOW),
        ..pending(&acme, "acme.com")
    };
    let theirs = OrgDomain {
        verified_at: Some(NOW),
        ..pending(&rival, "rival.com")
    };
    tx.domains
        .expect_find_verified()
        .returning(move |name| match name.as_str() {
            "acme.com" => Ok(Some(ours.clone())),
            "rival.com" => Ok(Some(theirs.clone())),
            _ => Ok(None),
        });
    let tx = tx_of(tx);
    for (address, allowed) in [
        ("ann@acme.com", true),
        ("bob@rival.com", false),
        ("cy@sub.acme.com", false),
        ("dan@else.com", false),
    ] {
        assert_eq!(
            pollster::block_on(ensure_invitable(&*tx, &strict, &email(address))).unwrap(),
            allowed,
            "{address}"
        );
    }
}

/// The transaction a use case would get from this mock.
fn tx_of(tx: MockTransaction) -> Box<dyn crate::ports::Transaction> {
    let (uow, _) = tx.into_unit_of_work();
    pollster::block_on(crate::ports::UnitOfWork::begin(&uow)).unwrap()
}

#[test]
fn refusals_map_to_their_documented_codes() {
    for (error, code) in [
        (DomainsError::NotFound, "domain_not_found"),
        (DomainsError::AlreadyAdded, "domain_exists"),
        (DomainsError::LimitReached, "domain_limit_reached"),
        (DomainsError::Taken, "domain_taken"),
        (DomainsError::EmailUnverified, "email_unverified"),
    ] {
        assert_eq!(error.code(), code);
    }
    let invalid: DomainsError = crate::validation::ValidationError::new("domain", "bad").into();
    assert_eq!(invalid.field(), Some("domain"));
}
