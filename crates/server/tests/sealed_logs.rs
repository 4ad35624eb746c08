//! Credentials never reach a log line. In a process of its own: a log captured with a scoped
//! subscriber misses events while other tests run on other threads (tracing caches a
//! callsite's interest globally), which made this test fail under a full parallel run.

#![allow(clippy::unwrap_used)]

#[allow(dead_code)]
#[path = "api/helpers.rs"]
mod helpers;

use std::io::Write;
use std::sync::{Arc, Mutex};

use actix_web::http::{Method, StatusCode};
use serde_json::json;
use tenantry_domain::authz::BuiltinRole;
use tenantry_domain::ids::{IntegrationId, OrgId};
use tenantry_domain::integration::{SealedCredentials, Sealer, seal_context};
use tenantry_persistence::testing;
use tenantry_vault::{AesGcmSealer, SecretKey};

use crate::helpers::{TEST_SECRET_KEY, spawn_app_on};

const PLANTED: &str = "wJalrXUtnFEMI-planted-K7MDENG";
const PLANTED_AGAIN: &str = "ghp_planted-second-secret-9f8e7d";

/// Everything logged while it lives, at every level.
#[derive(Clone, Default)]
struct CapturedLog(Arc<Mutex<Vec<u8>>>);

impl Write for CapturedLog {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl CapturedLog {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

#[actix_web::test]
async fn credentials_are_sealed_and_never_returned_audited_or_logged() {
    let log = CapturedLog::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    for db in testing::all().await {
        let app = spawn_app_on(db).await;
        let owner = app.sign_up("owner@example.com").await;
        let auditor = app.sign_up("auditor@example.com").await;
        let org = app.create_org(&owner, "Acme").await;
        app.add_member(&org, &auditor, BuiltinRole::Auditor).await;

        let created = app
            .post(
                "/api/org/integrations",
                &owner.token,
                json!({
                    "type": "aws",
                    "config": {"region": "eu-west-1"},
                    "credentials": {"secret_access_key": PLANTED}
                }),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        assert_eq!(created.body["type"], "aws");
        assert_eq!(created.body["status"], "disconnected");
        assert_eq!(created.body["last_scan"], serde_json::Value::Null);
        assert_eq!(
            created.body["config"],
            json!({"region": "eu-west-1", "secret_access_key": "[REDACTED]"})
        );
        let id = created.body["id"].as_str().unwrap().to_owned();

        let updated = app
            .send(
                Method::PATCH,
                &format!("/api/org/integrations/{id}"),
                Some(&owner.token),
                Some(json!({
                    "status": "connected",
                    "last_scan": "2026-11-30T08:00:00Z",
                    "credentials": {"token": PLANTED_AGAIN}
                })),
            )
            .await;
        assert_eq!(updated.status, StatusCode::OK, "{}", updated.body);
        assert_eq!(updated.body["status"], "connected");
        assert_eq!(updated.body["last_scan"], "2026-11-30T08:00:00Z");
        assert_eq!(
            updated.body["config"],
            json!({"region": "eu-west-1", "token": "[REDACTED]"}),
            "new credentials replace the old ones"
        );

        let listed = app.get("/api/org/integrations", &auditor.token).await;
        assert_eq!(listed.status, StatusCode::OK);
        assert_eq!(listed.body, json!([updated.body]));
        let audit = app
            .get(&format!("/api/orgs/{org}/audit-logs"), &owner.token)
            .await;
        let events = audit.body["logs"].as_array().unwrap();
        let created_event = events
            .iter()
            .find(|event| event["action"] == "integration.created")
            .unwrap();
        assert_eq!(
            created_event["metadata"]["credentials"],
            "secret_access_key"
        );
        let updated_event = events
            .iter()
            .find(|event| event["action"] == "integration.updated")
            .unwrap();
        assert_eq!(
            updated_event["metadata"]["changed"],
            "status,last_scan,credentials"
        );
        for body in [&created.body, &updated.body, &listed.body, &audit.body] {
            let text = body.to_string();
            assert!(
                !text.contains(PLANTED) && !text.contains(PLANTED_AGAIN),
                "{text}"
            );
        }

        // At rest: sealed, and sealed for this row: it opens under its own org and id only.
        #[derive(sea_orm::FromQueryResult)]
        struct Stored {
            credentials: String,
        }
        let stored = <Stored as sea_orm::FromQueryResult>::find_by_statement(
            sea_orm::Statement::from_sql_and_values(
                app.db.database.backend(),
                match app.db.database.backend() {
                    sea_orm::DbBackend::Postgres => {
                        "SELECT credentials FROM integrations WHERE id = $1"
                    }
                    _ => "SELECT credentials FROM integrations WHERE id = ?",
                },
                [id.parse::<uuid::Uuid>().unwrap().into()],
            ),
        )
        .one(app.db.database.connection())
        .await
        .unwrap()
        .unwrap();
        assert!(stored.credentials.starts_with("v1."));
        assert!(!stored.credentials.contains(PLANTED_AGAIN));
        let sealer = AesGcmSealer::new(&SecretKey::from_base64(TEST_SECRET_KEY).unwrap()).unwrap();
        let sealed = SealedCredentials(stored.credentials);
        let (org_id, integration_id): (OrgId, IntegrationId) =
            (org.parse().unwrap(), id.parse().unwrap());
        let opened = sealer
            .open(&sealed, &seal_context(org_id, integration_id))
            .unwrap();
        assert_eq!(opened.expose()["token"], PLANTED_AGAIN);
        assert!(
            sealer
                .open(&sealed, &seal_context(OrgId::generate(), integration_id))
                .is_err(),
            "copied to another tenant, it does not open"
        );
    }
    let logged = log.text();
    assert!(logged.contains("integration"), "the log was captured");
    assert!(!logged.contains(PLANTED) && !logged.contains(PLANTED_AGAIN));
}
