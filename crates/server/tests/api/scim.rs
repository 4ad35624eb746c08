//! SCIM 2.0 as identity providers drive it, through the real app on both databases: an
//! Okta-like and an Entra-like provisioning sequence, what the member list and the audit log
//! show of them, and who may reach an org's directory. The conformance suite (scim2-tester)
//! runs against the binary in `tests/live/scim.rs`.

use actix_web::http::{Method, StatusCode};
use serde_json::{Value, json};
use tenantry_domain::plan::Plan;
use tenantry_persistence::testing;

use crate::helpers::{Account, Response, TestApp, spawn_app, spawn_app_on};

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// An enterprise org with a directory token: the owner, the org and the token.
async fn directory<S, B>(app: &TestApp<S>) -> (Account, String, String)
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let owner = app.sign_up("owner@acme.test").await;
    let org = app.create_org(&owner, "Acme").await;
    app.set_plan(&org, Plan::Enterprise).await;
    let made = app
        .post(
            &format!("/api/orgs/{org}/scim/tokens"),
            &owner.token,
            json!({"name": "idp"}),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    assert_eq!(made.body["scimPath"], format!("/scim/v2/{org}"));
    (owner, org, made.body["token"].as_str().unwrap().to_owned())
}

fn patch(operations: Value) -> Value {
    json!({"schemas": [PATCH], "Operations": operations})
}

async fn members<S, B>(app: &TestApp<S>, org: &str, owner: &Account) -> Vec<Value>
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let listed = app
        .get(&format!("/api/orgs/{org}/members"), &owner.token)
        .await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    listed.body["members"].as_array().unwrap().clone()
}

async fn actions<S, B>(app: &TestApp<S>, org: &str, owner: &Account) -> Vec<String>
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let log = app
        .get(
            &format!("/api/orgs/{org}/audit-logs?limit=200"),
            &owner.token,
        )
        .await;
    assert_eq!(log.status, StatusCode::OK, "{}", log.body);
    let mut names: Vec<String> = log.body["logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["action"].as_str().unwrap().to_owned())
        .collect();
    names.reverse();
    names
}

fn status(response: &Response, expected: StatusCode, step: &str) {
    assert_eq!(response.status, expected, "{step}: {}", response.body);
}

#[actix_web::test]
async fn an_okta_like_sequence_provisions_suspends_restores_and_groups_a_member() {
    for db in testing::all().await {
        let app = spawn_app_on(db).await;
        let (owner, org, token) = directory(&app).await;
        let scim = format!("/scim/v2/{org}");
        // Dana already has an account, signed in with her own session.
        let dana = app.sign_up("dana@acme.test").await;
        let mapped = app
            .put(
                &format!("/api/orgs/{org}/scim/settings"),
                &owner.token,
                json!({"defaultRole": "member", "groupRoles": [{"group": "Engineering", "role": "admin"}]}),
            )
            .await;
        status(&mapped, StatusCode::OK, "settings");

        // Okta looks the person up before it creates them.
        let filter = "filter=userName%20eq%20%22dana%40acme.test%22&startIndex=1&count=100";
        let looked = app.get(&format!("{scim}/Users?{filter}"), &token).await;
        status(&looked, StatusCode::OK, "lookup");
        assert_eq!(looked.body["totalResults"], 0);
        let created = app
            .post(
                &format!("{scim}/Users"),
                &token,
                json!({
                    "schemas": [USER],
                    "userName": "dana@acme.test",
                    "name": {"givenName": "Dana", "familyName": "Scully"},
                    "emails": [{"primary": true, "value": "dana@acme.test", "type": "work"}],
                    "displayName": "Dana Scully",
                    "locale": "en-US",
                    "externalId": "00u1dana",
                    "groups": [],
                    "password": "ignored-by-tenantry",
                    "active": true
                }),
            )
            .await;
        status(&created, StatusCode::CREATED, "create");
        let id = created.body["id"].as_str().unwrap().to_owned();
        assert_eq!(
            id, dana.id,
            "the existing account is provisioned, not a copy"
        );
        assert_eq!(created.body["meta"]["version"], "W/\"1\"");
        assert!(created.body.get("password").is_none());
        let again = app.get(&format!("{scim}/Users?{filter}"), &token).await;
        assert_eq!(again.body["totalResults"], 1);
        assert_eq!(again.body["Resources"][0]["id"], id.as_str());

        // A profile change by PUT, as Okta sends it.
        let mut profile = created.body.clone();
        profile["name"]["familyName"] = json!("Mulder");
        let replaced = app
            .put(&format!("{scim}/Users/{id}"), &token, profile)
            .await;
        status(&replaced, StatusCode::OK, "replace");
        assert_eq!(replaced.body["name"]["familyName"], "Mulder");

        // Deactivation: Dana's own session stops working in the org at once.
        let her_view = format!("/api/orgs/{org}");
        status(
            &app.get(&her_view, &dana.token).await,
            StatusCode::OK,
            "before",
        );
        let off = app
            .send(
                Method::PATCH,
                &format!("{scim}/Users/{id}"),
                Some(&token),
                Some(patch(
                    json!([{"op": "replace", "value": {"active": false}}]),
                )),
            )
            .await;
        status(&off, StatusCode::OK, "deactivate");
        assert_eq!(off.body["active"], false);
        status(
            &app.get(&her_view, &dana.token).await,
            StatusCode::NOT_FOUND,
            "suspended",
        );
        let listed = members(&app, &org, &owner).await;
        let shown = listed.iter().find(|m| m["userId"] == id.as_str()).unwrap();
        assert_eq!(
            (shown["suspended"].as_bool(), shown["role"].as_str()),
            (Some(true), Some("member"))
        );

        let on = app
            .send(
                Method::PATCH,
                &format!("{scim}/Users/{id}"),
                Some(&token),
                Some(patch(json!([{"op": "replace", "value": {"active": true}}]))),
            )
            .await;
        status(&on, StatusCode::OK, "reactivate");
        status(
            &app.get(&her_view, &dana.token).await,
            StatusCode::OK,
            "restored",
        );

        // Group push: the mapped group makes her an admin, leaving it takes that back.
        let group = app
            .post(
                &format!("{scim}/Groups"),
                &token,
                json!({"schemas": [GROUP], "displayName": "Engineering", "members": []}),
            )
            .await;
        status(&group, StatusCode::CREATED, "group");
        let group_id = group.body["id"].as_str().unwrap().to_owned();
        let add = patch(
            json!([{"op": "add", "path": "members", "value": [{"value": id, "display": "dana@acme.test"}]}]),
        );
        let added = app
            .send(
                Method::PATCH,
                &format!("{scim}/Groups/{group_id}"),
                Some(&token),
                Some(add),
            )
            .await;
        status(&added, StatusCode::OK, "group add");
        assert_eq!(added.body["members"][0]["value"], id.as_str());
        let role = |members: Vec<Value>| {
            members
                .iter()
                .find(|m| m["userId"] == id.as_str())
                .map(|m| m["role"].as_str().unwrap().to_owned())
        };
        assert_eq!(
            role(members(&app, &org, &owner).await).as_deref(),
            Some("admin")
        );
        let remove =
            patch(json!([{"op": "remove", "path": format!("members[value eq \"{id}\"]")}]));
        let removed = app
            .send(
                Method::PATCH,
                &format!("{scim}/Groups/{group_id}"),
                Some(&token),
                Some(remove),
            )
            .await;
        status(&removed, StatusCode::OK, "group remove");
        assert!(removed.body.get("members").is_none(), "{}", removed.body);
        assert_eq!(
            role(members(&app, &org, &owner).await).as_deref(),
            Some("member")
        );

        assert_eq!(
            actions(&app, &org, &owner).await,
            [
                "org.created",
                "org.plan_changed",
                "scim.token_created",
                "scim.settings_updated",
                "member.provisioned",
                "scim.user_updated",
                "member.suspended",
                "member.restored",
                "scim.group_created",
                "scim.group_updated",
                "member.role_updated",
                "scim.group_updated",
                "member.role_updated",
            ]
        );
    }
}

#[actix_web::test]
async fn an_entra_like_sequence_with_string_booleans_and_capitalised_operations() {
    for db in testing::all().await {
        let app = spawn_app_on(db).await;
        let (owner, org, token) = directory(&app).await;
        let scim = format!("/scim/v2/{org}");
        let user_name = "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1";
        let lookup = format!("{scim}/Users?filter=userName+eq+%22{user_name}%22");
        assert_eq!(app.get(&lookup, &token).await.body["totalResults"], 0);
        let created = app
            .post(
                &format!("{scim}/Users"),
                &token,
                json!({
                    "schemas": [USER, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
                    "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
                    "userName": user_name,
                    "active": true,
                    "displayName": "Test User",
                    "emails": [{"primary": true, "type": "work", "value": "Test_User@entra.test"}],
                    "name": {"formatted": "Test User", "familyName": "User", "givenName": "Test"}
                }),
            )
            .await;
        status(&created, StatusCode::CREATED, "create");
        let id = created.body["id"].as_str().unwrap().to_owned();
        // The account was made for the address, with the display name.
        let listed = members(&app, &org, &owner).await;
        let made = listed.iter().find(|m| m["userId"] == id.as_str()).unwrap();
        assert_eq!(
            (made["email"].as_str(), made["username"].as_str()),
            (Some("test_user@entra.test"), Some("Test User"))
        );
        // A second create of the same userName, in another case, is a uniqueness conflict.
        let mut twin = created.body.clone();
        twin["userName"] = json!(user_name.to_uppercase());
        let clash = app.post(&format!("{scim}/Users"), &token, twin).await;
        status(&clash, StatusCode::CONFLICT, "duplicate");
        assert_eq!(clash.body["scimType"], "uniqueness");
        assert_eq!(
            clash.body["schemas"][0],
            "urn:ietf:params:scim:api:messages:2.0:Error"
        );

        let updates = patch(json!([
            {"op": "Replace", "path": "displayName", "value": "Tess User"},
            {"op": "Add", "path": "emails[type eq \"work\"].value", "value": "tess@entra.test"},
            {"op": "Replace", "path": "active", "value": "False"}
        ]));
        let patched = app
            .send(
                Method::PATCH,
                &format!("{scim}/Users/{id}"),
                Some(&token),
                Some(updates),
            )
            .await;
        status(&patched, StatusCode::OK, "patch");
        assert_eq!(patched.body["active"], false);
        assert_eq!(patched.body["displayName"], "Tess User");
        assert_eq!(patched.body["emails"][0]["value"], "tess@entra.test");

        let group = app
            .post(
                &format!("{scim}/Groups"),
                &token,
                json!({"schemas": [GROUP], "displayName": "Sales", "externalId": "g-1"}),
            )
            .await;
        status(&group, StatusCode::CREATED, "group");
        let group_id = group.body["id"].as_str().unwrap().to_owned();
        let by_name = app
            .get(
                &format!(
                    "{scim}/Groups?filter=displayName+eq+%22sales%22&excludedAttributes=members"
                ),
                &token,
            )
            .await;
        assert_eq!(by_name.body["totalResults"], 1);
        for (op, count) in [("Add", 1), ("Remove", 0)] {
            let body = patch(json!([{"op": op, "path": "members", "value": [{"value": id}]}]));
            let changed = app
                .send(
                    Method::PATCH,
                    &format!("{scim}/Groups/{group_id}"),
                    Some(&token),
                    Some(body),
                )
                .await;
            status(&changed, StatusCode::OK, op);
            let fetched = app.get(&format!("{scim}/Groups/{group_id}"), &token).await;
            let held = fetched.body["members"].as_array().map_or(0, Vec::len);
            assert_eq!(held, count, "{op}: {}", fetched.body);
        }

        let deleted = app
            .send(
                Method::DELETE,
                &format!("{scim}/Users/{id}"),
                Some(&token),
                None,
            )
            .await;
        status(&deleted, StatusCode::NO_CONTENT, "delete");
        status(
            &app.get(&format!("{scim}/Users/{id}"), &token).await,
            StatusCode::NOT_FOUND,
            "gone",
        );
        assert!(
            members(&app, &org, &owner)
                .await
                .iter()
                .all(|m| m["userId"] != id.as_str())
        );
        let log = actions(&app, &org, &owner).await;
        assert_eq!(log.last().map(String::as_str), Some("member.deprovisioned"));
        assert!(log.contains(&"member.suspended".to_owned()), "{log:?}");
    }
}

#[actix_web::test]
async fn a_directory_reaches_its_own_org_only_and_needs_enterprise() {
    let app = spawn_app().await;
    let (owner, org, token) = directory(&app).await;
    let other_owner = app.sign_up("other@beta.test").await;
    let other = app.create_org(&other_owner, "Beta").await;
    app.set_plan(&other, Plan::Enterprise).await;

    for (path, bearer) in [
        (format!("/scim/v2/{other}/Users"), token.as_str()),
        (format!("/scim/v2/{org}/Users"), owner.token.as_str()),
        (format!("/scim/v2/{org}/Users"), "tnt_scim_made-up"),
    ] {
        let refused = app.get(&path, bearer).await;
        status(&refused, StatusCode::UNAUTHORIZED, &path);
        assert_eq!(refused.body["status"], "401");
    }
    // The token reaches nothing of the API either.
    status(
        &app.get(&format!("/api/orgs/{org}"), &token).await,
        StatusCode::UNAUTHORIZED,
        "api",
    );

    // Only the owner manages tokens; an admin is refused and the other owner sees no org.
    let admin = app.sign_up("admin@acme.test").await;
    app.add_member(&org, &admin, tenantry_domain::authz::BuiltinRole::Admin)
        .await;
    let tokens = format!("/api/orgs/{org}/scim/tokens");
    let as_admin = app.get(&tokens, &admin.token).await;
    assert_eq!(
        (as_admin.status, as_admin.code()),
        (StatusCode::FORBIDDEN, "forbidden")
    );
    let stranger = app.get(&tokens, &other_owner.token).await;
    assert_eq!(
        (stranger.status, stranger.code()),
        (StatusCode::NOT_FOUND, "org_not_found")
    );

    // Below Enterprise, the directory stops answering and no token can be made.
    app.set_plan(&org, Plan::Team).await;
    let downgraded = app.get(&format!("/scim/v2/{org}/Users"), &token).await;
    status(&downgraded, StatusCode::FORBIDDEN, "team plan");
    let made = app
        .post(&tokens, &owner.token, json!({"name": "again"}))
        .await;
    assert_eq!(
        (made.status, made.code()),
        (StatusCode::FORBIDDEN, "plan_upgrade_required")
    );

    // A revoked token stops at once.
    app.set_plan(&org, Plan::Enterprise).await;
    let listed = app.get(&tokens, &owner.token).await;
    let id = listed.body["tokens"][0]["_id"].as_str().unwrap().to_owned();
    let revoked = app
        .send(
            Method::DELETE,
            &format!("{tokens}/{id}"),
            Some(&owner.token),
            None,
        )
        .await;
    status(&revoked, StatusCode::NO_CONTENT, "revoke");
    status(
        &app.get(&format!("/scim/v2/{org}/Users"), &token).await,
        StatusCode::UNAUTHORIZED,
        "revoked",
    );
}

#[actix_web::test]
async fn bad_input_gets_a_scim_error_and_changes_nothing() {
    let app = spawn_app().await;
    let (owner, org, token) = directory(&app).await;
    let scim = format!("/scim/v2/{org}");
    for (body, scim_type) in [
        (
            json!({"schemas": [USER], "emails": [{"value": "x@acme.test"}]}),
            "invalidValue",
        ),
        (
            json!({"schemas": [USER], "userName": "no-address"}),
            "invalidValue",
        ),
        (
            json!({"schemas": [USER], "userName": "a@acme.test", "active": "maybe"}),
            "invalidValue",
        ),
        (
            json!({"schemas": [USER], "userName": "a@acme.test", "emails": [{"value": "not an address"}]}),
            "invalidValue",
        ),
    ] {
        let refused = app
            .post(&format!("{scim}/Users"), &token, body.clone())
            .await;
        status(&refused, StatusCode::BAD_REQUEST, &body.to_string());
        assert_eq!(refused.body["scimType"], scim_type, "{body}");
    }
    let bad_filter = app
        .get(&format!("{scim}/Users?filter=userName+eq"), &token)
        .await;
    status(&bad_filter, StatusCode::BAD_REQUEST, "filter");
    assert_eq!(bad_filter.body["scimType"], "invalidFilter");
    let group = app
        .post(
            &format!("{scim}/Groups"),
            &token,
            json!({"schemas": [GROUP], "displayName": "G", "members": [{"value": owner.id}]}),
        )
        .await;
    status(
        &group,
        StatusCode::BAD_REQUEST,
        "a member the directory does not manage",
    );
    status(
        &app.get(&format!("{scim}/Nope"), &token).await,
        StatusCode::NOT_FOUND,
        "unknown path",
    );
    assert_eq!(members(&app, &org, &owner).await.len(), 1);
    assert_eq!(
        actions(&app, &org, &owner).await,
        ["org.created", "org.plan_changed", "scim.token_created"]
    );
}
