//! Password reset on both databases: asking answers the same whether or not an address has an
//! account; the mailed link sets a new password once, within its hour, ends every sign-in
//! session of the account and verifies its address; an account never verified before (a
//! squatter's) also loses its API tokens; the page the link opens does the same without
//! JavaScript.

use actix_web::http::{Method, StatusCode};
use serde_json::json;
use tenantry_domain::mail::MailContent;
use tenantry_persistence::testing;

use crate::helpers::{Response, TestApp, spawn_app, spawn_app_on, tamper};

/// What a [`TestApp`] wraps: the actix app, whatever its concrete type.
trait AppService:
    actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<Self::Body>,
        Error = actix_web::Error,
    >
{
    type Body: actix_web::body::MessageBody;
}

impl<S, B> AppService for S
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    type Body = B;
}

/// The token in a reset e-mail's link.
fn reset_token_in(mail: &tenantry_domain::mail::Mail) -> String {
    let MailContent::PasswordReset(reset) = &mail.content else {
        panic!("not a reset link: {mail:?}");
    };
    let (_, token) = reset.link.rsplit_once("/reset-password/").unwrap();
    token.to_owned()
}

/// `POST /api/auth/password-reset` for `email`.
async fn ask(app: &TestApp<impl AppService>, email: &str) -> Response {
    let body = json!({"email": email});
    app.send(Method::POST, "/api/auth/password-reset", None, Some(body))
        .await
}

/// `POST /api/auth/password-reset/confirm` with `token` and `password`.
async fn confirm(app: &TestApp<impl AppService>, token: &str, password: &str) -> Response {
    let body = json!({"token": token, "password": password});
    app.send(
        Method::POST,
        "/api/auth/password-reset/confirm",
        None,
        Some(body),
    )
    .await
}

/// `POST /api/auth/login` as `email` with `password`.
async fn sign_in(app: &TestApp<impl AppService>, email: &str, password: &str) -> Response {
    let body = json!({"email": email, "password": password});
    app.send(Method::POST, "/api/auth/login", None, Some(body))
        .await
}

#[actix_web::test]
async fn a_mailed_link_sets_a_new_password_once_and_signs_the_account_out_everywhere() {
    for db in testing::all().await {
        let app = spawn_app_on(db).await;
        let jane = app.sign_up("jane@example.com").await;
        // Jane followed her sign-up link: the account is hers.
        tamper(
            &app.db,
            "UPDATE users SET email_verified_at = ?",
            vec![time::OffsetDateTime::now_utc().into()],
        )
        .await;
        let api_token = app
            .post("/api/me/tokens", &jane.token, json!({"name": "ci"}))
            .await;
        assert_eq!(api_token.status, StatusCode::CREATED, "{}", api_token.body);
        let api_token = api_token.body["token"].as_str().unwrap().to_owned();

        // A known and an unknown address get the same answer; only the known one gets mail.
        let known = ask(&app, "Jane@Example.com").await;
        let unknown = ask(&app, "nobody@example.com").await;
        assert_eq!(
            (known.status, unknown.status),
            (StatusCode::ACCEPTED, StatusCode::ACCEPTED)
        );
        assert_eq!(known.body, unknown.body);
        let mails = app.deliver_mail().await;
        assert_eq!(mails.len(), 1, "{mails:?}");
        assert_eq!(mails[0].to.as_str(), "jane@example.com");
        let token = reset_token_in(&mails[0]);

        confirm(&app, &token, "short")
            .await
            .assert_invalid("password", "the rules of sign-up");
        let set = confirm(&app, &token, "a brand new horse").await;
        assert_eq!(set.status, StatusCode::NO_CONTENT, "{}", set.body);
        let again = confirm(&app, &token, "yet another horse").await;
        assert_eq!(
            (again.status, again.code()),
            (StatusCode::NOT_FOUND, "password_reset_not_found"),
            "a link works once"
        );

        // The old password and the old session are gone; the API token stays.
        assert_eq!(app.log_in(&jane, None).await.code(), "invalid_credentials");
        let signed_in = sign_in(&app, "jane@example.com", "a brand new horse").await;
        assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.body);
        assert_eq!(
            app.get("/api/me", &jane.token).await.status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(app.get("/api/me", &api_token).await.status, StatusCode::OK);
    }
}

#[actix_web::test]
async fn the_owner_of_an_address_takes_back_an_account_someone_else_signed_up_with_it() {
    for db in testing::all().await {
        let app = spawn_app_on(db).await;
        // A squatter signs up with Jane's address, which they cannot read, and keeps a token.
        let squatter = app.sign_up("jane@example.com").await;
        let kept = app
            .post("/api/me/tokens", &squatter.token, json!({"name": "kept"}))
            .await;
        let kept = kept.body["token"].as_str().unwrap().to_owned();

        ask(&app, "jane@example.com").await;
        let token = reset_token_in(&app.deliver_mail().await[0]);
        let set = confirm(&app, &token, "jane's own horse").await;
        assert_eq!(set.status, StatusCode::NO_CONTENT, "{}", set.body);

        assert_eq!(
            app.get("/api/me", &kept).await.status,
            StatusCode::UNAUTHORIZED
        );
        let jane = sign_in(&app, "jane@example.com", "jane's own horse").await;
        assert_eq!(jane.status, StatusCode::OK, "{}", jane.body);
        // Reading the mailbox proved the address.
        let me = app
            .get("/api/me", jane.body["token"].as_str().unwrap())
            .await;
        assert_eq!(me.body["user"]["emailVerified"], true, "{}", me.body);
    }
}

#[actix_web::test]
async fn an_expired_or_replaced_link_sets_nothing() {
    for db in testing::all().await {
        let app = spawn_app_on(db).await;
        let jane = app.sign_up("jane@example.com").await;
        ask(&app, "jane@example.com").await;
        // Asked again at once: no second mail, and the first link still works.
        ask(&app, "jane@example.com").await;
        let mails = app.deliver_mail().await;
        assert_eq!(mails.len(), 1);
        let first = reset_token_in(&mails[0]);
        // Ten minutes later, a new link replaces it.
        tamper(
            &app.db,
            "UPDATE password_resets SET expires_at = ?",
            vec![(time::OffsetDateTime::now_utc() + time::Duration::minutes(50)).into()],
        )
        .await;
        ask(&app, "jane@example.com").await;
        let second = reset_token_in(&app.deliver_mail().await[0]);
        assert_eq!(
            confirm(&app, &first, "a brand new horse").await.code(),
            "password_reset_not_found",
            "replaced"
        );
        tamper(
            &app.db,
            "UPDATE password_resets SET expires_at = ?",
            vec![(time::OffsetDateTime::now_utc() - time::Duration::minutes(1)).into()],
        )
        .await;
        assert_eq!(
            confirm(&app, &second, "a brand new horse").await.code(),
            "password_reset_not_found",
            "expired"
        );
        assert_eq!(
            app.log_in(&jane, None).await.status,
            StatusCode::OK,
            "unchanged"
        );
    }
}

#[actix_web::test]
async fn asking_for_one_address_again_and_again_is_cut_off() {
    let app = spawn_app().await;
    app.sign_up("jane@example.com").await;
    let mut statuses = Vec::new();
    for _ in 0..11 {
        statuses.push(ask(&app, "jane@example.com").await.status);
    }
    assert_eq!(
        statuses.last(),
        Some(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    let bad = ask(&app, "not an address").await;
    bad.assert_invalid("email", "a malformed address");
}

#[actix_web::test]
async fn the_page_of_the_link_asks_for_the_password_and_sets_it() {
    let app = spawn_app().await;
    let jane = app.sign_up("jane@example.com").await;
    ask(&app, "jane@example.com").await;
    let token = reset_token_in(&app.deliver_mail().await[0]);
    let path = format!("/reset-password/{token}");
    let page = |method: actix_web::http::Method, form: Option<&str>| {
        let mut request = actix_web::test::TestRequest::default()
            .method(method)
            .uri(&path);
        if let Some(form) = form {
            request = request
                .insert_header(("content-type", "application/x-www-form-urlencoded"))
                .set_payload(form.to_owned());
        }
        actix_web::test::call_service(app.service(), request.to_request())
    };
    let shown = page(Method::GET, None).await;
    assert_eq!(shown.status(), StatusCode::OK);
    let html = String::from_utf8(actix_web::test::read_body(shown).await.to_vec()).unwrap();
    assert!(html.contains("jane@example.com") && html.contains(r#"name="password""#));

    let refused = page(Method::POST, Some("password=short")).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let set = page(Method::POST, Some("password=a+brand+new+horse")).await;
    assert_eq!(set.status(), StatusCode::OK);
    assert_eq!(
        page(Method::GET, None).await.status(),
        StatusCode::NOT_FOUND,
        "used up"
    );
    assert_eq!(app.log_in(&jane, None).await.code(), "invalid_credentials");
}
