use actix_web::http::{Method, StatusCode};
use serde_json::json;

use crate::helpers::spawn_app;

#[actix_web::test]
async fn sign_up_normalises_the_email_and_returns_a_working_token() {
    let app = spawn_app().await;
    let response = app
        .post_sign_up(
            json!({"email": "  Jane@Example.COM ", "password": "correct horse", "name": " Jane "}),
        )
        .await;
    assert_eq!(response.status, StatusCode::CREATED);
    assert_eq!(response.body["user"]["email"], "jane@example.com");
    assert_eq!(response.body["user"]["name"], "Jane");
    let token = response.body["token"].as_str().unwrap();
    assert!(response.body["expiresAt"].as_str().unwrap().ends_with('Z'));

    let me = app.get("/api/me", token).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["user"]["email"], "jane@example.com");
    assert_eq!(me.body["memberships"], json!([]));
}

#[actix_web::test]
async fn a_taken_email_is_409_in_any_case() {
    let app = spawn_app().await;
    app.sign_up("jane@example.com").await;
    let response = app
        .post_sign_up(json!({"email": "JANE@example.com", "password": "another one", "name": "J"}))
        .await;
    assert_eq!(response.status, StatusCode::CONFLICT);
    assert_eq!(response.code(), "email_taken");
}

#[actix_web::test]
async fn a_short_password_is_422_naming_the_rule() {
    let app = spawn_app().await;
    let response = app
        .post_sign_up(json!({"email": "jane@example.com", "password": "short", "name": "Jane"}))
        .await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(response.body["error"]["field"], "password");
    assert!(
        response.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("at least 8 characters")
    );
}

#[actix_web::test]
async fn wrong_email_and_wrong_password_get_the_same_401() {
    let app = spawn_app().await;
    app.sign_up("jane@example.com").await;
    let attempt = |email: &'static str, password: &'static str| {
        app.send(
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"email": email, "password": password})),
        )
    };
    let wrong_password = attempt("jane@example.com", "not her password").await;
    let unknown_email = attempt("nobody@example.com", "correct horse").await;
    assert_eq!(wrong_password.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong_password.body, unknown_email.body);
    assert_eq!(unknown_email.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong_password.code(), "invalid_credentials");

    let right = attempt("JANE@example.com", "correct horse").await;
    assert_eq!(right.status, StatusCode::OK);
    let last_login = right.body["user"]["lastLoginAt"].as_str().unwrap();
    assert!(last_login.ends_with('Z'), "{last_login}");
}

#[actix_web::test]
async fn logout_revokes_the_token_at_once_but_not_other_sessions() {
    let app = spawn_app().await;
    let jane = app.sign_up("jane@example.com").await;
    let second = app
        .send(
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"email": "jane@example.com", "password": "correct horse"})),
        )
        .await;
    let second_token = second.body["token"].as_str().unwrap();

    let out = app
        .send(Method::POST, "/api/auth/logout", Some(&jane.token), None)
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    let after = app.get("/api/orgs", &jane.token).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    assert_eq!(after.code(), "unauthenticated");
    assert_eq!(
        app.get("/api/orgs", second_token).await.status,
        StatusCode::OK
    );
}

#[actix_web::test]
async fn every_bad_authorization_header_is_401_with_the_error_body() {
    let app = spawn_app().await;
    let jane = app.sign_up("jane@example.com").await;
    let headers = [
        None,
        Some("".to_owned()),
        Some("Bearer".to_owned()),
        Some("Bearer ".to_owned()),
        Some(format!("Basic {}", jane.token)),
        Some("Bearer tnt_not-a-token-we-issued".to_owned()),
        Some(format!("Bearer {}", "x".repeat(300))),
    ];
    for header in headers {
        let mut request = actix_web::test::TestRequest::get().uri("/api/orgs");
        if let Some(value) = &header {
            request = request.insert_header(("Authorization", value.as_str()));
        }
        let response = app.raw(request.to_request()).await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{header:?}");
        assert_eq!(response.code(), "unauthenticated", "{header:?}");
    }
    let lower_case_scheme = actix_web::test::TestRequest::get()
        .uri("/api/orgs")
        .insert_header(("Authorization", format!("bearer {}", jane.token)))
        .to_request();
    assert_eq!(app.raw(lower_case_scheme).await.status, StatusCode::OK);
}

#[actix_web::test]
async fn an_expired_token_is_refused() {
    use tenantry_domain::clock::Clock;
    use tenantry_domain::ids::SessionId;
    use tenantry_domain::ports::UnitOfWork;
    use tenantry_domain::user::{Session, SessionToken};

    let app = spawn_app().await;
    let jane = app.sign_up("jane@example.com").await;
    let token = SessionToken::generate();
    let now = tenantry_domain::clock::SystemClock.now();
    let tx = app.db.database.begin().await.unwrap();
    tx.sessions()
        .insert_session(&Session {
            id: SessionId::generate(),
            user_id: jane.id.parse().unwrap(),
            token_hash: token.hash(),
            created_at: now - time::Duration::days(31),
            expires_at: now - time::Duration::seconds(1),
            active_org: None,
            name: None,
            pinned_org: None,
            service: false,
        })
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let response = app.get("/api/orgs", token.expose()).await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
}

fn login_from(ip: &str, email: &str) -> actix_http::Request {
    actix_web::test::TestRequest::post()
        .uri("/api/auth/login")
        .peer_addr(format!("{ip}:40000").parse().unwrap())
        .insert_header(actix_web::http::header::ContentType::json())
        .set_payload(json!({"email": email, "password": "guess guess"}).to_string())
        .to_request()
}

#[actix_web::test]
async fn password_guessing_is_cut_off_per_client_with_429_and_retry_after() {
    let app = spawn_app().await;
    app.sign_up("jane@example.com").await;
    for attempt in 0..10 {
        let email = format!("guess{attempt}@example.com");
        let response = app.raw(login_from("203.0.113.7", &email)).await;
        assert_eq!(
            response.status,
            StatusCode::UNAUTHORIZED,
            "attempt {attempt}"
        );
    }
    let limited = app.raw(login_from("203.0.113.7", "jane@example.com")).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.code(), "rate_limited");
    // Another client is not affected.
    let other = app
        .raw(login_from("198.51.100.1", "jane@example.com"))
        .await;
    assert_eq!(other.status, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn guessing_one_accounts_password_from_many_clients_is_cut_off_too() {
    let app = spawn_app().await;
    app.sign_up("jane@example.com").await;
    for client in 0..10 {
        let response = app
            .raw(login_from(&format!("192.0.2.{client}"), "Jane@Example.com"))
            .await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED, "client {client}");
    }
    let request = actix_web::test::TestRequest::post()
        .uri("/api/auth/login")
        .peer_addr("192.0.2.99:40000".parse().unwrap())
        .insert_header(actix_web::http::header::ContentType::json())
        .set_payload(json!({"email": "jane@example.com", "password": "correct horse"}).to_string())
        .to_request();
    let response = actix_web::test::call_service(&app.service(), request).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after = response
        .headers()
        .get("retry-after")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(retry_after.parse::<u64>().unwrap() >= 1, "{retry_after}");
}

#[actix_web::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_allowance() {
    let config = tenantry_server::Config {
        trusted_proxies: "10.0.0.1".into(),
        ..Default::default()
    };
    let app =
        crate::helpers::spawn_app_with(config, tenantry_persistence::testing::sqlite().await).await;
    let via = |peer: &str, forwarded: &str| {
        actix_web::test::TestRequest::post()
            .uri("/api/auth/login")
            .peer_addr(format!("{peer}:40000").parse().unwrap())
            .insert_header(("X-Forwarded-For", forwarded.to_owned()))
            .insert_header(actix_web::http::header::ContentType::json())
            .set_payload(json!({"email": "x@example.com", "password": "guess guess"}).to_string())
            .to_request()
    };
    for _ in 0..10 {
        let response = app.raw(via("10.0.0.1", "203.0.113.7")).await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    }
    let limited = app.raw(via("10.0.0.1", "203.0.113.7")).await;
    assert_eq!(limited.code(), "rate_limited");
    // Another client behind the same proxy has its own allowance (with another account name:
    // x@example.com's own allowance is spent too).
    let neighbour = actix_web::test::TestRequest::post()
        .uri("/api/auth/login")
        .peer_addr("10.0.0.1:40000".parse().unwrap())
        .insert_header(("X-Forwarded-For", "198.51.100.4"))
        .insert_header(actix_web::http::header::ContentType::json())
        .set_payload(json!({"email": "y@example.com", "password": "guess guess"}).to_string())
        .to_request();
    assert_eq!(app.raw(neighbour).await.status, StatusCode::UNAUTHORIZED);
    // From a peer that is not a trusted proxy the header is ignored: the peer, whose allowance
    // is spent, cannot get a fresh one by naming someone else.
    let spoofed = actix_web::test::TestRequest::post()
        .uri("/api/auth/login")
        .peer_addr("203.0.113.7:40000".parse().unwrap())
        .insert_header(("X-Forwarded-For", "198.51.100.99"))
        .insert_header(actix_web::http::header::ContentType::json())
        .set_payload(json!({"email": "z@example.com", "password": "guess guess"}).to_string())
        .to_request();
    assert_eq!(app.raw(spoofed).await.code(), "rate_limited");
}
