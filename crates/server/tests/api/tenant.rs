//! The tenant face, `/api/org/...`: which org it works on, that it agrees with `/api/orgs`
//! over the same data, and that no path, body or login reaches another tenant.

use actix_web::http::{Method, StatusCode};
use serde_json::{Value, json};
use tenantry_domain::authz::BuiltinRole;
use tenantry_domain::plan::Plan;
use tenantry_persistence::testing;

use crate::helpers::spawn_app_on;

const ROUTES: [(&str, &str); 4] = [
    ("GET", "/api/org/profile"),
    ("PUT", "/api/org/profile"),
    ("GET", "/api/org/members"),
    ("POST", "/api/org/members/invite"),
];

fn body_for(method: &str) -> Option<Value> {
    match method {
        "PUT" => Some(json!({"name": "Renamed"})),
        "POST" => Some(json!({"email": "new@example.com", "role": "member"})),
        _ => None,
    }
}

#[actix_web::test]
async fn the_profile_is_the_oldest_membership_until_another_is_chosen_and_agrees_with_api_orgs() {
    for db in testing::all().await {
        let app = spawn_app_on(db).await;
        let owner = app.sign_up("owner@example.com").await;
        let first = app.create_org(&owner, "First").await;
        let second = app.create_org(&owner, "Second").await;
        app.set_plan(&second, Plan::Team).await;

        let profile = app.get("/api/org/profile", &owner.token).await;
        assert_eq!(profile.status, StatusCode::OK, "{}", profile.body);
        let org = app.get(&format!("/api/orgs/{first}"), &owner.token).await;
        assert_eq!(profile.body["tenant_id"], first.as_str());
        assert_eq!(profile.body["name"], org.body["name"]);
        assert_eq!(profile.body["created_at"], org.body["createdAt"]);
        assert_eq!(profile.body["license_tier"], "FREE");
        assert_eq!(profile.body["max_users"], 5);
        assert_eq!(profile.body["max_frameworks"], 1);
        assert_eq!(
            profile.body["feature_flags"],
            json!({"custom_roles": false, "audit_export": false, "scim": false})
        );
        assert_eq!(profile.body["settings"], json!({}));

        let switched = app
            .send(
                Method::PUT,
                "/api/me/active-org",
                Some(&owner.token),
                Some(json!({"orgId": second})),
            )
            .await;
        assert_eq!(switched.status, StatusCode::NO_CONTENT, "{}", switched.body);
        let profile = app.get("/api/org/profile", &owner.token).await;
        assert_eq!(profile.body["tenant_id"], second.as_str());
        assert_eq!(profile.body["license_tier"], "TEAM");
        assert_eq!(profile.body["max_users"], 50);
        assert_eq!(
            profile.body["feature_flags"],
            json!({"custom_roles": true, "audit_export": true, "scim": false})
        );

        // Another session of the same user keeps its own choice; login can make one.
        let straight_in = app.log_in(&owner, Some(&second)).await;
        assert_eq!(straight_in.status, StatusCode::OK, "{}", straight_in.body);
        let token = straight_in.body["token"].as_str().unwrap();
        let profile = app.get("/api/org/profile", token).await;
        assert_eq!(profile.body["tenant_id"], second.as_str());
        let plain = app.log_in(&owner, None).await;
        let profile = app
            .get("/api/org/profile", plain.body["token"].as_str().unwrap())
            .await;
        assert_eq!(profile.body["tenant_id"], first.as_str());
    }
}

#[actix_web::test]
async fn another_tenant_cannot_be_chosen_by_switch_login_or_body() {
    for db in testing::all().await {
        let app = spawn_app_on(db).await;
        let jane = app.sign_up("jane@example.com").await;
        let mallory = app.sign_up("mallory@example.com").await;
        let acme = app.create_org(&jane, "Acme").await;
        let own = app.create_org(&mallory, "Mallory's").await;

        let switch = app
            .send(
                Method::PUT,
                "/api/me/active-org",
                Some(&mallory.token),
                Some(json!({"orgId": acme})),
            )
            .await;
        assert_eq!(
            (switch.status, switch.code()),
            (StatusCode::NOT_FOUND, "org_not_found")
        );
        for bad in [json!({"orgId": "acme"}), json!({}), json!({"orgId": 5})] {
            let response = app
                .send(
                    Method::PUT,
                    "/api/me/active-org",
                    Some(&mallory.token),
                    Some(bad.clone()),
                )
                .await;
            assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        }

        let login = app.log_in(&mallory, Some(&acme)).await;
        assert_eq!(
            (login.status, login.code()),
            (StatusCode::NOT_FOUND, "org_not_found")
        );
        assert!(login.body.get("token").is_none());
        let wrong_password = app
            .send(
                Method::POST,
                "/api/auth/login",
                None,
                Some(json!({"email": mallory.email, "password": "not it", "orgId": acme})),
            )
            .await;
        assert_eq!(
            wrong_password.code(),
            "invalid_credentials",
            "membership is not revealed before the password is right"
        );

        // A body cannot name a tenant either.
        let smuggled = app
            .send(
                Method::PUT,
                "/api/org/profile",
                Some(&mallory.token),
                Some(json!({"name": "Owned", "tenant_id": acme})),
            )
            .await;
        assert_eq!(smuggled.status, StatusCode::UNPROCESSABLE_ENTITY);
        for (method, path) in ROUTES {
            let response = app
                .send(
                    method.parse().unwrap(),
                    path,
                    Some(&mallory.token),
                    body_for(method),
                )
                .await;
            assert!(
                response.status.is_success(),
                "{method} {path}: {}",
                response.body
            );
        }
        let acme_view = app.get(&format!("/api/orgs/{acme}"), &jane.token).await;
        assert_eq!(acme_view.body["name"], "Acme", "untouched");
        let own_view = app.get(&format!("/api/orgs/{own}"), &mallory.token).await;
        assert_eq!(
            own_view.body["name"], "Renamed",
            "the caller's own org changed"
        );
    }
}

#[actix_web::test]
async fn without_a_membership_or_after_leaving_the_active_org_the_routes_answer_409() {
    for db in testing::all().await {
        let app = spawn_app_on(db).await;
        let loner = app.sign_up("loner@example.com").await;
        for (method, path) in ROUTES {
            let response = app
                .send(
                    method.parse().unwrap(),
                    path,
                    Some(&loner.token),
                    body_for(method),
                )
                .await;
            assert_eq!(
                (response.status, response.code()),
                (StatusCode::CONFLICT, "no_active_org"),
                "{method} {path}"
            );
        }

        let owner = app.sign_up("owner@example.com").await;
        let first = app.create_org(&loner, "Loner's").await;
        let acme = app.create_org(&owner, "Acme").await;
        app.add_member(&acme, &loner, BuiltinRole::Admin).await;
        let chosen = app.log_in(&loner, Some(&acme)).await;
        let token = chosen.body["token"].as_str().unwrap().to_owned();
        let removed = app
            .send(
                Method::DELETE,
                &format!("/api/orgs/{acme}/members/{}", loner.id),
                Some(&owner.token),
                None,
            )
            .await;
        assert_eq!(removed.status, StatusCode::NO_CONTENT);
        let response = app.get("/api/org/profile", &token).await;
        assert_eq!(
            (response.status, response.code()),
            (StatusCode::CONFLICT, "active_org_unavailable"),
            "not silently another tenant"
        );
        // Choosing again puts the session back to work.
        app.send(
            Method::PUT,
            "/api/me/active-org",
            Some(&token),
            Some(json!({"orgId": first})),
        )
        .await;
        let response = app.get("/api/org/profile", &token).await;
        assert_eq!(response.body["tenant_id"], first.as_str());
    }
}

#[actix_web::test]
async fn profile_updates_are_partial_validated_whole_and_audited() {
    for db in testing::all().await {
        let app = spawn_app_on(db).await;
        let owner = app.sign_up("owner@example.com").await;
        let admin = app.sign_up("admin@example.com").await;
        let auditor = app.sign_up("auditor@example.com").await;
        let org = app.create_org(&owner, "Acme").await;
        app.add_member(&org, &admin, BuiltinRole::Admin).await;
        app.add_member(&org, &auditor, BuiltinRole::Auditor).await;

        let response = app
            .put(
                "/api/org/profile",
                &admin.token,
                json!({"settings": {"region": "eu-west-1", "retention_days": 90, "sso": true}}),
            )
            .await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.body);
        assert_eq!(response.body["name"], "Acme", "omitted, so kept");
        let response = app
            .put(
                "/api/org/profile",
                &owner.token,
                json!({"name": "Acme Corp", "settings": {"sso": null, "retention_days": 30}}),
            )
            .await;
        assert_eq!(response.body["name"], "Acme Corp");
        assert_eq!(
            response.body["settings"],
            json!({"region": "eu-west-1", "retention_days": 30})
        );

        for (body, field) in [
            (json!({"settings": {"Bad-Key": 1}}), "settings"),
            (json!({"settings": {"list": [1, 2]}}), "settings"),
            (json!({"settings": {"ratio": 0.5}}), "settings"),
            (json!({"settings": {"motto": "x".repeat(1001)}}), "settings"),
            (json!({"settings": {"ok": true}, "name": " "}), "name"),
        ] {
            let response = app
                .put("/api/org/profile", &owner.token, body.clone())
                .await;
            response.assert_invalid(field, &body.to_string());
        }
        let many: serde_json::Map<String, Value> =
            (0..49).map(|n| (format!("k{n}"), json!(n))).collect();
        let response = app
            .put(
                "/api/org/profile",
                &owner.token,
                json!({ "settings": many }),
            )
            .await;
        assert_eq!(
            response.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "51 settings"
        );

        let denied = app
            .put("/api/org/profile", &auditor.token, json!({"name": "Mine"}))
            .await;
        assert_eq!(
            (denied.status, denied.code()),
            (StatusCode::FORBIDDEN, "forbidden")
        );
        let profile = app.get("/api/org/profile", &auditor.token).await;
        assert_eq!(profile.body["name"], "Acme Corp", "nothing changed since");
        assert_eq!(
            profile.body["settings"],
            json!({"region": "eu-west-1", "retention_days": 30})
        );

        let logs = app
            .get(
                &format!("/api/orgs/{org}/audit-logs?action=org.updated"),
                &owner.token,
            )
            .await;
        let logs = logs.body["logs"].as_array().unwrap();
        assert_eq!(logs.len(), 2, "one event per successful update");
        assert_eq!(logs[0]["metadata"]["name"], "Acme Corp");
        assert_eq!(logs[0]["metadata"]["settings"], "retention_days,sso");
        assert_eq!(
            logs[1]["metadata"]["settings"], "region,retention_days,sso",
            "names only: values may be private"
        );
        assert!(!logs[1].to_string().contains("eu-west-1"));
    }
}

#[actix_web::test]
async fn members_show_last_login_and_mfa_filter_by_role_and_match_the_other_face() {
    for db in testing::all().await {
        let app = spawn_app_on(db).await;
        let owner = app.sign_up("owner@example.com").await;
        let org = app.create_org(&owner, "Acme").await;
        let mut people = Vec::new();
        for (email, role) in [
            ("admin@example.com", BuiltinRole::Admin),
            ("auditor@example.com", BuiltinRole::Auditor),
            ("member@example.com", BuiltinRole::Member),
        ] {
            let account = app.sign_up(email).await;
            app.add_member(&org, &account, role).await;
            people.push(account);
        }
        let (admin, auditor, member) = (&people[0], &people[1], &people[2]);

        let list = app.get("/api/org/members", &auditor.token).await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.body);
        let tenant_face = list.body.as_array().unwrap();
        let other_face = app
            .get(&format!("/api/orgs/{org}/members"), &owner.token)
            .await;
        let other_face = other_face.body["members"].as_array().unwrap();
        assert_eq!(tenant_face.len(), 4);
        for (mine, theirs) in tenant_face.iter().zip(other_face) {
            assert_eq!(mine["id"], theirs["userId"]);
            assert_eq!(mine["email"], theirs["email"]);
            assert_eq!(mine["name"], theirs["username"]);
            assert_eq!(mine["role"], theirs["role"]);
            assert_eq!(mine["mfa_enabled"], false);
            assert!(mine["last_login"].as_str().unwrap().ends_with('Z'));
        }

        let admins = app.get("/api/org/members?role=admin", &admin.token).await;
        let admins = admins.body.as_array().unwrap();
        assert_eq!(admins.len(), 1);
        assert_eq!(admins[0]["email"], admin.email);
        let owners = app.get("/api/org/members?role=owner", &admin.token).await;
        assert_eq!(owners.body[0]["email"], owner.email);
        let bad = app.get("/api/org/members?role=boss", &admin.token).await;
        bad.assert_invalid("role", "?role=boss");
        let denied = app.get("/api/org/members", &member.token).await;
        assert_eq!(denied.status, StatusCode::FORBIDDEN);
    }
}

#[actix_web::test]
async fn inviting_through_the_tenant_face_is_the_same_invitation_and_e_mail() {
    for db in testing::all().await {
        let app = spawn_app_on(db).await;
        let owner = app.sign_up("owner@example.com").await;
        let auditor = app.sign_up("auditor@example.com").await;
        let org = app.create_org(&owner, "Acme").await;
        app.add_member(&org, &auditor, BuiltinRole::Auditor).await;

        let invited = app
            .post(
                "/api/org/members/invite",
                &owner.token,
                json!({"email": "New@Example.com", "role": "auditor"}),
            )
            .await;
        assert_eq!(invited.status, StatusCode::CREATED, "{}", invited.body);
        assert_eq!(invited.body["email"], "new@example.com");
        assert_eq!(invited.body["role"], "auditor");
        assert_eq!(invited.body["status"], "pending");
        let listed = app
            .get(&format!("/api/orgs/{org}/invitations"), &owner.token)
            .await;
        let listed = listed.body["invitations"].as_array().unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0]["_id"], invited.body["id"]);
        let mail = app.deliver_mail().await;
        assert_eq!(mail.len(), 1);
        assert_eq!(mail[0].to.to_string(), "new@example.com");

        for role in ["owner", "viewer", "superuser"] {
            let response = app
                .post(
                    "/api/org/members/invite",
                    &owner.token,
                    json!({"email": "x@example.com", "role": role}),
                )
                .await;
            response.assert_invalid("role", role);
        }
        let denied = app
            .post(
                "/api/org/members/invite",
                &auditor.token,
                json!({"email": "y@example.com", "role": "member"}),
            )
            .await;
        assert_eq!(denied.status, StatusCode::FORBIDDEN);
        let again = app
            .post(
                "/api/org/members/invite",
                &owner.token,
                json!({"email": "new@example.com", "role": "member"}),
            )
            .await;
        assert_eq!(again.code(), "already_invited");
    }
}

/// Every route of the face for every built-in role, as `org-endpoint.md` and `docs/roles.md`
/// say; and a 401 without a token.
#[actix_web::test]
async fn each_role_gets_what_the_spec_allows() {
    use BuiltinRole::{Admin, Auditor, Member, Owner, Viewer};
    let app = crate::helpers::spawn_app().await;
    let boss = app.sign_up("boss@example.com").await;
    let expected: [(&str, &str, &[BuiltinRole], StatusCode); 4] = [
        (
            "GET",
            "/api/org/profile",
            &[Owner, Admin, Auditor, Member, Viewer],
            StatusCode::OK,
        ),
        ("PUT", "/api/org/profile", &[Owner, Admin], StatusCode::OK),
        (
            "GET",
            "/api/org/members",
            &[Owner, Admin, Auditor],
            StatusCode::OK,
        ),
        (
            "POST",
            "/api/org/members/invite",
            &[Owner, Admin],
            StatusCode::CREATED,
        ),
    ];
    for (n, role) in [Owner, Admin, Auditor, Member, Viewer]
        .into_iter()
        .enumerate()
    {
        let actor = app.sign_up(&format!("{}@example.com", role.name())).await;
        let org = if role == Owner {
            app.create_org(&actor, "Own").await
        } else {
            let org = app.create_org(&boss, &format!("Org {n}")).await;
            app.add_member(&org, &actor, role).await;
            org
        };
        app.set_plan(&org, Plan::Enterprise).await;
        for (method, path, allowed, success) in expected {
            let response = app
                .send(
                    method.parse().unwrap(),
                    path,
                    Some(&actor.token),
                    body_for(method),
                )
                .await;
            let want = if allowed.contains(&role) {
                success
            } else {
                StatusCode::FORBIDDEN
            };
            assert_eq!(
                response.status, want,
                "{method} {path} as {role}: {}",
                response.body
            );
            let anonymous = app
                .send(method.parse().unwrap(), path, None, body_for(method))
                .await;
            assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
        }
    }
}
