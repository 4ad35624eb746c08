use actix_web::http::{Method, StatusCode};
use serde_json::json;
use tenantry_domain::authz::BuiltinRole;

use crate::helpers::spawn_app;

#[actix_web::test]
async fn create_returns_201_with_the_spec_fields_and_the_creator_as_owner() {
    let app = spawn_app().await;
    let jane = app.sign_up("jane@example.com").await;
    let response = app
        .post("/api/orgs", &jane.token, json!({"name": "  Acme Corp "}))
        .await;
    assert_eq!(response.status, StatusCode::CREATED);
    let org = &response.body;
    assert!(org["_id"].as_str().unwrap().parse::<uuid::Uuid>().is_ok());
    assert_eq!(org["name"], "Acme Corp");
    assert_eq!(org["role"], "owner");
    assert_eq!(org["plan"], "free");
    assert_eq!(org["memberCount"], 1);
    let created = org["createdAt"].as_str().unwrap();
    assert!(
        time::OffsetDateTime::parse(created, &time::format_description::well_known::Rfc3339)
            .is_ok()
    );
    assert!(created.ends_with('Z'));
}

#[actix_web::test]
async fn list_shows_only_the_callers_orgs_with_role_and_member_count() {
    let app = spawn_app().await;
    let jane = app.sign_up("jane@example.com").await;
    let john = app.sign_up("john@example.com").await;
    let acme = app.create_org(&jane, "Acme").await;
    app.create_org(&john, "Globex").await;
    app.add_member(&acme, &john, BuiltinRole::Viewer).await;

    let janes = app.get("/api/orgs", &jane.token).await;
    assert_eq!(janes.status, StatusCode::OK);
    let orgs = janes.body["organizations"].as_array().unwrap();
    assert_eq!(orgs.len(), 1);
    assert_eq!(orgs[0]["_id"], acme.as_str());
    assert_eq!(orgs[0]["memberCount"], 2);

    let johns = app.get("/api/orgs", &john.token).await;
    let roles: Vec<_> = johns.body["organizations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["name"].as_str().unwrap(), o["role"].as_str().unwrap()))
        .collect();
    assert_eq!(roles, vec![("Acme", "viewer"), ("Globex", "owner")]);
}

#[actix_web::test]
async fn get_rename_and_delete_by_the_owner() {
    let app = spawn_app().await;
    let jane = app.sign_up("jane@example.com").await;
    let org = app.create_org(&jane, "Acme").await;
    let path = format!("/api/orgs/{org}");

    let got = app.get(&path, &jane.token).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.body["name"], "Acme");

    let renamed = app
        .send(
            Method::PUT,
            &path,
            Some(&jane.token),
            Some(json!({"name": "Acme Corporation"})),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK);
    assert_eq!(renamed.body["name"], "Acme Corporation");
    assert_eq!(
        app.get(&path, &jane.token).await.body["name"],
        "Acme Corporation"
    );

    let deleted = app
        .send(Method::DELETE, &path, Some(&jane.token), None)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(deleted.body, serde_json::Value::Null);
    assert_eq!(
        app.get(&path, &jane.token).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/api/orgs", &jane.token).await.body["organizations"],
        json!([])
    );
}

#[actix_web::test]
async fn another_tenants_org_is_404_for_every_method_and_stays_unchanged() {
    let app = spawn_app().await;
    let jane = app.sign_up("jane@example.com").await;
    let mallory = app.sign_up("mallory@example.com").await;
    let org = app.create_org(&jane, "Acme").await;
    let path = format!("/api/orgs/{org}");

    for (method, body) in [
        (Method::GET, None),
        (Method::PUT, Some(json!({"name": "Pwned"}))),
        (Method::DELETE, None),
    ] {
        let response = app
            .send(method.clone(), &path, Some(&mallory.token), body)
            .await;
        assert_eq!(response.status, StatusCode::NOT_FOUND, "{method}");
        assert_eq!(response.code(), "org_not_found", "{method}");
    }
    let unknown = format!("/api/orgs/{}", uuid::Uuid::now_v7());
    assert_eq!(
        app.get(&unknown, &mallory.token).await.body,
        app.get(&path, &mallory.token).await.body
    );
    assert_eq!(app.get(&path, &jane.token).await.body["name"], "Acme");
}

#[actix_web::test]
async fn names_are_trimmed_and_must_hold_1_to_100_characters() {
    let app = spawn_app().await;
    let jane = app.sign_up("jane@example.com").await;
    for name in ["", "   ", &"x".repeat(101)] {
        let response = app
            .post("/api/orgs", &jane.token, json!({ "name": name }))
            .await;
        assert_eq!(
            response.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name:?}"
        );
        assert_eq!(response.body["error"]["field"], "name");
    }
    let hundred = app
        .post("/api/orgs", &jane.token, json!({ "name": "é".repeat(100) }))
        .await;
    assert_eq!(hundred.status, StatusCode::CREATED);
    assert_eq!(
        app.get("/api/orgs", &jane.token).await.body["organizations"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[actix_web::test]
async fn unknown_and_missing_fields_are_422_naming_the_field() {
    let app = spawn_app().await;
    let jane = app.sign_up("jane@example.com").await;
    let unknown = app
        .post(
            "/api/orgs",
            &jane.token,
            json!({"name": "Acme", "plan": "enterprise"}),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown.body["error"]["field"], "plan");
    let missing = app.post("/api/orgs", &jane.token, json!({})).await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(missing.body["error"]["field"], "name");
    assert_eq!(
        app.get("/api/orgs", &jane.token).await.body["organizations"],
        json!([])
    );
}
