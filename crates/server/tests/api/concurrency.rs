//! The one-owner invariant under concurrent requests: transfers racing each other and
//! removals, fired at once at SQLite and (when configured) PostgreSQL.

use actix_web::http::{Method, StatusCode};
use futures::future::join_all;
use serde_json::json;
use tenantry_domain::authz::BuiltinRole;
use tenantry_persistence::testing;

use crate::helpers::spawn_app_on;

#[actix_web::test]
async fn an_org_keeps_exactly_one_owner_under_racing_transfers_and_removals() {
    for db in testing::all().await {
        let app = spawn_app_on(db).await;
        let owner = app.sign_up("owner@example.com").await;
        let a = app.sign_up("a@example.com").await;
        let b = app.sign_up("b@example.com").await;
        for round in 0..8 {
            let org = app.create_org(&owner, &format!("Race {round}")).await;
            app.add_member(&org, &a, BuiltinRole::Admin).await;
            app.add_member(&org, &b, BuiltinRole::Admin).await;
            let transfer = format!("/api/orgs/{org}/transfer-ownership");
            let requests = [
                (
                    Method::POST,
                    transfer.clone(),
                    Some(json!({"newOwnerId": a.id})),
                ),
                (
                    Method::POST,
                    transfer.clone(),
                    Some(json!({"newOwnerId": b.id})),
                ),
                (
                    Method::DELETE,
                    format!("/api/orgs/{org}/members/{}", a.id),
                    None,
                ),
                (
                    Method::DELETE,
                    format!("/api/orgs/{org}/members/{}", b.id),
                    None,
                ),
                (Method::POST, format!("/api/orgs/{org}/leave"), None),
            ];
            let responses = join_all(requests.iter().map(|(method, path, body)| {
                app.send(method.clone(), path, Some(&owner.token), body.clone())
            }))
            .await;
            for response in &responses {
                assert!(
                    response.status.is_success() || response.status.is_client_error(),
                    "{} {}",
                    response.status,
                    response.body
                );
            }
            let transfers_won = responses[..2]
                .iter()
                .filter(|r| r.status == StatusCode::NO_CONTENT)
                .count();
            assert!(transfers_won <= 1, "both transfers succeeded");

            let owners = count_owners(app.db.database.connection(), &org).await;
            assert_eq!(owners, 1, "round {round}: {owners} owners");
        }
    }
}

async fn count_owners(connection: &sea_orm::DatabaseConnection, org: &str) -> i64 {
    use sea_orm::{ConnectionTrait, Statement};
    let backend = connection.get_database_backend();
    let placeholder = match backend {
        sea_orm::DbBackend::Postgres => "$1",
        _ => "?",
    };
    let org: uuid::Uuid = org.parse().unwrap();
    let row = connection
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            format!("SELECT COUNT(*) AS owners FROM memberships WHERE org_id = {placeholder} AND role = 'owner'"),
            [org.into()],
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "owners").unwrap()
}

#[actix_web::test]
async fn moves_racing_for_the_last_seat_fill_it_once() {
    for db in testing::all().await {
        let app = spawn_app_on(db).await;
        let owner = app.sign_up("owner@example.com").await;
        let mut movers = Vec::new();
        for name in ["a", "b", "c", "d"] {
            movers.push(app.sign_up(&format!("{name}@example.com")).await);
        }
        let seats: Vec<_> = (0..3).map(|i| format!("seat{i}@example.com")).collect();
        let mut seated = Vec::new();
        for email in &seats {
            seated.push(app.sign_up(email).await);
        }
        for round in 0..5 {
            let target = app
                .create_org(&owner, &format!("Almost full {round}"))
                .await;
            for seat in &seated {
                app.add_member(&target, seat, BuiltinRole::Viewer).await;
            }
            // Four of the free plan's five seats are taken; four members race for the fifth.
            let mut paths = Vec::new();
            for mover in &movers {
                let source = app.create_org(&owner, "Source").await;
                app.add_member(&source, mover, BuiltinRole::Member).await;
                paths.push(format!("/api/orgs/{source}/members/{}/move", mover.id));
            }
            let responses = join_all(paths.iter().map(|path| {
                app.send(
                    Method::POST,
                    path,
                    Some(&owner.token),
                    Some(json!({"targetOrgId": target})),
                )
            }))
            .await;
            let statuses: Vec<_> = responses.iter().map(|r| r.status).collect();
            let moved = statuses.iter().filter(|s| **s == StatusCode::OK).count();
            assert_eq!(moved, 1, "round {round}: {statuses:?}");
            let org = app.get(&format!("/api/orgs/{target}"), &owner.token).await;
            assert_eq!(org.body["memberCount"], 5, "round {round}");
        }
    }
}

#[actix_web::test]
async fn racing_accepts_of_one_invitation_make_one_membership() {
    for db in testing::all().await {
        let app = spawn_app_on(db).await;
        let owner = app.sign_up("owner@example.com").await;
        let bob = app.sign_up("bob@example.com").await;
        for round in 0..5 {
            let org = app.create_org(&owner, &format!("Race {round}")).await;
            let token = app.invite(&org, &owner, "bob@example.com", "member").await;
            let accept = format!("/api/invitations/{token}/accept");
            let responses =
                join_all((0..4).map(|_| app.send(Method::POST, &accept, Some(&bob.token), None)))
                    .await;
            let statuses: Vec<_> = responses.iter().map(|r| r.status).collect();
            let won = statuses.iter().filter(|s| **s == StatusCode::OK).count();
            assert_eq!(won, 1, "round {round}: {statuses:?}");
            for response in responses.iter().filter(|r| r.status != StatusCode::OK) {
                assert_eq!(response.code(), "invitation_used", "round {round}");
            }
            let org = app.get(&format!("/api/orgs/{org}"), &owner.token).await;
            assert_eq!(org.body["memberCount"], 2, "round {round}");
        }
    }
}

#[actix_web::test]
async fn people_racing_for_the_last_use_of_a_join_link_get_it_once() {
    for db in testing::all().await {
        let app = spawn_app_on(db).await;
        let owner = app.sign_up("owner@example.com").await;
        let mut joiners = Vec::new();
        for name in ["a", "b", "c", "d"] {
            joiners.push(app.sign_up(&format!("{name}@example.com")).await);
        }
        for round in 0..5 {
            let org = app.create_org(&owner, &format!("Race {round}")).await;
            let (_, code) = app.create_link(&org, &owner, json!({"maxUses": 1})).await;
            let join = format!("/api/join/{code}");
            let responses = join_all(
                joiners
                    .iter()
                    .map(|joiner| app.send(Method::POST, &join, Some(&joiner.token), None)),
            )
            .await;
            let statuses: Vec<_> = responses.iter().map(|r| r.status).collect();
            let won = statuses.iter().filter(|s| **s == StatusCode::OK).count();
            assert_eq!(won, 1, "round {round}: {statuses:?}");
            assert!(
                statuses
                    .iter()
                    .all(|s| *s == StatusCode::OK || *s == StatusCode::GONE),
                "round {round}: {statuses:?}"
            );
            let org = app.get(&format!("/api/orgs/{org}"), &owner.token).await;
            assert_eq!(org.body["memberCount"], 2, "round {round}");
        }
    }
}

#[actix_web::test]
async fn racing_registrations_through_one_invitation_make_one_account_and_one_membership() {
    for db in testing::all().await {
        let app = spawn_app_on(db).await;
        let owner = app.sign_up("owner@example.com").await;
        for round in 0..3 {
            let org = app.create_org(&owner, &format!("Race {round}")).await;
            let email = format!("new{round}@example.com");
            let token = app.invite(&org, &owner, &email, "member").await;
            let accept = format!("/api/invitations/{token}/accept");
            let body = json!({"name": "Newcomer", "password": "correct horse"});
            let responses =
                join_all((0..3).map(|_| app.send(Method::POST, &accept, None, Some(body.clone()))))
                    .await;
            let statuses: Vec<_> = responses.iter().map(|r| r.status).collect();
            let won = statuses
                .iter()
                .filter(|s| **s == StatusCode::CREATED)
                .count();
            assert_eq!(won, 1, "round {round}: {statuses:?}");
            for response in responses.iter().filter(|r| r.status != StatusCode::CREATED) {
                assert!(
                    ["account_exists", "invitation_used"].contains(&response.code()),
                    "round {round}: {}",
                    response.body
                );
            }
            let org = app.get(&format!("/api/orgs/{org}"), &owner.token).await;
            assert_eq!(org.body["memberCount"], 2, "round {round}");
        }
    }
}
