//! Reading the audit log: filters that combine, newest first, pages, and keyset batches that
//! cover every event once even when several share a microsecond.

use tenantry_domain::audit::{AuditAction, AuditCursor, AuditEvent, AuditFilter, chain_hash, csv};
use tenantry_domain::authz::Actor;
use tenantry_domain::ids::OrgId;
use tenantry_domain::ports::UnitOfWork;
use tenantry_persistence::testing;
use time::Duration;

use super::{add_org, add_user, now};

#[tokio::test]
async fn filters_combine_and_the_newest_come_first() {
    for db in testing::all().await {
        let tx = db.database.begin().await.unwrap();
        let ada = add_user(&*tx, "ada@example.com").await;
        let bob = add_user(&*tx, "bob@example.com").await;
        let org = add_org(&*tx, &ada).await;
        let other = add_org(&*tx, &ada).await;
        let start = now() - Duration::hours(10);
        let mut written = Vec::new();
        for (hour, actor, action) in [
            (0, Some(&ada), AuditAction::MemberInvited),
            (1, Some(&bob), AuditAction::MemberInvited),
            (2, Some(&ada), AuditAction::RoleCreated),
            (3, None, AuditAction::OrgPlanChanged),
            (4, Some(&bob), AuditAction::RoleCreated),
        ] {
            let who = actor.map(|user| Actor::new(user.id));
            let event =
                AuditEvent::new(org.id, who.as_ref(), action, start + Duration::hours(hour))
                    .target("email", "x@example.com");
            tx.audit().append(&event).await.unwrap();
            written.push(event);
        }
        let elsewhere = AuditEvent::new(other.id, None, AuditAction::MemberInvited, start);
        tx.audit().append(&elsewhere).await.unwrap();

        let all = tx
            .audit()
            .list_events(org.id, &AuditFilter::default(), 0, 100)
            .await
            .unwrap();
        assert_eq!(all.total, 5);
        let all = all.entries;
        let ids: Vec<_> = all.iter().map(|entry| entry.event.id).collect();
        let newest_first: Vec<_> = written.iter().rev().map(|event| event.id).collect();
        assert_eq!(ids, newest_first);
        assert_eq!(all[0].actor_name.as_deref(), Some("Test User"));
        assert_eq!(all[1].actor_name, None, "an operator has no name");
        assert_eq!(all[4].event, written[0]);

        let by_bob_inviting = AuditFilter {
            action: Some(AuditAction::MemberInvited),
            actor: Some(bob.id),
            ..AuditFilter::default()
        };
        let found = tx
            .audit()
            .list_events(org.id, &by_bob_inviting, 0, 100)
            .await
            .unwrap()
            .entries;
        assert_eq!(
            found.iter().map(|e| e.event.id).collect::<Vec<_>>(),
            vec![written[1].id]
        );
        let window = AuditFilter {
            from: Some(start + Duration::hours(1)),
            until: Some(start + Duration::hours(3)),
            ..AuditFilter::default()
        };
        assert_eq!(tx.audit().count_events(org.id, &window).await.unwrap(), 2);
        let second_page = tx
            .audit()
            .list_events(org.id, &AuditFilter::default(), 2, 2)
            .await
            .unwrap();
        assert_eq!(second_page.total, 5, "every page carries the whole total");
        assert_eq!(
            second_page
                .entries
                .iter()
                .map(|e| e.event.id)
                .collect::<Vec<_>>(),
            vec![written[2].id, written[1].id]
        );
        assert_eq!(
            tx.audit()
                .count_events(org.id, &AuditFilter::default())
                .await
                .unwrap(),
            5
        );
        let past_the_end = tx
            .audit()
            .list_events(org.id, &AuditFilter::default(), 10, 2)
            .await
            .unwrap();
        assert_eq!((past_the_end.total, past_the_end.entries.len()), (5, 0));
    }
}

/// Totals come from all-time totals, or from hourly counts plus the rows of partial hours:
/// compare them with the rows themselves for filters on and off the hour, before and after
/// retention prunes.
#[tokio::test]
async fn totals_match_the_rows_for_any_time_window_and_after_pruning() {
    for db in testing::all().await {
        let tx = db.database.begin().await.unwrap();
        let ada = add_user(&*tx, "ada@example.com").await;
        let bob = add_user(&*tx, "bob@example.com").await;
        let org = add_org(&*tx, &ada).await;
        let hour = Duration::hours(1);
        let start = now()
            .replace_minute(0)
            .unwrap()
            .replace_second(0)
            .unwrap()
            .replace_nanosecond(0)
            .unwrap()
            - Duration::hours(10);
        let offsets = [
            Duration::ZERO,
            Duration::minutes(10),
            hour - Duration::microseconds(1),
            hour,
            hour + Duration::minutes(1),
            hour * 2 + Duration::minutes(30),
            hour * 5,
            hour * 5 + Duration::microseconds(1),
            hour * 7 + Duration::minutes(59),
        ];
        for (n, offset) in offsets.iter().enumerate() {
            let who = [Some(&ada), Some(&bob), None][n % 3].map(|user| Actor::new(user.id));
            let action = [AuditAction::MemberInvited, AuditAction::RoleCreated][n % 2];
            let event = AuditEvent::new(org.id, who.as_ref(), action, start + *offset);
            tx.audit().append(&event).await.unwrap();
        }
        let bounds: Vec<Option<time::OffsetDateTime>> = std::iter::once(None)
            .chain(
                [
                    Duration::ZERO,
                    Duration::minutes(5),
                    hour - Duration::microseconds(1),
                    hour,
                    hour + Duration::minutes(1),
                    hour * 3,
                    hour * 5 + Duration::microseconds(1),
                    hour * 9,
                ]
                .map(|offset| Some(start + offset)),
            )
            .collect();
        let check = |label: &'static str| {
            let tx = &tx;
            let bounds = &bounds;
            async move {
                for &from in bounds {
                    for &until in bounds {
                        for action in [None, Some(AuditAction::RoleCreated)] {
                            for actor in [None, Some(bob.id)] {
                                let filter = AuditFilter {
                                    action,
                                    actor,
                                    from,
                                    until,
                                };
                                let page = tx
                                    .audit()
                                    .list_events(org.id, &filter, 0, 100)
                                    .await
                                    .unwrap();
                                let rows = page.entries.len() as u64;
                                let total = tx.audit().count_events(org.id, &filter).await.unwrap();
                                assert_eq!(total, rows, "{label}: {filter:?}");
                                assert_eq!(page.total, rows, "{label}, listed: {filter:?}");
                            }
                        }
                    }
                }
            }
        };
        check("as written").await;
        let pruned = tx
            .audit()
            .prune_before(org.id, start + hour + Duration::seconds(30), 100)
            .await
            .unwrap();
        assert_eq!(pruned, 4);
        check("after pruning").await;
    }
}

#[tokio::test]
async fn export_batches_cover_every_event_once_even_within_one_microsecond() {
    for db in testing::all().await {
        let tx = db.database.begin().await.unwrap();
        let ada = add_user(&*tx, "ada@example.com").await;
        let org = add_org(&*tx, &ada).await;
        let at = now();
        let mut expected = Vec::new();
        for n in 0..7 {
            // Three events share each instant; every other one has an actor, an address and
            // text that needs escaping.
            let who = (n % 2 == 0).then(|| Actor::new(ada.id));
            let mut event = AuditEvent::new(
                org.id,
                who.as_ref(),
                AuditAction::RoleCreated,
                at + Duration::seconds(n / 3),
            )
            .target("name", format!("Role \"{n}\",\n\u{e9}"))
            .meta("permissions", "scans:read");
            if n % 2 == 0 {
                event.ip = Some("2001:db8::1".parse().unwrap());
            }
            tx.audit().append(&event).await.unwrap();
            expected.push(event.id);
        }
        let listed = tx
            .audit()
            .list_events(org.id, &AuditFilter::default(), 0, 100)
            .await
            .unwrap()
            .entries;
        // Inside a transaction the batch is read through it (and sees its uncommitted events).
        let within = tx
            .audit()
            .export_before(org.id, &AuditFilter::default(), None, 100)
            .await
            .unwrap();
        assert_eq!((within.rows, &within.csv), (7, &csv::rows(&listed)));
        tx.commit().await.unwrap();
        // Batches are read on the pool, each its own snapshot (on a SQLite file, on a
        // connection of their own).
        let mut read = Vec::new();
        let mut rows = 0;
        let mut before: Option<AuditCursor> = None;
        loop {
            let pool = db.database.read_one().await.unwrap();
            let batch = pool
                .audit()
                .export_before(org.id, &AuditFilter::default(), before, 2)
                .await
                .unwrap();
            if batch.rows == 0 {
                assert!(batch.csv.is_empty() && batch.last.is_none());
                break;
            }
            before = batch.last;
            rows += batch.rows;
            read.extend(batch.csv);
        }
        assert_eq!(
            String::from_utf8(read.clone()).unwrap(),
            String::from_utf8(csv::rows(&listed)).unwrap(),
            "batches write what a page's entries make, in its order"
        );
        assert_eq!(rows, 7);
        let mut seen: Vec<_> = csv_ids(&read);
        seen.sort();
        let mut sorted = seen.clone();
        sorted.dedup();
        assert_eq!(sorted.len(), 7, "no repeats: {seen:?}");
        let mut expected: Vec<_> = expected.iter().map(ToString::to_string).collect();
        expected.sort();
        assert_eq!(sorted, expected);
    }
}

#[tokio::test]
async fn concurrent_writers_in_one_org_extend_one_chain_on_postgres() {
    let Some(db) = testing::postgres().await else {
        return;
    };
    let setup = db.database.begin().await.unwrap();
    let ada = add_user(&*setup, "ada@example.com").await;
    let org = add_org(&*setup, &ada).await;
    setup.commit().await.unwrap();

    // Each writer holds its transaction open a moment after appending, so without the lock on
    // the chain head they would all take the same place.
    let writers = (0..8).map(|n| {
        let database = db.database.clone();
        tokio::spawn(async move {
            let tx = database.begin().await.unwrap();
            // Half take the org's lock first, as use cases do, and append on the head read
            // with it.
            if n % 2 == 0 {
                tx.orgs().lock_org(org.id).await?;
            }
            let event =
                AuditEvent::new(org.id, None, AuditAction::RoleCreated, now()).meta("writer", n);
            tx.audit().append(&event).await?;
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            tx.commit().await
        })
    });
    for writer in futures::future::join_all(writers).await {
        writer.unwrap().unwrap();
    }

    let tx = db.database.read().await.unwrap();
    assert_one_chain(&*tx, org.id, 8).await;
}

/// `org`'s chain holds `events` events, each linked to the one before, and its head is the
/// last of them.
async fn assert_one_chain(tx: &dyn tenantry_domain::ports::Transaction, org: OrgId, events: u64) {
    let links = tx.audit().chain_links(org, 0, 100).await.unwrap();
    let state = tx.audit().chain_state(org).await.unwrap();
    assert_eq!(links.len() as u64, events);
    let mut prev = String::new();
    for (n, (link, event)) in links.iter().enumerate() {
        assert_eq!(link.seq, n as u64 + 1);
        assert_eq!(
            link.prev_hash, prev,
            "event {} follows the one before",
            link.seq
        );
        assert_eq!(link.hash, chain_hash(event, link.seq, &prev));
        prev.clone_from(&link.hash);
    }
    assert_eq!((state.head_seq, state.head_hash), (events, Some(prev)));
}

/// A write transaction carries the head it read with the org's lock into its appends; two
/// orgs locked in turn, and appends after appends, must still each extend their own chain.
#[tokio::test]
async fn appends_after_locking_orgs_in_turn_extend_each_chain() {
    for db in testing::all().await {
        let setup = db.database.begin().await.unwrap();
        let ada = add_user(&*setup, "ada@example.com").await;
        let first = add_org(&*setup, &ada).await;
        let second = add_org(&*setup, &ada).await;
        setup.commit().await.unwrap();
        let append = |org| AuditEvent::new(org, None, AuditAction::RoleCreated, now());

        for _ in 0..2 {
            let tx = db.database.begin().await.unwrap();
            tx.orgs().lock_org(first.id).await.unwrap().unwrap();
            tx.audit().append(&append(first.id)).await.unwrap();
            tx.orgs().lock_org(second.id).await.unwrap().unwrap();
            tx.audit().append(&append(second.id)).await.unwrap();
            tx.audit().append(&append(first.id)).await.unwrap();
            tx.audit().append(&append(second.id)).await.unwrap();
            tx.audit().append(&append(second.id)).await.unwrap();
            tx.commit().await.unwrap();
        }

        let tx = db.database.read().await.unwrap();
        assert_one_chain(&*tx, first.id, 4).await;
        assert_one_chain(&*tx, second.id, 6).await;
    }
}

#[tokio::test]
async fn events_written_before_the_chain_existed_are_chained_at_the_first_start() {
    use sea_orm::{ConnectionTrait, Statement};
    use tenantry_migrations::{Migrator, MigratorTrait};

    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("old.db").display());
    let database = tenantry_persistence::Database::connect(&url).await.unwrap();
    // The schema as the previous release left it: everything before the chain.
    let before_chain = u32::try_from(Migrator::migrations().len() - 1).unwrap();
    Migrator::up(database.connection(), Some(before_chain))
        .await
        .unwrap();
    let org = uuid::Uuid::now_v7();
    let connection = database.connection();
    connection
        .execute_raw(Statement::from_sql_and_values(
            database.backend(),
            "INSERT INTO orgs (id, name, plan, created_at) VALUES (?, 'Old', 'free', '2026-11-30T10:00:00Z')",
            [org.into()],
        ))
        .await
        .unwrap();
    for minute in 0..3 {
        let id = uuid::Uuid::now_v7();
        connection
            .execute_raw(Statement::from_sql_and_values(
                database.backend(),
                "INSERT INTO audit_events (id, org_id, actor_id, action, target, metadata, ip, created_at, created_at_us) \
                 VALUES (?, ?, NULL, 'org.updated', '{}', '{\"n\":\"1\"}', NULL, ?, ?)",
                [
                    id.into(),
                    org.into(),
                    format!("2026-11-30T10:0{minute}:00Z").into(),
                    (1_796_032_800_000_000_i64 + minute * 60_000_000).into(),
                ],
            ))
            .await
            .unwrap();
    }

    database.migrate().await.unwrap();
    database.migrate().await.unwrap();

    let tx = database.read().await.unwrap();
    let org = tenantry_domain::ids::OrgId::from_uuid(org);
    let links = tx.audit().chain_links(org, 0, 10).await.unwrap();
    assert_eq!(links.len(), 3);
    let mut prev = String::new();
    for (link, event) in &links {
        assert_eq!(link.hash, chain_hash(event, link.seq, &prev));
        prev.clone_from(&link.hash);
    }
    assert_eq!(tx.audit().chain_state(org).await.unwrap().head_seq, 3);
    assert_eq!(tx.audit().count_unchained(org).await.unwrap(), 0);
    // The last migration (all-time totals) counts the events written before it.
    let page = tx
        .audit()
        .list_events(org, &AuditFilter::default(), 0, 10)
        .await
        .unwrap();
    assert_eq!((page.total, page.entries.len()), (3, 3));
}

/// The first column of each record, read back with a CSV reader.
fn csv_ids(text: &[u8]) -> Vec<String> {
    ::csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text)
        .records()
        .map(|record| record.unwrap()[0].to_owned())
        .collect()
}
