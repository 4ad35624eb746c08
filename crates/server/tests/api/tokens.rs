//! API tokens: shown once, listed without secrets, revoked at once; pinned to an org, they
//! work there and nowhere else, whatever route, body or path names another.

use actix_web::http::{Method, StatusCode};
use serde_json::json;
use tenantry_domain::authz::BuiltinRole;
use tenantry_persistence::testing;

use crate::helpers::{spawn_app, spawn_app_on};

#[actix_web::test]
async fn a_token_is_shown_once_listed_without_its_secret_and_revoked_at_once() {
    let app = spawn_app().await;
    let jane = app.sign_up("jane@example.com").await;
    let created = app
        .post(
            "/api/me/tokens",
            &jane.token,
            json!({"name": " CI deploy "}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let secret = created.body["token"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("tnt_"));
    assert_eq!(created.body["name"], "CI deploy");
    assert_eq!(created.body["orgId"], serde_json::Value::Null);
    let parse = |field: &str| {
        time::OffsetDateTime::parse(
            created.body[field].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap()
    };
    assert_eq!(
        (parse("expiresAt") - parse("createdAt")).whole_days(),
        90,
        "the default lifetime"
    );
    let me = app.get("/api/me", &secret).await;
    assert_eq!(me.status, StatusCode::OK);

    let listed = app.get("/api/me/tokens", &jane.token).await;
    let tokens = listed.body["tokens"].as_array().unwrap();
    assert_eq!(tokens.len(), 1, "sign-in sessions are not API tokens");
    assert_eq!(tokens[0]["_id"], created.body["_id"]);
    assert!(tokens[0].get("token").is_none());
    assert!(!listed.body.to_string().contains(&secret));

    let path = format!("/api/me/tokens/{}", created.body["_id"].as_str().unwrap());
    let revoked = app
        .send(Method::DELETE, &path, Some(&jane.token), None)
        .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get("/api/me", &secret).await.status,
        StatusCode::UNAUTHORIZED
    );
    let again = app
        .send(Method::DELETE, &path, Some(&jane.token), None)
        .await;
    assert_eq!(again.code(), "token_not_found");

    for (body, field) in [
        (json!({"name": ""}), "name"),
        (json!({"name": "x", "expiresInDays": 0}), "expiresInDays"),
        (json!({"name": "x", "expiresInDays": 366}), "expiresInDays"),
        (json!({"name": "x", "orgId": "nope"}), "orgId"),
    ] {
        let response = app.post("/api/me/tokens", &jane.token, body.clone()).await;
        response.assert_invalid(field, &body.to_string());
    }
    // Someone else's token id is unknown to this caller.
    let john = app.sign_up("john@example.com").await;
    let johns = app
        .post("/api/me/tokens", &john.token, json!({"name": "mine"}))
        .await;
    let path = format!("/api/me/tokens/{}", johns.body["_id"].as_str().unwrap());
    let theirs = app
        .send(Method::DELETE, &path, Some(&jane.token), None)
        .await;
    assert_eq!(theirs.code(), "token_not_found");
    let john_token = johns.body["token"].as_str().unwrap();
    assert_eq!(app.get("/api/me", john_token).await.status, StatusCode::OK);
}

#[actix_web::test]
async fn a_pinned_token_works_in_its_org_and_nowhere_else() {
    for db in testing::all().await {
        let app = spawn_app_on(db).await;
        let jane = app.sign_up("jane@example.com").await;
        let john = app.sign_up("john@example.com").await;
        let other = app.create_org(&jane, "Other").await; // the oldest membership
        let pinned_org = app.create_org(&jane, "Pinned").await;
        app.add_member(&pinned_org, &john, BuiltinRole::Member)
            .await;
        let foreign = app.create_org(&john, "John's").await;
        let (_, code) = app.create_link(&foreign, &john, json!({})).await;

        let created = app
            .post(
                "/api/me/tokens",
                &jane.token,
                json!({"name": "pinned", "orgId": pinned_org, "expiresInDays": 7}),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        assert_eq!(created.body["orgId"], pinned_org.as_str());
        let token = created.body["token"].as_str().unwrap().to_owned();

        let own = app.get(&format!("/api/orgs/{pinned_org}"), &token).await;
        assert_eq!(own.status, StatusCode::OK);
        for (method, path, body) in [
            (Method::GET, format!("/api/orgs/{other}"), None),
            (
                Method::PUT,
                format!("/api/orgs/{other}"),
                Some(json!({"name": "X"})),
            ),
            (Method::GET, format!("/api/orgs/{other}/members"), None),
            (Method::GET, format!("/api/orgs/{other}/audit-logs"), None),
            (Method::DELETE, format!("/api/orgs/{other}"), None),
            (
                Method::POST,
                format!("/api/orgs/{pinned_org}/members/{}/move", john.id),
                Some(json!({"targetOrgId": other})),
            ),
            (
                Method::PUT,
                "/api/me/active-org".to_owned(),
                Some(json!({"orgId": other})),
            ),
        ] {
            let response = app.send(method.clone(), &path, Some(&token), body).await;
            assert_eq!(
                response.status,
                StatusCode::NOT_FOUND,
                "{method} {path}: {}",
                response.body
            );
        }
        let orgs = app.get("/api/orgs", &token).await;
        let names: Vec<_> = orgs.body["organizations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|org| org["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["Pinned"]);
        let me = app.get("/api/me", &token).await;
        assert_eq!(me.body["memberships"].as_array().unwrap().len(), 1);
        let profile = app.get("/api/org/profile", &token).await;
        assert_eq!(
            profile.body["tenant_id"],
            pinned_org.as_str(),
            "the pin, not the oldest membership"
        );

        for (method, path, body) in [
            (Method::POST, "/api/orgs".to_owned(), json!({"name": "New"})),
            (
                Method::POST,
                "/api/me/tokens".to_owned(),
                json!({"name": "escape"}),
            ),
            (
                Method::POST,
                "/api/me/tokens".to_owned(),
                json!({"name": "escape", "orgId": other}),
            ),
            (Method::POST, format!("/api/join/{code}"), json!({})),
        ] {
            let response = app.send(method, &path, Some(&token), Some(body)).await;
            assert_eq!(
                (response.status, response.code()),
                (StatusCode::FORBIDDEN, "token_pinned"),
                "{path}"
            );
        }
        let johns_members = app
            .get(&format!("/api/orgs/{foreign}/members"), &john.token)
            .await;
        assert_eq!(
            johns_members.body["members"].as_array().unwrap().len(),
            1,
            "nobody joined through the link"
        );
        let sibling = app
            .post(
                "/api/me/tokens",
                &token,
                json!({"name": "sibling", "orgId": pinned_org}),
            )
            .await;
        assert_eq!(sibling.status, StatusCode::CREATED);
        let listed = app.get("/api/me/tokens", &token).await;
        assert_eq!(listed.body["tokens"].as_array().unwrap().len(), 2);

        let stranger = app
            .post(
                "/api/me/tokens",
                &jane.token,
                json!({"name": "x", "orgId": foreign}),
            )
            .await;
        assert_eq!(stranger.code(), "org_not_found");

        // The token goes with its org.
        let deleted = app
            .send(
                Method::DELETE,
                &format!("/api/orgs/{pinned_org}"),
                Some(&jane.token),
                None,
            )
            .await;
        assert_eq!(deleted.status, StatusCode::NO_CONTENT);
        assert_eq!(
            app.get("/api/me", &token).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
}
