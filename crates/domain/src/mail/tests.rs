use std::sync::{Arc, Mutex};

use time::Duration;
use uuid::Uuid;

use super::*;
use crate::testing::fixtures::NOW;
use crate::testing::{Committed, FixedClock, MockTransaction, unit_of_work};
use crate::user::Email;

fn policy() -> RetryPolicy {
    RetryPolicy {
        first_delay: Duration::seconds(5),
        max_delay: Duration::minutes(15),
        lease: Duration::minutes(5),
        batch: 7,
    }
}

/// The read that finds whether anything is due.
fn due(answer: bool) -> MockTransaction {
    let mut tx = MockTransaction::default();
    tx.outbox
        .expect_has_due()
        .withf(|now| *now == NOW)
        .times(1)
        .returning(move |_| Ok(answer));
    tx
}

/// A delivery service whose unit of work first finds something due, then hands out
/// `transactions` in order; the flags report their commits.
fn delivery(
    transactions: Vec<MockTransaction>,
    mailer: MockMailer,
) -> (DeliveryService, Vec<Committed>) {
    let mut all = vec![due(true)];
    all.extend(transactions);
    let (uow, mut committed) = unit_of_work(all);
    committed.remove(0);
    let service = DeliveryService::new(
        Arc::new(uow),
        Arc::new(mailer),
        Arc::new(FixedClock(NOW)),
        policy(),
    );
    (service, committed)
}

fn message(to: &str, attempts: u32) -> OutboxMessage {
    OutboxMessage {
        id: Uuid::now_v7(),
        mail: Mail {
            to: Email::try_from(to).unwrap(),
            content: MailContent::Invitation(InvitationMail {
                org_name: "Acme".into(),
                inviter_name: "Ines".into(),
                role: "member".into(),
                expires_at: NOW + Duration::days(7),
                link: "https://tenantry.test/invitations/inv_x".into(),
            }),
        },
        attempts,
    }
}

/// A transaction that claims `batch` with the policy's lease and batch size.
fn claiming(batch: Vec<OutboxMessage>) -> MockTransaction {
    let mut tx = MockTransaction::default();
    tx.outbox
        .expect_claim_due()
        .withf(|now, lease_until, limit| {
            *now == NOW && *lease_until == NOW + Duration::minutes(5) && *limit == 7
        })
        .times(1)
        .return_once(move |_, _, _| Ok(batch));
    tx.outbox.expect_mark_sent().never();
    tx.outbox.expect_mark_failed().never();
    tx
}

#[test]
fn the_retry_delay_doubles_from_the_first_delay_up_to_the_maximum() {
    let policy = policy();
    assert_eq!(policy.delay_after(1), Duration::seconds(5));
    assert_eq!(policy.delay_after(2), Duration::seconds(10));
    assert_eq!(policy.delay_after(3), Duration::seconds(20));
    assert_eq!(policy.delay_after(8), Duration::seconds(640));
    assert_eq!(
        policy.delay_after(9),
        Duration::minutes(15),
        "1280 s is capped"
    );
    assert_eq!(policy.delay_after(40), Duration::minutes(15));
    assert_eq!(policy.delay_after(u32::MAX), Duration::minutes(15));
}

#[test]
fn a_delay_too_large_to_compute_is_capped_rather_than_overflowing() {
    let policy = RetryPolicy {
        first_delay: Duration::days(365 * 1_000),
        max_delay: Duration::days(1),
        ..policy()
    };
    for failures in [1, 2, 31, 32, u32::MAX] {
        assert_eq!(
            policy.delay_after(failures),
            Duration::days(1),
            "{failures}"
        );
    }
}

#[test]
fn delivery_commits_the_claim_before_sending_and_records_all_outcomes_in_one_write() {
    let (welcome, retry) = (
        message("ok@example.com", 0),
        message("bounce@example.com", 2),
    );
    let (welcome_id, retry_id) = (welcome.id, retry.id);
    let claim = claiming(vec![welcome.clone(), retry.clone()]);
    let claim_committed = claim.committed();

    let mut recorded = MockTransaction::default();
    recorded
        .outbox
        .expect_mark_sent()
        .withf(move |ids, at| ids == [welcome_id] && *at == NOW)
        .times(1)
        .returning(|_, _| Ok(()));
    recorded
        .outbox
        .expect_mark_failed()
        .withf(move |id, attempts, retry_at, error| {
            *id == retry_id
                && *attempts == 3
                && *retry_at == NOW + Duration::seconds(20)
                && error.contains("connection refused")
        })
        .times(1)
        .returning(|_, _, _, _| Ok(()));

    // Whether the claim was committed when each message went out.
    let claimed_at_send = Arc::new(Mutex::new(Vec::new()));
    let mut mailer = MockMailer::new();
    let (seen, flag) = (claimed_at_send.clone(), claim_committed.clone());
    mailer
        .expect_send()
        .withf(move |mail| *mail == welcome.mail)
        .times(1)
        .returning(move |_| {
            seen.lock().unwrap().push(flag.get());
            Ok(())
        });
    let (seen, flag) = (claimed_at_send.clone(), claim_committed);
    mailer
        .expect_send()
        .withf(move |mail| *mail == retry.mail)
        .times(1)
        .returning(move |_| {
            seen.lock().unwrap().push(flag.get());
            Err(MailError("connection refused".into()))
        });
    let (service, committed) = delivery(vec![claim, recorded], mailer);

    let report = pollster::block_on(service.deliver_due()).unwrap();

    assert_eq!(report, DeliveryReport { sent: 1, failed: 1 });
    assert_eq!(*claimed_at_send.lock().unwrap(), vec![true, true]);
    assert_eq!(
        committed.iter().map(Committed::get).collect::<Vec<_>>(),
        vec![true, true]
    );
}

#[test]
fn a_first_failure_is_retried_after_the_first_delay() {
    let first = message("bounce@example.com", 0);
    let id = first.id;
    let claim = claiming(vec![first]);
    let mut record = MockTransaction::default();
    record
        .outbox
        .expect_mark_failed()
        .withf(move |i, attempts, retry_at, _| {
            *i == id && *attempts == 1 && *retry_at == NOW + Duration::seconds(5)
        })
        .times(1)
        .returning(|_, _, _, _| Ok(()));
    let mut mailer = MockMailer::new();
    mailer
        .expect_send()
        .times(1)
        .returning(|_| Err(MailError("timed out".into())));
    let (service, committed) = delivery(vec![claim, record], mailer);

    let report = pollster::block_on(service.deliver_due()).unwrap();

    assert_eq!(report, DeliveryReport { sent: 0, failed: 1 });
    assert!(committed[1].get());
}

#[test]
fn an_empty_claim_sends_nothing() {
    let claim = claiming(Vec::new());
    let mut mailer = MockMailer::new();
    mailer.expect_send().never();
    // A single transaction: recording anything would need another.
    let (service, committed) = delivery(vec![claim], mailer);

    let report = pollster::block_on(service.deliver_due()).unwrap();

    assert_eq!(report, DeliveryReport::default());
    assert!(committed[0].get());
}

#[test]
fn an_idle_poll_only_reads_and_takes_no_write_transaction() {
    let mut mailer = MockMailer::new();
    mailer.expect_send().never();
    // Only the read is available: beginning a write would fail the round.
    let (uow, _) = unit_of_work(vec![due(false)]);
    let service = DeliveryService::new(
        Arc::new(uow),
        Arc::new(mailer),
        Arc::new(FixedClock(NOW)),
        policy(),
    );

    let report = pollster::block_on(service.deliver_due()).unwrap();

    assert_eq!(report, DeliveryReport::default());
}
