use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use time::Duration;

use super::*;
use crate::audit::{AuditAction, AuditEntry, AuditEvent};
use crate::authz::BuiltinRole;
use crate::integration::{MockSealer, SealedCredentials};
use crate::mail::RetryPolicy;
use crate::plan::Plan;
use crate::testing::fixtures::{NOW, actor, builtin, org};
use crate::testing::{FixedClock, MockTransaction, unit_of_work};
use crate::validation::ValidationError;

/// The example of the Standard Webhooks specification's reference libraries: an outside
/// vector, not one computed by this code.
#[test]
fn signs_the_standard_webhooks_reference_example() {
    let secret = WebhookSecret::from_text("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
    let body = br#"{"test": 2432232314}"#;
    let signature = sign(&secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1_614_265_330, body);
    assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    let rotated = format!("v1,bm9ldmVu {signature}");
    assert!(verify(
        &secret,
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1_614_265_330,
        body,
        &rotated
    ));
    assert!(!verify(
        &secret,
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1_614_265_331,
        body,
        &signature
    ));
}

#[test]
fn a_new_secret_is_32_random_bytes_in_the_whsec_form() {
    let (a, b) = (WebhookSecret::generate(), WebhookSecret::generate());
    assert_ne!(a, b);
    assert!(a.text().starts_with("whsec_"));
    assert_eq!(WebhookSecret::from_text(&a.text()).unwrap().key().len(), 32);
    assert_eq!(format!("{a:?}"), "WebhookSecret(..)");
    assert!(WebhookSecret::from_text("sk_live_abc").is_none());
}

#[test]
fn urls_are_http_or_https_without_credentials() {
    for good in ["https://hooks.example.com/in?x=1", "http://127.0.0.1:9000/"] {
        assert!(WebhookUrl::try_from(good).is_ok(), "{good}");
    }
    for bad in [
        "ftp://example.com/",
        "file:///etc/passwd",
        "https://user:pw@example.com/",
        "https://example.com/#frag",
        "example.com/hook",
        "javascript:alert(1)",
    ] {
        assert_eq!(WebhookUrl::try_from(bad).unwrap_err().field, "url", "{bad}");
    }
    let long = format!("https://example.com/{}", "a".repeat(WebhookUrl::MAX_CHARS));
    assert!(WebhookUrl::try_from(long.as_str()).is_err());
    let url = WebhookUrl::try_from("https://[::1]:8443/x").unwrap();
    assert_eq!((url.host(), url.port()), ("::1".to_owned(), 8443));
}

#[test]
fn only_public_addresses_pass() {
    for private in [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "255.255.255.255",
        "224.0.0.1",
        "::1",
        "::",
        "fe80::1",
        "fd00::1",
        "::ffff:10.0.0.1",
        "::ffff:127.0.0.1",
        "64:ff9b::a00:1",
    ] {
        let ip: IpAddr = private.parse().unwrap();
        assert!(!is_public_address(ip), "{private}");
    }
    for public in [
        "93.184.216.34",
        "8.8.8.8",
        "2606:4700::1111",
        "::ffff:8.8.8.8",
    ] {
        let ip: IpAddr = public.parse().unwrap();
        assert!(is_public_address(ip), "{public}");
    }
}

#[test]
fn event_types_are_known_names_each_once() {
    let events = EventTypes::parse(["member.joined", "org.created"]).unwrap();
    assert_eq!(
        events.actions(),
        [AuditAction::OrgCreated, AuditAction::MemberJoined]
    );
    let unknown = EventTypes::parse(["member.exploded"]).unwrap_err();
    assert!(unknown.message.contains("member.exploded"));
    assert!(EventTypes::parse([]).is_err());
    assert!(EventTypes::parse(["org.created", "org.created"]).is_err());
}

/// A chat service's incoming-webhook URL: the path is the credential.
const CHAT_HOOK: &str = "https://hooks.example.com/services/T0/B1/s3cretT0ken?x=1";

fn new_hook(url: &str) -> NewWebhook {
    NewWebhook {
        url: WebhookUrl::try_from(url).unwrap(),
        events: EventTypes::parse(["member.joined"]).unwrap(),
    }
}

#[test]
fn creating_seals_the_secret_for_that_row_and_audits_no_secret() {
    let (actor, org) = (actor(), org(Plan::Free));
    let mut check = MockTransaction::default();
    check.given_role(&org, actor.user_id, builtin(BuiltinRole::Admin));
    let mut tx = MockTransaction::default();
    tx.given_role(&org, actor.user_id, builtin(BuiltinRole::Admin));
    let events = tx.record_audit();
    tx.webhooks
        .expect_list_webhooks()
        .returning(|_| Ok(Vec::new()));
    tx.webhooks
        .expect_insert_webhook()
        .withf(|_, sealed| sealed.0 == "sealed")
        .times(1)
        .returning(|_, _| Ok(()));
    let (uow, committed) = unit_of_work(vec![check, tx]);
    let sealed_secret = Arc::new(Mutex::new(String::new()));
    let kept = sealed_secret.clone();
    let mut sealer = MockSealer::new();
    sealer
        .expect_seal()
        .withf(|_, context| context.starts_with(b"tenantry-webhook-v1"))
        .times(1)
        .returning(move |credentials, _| {
            *kept.lock().unwrap() = credentials.expose()["webhook_secret"].clone();
            Ok(SealedCredentials("sealed".into()))
        });
    let mut sender = MockWebhookSender::new();
    sender.expect_check_target().times(1).returning(|_| Ok(()));
    let service = WebhookService::new(
        Arc::new(uow),
        Arc::new(FixedClock(NOW)),
        Arc::new(sealer),
        Arc::new(sender),
    );

    let created = pollster::block_on(service.create(&actor, org.id, new_hook(CHAT_HOOK))).unwrap();

    assert!(committed[1].get());
    assert_eq!(*sealed_secret.lock().unwrap(), created.secret.text());
    let events = events.lock().unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].action, AuditAction::WebhookCreated);
    assert_eq!(events[0].metadata["events"], "member.joined");
    // The path and query hold the receiver's token; auditors read the log, not the webhooks.
    assert_eq!(events[0].metadata["url"], "https://hooks.example.com");
    let recorded = format!("{:?}", events[0]);
    assert!(
        !recorded.contains(&created.secret.text()[6..]),
        "{recorded}"
    );
}

#[test]
fn a_refused_target_stores_nothing() {
    let (actor, org) = (actor(), org(Plan::Free));
    let mut check = MockTransaction::default();
    check.given_role(&org, actor.user_id, builtin(BuiltinRole::Owner));
    let (uow, committed) = unit_of_work(vec![check]);
    let mut sender = MockWebhookSender::new();
    sender
        .expect_check_target()
        .returning(|_| Err(ValidationError::new("url", "resolves to 10.0.0.1")));
    let service = WebhookService::new(
        Arc::new(uow),
        Arc::new(FixedClock(NOW)),
        Arc::new(MockSealer::new()),
        Arc::new(sender),
    );
    let error = pollster::block_on(service.create(&actor, org.id, new_hook("https://in.corp")))
        .unwrap_err();
    assert!(
        matches!(error, WebhookError::Invalid(ref e) if e.field == "url"),
        "{error:?}"
    );
    assert!(!committed[0].get());
}

#[test]
fn a_member_without_settings_write_is_refused_before_the_url_is_resolved() {
    let (actor, org) = (actor(), org(Plan::Free));
    let mut check = MockTransaction::default();
    check.given_role(&org, actor.user_id, builtin(BuiltinRole::Member));
    let (uow, _) = unit_of_work(vec![check]);
    let service = WebhookService::new(
        Arc::new(uow),
        Arc::new(FixedClock(NOW)),
        Arc::new(MockSealer::new()),
        Arc::new(MockWebhookSender::new()),
    );
    let error = pollster::block_on(service.create(&actor, org.id, new_hook("https://a.example")))
        .unwrap_err();
    assert!(matches!(error, WebhookError::Forbidden), "{error:?}");
}

fn queued(seq: u64, org: crate::ids::OrgId) -> QueuedEvent {
    QueuedEvent {
        seq,
        entry: AuditEntry {
            event: AuditEvent::new(org, None, AuditAction::MemberJoined, NOW).target("userId", seq),
            actor_name: None,
        },
    }
}

/// A worker round over one webhook with three queued events, whose receiver answers `statuses`
/// in turn; returns what the round recorded and the bodies posted.
fn round(failures: u32, statuses: Vec<u16>) -> (RoundOutcome, Vec<Vec<u8>>) {
    let (outcome, bodies, _) = round_signed(failures, statuses, None);
    (outcome, bodies)
}

/// [`round`] for a webhook whose `previous` secret still signs; returns the signature headers
/// too. Each delivery must verify with the current secret.
fn round_signed(
    failures: u32,
    statuses: Vec<u16>,
    previous: Option<WebhookSecret>,
) -> (RoundOutcome, Vec<Vec<u8>>, Vec<String>) {
    let org = crate::ids::OrgId::generate();
    let hook = crate::ids::WebhookId::generate();
    let secret = WebhookSecret::generate();
    let previous_sealed = previous
        .as_ref()
        .map(|_| SealedCredentials("sealed previous".into()));
    let mut peek = MockTransaction::default();
    peek.webhooks.expect_has_due().returning(|_| Ok(true));
    let mut claim = MockTransaction::default();
    claim
        .webhooks
        .expect_claim_due()
        .returning(move |_, _, _, _| {
            Ok(vec![ClaimedWebhook {
                id: hook,
                org_id: org,
                url: WebhookUrl::try_from("https://hooks.example.com").unwrap(),
                secret: SealedCredentials("sealed".into()),
                previous_secret: previous_sealed.clone(),
                failures,
                queue: vec![queued(7, org), queued(8, org), queued(9, org)],
            }])
        });
    let recorded = Arc::new(Mutex::new(Vec::new()));
    let kept = recorded.clone();
    let mut record = MockTransaction::default();
    record
        .webhooks
        .expect_record_round()
        .returning(move |outcome| {
            kept.lock().unwrap().push(outcome.clone());
            Ok(())
        });
    let (uow, _) = unit_of_work(vec![peek, claim, record]);
    let mut sealer = MockSealer::new();
    let text = secret.text();
    let previous_text = previous.map(|previous| previous.text());
    sealer.expect_open().returning(move |sealed, _| {
        let text = match sealed.0.as_str() {
            "sealed" => text.clone(),
            _ => previous_text.clone().unwrap(),
        };
        Ok(crate::integration::Credentials::from_trusted(
            [("webhook_secret".to_owned(), text)].into(),
        ))
    });
    let posted = Arc::new(Mutex::new(Vec::new()));
    let bodies = posted.clone();
    let signed = Arc::new(Mutex::new(Vec::new()));
    let signatures = signed.clone();
    let statuses = Mutex::new(statuses.into_iter());
    let mut sender = MockWebhookSender::new();
    sender.expect_post().returning(move |_, headers, body| {
        let get = |name| headers.iter().find(|(n, _)| *n == name).unwrap().1.clone();
        let timestamp: i64 = get(TIMESTAMP_HEADER).parse().unwrap();
        assert!(verify(
            &secret,
            &get(ID_HEADER),
            timestamp,
            &body,
            &get(SIGNATURE_HEADER)
        ));
        signatures.lock().unwrap().push(get(SIGNATURE_HEADER));
        bodies.lock().unwrap().push(body);
        Ok(statuses.lock().unwrap().next().unwrap())
    });
    let policy = RetryPolicy {
        first_delay: Duration::seconds(1),
        ..RetryPolicy::default()
    };
    let service = WebhookDeliveryService::new(
        Arc::new(uow),
        Arc::new(sender),
        Arc::new(sealer),
        Arc::new(FixedClock(NOW)),
        policy,
    );
    pollster::block_on(service.deliver_due()).unwrap();
    let outcome = recorded.lock().unwrap().pop().unwrap();
    let bodies = posted.lock().unwrap().clone();
    let signatures = signed.lock().unwrap().clone();
    (outcome, bodies, signatures)
}

#[test]
fn while_a_previous_secret_signs_each_delivery_carries_both_signatures() {
    let previous = WebhookSecret::generate();
    let (_, bodies, signatures) = round_signed(0, vec![204, 204, 204], Some(previous.clone()));
    let body = &bodies[0];
    let header = &signatures[0];
    assert_eq!(header.split(' ').count(), 2, "{header}");
    let payload: serde_json::Value = serde_json::from_slice(body).unwrap();
    let id = payload["data"]["_id"].as_str().unwrap();
    // The worker's clock is fixed at NOW, the send time the header carries.
    let timestamp = NOW.unix_timestamp();
    // A receiver that still holds the old secret accepts the delivery.
    assert!(verify(&previous, id, timestamp, body, header));
    // One without a previous secret signs once.
    let (_, _, signatures) = round_signed(0, vec![204, 204, 204], None);
    assert_eq!(signatures[0].split(' ').count(), 1);
}

/// A webhook of `org` as the store holds it, made three days ago.
fn stored_hook(
    org: &crate::org::Org,
    active: bool,
    previous_secret_expires_at: Option<time::OffsetDateTime>,
) -> Webhook {
    Webhook {
        id: crate::ids::WebhookId::generate(),
        org_id: org.id,
        url: WebhookUrl::try_from(CHAT_HOOK).unwrap(),
        events: EventTypes::parse(["member.joined"]).unwrap(),
        active,
        previous_secret_expires_at,
        created_at: NOW - Duration::days(3),
    }
}

/// The read that checks an admin `actor`, and the write transaction that checks again and
/// finds `hook`.
fn admin_finds(
    actor: &crate::authz::Actor,
    org: &crate::org::Org,
    hook: &Webhook,
) -> (MockTransaction, MockTransaction) {
    let mut check = MockTransaction::default();
    check.given_role(org, actor.user_id, builtin(BuiltinRole::Admin));
    let mut tx = MockTransaction::default();
    tx.given_role(org, actor.user_id, builtin(BuiltinRole::Admin));
    let stored = hook.clone();
    tx.webhooks
        .expect_find_webhook()
        .returning(move |_, _| Ok(Some(stored.clone())));
    (check, tx)
}

#[test]
fn rotating_seals_a_new_secret_keeps_the_old_one_a_day_and_audits_no_secret() {
    let (actor, org) = (actor(), org(Plan::Free));
    let hook = stored_hook(&org, true, None);
    let (check, mut tx) = admin_finds(&actor, &org, &hook);
    let events = tx.record_audit();
    let id = hook.id;
    tx.webhooks
        .expect_rotate_secret()
        .withf(move |in_org, hook_id, sealed, until| {
            (*in_org, *hook_id, sealed.0.as_str(), *until)
                == (org.id, id, "sealed new", NOW + Duration::hours(24))
        })
        .times(1)
        .returning(|_, _, _, _| Ok(()));
    let (uow, committed) = unit_of_work(vec![check, tx]);
    let sealed_secret = Arc::new(Mutex::new(String::new()));
    let kept = sealed_secret.clone();
    let mut sealer = MockSealer::new();
    let context = service::seal_context(org.id, id);
    sealer
        .expect_seal()
        .withf(move |_, sealed_for| sealed_for == context)
        .times(1)
        .returning(move |credentials, _| {
            *kept.lock().unwrap() = credentials.expose()["webhook_secret"].clone();
            Ok(SealedCredentials("sealed new".into()))
        });
    let service = WebhookService::new(
        Arc::new(uow),
        Arc::new(FixedClock(NOW)),
        Arc::new(sealer),
        Arc::new(MockWebhookSender::new()),
    );

    let rotated = pollster::block_on(service.rotate_secret(&actor, org.id, id)).unwrap();

    assert!(committed[1].get());
    assert_eq!(*sealed_secret.lock().unwrap(), rotated.secret.text());
    assert_eq!(
        rotated.webhook.previous_secret_expires_at,
        Some(NOW + Duration::hours(24))
    );
    let events = events.lock().unwrap();
    assert_eq!(events[0].action, AuditAction::WebhookSecretRotated);
    assert_eq!(events[0].target["webhookId"], id.to_string());
    let recorded = format!("{:?}", events[0]);
    assert!(
        !recorded.contains(&rotated.secret.text()[6..]),
        "{recorded}"
    );
}

#[test]
fn a_round_posts_in_order_and_stops_at_the_first_failure() {
    let (outcome, bodies) = round(0, vec![204, 500]);
    assert_eq!(
        bodies.len(),
        2,
        "the third event waits behind the failed second"
    );
    let first: serde_json::Value = serde_json::from_slice(&bodies[0]).unwrap();
    assert_eq!(first["type"], "member.joined");
    assert_eq!(first["data"]["target"]["userId"], "7");
    assert_eq!(outcome.delivered_through, Some(7));
    assert_eq!(outcome.failures, 1);
    assert_eq!(outcome.retry_at, NOW + Duration::seconds(1));
    let statuses: Vec<_> = outcome.attempts.iter().map(|a| a.status).collect();
    assert_eq!(statuses, [Some(204), Some(500)]);
    assert_eq!(
        outcome.attempts[1].error.as_deref(),
        Some("the receiver answered 500")
    );
}

#[test]
fn retries_back_off_exponentially_and_a_success_resets_the_count() {
    let (outcome, _) = round(3, vec![503]);
    assert_eq!(outcome.attempts[0].attempt, 4);
    assert_eq!(outcome.failures, 4);
    assert_eq!(outcome.retry_at, NOW + Duration::seconds(8));
    let (outcome, bodies) = round(3, vec![200, 200, 200]);
    assert_eq!(bodies.len(), 3);
    assert_eq!((outcome.failures, outcome.delivered_through), (0, Some(9)));
    let attempts: Vec<_> = outcome.attempts.iter().map(|a| a.attempt).collect();
    assert_eq!(attempts, [4, 1, 1]);
}

#[test]
fn a_change_to_nothing_after_an_expired_overlap_writes_and_records_nothing() {
    let (actor, org) = (actor(), org(Plan::Free));
    // The store keeps the last overlap's end; it is long past.
    let hook = stored_hook(&org, false, Some(NOW - Duration::days(2)));
    let (check, mut tx) = admin_finds(&actor, &org, &hook);
    let events = tx.record_audit();
    tx.webhooks.expect_update_webhook().never();
    let (uow, _) = unit_of_work(vec![check, tx]);
    let service = WebhookService::new(
        Arc::new(uow),
        Arc::new(FixedClock(NOW)),
        Arc::new(MockSealer::new()),
        Arc::new(MockWebhookSender::new()),
    );
    let same = WebhookChanges {
        active: Some(false),
        ..WebhookChanges::default()
    };

    let shown = pollster::block_on(service.update(&actor, org.id, hook.id, same)).unwrap();

    assert_eq!(
        shown.previous_secret_expires_at, None,
        "an expired overlap is not shown"
    );
    assert!(events.lock().unwrap().is_empty());
}
