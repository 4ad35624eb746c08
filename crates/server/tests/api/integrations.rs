//! `/api/org/integrations`: who may change them, and what is refused. That credentials are
//! sealed at rest and never come back out (response, audit event, log line) is in
//! `tests/sealed_logs.rs`, a process of its own.

use actix_web::http::{Method, StatusCode};
use serde_json::json;
use tenantry_domain::authz::BuiltinRole;
use tenantry_persistence::testing;

use crate::helpers::{spawn_app, spawn_app_on};

const PLANTED: &str = "wJalrXUtnFEMI-planted-K7MDENG";

#[actix_web::test]
async fn only_managers_change_integrations_and_only_in_their_own_org() {
    for db in testing::all().await {
        let app = spawn_app_on(db).await;
        let owner = app.sign_up("owner@example.com").await;
        let member = app.sign_up("member@example.com").await;
        let auditor = app.sign_up("auditor@example.com").await;
        let stranger = app.sign_up("stranger@example.com").await;
        let org = app.create_org(&owner, "Acme").await;
        app.create_org(&stranger, "Elsewhere").await;
        app.add_member(&org, &member, BuiltinRole::Member).await;
        app.add_member(&org, &auditor, BuiltinRole::Auditor).await;
        let body = json!({"type": "github", "credentials": {"token": PLANTED}});
        let created = app
            .post("/api/org/integrations", &owner.token, body.clone())
            .await;
        let id = created.body["id"].as_str().unwrap().to_owned();
        let path = format!("/api/org/integrations/{id}");

        let listed = app.get("/api/org/integrations", &member.token).await;
        assert_eq!(
            listed.status,
            StatusCode::FORBIDDEN,
            "members lack settings:read"
        );
        for (account, expected) in [
            (&auditor, StatusCode::FORBIDDEN),
            (&member, StatusCode::FORBIDDEN),
        ] {
            let response = app
                .post("/api/org/integrations", &account.token, body.clone())
                .await;
            assert_eq!(response.status, expected);
            let response = app
                .send(Method::DELETE, &path, Some(&account.token), None)
                .await;
            assert_eq!(response.status, expected);
            let body = json!({"status": "error"});
            let response = app
                .send(Method::PATCH, &path, Some(&account.token), Some(body))
                .await;
            assert_eq!(
                response.status, expected,
                "changing one needs settings:write"
            );
        }
        // The stranger's current org is their own: the id is unknown there.
        let patched = app
            .send(
                Method::PATCH,
                &path,
                Some(&stranger.token),
                Some(json!({"status": "error"})),
            )
            .await;
        assert_eq!(
            (patched.status, patched.code()),
            (StatusCode::NOT_FOUND, "integration_not_found")
        );
        let deleted = app
            .send(Method::DELETE, &path, Some(&stranger.token), None)
            .await;
        assert_eq!(deleted.status, StatusCode::NOT_FOUND);
        let theirs = app.get("/api/org/integrations", &stranger.token).await;
        assert_eq!(theirs.body, json!([]));
        let still = app.get("/api/org/integrations", &owner.token).await;
        assert_eq!(still.body[0]["status"], "disconnected", "untouched");

        let deleted = app
            .send(Method::DELETE, &path, Some(&owner.token), None)
            .await;
        assert_eq!(deleted.status, StatusCode::NO_CONTENT);
        let empty = app.get("/api/org/integrations", &owner.token).await;
        assert_eq!(empty.body, json!([]));
        let again = app
            .send(Method::DELETE, &path, Some(&owner.token), None)
            .await;
        assert_eq!(again.code(), "integration_not_found");
    }
}

#[actix_web::test]
async fn bad_integrations_are_refused_naming_the_field() {
    let app = spawn_app().await;
    let owner = app.sign_up("owner@example.com").await;
    app.create_org(&owner, "Acme").await;
    for (body, field) in [
        (json!({"type": "AWS"}), "type"),
        (json!({"type": "aws", "config": {"Region": "x"}}), "config"),
        (
            json!({"type": "aws", "config": {"key": "x"}, "credentials": {"key": "y"}}),
            "credentials",
        ),
        (
            json!({"type": "aws", "credentials": {"token": "x".repeat(4097)}}),
            "credentials",
        ),
    ] {
        let response = app
            .post("/api/org/integrations", &owner.token, body.clone())
            .await;
        response.assert_invalid(field, &body.to_string());
    }
    let unknown = app
        .post(
            "/api/org/integrations",
            &owner.token,
            json!({"type": "aws", "secret": "x"}),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    let created = app
        .post(
            "/api/org/integrations",
            &owner.token,
            json!({"type": "aws"}),
        )
        .await;
    let path = format!(
        "/api/org/integrations/{}",
        created.body["id"].as_str().unwrap()
    );
    let bad_status = app
        .send(
            Method::PATCH,
            &path,
            Some(&owner.token),
            Some(json!({"status": "on fire"})),
        )
        .await;
    assert_eq!(bad_status.body["error"]["field"], "status");
    let bad_time = app
        .send(
            Method::PATCH,
            &path,
            Some(&owner.token),
            Some(json!({"last_scan": "yesterday"})),
        )
        .await;
    assert_eq!(bad_time.status, StatusCode::UNPROCESSABLE_ENTITY);
    let listed = app.get("/api/org/integrations", &owner.token).await;
    assert_eq!(
        listed.body.as_array().unwrap().len(),
        1,
        "nothing else was stored"
    );
}
