//! `Idempotency-Key` on POST: a retry gets the first answer and changes nothing more; the
//! same key for another request is refused; keys belong to the token that sent them; of
//! concurrent requests with one key, one does the work.

use actix_http::Request;
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::test;
use futures::future::join_all;
use serde_json::{Value, json};

use crate::helpers::{Account, TestApp, spawn_app};

struct Answer {
    status: StatusCode,
    replayed: bool,
    body: Value,
}

async fn post_with_key<S, B>(
    app: &TestApp<S>,
    token: &str,
    path: &str,
    key: &str,
    body: Value,
) -> Answer
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let request = test::TestRequest::post()
        .uri(path)
        .insert_header((header::AUTHORIZATION, format!("Bearer {token}")))
        .insert_header(("Idempotency-Key", key))
        .insert_header(header::ContentType::json())
        .set_payload(body.to_string())
        .to_request();
    let response = test::call_service(app.service(), request).await;
    let status = response.status();
    let replayed = response.headers().get("idempotent-replayed").is_some();
    let request_id = response.headers().get("x-request-id").cloned();
    let body: Value = serde_json::from_slice(&test::read_body(response).await).unwrap();
    if let Some(named) = body["error"]["requestId"].as_str() {
        assert_eq!(
            Some(named),
            request_id.as_ref().and_then(|id| id.to_str().ok()),
            "an error, replayed or not, names the request it answers"
        );
    }
    Answer {
        status,
        replayed,
        body,
    }
}

async fn org_count<S, B>(app: &TestApp<S>, account: &Account) -> usize
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let orgs = app.get("/api/orgs", &account.token).await;
    orgs.body["organizations"].as_array().unwrap().len()
}

#[actix_web::test]
async fn a_retry_gets_the_first_answer_and_makes_nothing_more() {
    let app = spawn_app().await;
    let owner = app.sign_up("owner@example.com").await;
    let body = json!({"name": "Acme"});

    let first = post_with_key(&app, &owner.token, "/api/orgs", "retry-1", body.clone()).await;
    assert_eq!((first.status, first.replayed), (StatusCode::CREATED, false));
    let again = post_with_key(&app, &owner.token, "/api/orgs", "retry-1", body).await;
    assert_eq!((again.status, again.replayed), (StatusCode::CREATED, true));
    assert_eq!(again.body, first.body);
    assert_eq!(org_count(&app, &owner).await, 1);

    let other = json!({"name": "Other"});
    let reused = post_with_key(&app, &owner.token, "/api/orgs", "retry-1", other).await;
    assert_eq!(
        (
            reused.status,
            reused.body["error"]["code"].as_str(),
            reused.body["error"]["field"].as_str()
        ),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("idempotency_key_reused"),
            Some("Idempotency-Key")
        )
    );
    assert_eq!(org_count(&app, &owner).await, 1);

    // Without a key, or with a new one, each request is its own.
    let fresh = post_with_key(
        &app,
        &owner.token,
        "/api/orgs",
        "retry-2",
        json!({"name": "Acme"}),
    )
    .await;
    assert_eq!((fresh.status, fresh.replayed), (StatusCode::CREATED, false));
    assert_ne!(fresh.body["_id"], first.body["_id"]);
}

#[actix_web::test]
async fn keys_belong_to_the_token_that_sent_them() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice@example.com").await;
    let bob = app.sign_up("bob@example.com").await;
    let body = json!({"name": "Shared name"});
    let mine = post_with_key(&app, &alice.token, "/api/orgs", "same-key", body.clone()).await;
    let theirs = post_with_key(&app, &bob.token, "/api/orgs", "same-key", body).await;
    assert_eq!(
        (theirs.status, theirs.replayed),
        (StatusCode::CREATED, false)
    );
    assert_ne!(mine.body["_id"], theirs.body["_id"]);
    assert_eq!(org_count(&app, &bob).await, 1);
}

#[actix_web::test]
async fn a_refusal_is_replayed_too_but_an_authentication_failure_is_not_kept() {
    let app = spawn_app().await;
    let owner = app.sign_up("owner@example.com").await;
    let body = json!({"name": ""});
    let first = post_with_key(&app, &owner.token, "/api/orgs", "bad", body.clone()).await;
    assert_eq!(first.status, StatusCode::UNPROCESSABLE_ENTITY);
    let again = post_with_key(&app, &owner.token, "/api/orgs", "bad", body).await;
    assert_eq!(
        (again.status, again.replayed),
        (StatusCode::UNPROCESSABLE_ENTITY, true)
    );
    assert_eq!(again.body["error"]["code"], first.body["error"]["code"]);

    for _ in 0..2 {
        let refused = post_with_key(
            &app,
            "tnt_not-a-token",
            "/api/orgs",
            "k",
            json!({"name": "A"}),
        )
        .await;
        assert_eq!(
            (refused.status, refused.replayed),
            (StatusCode::UNAUTHORIZED, false)
        );
    }

    let bad_key = post_with_key(
        &app,
        &owner.token,
        "/api/orgs",
        "has space",
        json!({"name": "A"}),
    )
    .await;
    assert_eq!(
        (bad_key.status, bad_key.body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("Idempotency-Key"))
    );
    assert_eq!(org_count(&app, &owner).await, 0);
}

#[actix_web::test]
async fn of_concurrent_requests_with_one_key_one_does_the_work() {
    let app = spawn_app().await;
    let owner = app.sign_up("owner@example.com").await;
    let org = app.create_org(&owner, "Acme").await;
    let path = format!("/api/orgs/{org}/invitations/email");
    let body = json!({"email": "new@example.com", "role": "viewer"});

    let answers = join_all(
        (0..8).map(|_| post_with_key(&app, &owner.token, &path, "invite-once", body.clone())),
    )
    .await;

    let created: Vec<_> = answers
        .iter()
        .filter(|answer| answer.status == StatusCode::CREATED)
        .collect();
    assert!(!created.is_empty());
    assert!(
        created
            .iter()
            .all(|answer| answer.body["_id"] == created[0].body["_id"])
    );
    for answer in &answers {
        assert!(
            answer.status == StatusCode::CREATED
                || (answer.status == StatusCode::CONFLICT
                    && answer.body["error"]["code"] == "idempotency_in_progress"),
            "{} {}",
            answer.status,
            answer.body
        );
    }
    let invitations = app
        .get(&format!("/api/orgs/{org}/invitations"), &owner.token)
        .await;
    assert_eq!(invitations.body["invitations"].as_array().unwrap().len(), 1);
    let after = post_with_key(&app, &owner.token, &path, "invite-once", body).await;
    assert_eq!((after.status, after.replayed), (StatusCode::CREATED, true));
}

/// A kept answer can hold a secret shown once (here a webhook's signing secret): it is
/// stored sealed, and a replay still gives it back.
#[actix_web::test]
async fn a_kept_answer_is_sealed_at_rest_and_replayed_whole() {
    use sea_orm::{ConnectionTrait, Statement};
    let app = spawn_app().await;
    let owner = app.sign_up("owner@example.com").await;
    let org = app.create_org(&owner, "Acme").await;
    let path = format!("/api/orgs/{org}/webhooks");
    let body = json!({"url": "https://93.184.216.34/in", "events": ["org.updated"]});

    let first = post_with_key(&app, &owner.token, &path, "hook-1", body.clone()).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let secret = first.body["secret"].as_str().unwrap().to_owned();

    let connection = app.db.database.connection();
    let rows = connection
        .query_all_raw(Statement::from_string(
            connection.get_database_backend(),
            "SELECT body FROM idempotency_keys",
        ))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let kept: Vec<u8> = rows[0].try_get("", "body").unwrap();
    let kept = String::from_utf8_lossy(&kept);
    assert!(
        !kept.contains(&secret[6..]),
        "the secret is kept in the clear: {kept}"
    );
    assert!(
        !kept.contains("93.184.216.34"),
        "the answer is kept in the clear: {kept}"
    );

    let again = post_with_key(&app, &owner.token, &path, "hook-1", body).await;
    assert!(again.replayed);
    assert_eq!(
        again.body, first.body,
        "the replay is the first answer, secret included"
    );
}
