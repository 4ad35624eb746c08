//! `spawn_app`: the production wiring (`api_state` + `tenantry_http::app`, with the SCIM
//! endpoint) over a fresh database, driven with actix's test utilities.

use actix_http::Request;
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::test;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde_json::{Value, json};
use tenantry_domain::Services;
use tenantry_domain::authz::BuiltinRole;
use tenantry_domain::clock::SystemClock;
use tenantry_domain::mail::{DeliveryService, Mail, MailContent, MailError, Mailer, RetryPolicy};
use tenantry_domain::member::RoleChoice;
use tenantry_domain::plan::Plan;
use tenantry_domain::user::Email;
use tenantry_persistence::testing::{self, TestDatabase};
use tenantry_server::{Config, Secret, api_state};

/// The credentials key of test apps (32 bytes of 7, in base64), so that no key file is made
/// in the working directory.
pub const TEST_SECRET_KEY: &str = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=";

pub struct TestApp<S> {
    service: S,
    pub services: Services,
    pub db: TestDatabase,
}

/// A signed-up account.
#[derive(Clone, Debug)]
pub struct Account {
    pub id: String,
    pub email: String,
    pub token: String,
}

pub struct Response {
    pub status: StatusCode,
    pub body: Value,
}

impl Response {
    /// Asserts a `422` that names `field`.
    #[track_caller]
    pub fn assert_invalid(&self, field: &str, context: &str) {
        assert_eq!(
            (self.status, self.body["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{context}: {}",
            self.body
        );
    }

    /// The `error.code` of an error body.
    pub fn code(&self) -> &str {
        self.body["error"]["code"]
            .as_str()
            .unwrap_or("<no error code>")
    }
}

pub async fn spawn_app() -> TestApp<
    impl Service<Request, Response = ServiceResponse<impl MessageBody>, Error = actix_web::Error>,
> {
    spawn_app_on(testing::sqlite().await).await
}

pub async fn spawn_app_on(
    db: TestDatabase,
) -> TestApp<
    impl Service<Request, Response = ServiceResponse<impl MessageBody>, Error = actix_web::Error>,
> {
    spawn_app_with(Config::default(), db).await
}

/// The app with `config` (its database setting aside: `db` is used).
pub async fn spawn_app_with(
    config: Config,
    db: TestDatabase,
) -> TestApp<
    impl Service<Request, Response = ServiceResponse<impl MessageBody>, Error = actix_web::Error>,
> {
    let config = Config {
        secret_key: config
            .secret_key
            .or_else(|| Some(Secret(TEST_SECRET_KEY.into()))),
        ..config
    };
    let state = api_state(&config, db.database.clone()).unwrap();
    let services = state.services.clone();
    let scim = tenantry_scim::ScimState {
        services: services.clone(),
        client_address: Arc::new(|request| request.peer_addr().map(|peer| peer.ip())),
    };
    let service =
        test::init_service(tenantry_http::app(state).configure(tenantry_scim::routes(scim))).await;
    TestApp {
        service,
        services,
        db,
    }
}

impl<S, B> TestApp<S>
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    /// Sends a request with an optional bearer token and JSON body.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Response {
        let mut request = test::TestRequest::default().method(method).uri(path);
        if let Some(token) = token {
            request = request.insert_header((header::AUTHORIZATION, format!("Bearer {token}")));
        }
        if let Some(body) = body {
            request = request
                .insert_header(header::ContentType::json())
                .set_payload(body.to_string());
        }
        self.raw(request.to_request()).await
    }

    pub async fn raw(&self, request: Request) -> Response {
        let response = test::call_service(&self.service, request).await;
        let status = response.status();
        let request_id = response
            .headers()
            .get("x-request-id")
            .and_then(|id| id.to_str().ok())
            .map(str::to_owned)
            .expect("every response names its request");
        let bytes = test::read_body(response).await;
        let mut body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| {
                panic!(
                    "{status}: body is not JSON: {}",
                    String::from_utf8_lossy(&bytes)
                )
            })
        };
        // Each error names its request, as the header does; taken out here so that tests can
        // compare the error bodies of different requests.
        if let Some(error) = body.get_mut("error").and_then(Value::as_object_mut) {
            let named = error.remove("requestId");
            assert_eq!(
                named.as_ref().and_then(Value::as_str),
                Some(request_id.as_str())
            );
        }
        Response { status, body }
    }

    /// The app itself, for tests that need the raw response (headers).
    pub fn service(&self) -> &S {
        &self.service
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.send(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Response {
        self.send(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> Response {
        self.send(Method::PUT, path, Some(token), Some(body)).await
    }

    /// Signs in again (a new session), optionally straight into `org`.
    pub async fn log_in(&self, account: &Account, org: Option<&str>) -> Response {
        let mut body = json!({"email": account.email, "password": "correct horse"});
        if let Some(org) = org {
            body["orgId"] = json!(org);
        }
        self.send(Method::POST, "/api/auth/login", None, Some(body))
            .await
    }

    /// `POST /api/auth/signup` with any body, answered as it is.
    pub async fn post_sign_up(&self, body: Value) -> Response {
        self.send(Method::POST, "/api/auth/signup", None, Some(body))
            .await
    }

    pub async fn sign_up(&self, email: &str) -> Account {
        let response = self
            .post_sign_up(
                json!({"email": email, "password": "correct horse", "name": email.split('@').next()}),
            )
            .await;
        assert_eq!(response.status, StatusCode::CREATED, "{}", response.body);
        // Sign-up mails a verification link; it goes out now, so that a test's own
        // `deliver_mail` sees only the mail its steps queue.
        self.deliver_mail().await;
        Account {
            id: response.body["user"]["_id"].as_str().unwrap().to_owned(),
            email: email.to_owned(),
            token: response.body["token"].as_str().unwrap().to_owned(),
        }
    }

    pub async fn create_org(&self, owner: &Account, name: &str) -> String {
        let response = self
            .post("/api/orgs", &owner.token, json!({ "name": name }))
            .await;
        assert_eq!(response.status, StatusCode::CREATED, "{}", response.body);
        response.body["_id"].as_str().unwrap().to_owned()
    }

    /// Adds an account to an org the way an operator does (`tenantry add-member`).
    pub async fn add_member(&self, org: &str, account: &Account, role: BuiltinRole) {
        self.services
            .members
            .add_as_operator(
                org.parse().unwrap(),
                &Email::try_from(account.email.as_str()).unwrap(),
                RoleChoice::Builtin(role),
            )
            .await
            .unwrap();
    }

    /// Runs one round of the mail worker against a transport that keeps what it is handed:
    /// the messages the outbox had due, as the invitee's inbox would get them.
    pub async fn deliver_mail(&self) -> Vec<Mail> {
        let inbox = Inbox::default();
        let delivery = DeliveryService::new(
            Arc::new(self.db.database.clone()),
            Arc::new(inbox.clone()),
            Arc::new(SystemClock),
            RetryPolicy::default(),
        );
        delivery.deliver_due().await.unwrap();
        inbox.0.lock().unwrap().clone()
    }

    /// Invites `email` as `role` and returns the token of the e-mail it sent.
    pub async fn invite(&self, org: &str, inviter: &Account, email: &str, role: &str) -> String {
        let response = self
            .post(
                &format!("/api/orgs/{org}/invitations/email"),
                &inviter.token,
                json!({"email": email, "role": role}),
            )
            .await;
        assert_eq!(response.status, StatusCode::CREATED, "{}", response.body);
        let mail = self.deliver_mail().await;
        let sent = mail.iter().rev().find(|m| m.to.as_str() == email).unwrap();
        token_in(sent)
    }

    /// Creates a join link from `body`; returns its id and the code its link carries.
    pub async fn create_link(&self, org: &str, manager: &Account, body: Value) -> (String, String) {
        let response = self
            .post(
                &format!("/api/orgs/{org}/invitations/link"),
                &manager.token,
                body,
            )
            .await;
        assert_eq!(response.status, StatusCode::CREATED, "{}", response.body);
        let link = response.body["link"].as_str().unwrap();
        let (_, code) = link.rsplit_once("/join/").unwrap();
        (
            response.body["_id"].as_str().unwrap().to_owned(),
            code.to_owned(),
        )
    }

    /// The id of the org's invitation to `email`, as its manager lists it.
    pub async fn invitation_id(&self, org: &str, manager: &Account, email: &str) -> String {
        let listed = self
            .get(&format!("/api/orgs/{org}/invitations"), &manager.token)
            .await;
        listed.body["invitations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["email"] == email)
            .unwrap()["_id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Resends the pending invitation to `email` and returns the token of the new e-mail.
    pub async fn invite_token_for_resend(
        &self,
        org: &str,
        manager: &Account,
        email: &str,
    ) -> String {
        let id = self.invitation_id(org, manager, email).await;
        let resent = self
            .send(
                Method::POST,
                &format!("/api/orgs/{org}/invitations/{id}/resend"),
                Some(&manager.token),
                None,
            )
            .await;
        assert_eq!(resent.status, StatusCode::OK, "{}", resent.body);
        let mail = self.deliver_mail().await;
        token_in(mail.iter().rev().find(|m| m.to.as_str() == email).unwrap())
    }

    pub async fn set_plan(&self, org: &str, plan: Plan) {
        self.services
            .orgs
            .set_plan_as_operator(org.parse().unwrap(), plan)
            .await
            .unwrap();
    }

    /// The role an account holds in an org, as the owner sees it in the member list.
    pub async fn role_of(&self, org: &str, viewer: &Account, member: &Account) -> Option<String> {
        let response = self
            .get(&format!("/api/orgs/{org}/members"), &viewer.token)
            .await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.body);
        response.body["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["userId"] == member.id.as_str())
            .map(|m| m["role"].as_str().unwrap().to_owned())
    }
}

/// A mail transport that keeps every message.
#[derive(Clone, Default)]
pub struct Inbox(pub Arc<Mutex<Vec<Mail>>>);

#[async_trait]
impl Mailer for Inbox {
    async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        self.0.lock().unwrap().push(mail.clone());
        Ok(())
    }
}

/// The invitation token in an invitation e-mail's link.
pub fn token_in(mail: &Mail) -> String {
    let MailContent::Invitation(invitation) = &mail.content else {
        panic!("not an invitation: {mail:?}");
    };
    let (_, token) = invitation.link.rsplit_once("/invitations/").unwrap();
    token.to_owned()
}

/// The token in a verification e-mail's link.
pub fn verification_token_in(mail: &Mail) -> Option<String> {
    let MailContent::EmailVerification(verification) = &mail.content else {
        return None;
    };
    let (_, token) = verification.link.rsplit_once("/verify-email/")?;
    Some(token.to_owned())
}

/// Runs `sql` (with `?` placeholders) straight on the database, behind the service's back.
pub async fn tamper(db: &TestDatabase, sql: &str, values: Vec<sea_orm::Value>) {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let connection = db.database.connection();
    let backend = connection.get_database_backend();
    let mut numbered = String::new();
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' && backend == DbBackend::Postgres {
            n += 1;
            numbered.push_str(&format!("${n}"));
        } else {
            numbered.push(c);
        }
    }
    connection
        .execute_raw(Statement::from_sql_and_values(backend, numbered, values))
        .await
        .unwrap();
}
