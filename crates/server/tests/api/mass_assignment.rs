//! Mass assignment: a field a body does not declare (`role`, `plan`, `owner`, `_id`,
//! `tenant_id`, ...) is refused with 422 naming it, and nothing changes.

use actix_web::http::{Method, StatusCode};
use serde_json::{Value, json};
use tenantry_domain::authz::BuiltinRole;
use tenantry_domain::plan::Plan;

use crate::helpers::spawn_app;

const EXTRA: [&str; 6] = ["role", "plan", "owner", "_id", "tenant_id", "ownerId"];

#[actix_web::test]
async fn every_body_refuses_fields_it_does_not_declare_and_changes_nothing() {
    let app = spawn_app().await;
    let owner = app.sign_up("owner@example.com").await;
    let john = app.sign_up("john@example.com").await;
    let org = app.create_org(&owner, "Acme").await;
    app.set_plan(&org, Plan::Team).await;
    app.add_member(&org, &john, BuiltinRole::Viewer).await;
    let role = app
        .post(
            &format!("/api/orgs/{org}/roles"),
            &owner.token,
            json!({"name": "Ops", "permissions": ["scans:read"]}),
        )
        .await;
    let role = role.body["_id"].as_str().unwrap().to_owned();
    let member = format!("/api/orgs/{org}/members/{}", john.id);

    // Each body is valid as it is; only the extra field is wrong.
    let bodies: Vec<(Method, String, Option<&str>, Value)> = vec![
        (
            Method::POST,
            "/api/auth/signup".into(),
            None,
            json!({"email": "new@example.com", "password": "correct horse", "name": "New"}),
        ),
        (
            Method::POST,
            "/api/auth/login".into(),
            None,
            json!({"email": "owner@example.com", "password": "correct horse"}),
        ),
        (
            Method::POST,
            "/api/orgs".into(),
            Some(&owner.token),
            json!({"name": "Other"}),
        ),
        (
            Method::PUT,
            format!("/api/orgs/{org}"),
            Some(&owner.token),
            json!({"name": "Renamed"}),
        ),
        (
            Method::PUT,
            member.clone(),
            Some(&owner.token),
            json!({"role": "member"}),
        ),
        (
            Method::POST,
            format!("/api/orgs/{org}/invitations/email"),
            Some(&owner.token),
            json!({"email": "guest@example.com"}),
        ),
        (
            Method::POST,
            format!("/api/orgs/{org}/invitations/link"),
            Some(&owner.token),
            json!({}),
        ),
        (
            Method::PATCH,
            format!("/api/orgs/{org}/roles/{role}"),
            Some(&owner.token),
            json!({"name": "Platform"}),
        ),
        (
            Method::PUT,
            "/api/org/profile".into(),
            Some(&owner.token),
            json!({"name": "Renamed"}),
        ),
        (
            Method::POST,
            "/api/me/tokens".into(),
            Some(&owner.token),
            json!({"name": "ci"}),
        ),
    ];
    let before = app
        .get(&format!("/api/orgs/{org}"), &owner.token)
        .await
        .body;
    let roles_before = app
        .get(&format!("/api/orgs/{org}/roles"), &owner.token)
        .await
        .body;
    let members_before = app
        .get(&format!("/api/orgs/{org}/members"), &owner.token)
        .await
        .body;
    let mut cases = 0;
    for (method, path, token, body) in &bodies {
        for extra in EXTRA {
            if body.get(extra).is_some() {
                continue;
            }
            let mut sent = body.clone();
            sent[extra] = json!("owner");
            let response = app.send(method.clone(), path, *token, Some(sent)).await;
            assert_eq!(
                response.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{method} {path} +{extra}"
            );
            assert_eq!(
                response.body["error"]["field"], extra,
                "{method} {path} +{extra}"
            );
            cases += 1;
        }
    }
    assert!(cases >= 50, "{cases} cases");
    assert_eq!(
        app.get(&format!("/api/orgs/{org}"), &owner.token)
            .await
            .body,
        before
    );
    assert_eq!(
        app.get(&format!("/api/orgs/{org}/roles"), &owner.token)
            .await
            .body,
        roles_before
    );
    let members_after = app
        .get(&format!("/api/orgs/{org}/members"), &owner.token)
        .await
        .body;
    assert_eq!(members_after, members_before);
    let orgs = app.get("/api/orgs", &owner.token).await;
    let orgs = orgs.body["organizations"].as_array().map(Vec::len);
    assert_eq!(orgs, Some(1), "no org was created");
    let tokens = app.get("/api/me/tokens", &owner.token).await;
    assert_eq!(tokens.body["tokens"], json!([]));
}
