//! Authorise first, then lock: a caller outside the org is refused on a read, before any write
//! transaction opens, so a stranger can neither take SQLite's write turn nor hold a
//! PostgreSQL org lock of another tenant.

use std::fmt::Debug;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use time::Duration;

use crate::Services;
use crate::audit::AuditFilter;
use crate::authz::{BuiltinRole, PermissionSet};
use crate::error::{DomainError, ErrorKind};
use crate::ids::{IntegrationId, InvitationId, OrgId, RoleId, UserId};
use crate::integration::{IntegrationChanges, MockSealer};
use crate::invitation::{Channel, EmailInvite, InvitationSecret, LinkInvite};
use crate::member::{MemberAccess, MemberService, MembersVersion, MoveMember, RoleChoice};
use crate::org::OrgName;
use crate::plan::Plan;
use crate::role::{NewRole, RoleName, RolePatch};
use crate::testing::fixtures::{self, NOW, actor};
use crate::testing::{Committed, FixedClock, MockTransaction};
use crate::user::{
    Email, MockPasswordHasher, NewApiToken, SessionToken, TokenLifetime, TokenName, User, UserName,
};

/// Services over a store where the caller belongs to no org and no invitation exists, and the
/// flag that tells whether a write transaction was opened.
fn stranger(caller: UserId) -> (Services, Committed) {
    let mut tx = MockTransaction::default();
    tx.members.expect_find_access().returning(|_, _| Ok(None));
    tx.members.expect_find_member().returning(|_, _| Ok(None));
    tx.invitations
        .expect_find_by_secret()
        .returning(|_| Ok(None));
    tx.invitations
        .expect_find_invitation()
        .returning(|_| Ok(None));
    tx.users.expect_find_user().returning(move |_| {
        Ok(Some(User {
            id: caller,
            email: Email::from_trusted("stranger@example.com".into()),
            name: UserName::from_trusted("Stranger".into()),
            created_at: NOW,
            last_login_at: None,
            mfa_enabled: false,
        }))
    });
    tx.users.expect_email_verified().returning(|_| Ok(true));
    let begun = tx.begun();
    let (uow, _) = tx.into_unit_of_work();
    let services = Services::new(
        Arc::new(uow),
        Arc::new(MockPasswordHasher::new()),
        Arc::new(FixedClock(NOW)),
        Arc::new(MockSealer::new()),
        // No expectation: a stranger's URL must not be resolved.
        Arc::new(crate::webhook::MockWebhookSender::new()),
        // No expectation either: a stranger's domain must not be looked up.
        Arc::new(crate::domains::MockDnsResolver::new()),
        crate::ServicesConfig {
            session_cache_ttl: Duration::ZERO,
            ..Default::default()
        },
    );
    (services, begun)
}

/// One use case called by the stranger: refused as "not found", with no write opened.
async fn refused<T: Debug, E: DomainError + Debug>(
    name: &str,
    begun: Committed,
    call: impl Future<Output = Result<T, E>>,
) {
    let error = call.await.expect_err(name);
    assert_eq!(error.kind(), ErrorKind::NotFound, "{name}: {error:?}");
    assert!(!begun.get(), "{name} opened a write transaction");
}

#[test]
fn every_write_refuses_a_stranger_before_it_opens_a_write_transaction() {
    let (me, org, other) = (actor(), OrgId::generate(), UserId::generate());
    let run = |name: &'static str| {
        let (services, begun) = stranger(me.user_id);
        (name, services, begun)
    };
    let me = &me;
    pollster::block_on(async {
        let (n, s, b) = run("update role");
        refused(
            n,
            b,
            s.members.update_role(me, org, other, RoleChoice::default()),
        )
        .await;
        let (n, s, b) = run("remove member");
        refused(n, b, s.members.remove(me, org, other)).await;
        let (n, s, b) = run("move member");
        let target = MoveMember {
            target_org: OrgId::generate(),
            role: RoleChoice::default(),
        };
        refused(n, b, s.members.move_member(me, org, other, target)).await;
        let (n, s, b) = run("transfer ownership");
        refused(n, b, s.members.transfer_ownership(me, org, other)).await;
        let (n, s, b) = run("leave");
        refused(n, b, s.members.leave(me, org)).await;

        let (n, s, b) = run("rename org");
        let name = OrgName::try_from("Taken over").unwrap();
        refused(n, b, s.orgs.rename(me, org, name)).await;
        let (n, s, b) = run("delete org");
        refused(n, b, s.orgs.delete(me, org)).await;

        let (n, s, b) = run("create role");
        let role = NewRole::new(
            RoleName::try_from("Scanner").unwrap(),
            None,
            PermissionSet::parse(["scans:read"]).unwrap(),
        )
        .unwrap();
        refused(n, b, s.roles.create(me, org, role)).await;
        let (n, s, b) = run("update role definition");
        let patch = RolePatch::new(Some(RoleName::try_from("Other").unwrap()), None, None).unwrap();
        refused(n, b, s.roles.update(me, org, RoleId::generate(), patch)).await;
        let (n, s, b) = run("delete role");
        refused(n, b, s.roles.delete(me, org, RoleId::generate())).await;

        let (n, s, b) = run("invite by e-mail");
        let invite = EmailInvite {
            email: Email::try_from("new@example.com").unwrap(),
            role: RoleChoice::default(),
        };
        refused(n, b, s.invitations.invite_by_email(me, org, invite)).await;
        let (n, s, b) = run("invite in bulk");
        let rows = vec![Ok(EmailInvite {
            email: Email::try_from("bulk@example.com").unwrap(),
            role: RoleChoice::default(),
        })];
        refused(n, b, s.invitations.invite_bulk(me, org, rows)).await;
        let (n, s, b) = run("create link");
        let link = LinkInvite {
            role: RoleChoice::default(),
            max_uses: None,
        };
        refused(n, b, s.invitations.create_link(me, org, link)).await;
        let (n, s, b) = run("revoke invitation");
        refused(
            n,
            b,
            s.invitations.revoke(me, org, InvitationId::generate()),
        )
        .await;
        let (n, s, b) = run("resend invitation");
        refused(
            n,
            b,
            s.invitations.resend(me, org, InvitationId::generate()),
        )
        .await;
        let secret = InvitationSecret::generate();
        let (n, s, b) = run("accept with an unknown secret");
        refused(n, b, s.invitations.accept(me, &secret, Channel::Email)).await;
        let (n, s, b) = run("join with an unknown code");
        refused(n, b, s.invitations.accept(me, &secret, Channel::Link)).await;
        let (n, s, b) = run("accept an unknown invitation by id");
        refused(
            n,
            b,
            s.invitations.accept_mine(me, InvitationId::generate()),
        )
        .await;
        let (n, s, b) = run("decline with an unknown secret");
        refused(n, b, s.invitations.decline(&secret)).await;
        let (n, s, b) = run("decline an unknown invitation by id");
        refused(
            n,
            b,
            s.invitations.decline_mine(me, InvitationId::generate()),
        )
        .await;

        let (n, s, b) = run("export audit log");
        let export = s.audit.export(me, org, AuditFilter::default());
        refused(n, b, async { export.await.map(|export| export.rows()) }).await;

        let (n, s, b) = run("update integration");
        let changes = IntegrationChanges::default();
        let id = IntegrationId::generate();
        refused(n, b, s.integrations.update(me, org, id, changes)).await;
        let (n, s, b) = run("delete integration");
        refused(n, b, s.integrations.delete(me, org, id)).await;

        let (n, s, b) = run("create webhook");
        let hook = crate::webhook::NewWebhook {
            url: crate::webhook::WebhookUrl::try_from("https://hooks.example.com/in").unwrap(),
            events: crate::webhook::EventTypes::parse(["member.joined"]).unwrap(),
        };
        refused(n, b, s.webhooks.create(me, org, hook)).await;
        let (n, s, b) = run("update webhook");
        let changes = crate::webhook::WebhookChanges {
            url: Some(crate::webhook::WebhookUrl::try_from("https://10.0.0.1/").unwrap()),
            events: None,
            active: Some(false),
        };
        let hook_id = crate::ids::WebhookId::generate();
        refused(n, b, s.webhooks.update(me, org, hook_id, changes)).await;
        let (n, s, b) = run("delete webhook");
        refused(n, b, s.webhooks.delete(me, org, hook_id)).await;
        let (n, s, b) = run("rotate a webhook's secret");
        refused(n, b, s.webhooks.rotate_secret(me, org, hook_id)).await;
        let (n, s, b) = run("send a webhook a test event");
        refused(n, b, s.webhooks.send_test(me, org, hook_id)).await;

        let (n, s, b) = run("switch the active org");
        let token = SessionToken::generate();
        refused(n, b, s.auth.set_active_org(me, &token, org)).await;
        let (n, s, b) = run("mint a token pinned to the org");
        let pinned = NewApiToken {
            name: TokenName::try_from("ci").unwrap(),
            org: Some(org),
            lifetime: TokenLifetime::days(None).unwrap(),
            service: false,
        };
        refused(n, b, s.auth.create_api_token(me, pinned)).await;
    });
}

#[test]
fn the_check_is_made_again_under_the_lock() {
    // The read says admin; by the time the lock is held the caller was removed: refused, and
    // nothing is written.
    let (me, org) = (actor(), fixtures::org(Plan::Free));
    let target = UserId::generate();
    let mut tx = MockTransaction::default();
    tx.given_org(&org);
    let admin = fixtures::membership(&org, me.user_id, fixtures::builtin(BuiltinRole::Admin));
    let reads = AtomicUsize::new(0);
    tx.members.expect_find_access().returning(move |_, _| {
        let first = reads.fetch_add(1, Ordering::SeqCst) == 0;
        Ok(first.then(|| MemberAccess {
            membership: admin.clone(),
            org_requires_mfa: false,
            has_mfa: false,
            members_version: MembersVersion(1),
            suspended: false,
            name: UserName::from_trusted("Ada".into()),
        }))
    });
    tx.members.expect_delete_member().never();
    let (begun, committed) = (tx.begun(), tx.committed());
    let (uow, _) = tx.into_unit_of_work();
    let members = MemberService::new(Arc::new(uow), Arc::new(FixedClock(NOW)));

    let error = pollster::block_on(members.remove(&me, org.id, target)).unwrap_err();

    assert_eq!(error.kind(), ErrorKind::NotFound, "{error:?}");
    assert!(begun.get(), "the first check passed, so the write began");
    assert!(!committed.get());
}
