use std::sync::Arc;

use super::*;
use crate::authz::BuiltinRole;
use crate::ids::{AuditEventId, OrgId};
use crate::plan::Plan;
use crate::testing::fixtures::{NOW, actor, builtin, org};
use crate::testing::{FixedClock, MockTransaction, unit_of_work};

fn entry(org: OrgId, minutes_ago: i64) -> AuditEntry {
    let mut event = AuditEvent::new(
        org,
        None,
        AuditAction::RoleCreated,
        NOW - time::Duration::minutes(minutes_ago),
    );
    event.id = AuditEventId::generate();
    AuditEntry {
        event,
        actor_name: None,
    }
}

#[test]
fn the_list_needs_audit_read_and_counts_its_pages() {
    for (role, allowed) in [
        (BuiltinRole::Auditor, true),
        (BuiltinRole::Admin, true),
        (BuiltinRole::Member, false),
        (BuiltinRole::Viewer, false),
    ] {
        let (actor, org) = (actor(), org(Plan::Free));
        let mut tx = MockTransaction::default();
        tx.given_role(&org, actor.user_id, builtin(role));
        let org_id = org.id;
        if allowed {
            tx.audit
                .expect_list_events()
                .withf(move |o, _, offset, limit| *o == org_id && *offset == 50 && *limit == 50)
                .times(1)
                .returning(move |_, _, _, _| {
                    Ok(EventPage {
                        total: 101,
                        entries: vec![entry(org_id, 1)],
                    })
                });
        }
        let (uow, _) = tx.into_unit_of_work();
        let service = AuditService::new(Arc::new(uow), Arc::new(FixedClock(NOW)));
        let page = AuditPage::new(Some(2), None).unwrap();
        let result = pollster::block_on(service.list(&actor, org.id, AuditFilter::default(), page));
        match (allowed, result) {
            (true, Ok(log)) => assert_eq!((log.total, log.page, log.pages), (101, 2, 3)),
            (false, Err(AuditError::Forbidden)) => {}
            (_, other) => panic!("{role}: {other:?}"),
        }
    }
}

#[test]
fn an_export_on_the_free_plan_is_refused_and_leaves_no_trace() {
    let (actor, org) = (actor(), org(Plan::Free));
    let mut tx = MockTransaction::default();
    tx.given_org(&org);
    tx.given_role(&org, actor.user_id, builtin(BuiltinRole::Owner));
    tx.audit.expect_append().never();
    let (uow, committed) = tx.into_unit_of_work();
    let service = AuditService::new(Arc::new(uow), Arc::new(FixedClock(NOW)));
    let result = pollster::block_on(service.export(&actor, org.id, AuditFilter::default()));
    assert!(matches!(result, Err(AuditError::PlanUpgradeRequired)));
    assert!(!committed.get());
}

#[test]
fn an_export_is_audited_with_its_filters_and_row_count_then_read_in_batches() {
    let (actor, org) = (actor(), org(Plan::Team));
    let org_id = org.id;
    let mut write = MockTransaction::default();
    write.given_org(&org);
    write.given_role(&org, actor.user_id, builtin(BuiltinRole::Auditor));
    write
        .audit
        .expect_count_events()
        .withf(|_, filter| {
            filter.until == Some(NOW) && filter.action == Some(AuditAction::RoleCreated)
        })
        .returning(|_, _| Ok(AuditService::EXPORT_BATCH + 1));
    let events = write.record_audit();
    // The first batch is full, so a second is read; it is short, so the export ends there.
    let mut first = MockTransaction::default();
    first
        .audit
        .expect_export_before()
        .withf(|_, _, before, limit| before.is_none() && *limit == AuditService::EXPORT_BATCH)
        .returning(move |_, _, _, _| {
            let entries: Vec<_> = (0..AuditService::EXPORT_BATCH)
                .map(|n| entry(org_id, i64::try_from(n).unwrap()))
                .collect();
            Ok(csv::chunk(&entries))
        });
    let mut second = MockTransaction::default();
    second
        .audit
        .expect_export_before()
        .withf(|_, _, before, _| before.is_some())
        .returning(move |_, _, _, _| Ok(csv::chunk(&[entry(org_id, -1)])));
    // The caller is checked on a read of its own before the write begins.
    let mut check = MockTransaction::default();
    check.given_role(&org, actor.user_id, builtin(BuiltinRole::Auditor));
    let (uow, committed) = unit_of_work(vec![check, write, first, second]);
    let service = AuditService::new(Arc::new(uow), Arc::new(FixedClock(NOW)));
    let filter = AuditFilter::parse(Some("role.created"), None, None, None).unwrap();

    let mut export = pollster::block_on(service.export(&actor, org.id, filter)).unwrap();

    assert!(committed[1].get());
    assert_eq!(export.rows(), AuditService::EXPORT_BATCH + 1);
    {
        let events = events.lock().unwrap();
        assert_eq!(events[0].action, AuditAction::AuditExported);
        assert_eq!(
            events[0].metadata["rowCount"],
            (AuditService::EXPORT_BATCH + 1).to_string()
        );
        assert_eq!(events[0].metadata["action"], "role.created");
        let until = NOW
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap();
        assert_eq!(
            events[0].metadata["until"], until,
            "written as the API writes times"
        );
    }
    let mut read = 0;
    while let Some(batch) = pollster::block_on(export.next_batch()).unwrap() {
        read += batch.iter().filter(|&&byte| byte == b'\n').count() as u64;
    }
    assert_eq!(read, AuditService::EXPORT_BATCH + 1);
}
