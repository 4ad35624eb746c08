//! Webhook queues on both databases: an appended event is queued for exactly the webhooks of
//! its org that subscribe to it, in the transaction of the change; a claim leases a webhook
//! whole with its events in order; a recorded round drops what was delivered; a paused webhook
//! keeps its queue unclaimed, and a rotated secret's predecessor signs until its time is up.

use tenantry_domain::audit::{AuditAction, AuditEvent};
use tenantry_domain::ids::WebhookId;
use tenantry_domain::integration::SealedCredentials;
use tenantry_domain::ports::{Transaction, UnitOfWork};
use tenantry_domain::webhook::{EventTypes, RoundOutcome, Webhook, WebhookUrl};
use tenantry_persistence::testing;
use time::Duration;

use super::{add_org, add_user, now};

async fn add_webhook(
    tx: &dyn Transaction,
    org: &tenantry_domain::org::Org,
    events: &[&str],
) -> Webhook {
    let webhook = Webhook {
        id: WebhookId::generate(),
        org_id: org.id,
        url: WebhookUrl::try_from("https://hooks.example.com/in").unwrap(),
        events: EventTypes::parse(events.iter().copied()).unwrap(),
        active: true,
        previous_secret_expires_at: None,
        created_at: now(),
    };
    tx.webhooks()
        .insert_webhook(&webhook, &SealedCredentials("sealed".into()))
        .await
        .unwrap();
    webhook
}

/// A webhook of `org` that is paused.
async fn add_paused_webhook(
    tx: &dyn Transaction,
    org: &tenantry_domain::org::Org,
    events: &[&str],
) -> Webhook {
    let mut webhook = add_webhook(tx, org, events).await;
    webhook.active = false;
    tx.webhooks().update_webhook(&webhook).await.unwrap();
    webhook
}

/// Records that the webhook's head event failed `failures` times, the next try due at `due`.
async fn failed(tx: &dyn Transaction, webhook: &Webhook, failures: u32, due: time::OffsetDateTime) {
    let round = RoundOutcome {
        webhook: webhook.id,
        attempts: Vec::new(),
        delivered_through: None,
        failures,
        retry_at: due,
    };
    tx.webhooks().record_round(&round).await.unwrap();
}

async fn append(
    tx: &dyn Transaction,
    org: &tenantry_domain::org::Org,
    action: AuditAction,
) -> AuditEvent {
    let event = AuditEvent::new(org.id, None, action, now()).target("n", "x");
    tx.audit().append(&event).await.unwrap();
    event
}

#[tokio::test]
async fn events_are_queued_for_subscribers_in_order_and_dropped_once_delivered() {
    for db in testing::all().await {
        let tx = db.database.begin().await.unwrap();
        let owner = add_user(&*tx, "o@example.com").await;
        let org = add_org(&*tx, &owner).await;
        let other_owner = add_user(&*tx, "p@example.com").await;
        let other = add_org(&*tx, &other_owner).await;
        let joined = add_webhook(&*tx, &org, &["member.joined", "member.left"]).await;
        let renamed = add_webhook(&*tx, &org, &["org.updated"]).await;
        add_webhook(&*tx, &other, &["member.joined"]).await;
        let first = append(&*tx, &org, AuditAction::MemberJoined).await;
        append(&*tx, &org, AuditAction::RoleCreated).await;
        let second = append(&*tx, &org, AuditAction::MemberLeft).await;
        tx.commit().await.unwrap();
        // A change that rolls back queues nothing.
        let tx = db.database.begin().await.unwrap();
        append(&*tx, &org, AuditAction::MemberJoined).await;
        drop(tx);

        let at = now();
        assert!(
            db.database
                .read()
                .await
                .unwrap()
                .webhooks()
                .has_due(at)
                .await
                .unwrap()
        );
        let tx = db.database.begin().await.unwrap();
        // On PostgreSQL the dropped transaction's rollback is sent when its connection goes
        // back to the pool, in a task of its own; until then its queue row holds a lock on the
        // webhook, which the claim skips. Its lock on the org (the chain head) is waited for.
        tx.orgs().lock_org(org.id).await.unwrap();
        let claimed = tx
            .webhooks()
            .claim_due(at, at + Duration::minutes(5), 10, 10)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(
            claimed.len(),
            1,
            "only the webhook with queued events: {claimed:?}"
        );
        let claim = &claimed[0];
        assert_eq!(claim.id, joined.id);
        let ids: Vec<_> = claim.queue.iter().map(|q| q.entry.event.id).collect();
        assert_eq!(
            ids,
            [first.id, second.id],
            "in the org's order, unsubscribed skipped"
        );
        assert!(claim.queue[0].seq < claim.queue[1].seq);
        assert_eq!(claim.secret.0, "sealed");

        // Leased: a second worker finds nothing due.
        let tx = db.database.begin().await.unwrap();
        let again = tx
            .webhooks()
            .claim_due(at, at + Duration::minutes(5), 10, 10)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert!(again.is_empty(), "{again:?}");

        // The first delivered, the second failed: only the second is left, due later.
        let tx = db.database.begin().await.unwrap();
        let retry_at = at + Duration::seconds(2);
        tx.webhooks()
            .record_round(&RoundOutcome {
                webhook: joined.id,
                attempts: Vec::new(),
                delivered_through: Some(claim.queue[0].seq),
                failures: 1,
                retry_at,
            })
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let read = db.database.read().await.unwrap();
        assert!(
            !read
                .webhooks()
                .has_due(at + Duration::seconds(1))
                .await
                .unwrap()
        );
        drop(read);
        let later = retry_at + Duration::seconds(1);
        let tx = db.database.begin().await.unwrap();
        let claimed = tx
            .webhooks()
            .claim_due(later, later + Duration::minutes(5), 10, 10)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(claimed.len(), 1);
        assert_eq!(claimed[0].failures, 1);
        let ids: Vec<_> = claimed[0].queue.iter().map(|q| q.entry.event.id).collect();
        assert_eq!(ids, [second.id]);
        assert_ne!(claimed[0].id, renamed.id);
    }
}

#[tokio::test]
async fn deleting_a_webhook_drops_its_queue_and_attempts_of_a_deleted_one_are_not_kept() {
    for db in testing::all().await {
        let tx = db.database.begin().await.unwrap();
        let owner = add_user(&*tx, "o@example.com").await;
        let org = add_org(&*tx, &owner).await;
        let hook = add_webhook(&*tx, &org, &["member.joined"]).await;
        let event = append(&*tx, &org, AuditAction::MemberJoined).await;
        tx.webhooks().delete_webhook(org.id, hook.id).await.unwrap();
        let attempt = tenantry_domain::webhook::DeliveryAttempt {
            event_id: event.id,
            action: event.action,
            attempt: 1,
            status: Some(204),
            error: None,
            at: now(),
            duration_ms: 3,
        };
        tx.webhooks()
            .record_round(&RoundOutcome {
                webhook: hook.id,
                attempts: vec![attempt],
                delivered_through: Some(1),
                failures: 0,
                retry_at: now(),
            })
            .await
            .unwrap();
        assert_eq!(tx.webhooks().count_attempts(hook.id).await.unwrap(), 0);
        assert!(!tx.webhooks().has_due(now()).await.unwrap());
        assert!(
            tx.webhooks()
                .find_webhook(org.id, hook.id)
                .await
                .unwrap()
                .is_none()
        );
    }
}

#[tokio::test]
async fn concurrent_workers_on_postgres_take_disjoint_webhooks_without_waiting() {
    let Some(db) = testing::postgres().await else {
        return;
    };
    let tx = db.database.begin().await.unwrap();
    let owner = add_user(&*tx, "o@example.com").await;
    let org = add_org(&*tx, &owner).await;
    for _ in 0..4 {
        add_webhook(&*tx, &org, &["member.joined"]).await;
    }
    append(&*tx, &org, AuditAction::MemberJoined).await;
    tx.commit().await.unwrap();

    // The first worker holds its claim uncommitted; the second must skip those webhooks (each
    // taken whole, so its events stay in order), not wait for them.
    let at = now();
    let lease = at + Duration::minutes(5);
    let first = db.database.begin().await.unwrap();
    let second = db.database.begin().await.unwrap();
    let mine = first.webhooks().claim_due(at, lease, 2, 10).await.unwrap();
    let theirs = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        second.webhooks().claim_due(at, lease, 4, 10),
    )
    .await
    .expect("the second worker is not blocked by the first")
    .unwrap();
    assert_eq!((mine.len(), theirs.len()), (2, 2));
    assert!(mine.iter().all(|m| theirs.iter().all(|t| t.id != m.id)));
}

#[tokio::test]
async fn an_event_that_retention_deleted_is_skipped_and_leaves_no_queue_behind() {
    for db in testing::all().await {
        let tx = db.database.begin().await.unwrap();
        let owner = add_user(&*tx, "o@example.com").await;
        let org = add_org(&*tx, &owner).await;
        add_webhook(&*tx, &org, &["member.joined"]).await;
        append(&*tx, &org, AuditAction::MemberJoined).await;
        tx.commit().await.unwrap();
        // Retention deletes old events oldest first, whatever a webhook still waits for.
        let tx = db.database.begin().await.unwrap();
        let pruned = tx
            .audit()
            .prune_before(org.id, now() + Duration::days(1), 100)
            .await
            .unwrap();
        assert_eq!(pruned, 1);
        tx.commit().await.unwrap();

        let at = now();
        assert!(
            db.database
                .read()
                .await
                .unwrap()
                .webhooks()
                .has_due(at)
                .await
                .unwrap()
        );
        let tx = db.database.begin().await.unwrap();
        let claimed = tx
            .webhooks()
            .claim_due(at, at + Duration::minutes(5), 10, 10)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert!(claimed.is_empty(), "nothing left to send: {claimed:?}");
        assert!(
            !db.database
                .read()
                .await
                .unwrap()
                .webhooks()
                .has_due(at)
                .await
                .unwrap(),
            "and nothing keeps the workers busy"
        );
    }
}

#[tokio::test]
async fn a_paused_webhook_keeps_its_queue_unclaimed_until_it_is_resumed() {
    for db in testing::all().await {
        let tx = db.database.begin().await.unwrap();
        let owner = add_user(&*tx, "o@example.com").await;
        let org = add_org(&*tx, &owner).await;
        let mut webhook = add_paused_webhook(&*tx, &org, &["member.joined"]).await;
        let event = append(&*tx, &org, AuditAction::MemberJoined).await;
        tx.commit().await.unwrap();

        let at = now();
        let read = db.database.read().await.unwrap();
        assert!(!read.webhooks().has_due(at).await.unwrap(), "{}", db.url);
        let found = read.webhooks().find_webhook(org.id, webhook.id).await;
        assert_eq!(found.unwrap(), Some(webhook.clone()));
        drop(read);
        let tx = db.database.begin().await.unwrap();
        let claimed = tx
            .webhooks()
            .claim_due(at, at + Duration::minutes(5), 10, 10)
            .await
            .unwrap();
        assert!(claimed.is_empty(), "{}", db.url);
        webhook.active = true;
        tx.webhooks().update_webhook(&webhook).await.unwrap();
        tx.commit().await.unwrap();

        let tx = db.database.begin().await.unwrap();
        let claimed = tx
            .webhooks()
            .claim_due(at, at + Duration::minutes(5), 10, 10)
            .await
            .unwrap();
        assert_eq!(claimed.len(), 1, "{}", db.url);
        let queued: Vec<_> = claimed[0].queue.iter().map(|q| q.entry.event.id).collect();
        assert_eq!(queued, [event.id], "the event waited while it was paused");
    }
}

#[tokio::test]
async fn a_rotated_secrets_predecessor_is_claimed_with_it_until_its_time_is_up() {
    for db in testing::all().await {
        let tx = db.database.begin().await.unwrap();
        let owner = add_user(&*tx, "o@example.com").await;
        let org = add_org(&*tx, &owner).await;
        let webhook = add_webhook(&*tx, &org, &["member.joined"]).await;
        let until = now() + Duration::hours(24);
        let new = SealedCredentials("sealed new".into());
        tx.webhooks()
            .rotate_secret(org.id, webhook.id, &new, until)
            .await
            .unwrap();
        append(&*tx, &org, AuditAction::MemberJoined).await;
        let shown = tx.webhooks().find_webhook(org.id, webhook.id).await;
        let shown = shown.unwrap().unwrap().previous_secret_expires_at.unwrap();
        assert!(
            (shown - until).abs() < Duration::milliseconds(1),
            "{}",
            db.url
        );
        tx.commit().await.unwrap();

        let claim_at = |at: time::OffsetDateTime| {
            let database = db.database.clone();
            async move {
                let tx = database.begin().await.unwrap();
                let claimed = tx
                    .webhooks()
                    .claim_due(at, at, 10, 10)
                    .await
                    .unwrap()
                    .pop()
                    .unwrap();
                // The lease ends at `at`, so a later claim finds it again.
                tx.commit().await.unwrap();
                (claimed.secret, claimed.previous_secret)
            }
        };
        let (secret, previous) = claim_at(until - Duration::seconds(1)).await;
        assert_eq!(secret, new, "{}", db.url);
        assert_eq!(previous, Some(SealedCredentials("sealed".into())));
        let (secret, previous) = claim_at(until + Duration::seconds(1)).await;
        assert_eq!((secret, previous), (new.clone(), None), "{}", db.url);

        // Rotating again drops the first secret: only the one it replaces still signs.
        let tx = db.database.begin().await.unwrap();
        let newer = SealedCredentials("sealed newer".into());
        let later = until + Duration::hours(1);
        tx.webhooks()
            .rotate_secret(org.id, webhook.id, &newer, later)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let (secret, previous) = claim_at(later - Duration::seconds(1)).await;
        assert_eq!((secret, previous), (newer, Some(new)), "{}", db.url);
    }
}

#[tokio::test]
async fn the_stats_count_queued_failing_and_paused_webhooks_and_age_only_active_queues() {
    for db in testing::all().await {
        let tx = db.database.begin().await.unwrap();
        let owner = add_user(&*tx, "o@example.com").await;
        let org = add_org(&*tx, &owner).await;
        add_paused_webhook(&*tx, &org, &["org.updated"]).await;
        let failing = add_webhook(&*tx, &org, &["member.joined"]).await;
        let hour_ago = AuditEvent::new(
            org.id,
            None,
            AuditAction::OrgUpdated,
            now() - Duration::hours(1),
        );
        tx.audit().append(&hour_ago).await.unwrap();
        let at = now();
        tx.audit()
            .append(&AuditEvent::new(
                org.id,
                None,
                AuditAction::MemberJoined,
                at,
            ))
            .await
            .unwrap();
        failed(&*tx, &failing, 1, at).await;
        tx.commit().await.unwrap();

        let stats = db.database.stats(at + Duration::seconds(60)).await.unwrap();
        assert_eq!(
            (
                stats.webhook_queued,
                stats.webhooks_failing,
                stats.webhooks_paused
            ),
            (2, 1, 1),
            "{}",
            db.url
        );
        // The paused webhook's event is an hour old; the active one's a minute.
        let age = stats.webhook_oldest_age_seconds;
        assert!((age - 60.0).abs() < 1.0, "{age} on {}", db.url);
    }
}

#[tokio::test]
async fn pruning_delivery_attempts_takes_only_the_orgs_older_ones_in_batches() {
    for db in testing::all().await {
        let tx = db.database.begin().await.unwrap();
        let owner = add_user(&*tx, "o@example.com").await;
        let org = add_org(&*tx, &owner).await;
        let other = add_org(&*tx, &owner).await;
        let cutoff = now() - Duration::days(30);
        let mut hooks = Vec::new();
        for in_org in [&org, &other] {
            let webhook = add_webhook(&*tx, in_org, &["member.joined"]).await;
            let tried = |days_ago: i64| tenantry_domain::webhook::DeliveryAttempt {
                event_id: tenantry_domain::ids::AuditEventId::generate(),
                action: AuditAction::MemberJoined,
                attempt: 1,
                status: Some(500),
                error: Some("the receiver answered 500".into()),
                at: now() - Duration::days(days_ago),
                duration_ms: 3,
            };
            let round = RoundOutcome {
                webhook: webhook.id,
                attempts: vec![tried(40), tried(35), tried(31), tried(1)],
                delivered_through: None,
                failures: 4,
                retry_at: now(),
            };
            tx.webhooks().record_round(&round).await.unwrap();
            hooks.push(webhook.id);
        }
        let prune = tx.webhooks().prune_attempts_before(org.id, cutoff, 2);
        assert_eq!(prune.await.unwrap(), 2, "a batch at most: {}", db.url);
        let prune = tx.webhooks().prune_attempts_before(org.id, cutoff, 2);
        assert_eq!(prune.await.unwrap(), 1, "{}", db.url);
        tx.commit().await.unwrap();

        let read = db.database.read().await.unwrap();
        let left = |id| read.webhooks().count_attempts(id);
        assert_eq!(left(hooks[0]).await.unwrap(), 1, "the young one stays");
        assert_eq!(left(hooks[1]).await.unwrap(), 4, "another org's stay");
    }
}

#[tokio::test]
async fn a_test_event_is_queued_once_for_its_webhook_and_makes_it_due_now() {
    for db in testing::all().await {
        let tx = db.database.begin().await.unwrap();
        let owner = add_user(&*tx, "o@example.com").await;
        let org = add_org(&*tx, &owner).await;
        let deaf = add_webhook(&*tx, &org, &["member.joined"]).await;
        let listening = add_webhook(&*tx, &org, &["webhook.tested"]).await;
        // Both in backoff, an hour to go.
        for webhook in [&deaf, &listening] {
            failed(&*tx, webhook, 3, now() + Duration::hours(1)).await;
        }
        let test = append(&*tx, &org, AuditAction::WebhookTested).await;
        for webhook in [&deaf, &listening] {
            tx.webhooks().queue_test(webhook.id, test.id).await.unwrap();
        }
        tx.commit().await.unwrap();

        let at = now();
        let tx = db.database.begin().await.unwrap();
        let mut claimed = tx
            .webhooks()
            .claim_due(at, at + Duration::minutes(5), 10, 10)
            .await
            .unwrap();
        claimed.sort_by_key(|c| c.id == listening.id);
        let ids: Vec<_> = claimed.iter().map(|c| c.id).collect();
        assert_eq!(ids, [deaf.id, listening.id], "both due now: {}", db.url);
        for webhook in &claimed {
            let queued: Vec<_> = webhook.queue.iter().map(|q| q.entry.event.id).collect();
            assert_eq!(queued, [test.id], "once each: {}", db.url);
        }
    }
}
