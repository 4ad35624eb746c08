use std::collections::BTreeMap;
use std::sync::Arc;

use super::*;
use crate::authz::BuiltinRole;
use crate::plan::Plan;
use crate::testing::fixtures::{NOW, actor, builtin, org};
use crate::testing::{FixedClock, MockTransaction};

const SECRET: &str = "wJalrXUtnFEMI-K7MDENG-bPxRfiCY";

fn new_aws() -> NewIntegration {
    NewIntegration {
        kind: IntegrationType::try_from("aws").unwrap(),
        config: IntegrationConfig::new(BTreeMap::from([(
            "region".to_owned(),
            "eu-west-1".to_owned(),
        )]))
        .unwrap(),
        credentials: Credentials::new(BTreeMap::from([(
            "secret_access_key".to_owned(),
            SECRET.to_owned(),
        )]))
        .unwrap(),
    }
}

#[test]
fn creating_seals_the_credentials_for_that_row_and_audits_their_names_only() {
    let (actor, org) = (actor(), org(Plan::Free));
    let org_id = org.id;
    let mut tx = MockTransaction::default();
    tx.given_role(&org, actor.user_id, builtin(BuiltinRole::Admin));
    let events = tx.record_audit();
    let mut sealer = MockSealer::new();
    sealer
        .expect_seal()
        .withf(move |credentials, context| {
            credentials.expose()["secret_access_key"] == SECRET
                && context.starts_with(b"tenantry-integration-v1")
                && context[23..39] == *org_id.as_uuid().as_bytes()
        })
        .times(1)
        .returning(|_, _| Ok(SealedCredentials("sealed".into())));
    tx.integrations
        .expect_insert_integration()
        .withf(|integration, sealed| {
            integration.credential_names == ["secret_access_key"] && sealed.0 == "sealed"
        })
        .times(1)
        .returning(|_, _| Ok(()));
    let (uow, committed) = tx.into_unit_of_work();
    let service =
        IntegrationService::new(Arc::new(uow), Arc::new(FixedClock(NOW)), Arc::new(sealer));

    let created = pollster::block_on(service.create(&actor, org.id, new_aws())).unwrap();

    assert!(committed.get());
    assert_eq!(created.status, IntegrationStatus::Disconnected);
    let events = events.lock().unwrap();
    assert_eq!(
        events[0].action,
        crate::audit::AuditAction::IntegrationCreated
    );
    assert_eq!(events[0].metadata["credentials"], "secret_access_key");
    assert!(!format!("{:?}", events[0]).contains(SECRET));
}

#[test]
fn only_settings_writers_change_integrations_and_nothing_is_sealed_before_that() {
    for role in [
        BuiltinRole::Auditor,
        BuiltinRole::Member,
        BuiltinRole::Viewer,
    ] {
        let (actor, org) = (actor(), org(Plan::Free));
        let mut tx = MockTransaction::default();
        tx.given_role(&org, actor.user_id, builtin(role));
        tx.integrations.expect_insert_integration().never();
        let mut sealer = MockSealer::new();
        sealer.expect_seal().never();
        let (uow, committed) = tx.into_unit_of_work();
        let service =
            IntegrationService::new(Arc::new(uow), Arc::new(FixedClock(NOW)), Arc::new(sealer));
        let result = pollster::block_on(service.create(&actor, org.id, new_aws()));
        assert!(matches!(result, Err(IntegrationError::Forbidden)), "{role}");
        assert!(!committed.get());
    }
}

#[test]
fn an_update_that_changes_nothing_writes_nothing() {
    let (actor, org) = (actor(), org(Plan::Free));
    let mut tx = MockTransaction::default();
    tx.given_role(&org, actor.user_id, builtin(BuiltinRole::Owner));
    let existing = Integration {
        id: crate::ids::IntegrationId::generate(),
        org_id: org.id,
        kind: IntegrationType::try_from("github").unwrap(),
        status: IntegrationStatus::Connected,
        last_scan: None,
        config: IntegrationConfig::default(),
        credential_names: vec!["token".into()],
        created_at: NOW,
    };
    let found = existing.clone();
    tx.integrations
        .expect_find_integration()
        .returning(move |_, _| Ok(Some(found.clone())));
    tx.integrations.expect_update_integration().never();
    tx.audit.expect_append().never();
    let (uow, committed) = tx.into_unit_of_work();
    let service = IntegrationService::new(
        Arc::new(uow),
        Arc::new(FixedClock(NOW)),
        Arc::new(MockSealer::new()),
    );
    let unchanged = pollster::block_on(service.update(
        &actor,
        org.id,
        existing.id,
        IntegrationChanges::default(),
    ))
    .unwrap();
    assert_eq!(unchanged, existing);
    assert!(!committed.get());
}
