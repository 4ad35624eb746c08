//! TOTP: enrolment proven by a first code, sign-in that needs a code, codes that cannot be
//! replayed, and turning it off, on both databases. Codes are computed from the secret the API
//! hands out, as an authenticator app would.

use actix_web::http::{Method, StatusCode};
use serde_json::json;
use tenantry_domain::user::TotpSecret;
use tenantry_persistence::testing;

use crate::helpers::spawn_app_on;

/// The next code an app would show, never an earlier step than one already used: the step
/// before the current one at first, then one past the last used (the server accepts one
/// step of drift either way, so this holds even when the clock ticks mid-test).
fn next_code(secret: &TotpSecret, last_used: &mut u64) -> String {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let current = u64::try_from(now / 30).unwrap();
    let step = (*last_used + 1).max(current - 1);
    *last_used = step;
    secret.code(step)
}

#[actix_web::test]
async fn totp_is_enrolled_with_a_code_then_sign_in_needs_one_and_codes_do_not_replay() {
    for db in testing::all().await {
        let app = spawn_app_on(db).await;
        let jane = app.sign_up("jane@example.com").await;
        let org = app.create_org(&jane, "Acme").await;

        let not_yet = app
            .post(
                "/api/me/mfa/totp/verify",
                &jane.token,
                json!({"code": "123456"}),
            )
            .await;
        assert_eq!(
            (not_yet.status, not_yet.code()),
            (StatusCode::CONFLICT, "mfa_not_enrolled")
        );
        let started = app.post("/api/me/mfa/totp", &jane.token, json!({})).await;
        assert_eq!(started.status, StatusCode::CREATED, "{}", started.body);
        let secret_text = started.body["secret"].as_str().unwrap();
        let uri = started.body["otpauthUri"].as_str().unwrap();
        assert!(uri.starts_with("otpauth://totp/Tenantry:jane%40example.com?secret="));
        assert!(uri.contains(secret_text));
        let secret = TotpSecret::from_base32(secret_text).unwrap();

        // Until a code proves the app has the secret, nothing changes.
        let plain = app.log_in(&jane, None).await;
        assert_eq!(plain.status, StatusCode::OK);
        let wrong = app
            .post(
                "/api/me/mfa/totp/verify",
                &jane.token,
                json!({"code": "12a456"}),
            )
            .await;
        wrong.assert_invalid("code", "not digits");
        let mut last = 0;
        let enrolment_code = next_code(&secret, &mut last);
        let verified = app
            .post(
                "/api/me/mfa/totp/verify",
                &jane.token,
                json!({"code": enrolment_code}),
            )
            .await;
        assert_eq!(verified.status, StatusCode::NO_CONTENT, "{}", verified.body);
        let members = app
            .get(&format!("/api/orgs/{org}/members"), &jane.token)
            .await;
        assert_eq!(members.status, StatusCode::OK);
        let tenant = app.get("/api/org/members", &jane.token).await;
        assert_eq!(tenant.body[0]["mfa_enabled"], true);
        let again = app.post("/api/me/mfa/totp", &jane.token, json!({})).await;
        assert_eq!(again.code(), "mfa_already_enabled");

        let login = |code: Option<String>| {
            let mut body = json!({"email": "jane@example.com", "password": "correct horse"});
            if let Some(code) = code {
                body["code"] = json!(code);
            }
            app.send(Method::POST, "/api/auth/login", None, Some(body))
        };
        let missing = login(None).await;
        assert_eq!(
            (missing.status, missing.code()),
            (StatusCode::UNAUTHORIZED, "mfa_code_required")
        );
        assert!(missing.body.get("token").is_none());
        let replayed = login(Some(enrolment_code)).await;
        assert_eq!(
            (replayed.status, replayed.code()),
            (StatusCode::UNAUTHORIZED, "invalid_mfa_code"),
            "the enrolment code was used"
        );
        let code = next_code(&secret, &mut last);
        let signed_in = login(Some(code.clone())).await;
        assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.body);
        let replayed = login(Some(code)).await;
        assert_eq!(replayed.code(), "invalid_mfa_code", "a code works once");
        let wrong_password = app
            .send(
                Method::POST,
                "/api/auth/login",
                None,
                Some(
                    json!({"email": "jane@example.com", "password": "nope nope", "code": "000000"}),
                ),
            )
            .await;
        assert_eq!(wrong_password.code(), "invalid_credentials");

        let refused = app
            .send(
                Method::DELETE,
                "/api/me/mfa/totp",
                Some(&jane.token),
                Some(json!({"code": "abcdef"})),
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        let off = app
            .send(
                Method::DELETE,
                "/api/me/mfa/totp",
                Some(&jane.token),
                Some(json!({"code": next_code(&secret, &mut last)})),
            )
            .await;
        assert_eq!(off.status, StatusCode::NO_CONTENT, "{}", off.body);
        assert_eq!(login(None).await.status, StatusCode::OK);
        let tenant = app.get("/api/org/members", &jane.token).await;
        assert_eq!(tenant.body[0]["mfa_enabled"], false);
        let off_again = app
            .send(
                Method::DELETE,
                "/api/me/mfa/totp",
                Some(&jane.token),
                Some(json!({"code": "123456"})),
            )
            .await;
        assert_eq!(off_again.code(), "mfa_not_enrolled");
    }
}

/// Enrols `account` in TOTP through the API and returns the secret.
async fn enrol(
    app: &crate::helpers::TestApp<
        impl actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
            Error = actix_web::Error,
        >,
    >,
    token: &str,
) -> TotpSecret {
    let started = app.post("/api/me/mfa/totp", token, json!({})).await;
    assert_eq!(started.status, StatusCode::CREATED, "{}", started.body);
    let secret = TotpSecret::from_base32(started.body["secret"].as_str().unwrap()).unwrap();
    let mut last = 0;
    let verified = app
        .post(
            "/api/me/mfa/totp/verify",
            token,
            json!({"code": next_code(&secret, &mut last)}),
        )
        .await;
    assert_eq!(verified.status, StatusCode::NO_CONTENT, "{}", verified.body);
    secret
}

#[actix_web::test]
async fn an_org_that_requires_mfa_refuses_its_members_without_it_until_they_enrol() {
    for db in testing::all().await {
        let app = spawn_app_on(db).await;
        let jane = app.sign_up("jane@example.com").await;
        let john = app.sign_up("john@example.com").await;
        let org = app.create_org(&jane, "Strict").await;
        app.add_member(&org, &john, tenantry_domain::authz::BuiltinRole::Admin)
            .await;
        let require = json!({"settings": {"require_mfa": true}});

        let locked_out = app
            .put("/api/org/profile", &jane.token, require.clone())
            .await;
        assert_eq!(
            (locked_out.status, locked_out.code()),
            (StatusCode::FORBIDDEN, "mfa_required"),
            "nobody requires what they do not have"
        );
        enrol(&app, &jane.token).await;
        let required = app.put("/api/org/profile", &jane.token, require).await;
        assert_eq!(required.status, StatusCode::OK, "{}", required.body);
        assert_eq!(required.body["settings"]["require_mfa"], true);

        for path in [
            format!("/api/orgs/{org}"),
            format!("/api/orgs/{org}/members"),
            format!("/api/orgs/{org}/audit-logs"),
            "/api/org/profile".to_owned(),
            "/api/org/members".to_owned(),
        ] {
            let response = app.get(&path, &john.token).await;
            assert_eq!(
                (response.status, response.code()),
                (StatusCode::FORBIDDEN, "mfa_required"),
                "{path}"
            );
        }
        let own = app.create_org(&john, "John's").await;
        let elsewhere = app.get(&format!("/api/orgs/{own}"), &john.token).await;
        assert_eq!(
            elsewhere.status,
            StatusCode::OK,
            "other orgs are not affected"
        );

        enrol(&app, &john.token).await;
        let now_in = app.get(&format!("/api/orgs/{org}"), &john.token).await;
        assert_eq!(now_in.status, StatusCode::OK);
        let members = app.get("/api/org/members", &jane.token).await;
        assert!(
            members
                .body
                .as_array()
                .unwrap()
                .iter()
                .all(|member| member["mfa_enabled"] == true)
        );
    }
}

/// A six-digit code that none of the steps around now would show.
fn wrong_code(secret: &TotpSecret) -> String {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let current = u64::try_from(now / 30).unwrap();
    let near: Vec<String> = (current - 2..=current + 2)
        .map(|step| secret.code(step))
        .collect();
    (0..)
        .map(|guess| format!("{guess:06}"))
        .find(|guess| !near.contains(guess))
        .unwrap()
}

#[actix_web::test]
async fn guessing_the_code_that_turns_totp_off_is_cut_off_like_a_password() {
    let app = crate::helpers::spawn_app().await;
    let jane = app.sign_up("jane@example.com").await;
    let secret = enrol(&app, &jane.token).await;
    let guess = |code: String| {
        app.send(
            Method::DELETE,
            "/api/me/mfa/totp",
            Some(&jane.token),
            Some(json!({"code": code})),
        )
    };
    // Ten tries a minute, the enrolment's code among them; one comes back every six seconds,
    // so a slow machine may get one more wrong guess in, never many.
    let mut refused = 0;
    loop {
        let answer = guess(wrong_code(&secret)).await;
        if answer.status == StatusCode::TOO_MANY_REQUESTS {
            break;
        }
        assert_eq!(answer.body["error"]["field"], "code", "{}", answer.body);
        refused += 1;
        assert!(refused <= 11, "guesses were never cut off");
    }
    assert!(refused >= 9, "cut off after {refused} guesses");
    let mut last = 0;
    let limited = guess(next_code(&secret, &mut last)).await;
    assert_eq!(
        (limited.status, limited.code()),
        (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
        "even the right code waits"
    );
    let sign_in = app.log_in(&jane, None).await;
    assert_eq!(sign_in.code(), "mfa_code_required", "TOTP is still on");

    // Another account's codes are its own.
    let john = app.sign_up("john@example.com").await;
    enrol(&app, &john.token).await;
}
