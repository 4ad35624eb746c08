//! `/api/orgs/{orgId}/webhooks`: the rules of the API (who, what URL, which events, the secret
//! shown once). Delivery against a real receiver is in `tests/live/webhooks.rs`; the role
//! matrix against the binary in `tests/live/owasp.rs`.

use actix_web::http::{Method, StatusCode};
use serde_json::json;
use tenantry_domain::authz::BuiltinRole;
use tenantry_persistence::testing;

use crate::helpers::{spawn_app, spawn_app_on};

/// A public address no request is sent to: the API tests run no delivery worker.
const PUBLIC_URL: &str = "https://93.184.216.34/hooks/tenantry";

#[actix_web::test]
async fn managers_create_change_and_delete_webhooks_and_the_secret_is_shown_once() {
    for db in testing::all().await {
        let app = spawn_app_on(db).await;
        let owner = app.sign_up("owner@example.com").await;
        let admin = app.sign_up("admin@example.com").await;
        let org = app.create_org(&owner, "Acme").await;
        app.add_member(&org, &admin, BuiltinRole::Admin).await;
        let hooks = format!("/api/orgs/{org}/webhooks");

        let body = json!({"url": PUBLIC_URL, "events": ["member.joined", "org.created"]});
        let created = app.post(&hooks, &admin.token, body).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        let secret = created.body["secret"].as_str().unwrap();
        assert!(secret.starts_with("whsec_"), "{secret}");
        assert_eq!(created.body["url"], PUBLIC_URL);
        // Listed in the catalogue's order, whatever the request's.
        assert_eq!(
            created.body["events"],
            json!(["org.created", "member.joined"])
        );
        let id = created.body["_id"].as_str().unwrap().to_owned();

        let listed = app.get(&hooks, &owner.token).await;
        assert_eq!(listed.status, StatusCode::OK);
        assert_eq!(listed.body["webhooks"][0]["_id"], id.as_str());
        assert!(
            !listed.body.to_string().contains(&secret[6..]),
            "the secret is never listed"
        );
        let audit = app
            .get(
                &format!("/api/orgs/{org}/audit-logs?action=webhook.created"),
                &owner.token,
            )
            .await;
        assert_eq!(audit.body["total"], 1);
        assert!(!audit.body.to_string().contains(&secret[6..]));

        let path = format!("{hooks}/{id}");
        let changed = app
            .send(
                Method::PATCH,
                &path,
                Some(&owner.token),
                Some(json!({"events": ["member.left"]})),
            )
            .await;
        assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
        assert_eq!(changed.body["events"], json!(["member.left"]));
        assert_eq!(changed.body["url"], PUBLIC_URL, "what is left out stays");

        let deliveries = app.get(&format!("{path}/deliveries"), &owner.token).await;
        assert_eq!(deliveries.status, StatusCode::OK);
        assert_eq!(deliveries.body["total"], 0);

        let deleted = app
            .send(Method::DELETE, &path, Some(&owner.token), None)
            .await;
        assert_eq!(deleted.status, StatusCode::NO_CONTENT);
        let again = app
            .send(Method::DELETE, &path, Some(&owner.token), None)
            .await;
        assert_eq!(
            (again.status, again.code()),
            (StatusCode::NOT_FOUND, "webhook_not_found")
        );
    }
}

#[actix_web::test]
async fn private_loopback_and_link_local_targets_are_refused_by_default() {
    let app = spawn_app().await;
    let owner = app.sign_up("owner@example.com").await;
    let org = app.create_org(&owner, "Acme").await;
    let hooks = format!("/api/orgs/{org}/webhooks");
    for url in [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://[::1]/hook",
        "http://10.0.0.7/hook",
        "http://192.168.1.20/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:10.0.0.7]/hook",
        "http://0.0.0.0/hook",
    ] {
        let response = app
            .post(
                &hooks,
                &owner.token,
                json!({"url": url, "events": ["org.updated"]}),
            )
            .await;
        response.assert_invalid("url", url);
    }
    let listed = app.get(&hooks, &owner.token).await;
    assert_eq!(listed.body["webhooks"], json!([]), "nothing was stored");

    // A change to a private target is refused the same way.
    let created = app
        .post(
            &hooks,
            &owner.token,
            json!({"url": PUBLIC_URL, "events": ["org.updated"]}),
        )
        .await;
    let path = format!("{hooks}/{}", created.body["_id"].as_str().unwrap());
    let response = app
        .send(
            Method::PATCH,
            &path,
            Some(&owner.token),
            Some(json!({"url": "http://10.1.1.1/"})),
        )
        .await;
    response.assert_invalid("url", "patch to a private address");
}

#[actix_web::test]
async fn bad_urls_and_event_names_are_named_in_the_error() {
    let app = spawn_app().await;
    let owner = app.sign_up("owner@example.com").await;
    let org = app.create_org(&owner, "Acme").await;
    let hooks = format!("/api/orgs/{org}/webhooks");
    for (body, field) in [
        (
            json!({"url": "ftp://93.184.216.34/", "events": ["org.updated"]}),
            "url",
        ),
        (
            json!({"url": "https://u:p@93.184.216.34/", "events": ["org.updated"]}),
            "url",
        ),
        (
            json!({"url": "not a url", "events": ["org.updated"]}),
            "url",
        ),
        (json!({"url": PUBLIC_URL, "events": []}), "events"),
        (
            json!({"url": PUBLIC_URL, "events": ["org.exploded"]}),
            "events",
        ),
        (
            json!({"url": PUBLIC_URL, "events": ["org.updated", "org.updated"]}),
            "events",
        ),
    ] {
        let response = app.post(&hooks, &owner.token, body.clone()).await;
        response.assert_invalid(field, &body.to_string());
    }
    let unknown = app
        .post(
            &hooks,
            &owner.token,
            json!({"url": PUBLIC_URL, "events": ["org.exploded"]}),
        )
        .await;
    assert!(
        unknown.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("org.exploded"),
        "{}",
        unknown.body
    );
}

#[actix_web::test]
async fn an_org_keeps_at_most_twenty_webhooks() {
    let app = spawn_app().await;
    let owner = app.sign_up("owner@example.com").await;
    let org = app.create_org(&owner, "Acme").await;
    let hooks = format!("/api/orgs/{org}/webhooks");
    let body = json!({"url": PUBLIC_URL, "events": ["org.updated"]});
    for _ in 0..tenantry_domain::webhook::MAX_WEBHOOKS_PER_ORG {
        let created = app.post(&hooks, &owner.token, body.clone()).await;
        assert_eq!(created.status, StatusCode::CREATED);
    }
    let refused = app.post(&hooks, &owner.token, body).await;
    assert_eq!(
        (refused.status, refused.code()),
        (StatusCode::CONFLICT, "webhook_limit_reached")
    );
}
