//! `POST /api/orgs/{orgId}/permissions/check` and `.../check-batch`: the verdicts other
//! services act on, and who may ask.

use actix_web::http::StatusCode;
use serde_json::{Value, json};
use tenantry_domain::authz::BuiltinRole;
use tenantry_domain::plan::Plan;

use crate::helpers::spawn_app;

/// Every slug of the catalogue, in order.
const CATALOGUE: [&str; 15] = [
    "repositories:read",
    "repositories:write",
    "scans:read",
    "scans:write",
    "drifts:read",
    "drifts:write",
    "guardrails:read",
    "guardrails:write",
    "members:read",
    "members:write",
    "settings:read",
    "settings:write",
    "billing:read",
    "billing:write",
    "audit:read",
];

/// Whether `role` holds `slug`, in the words of `docs/roles.md`: the owner every permission,
/// an admin all but `billing:write`, an auditor every `:read`, a member read and write on
/// repositories, scans, drifts and guardrails, a viewer read on those.
fn documented(role: BuiltinRole, slug: &str) -> bool {
    let (resource, action) = slug.split_once(':').unwrap();
    let product = ["repositories", "scans", "drifts", "guardrails"].contains(&resource);
    match role {
        BuiltinRole::Owner => true,
        BuiltinRole::Admin => slug != "billing:write",
        BuiltinRole::Auditor => action == "read",
        BuiltinRole::Member => product,
        BuiltinRole::Viewer => product && action == "read",
    }
}

fn check(user: &str, permissions: &[&str]) -> Value {
    json!({"userId": user, "permissions": permissions})
}

#[actix_web::test]
async fn explains_every_permission_for_each_built_in_role_and_a_custom_role() {
    let app = spawn_app().await;
    let owner = app.sign_up("owner@example.com").await;
    let org = app.create_org(&owner, "Acme").await;
    app.set_plan(&org, Plan::Team).await;
    let path = format!("/api/orgs/{org}/permissions/check");

    for role in BuiltinRole::ALL {
        let account = if role == BuiltinRole::Owner {
            owner.clone()
        } else {
            let account = app.sign_up(&format!("{}@example.com", role.name())).await;
            app.add_member(&org, &account, role).await;
            account
        };
        let answer = app
            .post(&path, &owner.token, check(&account.id, &CATALOGUE))
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        assert_eq!(answer.body["allowed"], role == BuiltinRole::Owner);
        let results = answer.body["results"].as_array().unwrap();
        assert_eq!(results.len(), CATALOGUE.len());
        for (slug, result) in CATALOGUE.iter().zip(results) {
            let allowed = documented(role, slug);
            let reason = if allowed {
                "granted_by_role"
            } else {
                "role_lacks_permission"
            };
            assert_eq!(
                result,
                &json!({
                    "userId": account.id,
                    "permission": slug,
                    "allowed": allowed,
                    "reason": reason,
                    "role": {"_id": null, "name": role.name(), "builtin": true},
                }),
                "{role:?}"
            );
        }
    }

    let role = app
        .post(
            &format!("/api/orgs/{org}/roles"),
            &owner.token,
            json!({"name": "Scanner", "permissions": ["scans:read", "scans:write"]}),
        )
        .await;
    let role_id = role.body["_id"].as_str().unwrap().to_owned();
    let scanner = app.sign_up("scanner@example.com").await;
    app.add_member(&org, &scanner, BuiltinRole::Viewer).await;
    let assigned = app
        .put(
            &format!("/api/orgs/{org}/members/{}", scanner.id),
            &owner.token,
            json!({ "role": role_id }),
        )
        .await;
    assert_eq!(assigned.status, StatusCode::OK, "{}", assigned.body);
    let answer = app
        .post(
            &path,
            &owner.token,
            check(&scanner.id, &["scans:write", "repositories:read"]),
        )
        .await;
    let role_ref = json!({"_id": role_id, "name": "Scanner", "builtin": false});
    assert_eq!(
        answer.body,
        json!({
            "allowed": false,
            "results": [
                {"userId": scanner.id, "permission": "scans:write", "allowed": true,
                 "reason": "granted_by_role", "role": role_ref},
                {"userId": scanner.id, "permission": "repositories:read", "allowed": false,
                 "reason": "role_lacks_permission", "role": role_ref},
            ]
        })
    );
}

#[actix_web::test]
async fn members_ask_about_themselves_readers_about_anyone_strangers_learn_nothing() {
    let app = spawn_app().await;
    let owner = app.sign_up("owner@example.com").await;
    let org = app.create_org(&owner, "Acme").await;
    let viewer = app.sign_up("viewer@example.com").await;
    let auditor = app.sign_up("auditor@example.com").await;
    let outsider = app.sign_up("outsider@example.com").await;
    app.add_member(&org, &viewer, BuiltinRole::Viewer).await;
    app.add_member(&org, &auditor, BuiltinRole::Auditor).await;
    let path = format!("/api/orgs/{org}/permissions/check");

    let own = app
        .post(&path, &viewer.token, check(&viewer.id, &["scans:read"]))
        .await;
    assert_eq!(
        (own.status, &own.body["allowed"]),
        (StatusCode::OK, &json!(true))
    );

    let about_other = app
        .post(&path, &viewer.token, check(&owner.id, &["scans:read"]))
        .await;
    assert_eq!(
        (about_other.status, about_other.code()),
        (StatusCode::FORBIDDEN, "forbidden")
    );

    let by_reader = app
        .post(&path, &auditor.token, check(&outsider.id, &["scans:read"]))
        .await;
    assert_eq!(by_reader.status, StatusCode::OK, "{}", by_reader.body);
    assert_eq!(
        by_reader.body["results"][0],
        json!({"userId": outsider.id, "permission": "scans:read", "allowed": false,
               "reason": "not_a_member", "role": null})
    );

    for asker in [&outsider, &viewer] {
        let foreign = app
            .create_org(
                &app.sign_up(&format!("o{}@example.com", asker.id)).await,
                "Other",
            )
            .await;
        let answer = app
            .post(
                &format!("/api/orgs/{foreign}/permissions/check"),
                &asker.token,
                check(&asker.id, &["scans:read"]),
            )
            .await;
        assert_eq!(
            (answer.status, answer.code()),
            (StatusCode::NOT_FOUND, "org_not_found")
        );
    }
}

#[actix_web::test]
async fn unknown_slugs_and_too_many_questions_are_refused_by_name() {
    let app = spawn_app().await;
    let owner = app.sign_up("owner@example.com").await;
    let org = app.create_org(&owner, "Acme").await;
    let path = format!("/api/orgs/{org}/permissions/check");

    let unknown = app
        .post(
            &path,
            &owner.token,
            check(&owner.id, &["scans:read", "root", "scans:delete"]),
        )
        .await;
    unknown.assert_invalid("permissions", "unknown slugs");
    let message = unknown.body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("`root`") && message.contains("`scans:delete`"),
        "{message}"
    );
    app.post(&path, &owner.token, check(&owner.id, &[]))
        .await
        .assert_invalid("permissions", "no permission");
    app.post(&path, &owner.token, check("not-a-user", &["scans:read"]))
        .await
        .assert_invalid("userId", "a user id that is not one");

    let batch = format!("/api/orgs/{org}/permissions/check-batch");
    let question = json!({"userId": owner.id, "permission": "audit:read"});
    let most = app
        .post(
            &batch,
            &owner.token,
            json!({ "checks": vec![question.clone(); 100] }),
        )
        .await;
    assert_eq!(most.status, StatusCode::OK, "{}", most.body);
    assert_eq!(most.body["results"].as_array().unwrap().len(), 100);
    app.post(
        &batch,
        &owner.token,
        json!({ "checks": vec![question; 101] }),
    )
    .await
    .assert_invalid("checks", "101 questions");
    app.post(
        &batch,
        &owner.token,
        json!({"checks": [{"userId": owner.id, "permission": "audit:write"}]}),
    )
    .await
    .assert_invalid("checks", "an unknown slug in a batch");
}

#[actix_web::test]
async fn a_batch_answers_in_order_and_needs_members_read_for_others() {
    let app = spawn_app().await;
    let owner = app.sign_up("owner@example.com").await;
    let org = app.create_org(&owner, "Acme").await;
    let member = app.sign_up("member@example.com").await;
    app.add_member(&org, &member, BuiltinRole::Member).await;
    let batch = format!("/api/orgs/{org}/permissions/check-batch");
    let checks = json!({"checks": [
        {"userId": member.id, "permission": "scans:write"},
        {"userId": owner.id, "permission": "billing:write"},
        {"userId": member.id, "permission": "members:read"},
    ]});

    let answer = app.post(&batch, &owner.token, checks.clone()).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let summary: Vec<_> = answer.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["userId"].as_str().unwrap().to_owned(),
                r["permission"].clone(),
                r["allowed"].clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (member.id.clone(), json!("scans:write"), json!(true)),
            (owner.id.clone(), json!("billing:write"), json!(true)),
            (member.id.clone(), json!("members:read"), json!(false)),
        ]
    );
    assert_eq!(answer.body["allowed"], false);

    let refused = app.post(&batch, &member.token, checks).await;
    assert_eq!(
        (refused.status, refused.code()),
        (StatusCode::FORBIDDEN, "forbidden")
    );
    let own = app
        .post(
            &batch,
            &member.token,
            json!({"checks": [{"userId": member.id, "permission": "scans:write"}]}),
        )
        .await;
    assert_eq!(
        (own.status, &own.body["allowed"]),
        (StatusCode::OK, &json!(true))
    );
}

#[actix_web::test]
async fn an_owners_service_token_checks_anyone_in_its_org_and_does_nothing_else() {
    let app = spawn_app().await;
    let owner = app.sign_up("owner@example.com").await;
    let org = app.create_org(&owner, "Acme").await;
    let other_org = app.create_org(&owner, "Other").await;
    let admin = app.sign_up("admin@example.com").await;
    let viewer = app.sign_up("viewer@example.com").await;
    app.add_member(&org, &admin, BuiltinRole::Admin).await;
    app.add_member(&org, &viewer, BuiltinRole::Viewer).await;

    let by_admin = app
        .post(
            "/api/me/tokens",
            &admin.token,
            json!({"name": "svc", "orgId": org, "service": true}),
        )
        .await;
    assert_eq!(
        (by_admin.status, by_admin.code()),
        (StatusCode::FORBIDDEN, "forbidden")
    );
    app.post(
        "/api/me/tokens",
        &owner.token,
        json!({"name": "svc", "service": true}),
    )
    .await
    .assert_invalid("orgId", "a service token that names no org");
    let made = app
        .post(
            "/api/me/tokens",
            &owner.token,
            json!({"name": "svc", "orgId": org, "service": true}),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    assert_eq!(made.body["service"], true);
    let service = made.body["token"].as_str().unwrap().to_owned();
    let listed = app.get("/api/me/tokens", &owner.token).await;
    assert_eq!(listed.body["tokens"][0]["service"], true, "{}", listed.body);

    let answer = app
        .post(
            &format!("/api/orgs/{org}/permissions/check"),
            &service,
            check(&viewer.id, &["scans:read", "scans:write"]),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let allowed: Vec<_> = answer.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["allowed"].clone())
        .collect();
    assert_eq!(allowed, [json!(true), json!(false)]);

    let elsewhere = app
        .post(
            &format!("/api/orgs/{other_org}/permissions/check"),
            &service,
            check(&owner.id, &["scans:read"]),
        )
        .await;
    assert_eq!(
        (elsewhere.status, elsewhere.code()),
        (StatusCode::NOT_FOUND, "org_not_found")
    );
    for (method, path, body) in [
        ("GET", format!("/api/orgs/{org}"), None),
        ("GET", format!("/api/orgs/{org}/members"), None),
        ("GET", "/api/me".to_owned(), None),
        (
            "POST",
            "/api/orgs".to_owned(),
            Some(json!({"name": "Mine"})),
        ),
        (
            "POST",
            "/api/me/tokens".to_owned(),
            Some(json!({"name": "more", "orgId": org})),
        ),
        (
            "PUT",
            format!("/api/orgs/{org}"),
            Some(json!({"name": "Renamed"})),
        ),
    ] {
        let method = actix_web::http::Method::from_bytes(method.as_bytes()).unwrap();
        let refused = app.send(method, &path, Some(&service), body).await;
        assert_eq!(
            (refused.status, refused.code()),
            (StatusCode::FORBIDDEN, "service_token_scope"),
            "{path}"
        );
    }
    let orgs = app.get("/api/orgs", &owner.token).await;
    assert_eq!(
        orgs.body["organizations"].as_array().map(Vec::len),
        Some(2),
        "no org was made: {}",
        orgs.body
    );
}
