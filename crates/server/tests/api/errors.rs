//! Every kind of bad request gets the one JSON error shape and the right status.

use actix_web::http::{Method, StatusCode, header};
use actix_web::test::TestRequest;
use serde_json::json;

use crate::helpers::{Response, spawn_app};

/// `POST /api/orgs` with a raw body, for the body-handling rules.
fn create_org_request(
    token: Option<&str>,
    content_type: &str,
    payload: impl Into<actix_web::web::Bytes>,
) -> actix_http::Request {
    let mut request = TestRequest::post()
        .uri("/api/orgs")
        .insert_header((header::CONTENT_TYPE, content_type));
    if let Some(token) = token {
        request = request.insert_header((header::AUTHORIZATION, format!("Bearer {token}")));
    }
    request.set_payload(payload).to_request()
}

fn assert_error_shape(response: &Response, status: StatusCode, code: &str) {
    assert_eq!(response.status, status, "{}", response.body);
    assert_eq!(response.code(), code, "{}", response.body);
    assert!(
        !response.body["error"]["message"]
            .as_str()
            .unwrap()
            .is_empty(),
        "{}",
        response.body
    );
}

#[actix_web::test]
async fn malformed_json_is_400() {
    let app = spawn_app().await;
    let jane = app.sign_up("jane@example.com").await;
    let request = create_org_request(Some(&jane.token), "application/json", "{\"name\": ");
    assert_error_shape(
        &app.raw(request).await,
        StatusCode::BAD_REQUEST,
        "malformed_json",
    );
}

#[actix_web::test]
async fn a_body_must_be_a_json_object_and_integral_numbers_are_integers() {
    let app = spawn_app().await;
    let jane = app.sign_up("jane@example.com").await;
    for body in ["[\"Acme\"]", "[null, null]", "\"Acme\"", "null", "7"] {
        let response = app
            .raw(create_org_request(
                Some(&jane.token),
                "application/json",
                body,
            ))
            .await;
        response.assert_invalid("body", body);
    }
    let org = app.create_org(&jane, "Acme").await;
    let link = |max_uses: &str| {
        TestRequest::post()
            .uri(&format!("/api/orgs/{org}/invitations/link"))
            .insert_header(("authorization", format!("Bearer {}", jane.token)))
            .insert_header(("content-type", "application/json"))
            .set_payload(format!("{{\"role\": \"viewer\", \"maxUses\": {max_uses}}}"))
            .to_request()
    };
    let whole = app.raw(link("5.0")).await;
    assert_eq!(whole.status, StatusCode::CREATED, "{}", whole.body);
    assert_eq!(whole.body["maxUses"], 5);
    app.raw(link("5.5")).await.assert_invalid("maxUses", "5.5");
    app.raw(link("1e30"))
        .await
        .assert_invalid("maxUses", "1e30");
}

#[actix_web::test]
async fn a_body_that_is_not_application_json_is_415() {
    let app = spawn_app().await;
    let jane = app.sign_up("jane@example.com").await;
    for content_type in [
        "text/plain",
        "text/json",
        "application/x-www-form-urlencoded",
    ] {
        let request = create_org_request(Some(&jane.token), content_type, "{\"name\": \"Acme\"}");
        assert_error_shape(
            &app.raw(request).await,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        );
    }
    let vendor = create_org_request(
        Some(&jane.token),
        "application/vnd.tenantry+json; charset=utf-8",
        "{\"name\": \"Acme\"}",
    );
    assert_eq!(app.raw(vendor).await.status, StatusCode::CREATED);
}

#[actix_web::test]
async fn an_unknown_token_is_401_even_when_the_query_is_bad_too() {
    let app = spawn_app().await;
    let jane = app.sign_up("jane@example.com").await;
    let org = app.create_org(&jane, "Acme").await;
    for query in ["limit=abc", "cursor=garbage", "colour=red"] {
        let request = TestRequest::get()
            .uri(&format!("/api/orgs/{org}/members?{query}"))
            .insert_header((header::AUTHORIZATION, "Bearer tnt_unknown"))
            .to_request();
        assert_error_shape(
            &app.raw(request).await,
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
        );
    }
}

#[actix_web::test]
async fn a_cursor_the_api_did_not_make_is_422_not_a_crash() {
    let app = spawn_app().await;
    let jane = app.sign_up("jane@example.com").await;
    let org = app.create_org(&jane, "Acme").await;
    let user = uuid::Uuid::now_v7();
    for micros in [
        "99999999999999999999999999999999999999",
        "-300000000000000000",
        "-1",
    ] {
        let response = app
            .get(
                &format!("/api/orgs/{org}/members?limit=2&cursor={micros}.{user}"),
                &jane.token,
            )
            .await;
        assert_error_shape(
            &response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        );
        assert_eq!(response.body["error"]["field"], "cursor");
    }
}

#[actix_web::test]
async fn an_unknown_token_is_401_even_when_the_body_is_bad_too() {
    let app = spawn_app().await;
    for (content_type, payload) in [("application/json", "{\"name\": "), ("text/plain", "x")] {
        let request = create_org_request(Some("tnt_unknown"), content_type, payload);
        assert_error_shape(
            &app.raw(request).await,
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
        );
    }
}

#[actix_web::test]
async fn an_oversized_body_is_413() {
    let app = spawn_app().await;
    let jane = app.sign_up("jane@example.com").await;
    let huge = format!(
        "{{\"name\": \"{}\"}}",
        "x".repeat(tenantry_http::BODY_LIMIT)
    );
    let request = create_org_request(Some(&jane.token), "application/json", huge);
    assert_error_shape(
        &app.raw(request).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    );
}

#[actix_web::test]
async fn unknown_routes_are_404_and_wrong_methods_405() {
    let app = spawn_app().await;
    let unknown = app
        .raw(TestRequest::get().uri("/api/nothing-here").to_request())
        .await;
    assert_error_shape(&unknown, StatusCode::NOT_FOUND, "not_found");
    let wrong_method = app
        .raw(TestRequest::patch().uri("/api/orgs").to_request())
        .await;
    assert_error_shape(
        &wrong_method,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    );
    let trace = TestRequest::default()
        .method(actix_web::http::Method::TRACE)
        .uri("/api/orgs/00000000-0000-0000-0000-000000000000")
        .to_request();
    let raw = actix_web::test::call_service(app.service(), trace).await;
    assert_eq!(raw.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(raw.headers().get("allow").unwrap(), "GET, PUT, DELETE");

    // The same inside one org, whose resources are routed in a scope of their own.
    let org = "/api/orgs/00000000-0000-0000-0000-000000000000";
    for path in [
        format!("{org}/nothing-here"),
        format!("{org}/members/x/y/z"),
    ] {
        let unknown = app.raw(TestRequest::get().uri(&path).to_request()).await;
        assert_error_shape(&unknown, StatusCode::NOT_FOUND, "not_found");
    }
    let wrong_method = TestRequest::patch()
        .uri(&format!("{org}/audit-logs"))
        .to_request();
    let raw = actix_web::test::call_service(app.service(), wrong_method).await;
    assert_eq!(raw.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(raw.headers().get("allow").unwrap(), "GET");
}

#[actix_web::test]
async fn an_id_that_is_not_a_uuid_is_404() {
    let app = spawn_app().await;
    let jane = app.sign_up("jane@example.com").await;
    assert_error_shape(
        &app.get("/api/orgs/not-a-uuid", &jane.token).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
}

#[actix_web::test]
async fn a_bad_query_parameter_is_422_naming_it() {
    let app = spawn_app().await;
    let jane = app.sign_up("jane@example.com").await;
    let org = app.create_org(&jane, "Acme").await;
    for query in [
        "limit=abc",
        "limit=0",
        "limit=501",
        "cursor=garbage",
        "colour=red",
    ] {
        let response = app
            .get(&format!("/api/orgs/{org}/members?{query}"), &jane.token)
            .await;
        assert_error_shape(
            &response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        );
        let name = query.split('=').next().unwrap();
        assert_eq!(response.body["error"]["field"], name, "{query}");
    }
}

#[actix_web::test]
async fn health_and_openapi_are_served() {
    let app = spawn_app().await;
    let healthz = app
        .raw(TestRequest::get().uri("/healthz").to_request())
        .await;
    assert_eq!(healthz.status, StatusCode::OK);
    let readyz = app
        .raw(TestRequest::get().uri("/readyz").to_request())
        .await;
    assert_eq!(readyz.status, StatusCode::OK);
    let openapi = app
        .raw(TestRequest::get().uri("/api/openapi.json").to_request())
        .await;
    assert_eq!(openapi.status, StatusCode::OK);
    let paths = openapi.body["paths"].as_object().unwrap();
    for path in [
        "/api/orgs",
        "/api/orgs/{orgId}",
        "/api/orgs/{orgId}/members/{userId}/move",
        "/api/orgs/{orgId}/roles/{roleId}",
        "/api/auth/signup",
    ] {
        assert!(
            paths.contains_key(path),
            "{path} missing from the OpenAPI document"
        );
    }
    assert!(openapi.body["components"]["securitySchemes"]["bearer"].is_object());
}

#[actix_web::test]
async fn the_api_viewer_is_served_from_the_binary_and_reads_the_document() {
    let app = spawn_app().await;
    let get = |uri: &'static str| {
        actix_web::test::call_service(app.service(), TestRequest::get().uri(uri).to_request())
    };
    let docs = get("/docs").await;
    assert_eq!(docs.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(docs.headers().get("location").unwrap(), "/docs/");
    let page = get("/docs/").await;
    assert_eq!(page.status(), StatusCode::OK);
    let page = String::from_utf8(actix_web::test::read_body(page).await.to_vec()).unwrap();
    assert!(page.contains("swagger-ui"), "{page}");
    let config = get("/docs/swagger-initializer.js").await;
    assert_eq!(config.status(), StatusCode::OK);
    let config = String::from_utf8(actix_web::test::read_body(config).await.to_vec()).unwrap();
    assert!(config.contains("/api/openapi.json"), "{config}");
    let script = get("/docs/swagger-ui-bundle.js").await;
    assert_eq!(script.status(), StatusCode::OK);
    assert!(actix_web::test::read_body(script).await.len() > 100_000);
}

#[actix_web::test]
async fn readyz_is_503_when_the_database_does_not_answer() {
    use std::sync::Arc;

    struct Down;
    #[async_trait::async_trait]
    impl tenantry_http::Readiness for Down {
        async fn ready(&self) -> bool {
            false
        }
    }

    let db = tenantry_persistence::testing::sqlite().await;
    let mut state =
        tenantry_server::api_state(&tenantry_server::Config::default(), db.database.clone())
            .unwrap();
    state.readiness = Arc::new(Down);
    let app = actix_web::test::init_service(tenantry_http::app(state)).await;
    let response =
        actix_web::test::call_service(&app, TestRequest::get().uri("/readyz").to_request()).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: serde_json::Value = actix_web::test::read_body_json(response).await;
    assert_eq!(body["error"]["code"], "not_ready");
    let alive =
        actix_web::test::call_service(&app, TestRequest::get().uri("/healthz").to_request()).await;
    assert_eq!(alive.status(), StatusCode::OK);
}

#[actix_web::test]
async fn a_request_while_the_database_is_gone_is_503_and_may_be_retried() {
    let app = spawn_app().await;
    let jane = app.sign_up("jane@example.com").await;
    app.db.database.clone().close().await.unwrap();

    for (method, path, body) in [
        (Method::GET, "/api/me", None),
        (Method::POST, "/api/orgs", Some(json!({"name": "Acme"}))),
    ] {
        let request = TestRequest::default()
            .method(method.clone())
            .uri(path)
            .insert_header(("authorization", format!("Bearer {}", jane.token)));
        let request = match body {
            Some(body) => request.set_json(body),
            None => request,
        };
        let response = actix_web::test::call_service(app.service(), request.to_request()).await;
        assert_eq!(
            response.status(),
            StatusCode::SERVICE_UNAVAILABLE,
            "{method} {path}"
        );
        assert_eq!(response.headers().get("retry-after").unwrap(), "1");
        let body: serde_json::Value = actix_web::test::read_body_json(response).await;
        assert_eq!(body["error"]["code"], "unavailable", "{body}");
    }
}
