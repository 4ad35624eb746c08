//! The outbox: claimed under a lease, retried when due, never again once sent, and claimed by
//! one of several concurrent workers (PostgreSQL's SKIP LOCKED).

use tenantry_domain::mail::{InvitationMail, Mail, MailContent};
use tenantry_domain::ports::UnitOfWork;
use tenantry_domain::user::Email;
use tenantry_persistence::testing;
use time::Duration;

use super::{add_org, add_user, now};

/// The content column of an outbox row, read outside any repository.
async fn content_of(db: &testing::TestDatabase, id: uuid::Uuid) -> String {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let connection = db.database.connection();
    let backend = connection.get_database_backend();
    let placeholder = if backend == DbBackend::Postgres {
        "$1"
    } else {
        "?"
    };
    let row = connection
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            format!("SELECT content FROM outbox WHERE id = {placeholder}"),
            [id.into()],
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "content").unwrap()
}

fn mail(to: &str) -> Mail {
    Mail {
        to: Email::try_from(to).unwrap(),
        content: MailContent::Invitation(InvitationMail {
            org_name: "Acme".into(),
            inviter_name: "Ada".into(),
            role: "viewer".into(),
            expires_at: now() + Duration::days(7),
            link: "http://127.0.0.1:8080/invitations/inv_x".into(),
        }),
    }
}

#[tokio::test]
async fn a_message_is_leased_retried_when_due_and_never_claimed_once_sent() {
    for db in testing::all().await {
        let tx = db.database.begin().await.unwrap();
        let at = now();
        let queued = mail("new@example.com");
        tx.outbox().enqueue(&queued, None, at).await.unwrap();
        assert_eq!(tx.outbox().count_pending().await.unwrap(), 1);
        assert!(tx.outbox().has_due(at).await.unwrap());

        let lease = at + Duration::minutes(2);
        let claimed = tx.outbox().claim_due(at, lease, 10).await.unwrap();
        assert_eq!(claimed.len(), 1);
        assert_eq!((claimed[0].mail.clone(), claimed[0].attempts), (queued, 0));
        let id = claimed[0].id;
        assert!(
            tx.outbox()
                .claim_due(at + Duration::minutes(1), lease, 10)
                .await
                .unwrap()
                .is_empty(),
            "leased"
        );
        assert_eq!(
            tx.outbox()
                .claim_due(lease, lease + Duration::minutes(2), 10)
                .await
                .unwrap()
                .len(),
            1,
            "lease over"
        );

        let retry_at = at + Duration::minutes(10);
        tx.outbox()
            .mark_failed(id, 1, retry_at, "connection refused")
            .await
            .unwrap();
        assert!(
            tx.outbox()
                .claim_due(retry_at - Duration::seconds(1), retry_at, 10)
                .await
                .unwrap()
                .is_empty()
        );
        let retried = tx
            .outbox()
            .claim_due(retry_at, retry_at + Duration::minutes(2), 10)
            .await
            .unwrap();
        assert_eq!(retried[0].attempts, 1);

        tx.outbox().mark_sent(&[id], retry_at).await.unwrap();
        assert_eq!(tx.outbox().count_pending().await.unwrap(), 0);
        assert!(
            !tx.outbox()
                .has_due(retry_at + Duration::days(1))
                .await
                .unwrap()
        );
        let much_later = at + Duration::days(1);
        assert!(
            tx.outbox()
                .claim_due(much_later, much_later, 10)
                .await
                .unwrap()
                .is_empty()
        );
        tx.commit().await.unwrap();
        assert_eq!(content_of(&db, id).await, "", "the link it carried is gone");
    }
}

#[tokio::test]
async fn a_batch_marked_sent_at_once_leaves_the_rest_of_the_outbox_due() {
    for db in testing::all().await {
        let tx = db.database.begin().await.unwrap();
        let at = now();
        for to in ["a@example.com", "b@example.com", "c@example.com"] {
            tx.outbox().enqueue(&mail(to), None, at).await.unwrap();
        }
        let lease = at + Duration::minutes(2);
        let claimed = tx.outbox().claim_due(at, lease, 10).await.unwrap();
        let sent: Vec<_> = claimed
            .iter()
            .filter(|message| message.mail.to.as_str() != "b@example.com")
            .map(|message| message.id)
            .collect();
        assert_eq!(sent.len(), 2);

        tx.outbox().mark_sent(&sent, at).await.unwrap();
        tx.outbox().mark_sent(&[], at).await.unwrap();

        assert_eq!(tx.outbox().count_pending().await.unwrap(), 1);
        let again = tx.outbox().claim_due(lease, lease, 10).await.unwrap();
        let left: Vec<_> = again
            .iter()
            .map(|message| message.mail.to.as_str())
            .collect();
        assert_eq!(left, ["b@example.com"], "{}", db.url);
        tx.commit().await.unwrap();
        for id in sent {
            assert_eq!(content_of(&db, id).await, "", "the link it carried is gone");
        }
    }
}

#[tokio::test]
async fn concurrent_workers_on_postgres_claim_disjoint_messages_without_waiting() {
    let Some(db) = testing::postgres().await else {
        return;
    };
    let at = now();
    let setup = db.database.begin().await.unwrap();
    for n in 0..4 {
        setup
            .outbox()
            .enqueue(&mail(&format!("{n}@example.com")), None, at)
            .await
            .unwrap();
    }
    setup.commit().await.unwrap();

    // The first worker holds its claim uncommitted; the second must skip those rows, not wait.
    let first = db.database.begin().await.unwrap();
    let second = db.database.begin().await.unwrap();
    let lease = at + Duration::minutes(2);
    let mine = first.outbox().claim_due(at, lease, 2).await.unwrap();
    let theirs = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        second.outbox().claim_due(at, lease, 4),
    )
    .await
    .expect("the second worker is not blocked by the first")
    .unwrap();
    assert_eq!((mine.len(), theirs.len()), (2, 2));
    assert!(mine.iter().all(|m| theirs.iter().all(|t| t.id != m.id)));
}

#[tokio::test]
async fn mail_about_an_invitation_goes_with_it() {
    use tenantry_domain::authz::BuiltinRole;
    use tenantry_domain::ids::InvitationId;
    use tenantry_domain::invitation::{
        Invitation, InvitationKind, InvitationSecret, InvitationStatus,
    };
    use tenantry_domain::member::AssignedRole;

    for db in testing::all().await {
        let tx = db.database.begin().await.unwrap();
        let owner = add_user(&*tx, "owner@example.com").await;
        let org = add_org(&*tx, &owner).await;
        let mut invitations = Vec::new();
        for address in ["a@example.com", "b@example.com"] {
            let invitation = Invitation {
                id: InvitationId::generate(),
                org_id: org.id,
                kind: InvitationKind::Email(Email::try_from(address).unwrap()),
                role: AssignedRole::Builtin(BuiltinRole::Member),
                invited_by: Some(owner.id),
                status: InvitationStatus::Pending,
                created_at: now(),
                expires_at: now() + Duration::days(7),
            };
            let secret = InvitationSecret::generate().hash();
            tx.invitations()
                .insert_invitation(&invitation, &secret)
                .await
                .unwrap();
            tx.outbox()
                .enqueue(&mail(address), Some(invitation.id), now())
                .await
                .unwrap();
            invitations.push(invitation);
        }
        tx.outbox()
            .enqueue(&mail("other@example.com"), None, now())
            .await
            .unwrap();

        assert_eq!(
            tx.outbox().discard_unsent(invitations[0].id).await.unwrap(),
            1
        );
        assert_eq!(tx.outbox().count_pending().await.unwrap(), 2);
        // Deleting the org takes its invitations and their queued mail along.
        tx.orgs().delete_org(org.id).await.unwrap();
        assert_eq!(tx.outbox().count_pending().await.unwrap(), 1);
    }
}
