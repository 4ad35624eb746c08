//! Invitations: lookups by id, secret and address; the store's own guards (one pending
//! invitation per address, conditional closing, counted link uses).

use tenantry_domain::authz::BuiltinRole;
use tenantry_domain::ids::{InvitationId, UserId};
use tenantry_domain::invitation::{Invitation, InvitationKind, InvitationSecret, InvitationStatus};
use tenantry_domain::member::AssignedRole;
use tenantry_domain::org::Org;
use tenantry_domain::ports::{Transaction, UnitOfWork};
use tenantry_domain::user::Email;
use tenantry_persistence::testing;
use time::{Duration, OffsetDateTime};

use super::{add_org, add_user, expect_conflict, new_role, now};

fn invitation(
    org: &Org,
    inviter: UserId,
    kind: InvitationKind,
    expires_at: OffsetDateTime,
) -> Invitation {
    Invitation {
        id: InvitationId::generate(),
        org_id: org.id,
        kind,
        role: AssignedRole::Builtin(BuiltinRole::Viewer),
        invited_by: Some(inviter),
        status: InvitationStatus::Pending,
        created_at: now(),
        expires_at,
    }
}

fn to(address: &str) -> InvitationKind {
    InvitationKind::Email(Email::try_from(address).unwrap())
}

fn link(max_uses: Option<u32>) -> InvitationKind {
    InvitationKind::Link { max_uses, uses: 0 }
}

/// Stores `invitation` under a fresh secret and returns the secret.
async fn store(tx: &dyn Transaction, invitation: &Invitation) -> InvitationSecret {
    let secret = InvitationSecret::generate();
    tx.invitations()
        .insert_invitation(invitation, &secret.hash())
        .await
        .unwrap();
    secret
}

#[tokio::test]
async fn invitations_round_trip_and_are_found_by_id_secret_and_address() {
    for db in testing::all().await {
        let tx = db.database.begin().await.unwrap();
        let owner = add_user(&*tx, "owner@example.com").await;
        let org = add_org(&*tx, &owner).await;
        let role = new_role(&org, "Ops");
        tx.roles().insert_role(&role).await.unwrap();
        let later = now() + Duration::days(7);
        let by_email = Invitation {
            role: AssignedRole::Custom(role),
            ..invitation(&org, owner.id, to("new@example.com"), later)
        };
        let by_link = invitation(&org, owner.id, link(Some(3)), later);
        let email_secret = store(&*tx, &by_email).await;
        let link_secret = store(&*tx, &by_link).await;

        let invitations = tx.invitations();
        assert_eq!(
            invitations.find_invitation(by_email.id).await.unwrap(),
            Some(by_email.clone())
        );
        assert_eq!(
            invitations
                .find_by_secret(&email_secret.hash())
                .await
                .unwrap(),
            Some(by_email.clone())
        );
        assert_eq!(
            invitations
                .find_by_secret(&link_secret.hash())
                .await
                .unwrap(),
            Some(by_link.clone())
        );
        let unknown = InvitationSecret::generate();
        assert_eq!(
            invitations.find_by_secret(&unknown.hash()).await.unwrap(),
            None
        );
        let address = Email::try_from("new@example.com").unwrap();
        assert_eq!(
            invitations
                .find_pending_for(org.id, &address)
                .await
                .unwrap(),
            Some(by_email.clone())
        );
        assert_eq!(
            invitations.list_invitations(org.id).await.unwrap(),
            vec![by_link, by_email],
            "newest first"
        );
    }
}

#[tokio::test]
async fn an_address_has_one_pending_invitation_per_org_until_the_old_one_is_closed() {
    for db in testing::all().await {
        let tx = db.database.begin().await.unwrap();
        let owner = add_user(&*tx, "owner@example.com").await;
        let org = add_org(&*tx, &owner).await;
        let other = add_org(&*tx, &owner).await;
        let week = now() + Duration::days(7);
        let first = invitation(&org, owner.id, to("new@example.com"), week);
        store(&*tx, &first).await;
        store(
            &*tx,
            &invitation(&other, owner.id, to("new@example.com"), week),
        )
        .await;
        tx.commit().await.unwrap();
        let twin = invitation(&org, owner.id, to("new@example.com"), week);
        expect_conflict(&db, async |tx| {
            tx.invitations()
                .insert_invitation(&twin, &InvitationSecret::generate().hash())
                .await
        })
        .await;

        let tx = db.database.begin().await.unwrap();
        assert!(
            tx.invitations()
                .close_invitation(first.id, InvitationStatus::Expired, now())
                .await
                .unwrap()
        );
        store(&*tx, &twin).await;
    }
}

#[tokio::test]
async fn closing_is_conditional_so_one_of_two_writers_wins() {
    for db in testing::all().await {
        let tx = db.database.begin().await.unwrap();
        let owner = add_user(&*tx, "owner@example.com").await;
        let org = add_org(&*tx, &owner).await;
        let pending = invitation(
            &org,
            owner.id,
            to("new@example.com"),
            now() + Duration::days(1),
        );
        store(&*tx, &pending).await;
        let invitations = tx.invitations();
        assert!(
            invitations
                .close_invitation(pending.id, InvitationStatus::Accepted, now())
                .await
                .unwrap()
        );
        assert!(
            !invitations
                .close_invitation(pending.id, InvitationStatus::Revoked, now())
                .await
                .unwrap()
        );
        let stored = invitations
            .find_invitation(pending.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.status, InvitationStatus::Accepted);
    }
}

#[tokio::test]
async fn a_link_counts_its_uses_and_closes_with_the_last_allowed_one() {
    for db in testing::all().await {
        let tx = db.database.begin().await.unwrap();
        let owner = add_user(&*tx, "owner@example.com").await;
        let org = add_org(&*tx, &owner).await;
        let day = now() + Duration::days(1);
        let twice = invitation(&org, owner.id, link(Some(2)), day);
        let unlimited = invitation(&org, owner.id, link(None), day);
        store(&*tx, &twice).await;
        store(&*tx, &unlimited).await;
        let invitations = tx.invitations();
        assert!(invitations.record_link_use(twice.id, now()).await.unwrap());
        let once = invitations
            .find_invitation(twice.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (once.status, once.kind),
            (
                InvitationStatus::Pending,
                InvitationKind::Link {
                    max_uses: Some(2),
                    uses: 1
                }
            )
        );
        assert!(invitations.record_link_use(twice.id, now()).await.unwrap());
        let used_up = invitations
            .find_invitation(twice.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(used_up.status, InvitationStatus::Accepted);
        assert!(!invitations.record_link_use(twice.id, now()).await.unwrap());
        for _ in 0..3 {
            assert!(
                invitations
                    .record_link_use(unlimited.id, now())
                    .await
                    .unwrap()
            );
        }
        let open = invitations
            .find_invitation(unlimited.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(open.status, InvitationStatus::Pending);
        assert_eq!(
            open.kind,
            InvitationKind::Link {
                max_uses: None,
                uses: 3
            }
        );
    }
}

#[tokio::test]
async fn only_live_pending_email_invitations_hold_seats_and_reach_their_invitee() {
    for db in testing::all().await {
        let tx = db.database.begin().await.unwrap();
        let owner = add_user(&*tx, "owner@example.com").await;
        let acme = add_org(&*tx, &owner).await;
        let globex = add_org(&*tx, &owner).await;
        let at = now();
        let live = invitation(
            &acme,
            owner.id,
            to("new@example.com"),
            at + Duration::days(1),
        );
        let elsewhere = invitation(
            &globex,
            owner.id,
            to("new@example.com"),
            at + Duration::days(2),
        );
        let expired = invitation(
            &acme,
            owner.id,
            to("late@example.com"),
            at - Duration::seconds(1),
        );
        let declined = invitation(
            &acme,
            owner.id,
            to("no@example.com"),
            at + Duration::days(1),
        );
        let a_link = invitation(&acme, owner.id, link(None), at + Duration::days(1));
        for i in [&live, &elsewhere, &expired, &declined, &a_link] {
            store(&*tx, i).await;
        }
        tx.invitations()
            .close_invitation(declined.id, InvitationStatus::Declined, at)
            .await
            .unwrap();

        assert_eq!(
            tx.invitations()
                .count_pending_emails(acme.id, at)
                .await
                .unwrap(),
            1
        );
        let mine = tx
            .invitations()
            .list_pending_to(&Email::try_from("new@example.com").unwrap(), at)
            .await
            .unwrap();
        let orgs: Vec<_> = mine.iter().map(|view| view.invitation.org_id).collect();
        assert_eq!(orgs, vec![globex.id, acme.id]);
        assert_eq!(mine[0].org_name, "Acme");
        assert_eq!(mine[0].inviter_name.as_deref(), Some("Test User"));
        let late = tx
            .invitations()
            .list_pending_to(&Email::try_from("late@example.com").unwrap(), at)
            .await
            .unwrap();
        assert!(late.is_empty());
    }
}

#[tokio::test]
async fn a_renewed_invitation_answers_only_to_its_new_secret() {
    for db in testing::all().await {
        let tx = db.database.begin().await.unwrap();
        let owner = add_user(&*tx, "owner@example.com").await;
        let org = add_org(&*tx, &owner).await;
        let pending = invitation(
            &org,
            owner.id,
            to("new@example.com"),
            now() + Duration::days(1),
        );
        let old = store(&*tx, &pending).await;
        let new = InvitationSecret::generate();
        let expires_at = now() + Duration::days(7);
        tx.invitations()
            .renew_invitation(pending.id, &new.hash(), expires_at)
            .await
            .unwrap();
        assert_eq!(
            tx.invitations().find_by_secret(&old.hash()).await.unwrap(),
            None
        );
        let renewed = tx
            .invitations()
            .find_by_secret(&new.hash())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(renewed.expires_at, expires_at);
    }
}

#[tokio::test]
async fn invitations_to_a_deleted_role_fall_back_and_leave_with_their_org() {
    for db in testing::all().await {
        let tx = db.database.begin().await.unwrap();
        let owner = add_user(&*tx, "owner@example.com").await;
        let org = add_org(&*tx, &owner).await;
        let role = new_role(&org, "Ops");
        tx.roles().insert_role(&role).await.unwrap();
        let pending = Invitation {
            role: AssignedRole::Custom(role.clone()),
            ..invitation(
                &org,
                owner.id,
                to("new@example.com"),
                now() + Duration::days(1),
            )
        };
        store(&*tx, &pending).await;
        let moved = tx
            .invitations()
            .reassign_custom_role(org.id, role.id, BuiltinRole::Member)
            .await
            .unwrap();
        assert_eq!(moved, 1);
        tx.roles().delete_role(org.id, role.id).await.unwrap();
        let stored = tx
            .invitations()
            .find_invitation(pending.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.role, AssignedRole::Builtin(BuiltinRole::Member));

        tx.orgs().delete_org(org.id).await.unwrap();
        assert_eq!(
            tx.invitations().find_invitation(pending.id).await.unwrap(),
            None
        );
    }
}
