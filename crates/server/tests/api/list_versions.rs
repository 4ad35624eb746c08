//! The member list's `ETag` and the server's copy of each page: both move with every change
//! that shows in the list, whichever path makes it, on both databases.

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::test;
use serde_json::{Value, json};
use tenantry_domain::authz::BuiltinRole;
use tenantry_domain::plan::Plan;
use tenantry_persistence::testing;

use crate::helpers::{TestApp, spawn_app_on, tamper};

struct Listed {
    status: StatusCode,
    etag: String,
    body: Value,
}

async fn list<S, B>(app: &TestApp<S>, org: &str, token: &str, if_none_match: Option<&str>) -> Listed
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let mut request = test::TestRequest::get()
        .uri(&format!("/api/orgs/{org}/members"))
        .insert_header((header::AUTHORIZATION, format!("Bearer {token}")));
    if let Some(tag) = if_none_match {
        request = request.insert_header((header::IF_NONE_MATCH, tag));
    }
    let response = test::call_service(app.service(), request.to_request()).await;
    let status = response.status();
    let etag = response
        .headers()
        .get(header::ETAG)
        .map(|tag| tag.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let bytes = test::read_body(response).await;
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Listed { status, etag, body }
}

fn roles(listed: &Listed) -> Vec<(String, String)> {
    listed.body["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let name = m["username"].as_str().unwrap().to_owned();
            (name, m["roleName"].as_str().unwrap().to_owned())
        })
        .collect()
}

#[actix_web::test]
async fn the_list_and_its_etag_follow_every_change_that_shows_in_it() {
    for db in testing::all().await {
        let app = spawn_app_on(db).await;
        let jane = app.sign_up("jane@example.com").await;
        let john = app.sign_up("john@example.com").await;
        let org = app.create_org(&jane, "Acme").await;
        app.set_plan(&org, Plan::Team).await;

        let first = list(&app, &org, &jane.token, None).await;
        assert_eq!(first.status, StatusCode::OK);
        assert!(!first.etag.is_empty());
        let unchanged = list(&app, &org, &jane.token, Some(&first.etag)).await;
        assert_eq!(unchanged.status, StatusCode::NOT_MODIFIED);
        assert_eq!(unchanged.etag, first.etag);
        let again = list(&app, &org, &jane.token, None).await;
        assert_eq!(
            (again.etag.as_str(), &again.body),
            (first.etag.as_str(), &first.body)
        );

        // Each change below must show at once, with a new tag, to a client holding the old one.
        let mut seen = vec![first.etag.clone()];
        let mut after = async |expected: &[(&str, &str)], what: &str| {
            let previous = seen.last().unwrap().clone();
            let listed = list(&app, &org, &jane.token, Some(&previous)).await;
            assert_eq!(listed.status, StatusCode::OK, "{what}");
            assert!(
                !seen.contains(&listed.etag),
                "{what}: tag {} reused",
                listed.etag
            );
            let expected: Vec<(String, String)> = expected
                .iter()
                .map(|(n, r)| ((*n).to_owned(), (*r).to_owned()))
                .collect();
            assert_eq!(roles(&listed), expected, "{what}");
            seen.push(listed.etag);
        };

        app.add_member(&org, &john, BuiltinRole::Admin).await;
        after(&[("jane", "owner"), ("john", "admin")], "member added").await;

        let members = format!("/api/orgs/{org}/members/{}", john.id);
        let changed = app
            .put(&members, &jane.token, json!({"role": "member"}))
            .await;
        assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
        after(&[("jane", "owner"), ("john", "member")], "role changed").await;

        let role = app
            .post(
                &format!("/api/orgs/{org}/roles"),
                &jane.token,
                json!({"name": "Reviewers", "permissions": ["members:read"]}),
            )
            .await;
        let role_id = role.body["_id"].as_str().unwrap().to_owned();
        app.put(&members, &jane.token, json!({"role": role_id}))
            .await;
        after(
            &[("jane", "owner"), ("john", "Reviewers")],
            "custom role given",
        )
        .await;

        let renamed = app
            .send(
                Method::PATCH,
                &format!("/api/orgs/{org}/roles/{role_id}"),
                Some(&jane.token),
                Some(json!({"name": "Auditors of code"})),
            )
            .await;
        assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.body);
        after(
            &[("jane", "owner"), ("john", "Auditors of code")],
            "role renamed",
        )
        .await;

        // No route renames an account yet; the database trigger covers the day one does.
        tamper(
            &app.db,
            "UPDATE users SET name = ? WHERE email = ?",
            vec!["Johnny".into(), "john@example.com".into()],
        )
        .await;
        after(
            &[("jane", "owner"), ("Johnny", "Auditors of code")],
            "user renamed",
        )
        .await;

        let removed = app
            .send(Method::DELETE, &members, Some(&jane.token), None)
            .await;
        assert_eq!(removed.status, StatusCode::NO_CONTENT);
        after(&[("jane", "owner")], "member removed").await;
    }
}

#[actix_web::test]
async fn a_current_etag_opens_nothing_to_those_who_may_not_read_the_list() {
    for db in testing::all().await {
        let app = spawn_app_on(db).await;
        let jane = app.sign_up("jane@example.com").await;
        let viewer = app.sign_up("viewer@example.com").await;
        let stranger = app.sign_up("stranger@example.com").await;
        let org = app.create_org(&jane, "Acme").await;
        app.add_member(&org, &viewer, BuiltinRole::Viewer).await;
        let current = list(&app, &org, &jane.token, None).await;

        let refused = list(&app, &org, &viewer.token, Some(&current.etag)).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        assert_eq!(refused.body["error"]["code"], "forbidden");
        let hidden = list(&app, &org, &stranger.token, Some(&current.etag)).await;
        assert_eq!(hidden.status, StatusCode::NOT_FOUND);
        assert!(hidden.etag.is_empty());
    }
}
