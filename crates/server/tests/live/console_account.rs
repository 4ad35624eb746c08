//! The console's Account page over plain HTTP, as a browser without script would use it: a
//! person signs up, opens the page from the header, makes an API token (shown once, accepted
//! by the API as a bearer, gone from the page afterwards) and revokes it (the API then refuses
//! it); then turns on TOTP with a code computed from the secret the page shows, signs out, and
//! signing in now asks for a code and succeeds with a fresh one.

use std::time::{SystemTime, UNIX_EPOCH};

use tenantry_domain::user::TotpSecret;

use crate::console_forms::{ANONYMOUS, PASSWORD, SESSION, encoded};
use crate::support::Server;

const EMAIL: &str = "tess@example.com";

/// A page as the console answers it.
struct Page {
    status: u16,
    headers: hyper::HeaderMap,
    body: String,
}

impl Page {
    /// The `Location` of a redirect.
    fn location(&self) -> &str {
        self.headers
            .get("location")
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
    }

    /// `name=value` of the cookie `name` the response sets, as a `cookie` header carries it.
    fn cookie(&self, name: &str) -> String {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .filter_map(|value| value.split(';').next())
            .find(|pair| pair.starts_with(&format!("{name}=")))
            .unwrap_or_else(|| panic!("no cookie {name} set: {:?}", self.headers))
            .to_owned()
    }

    /// The attribute `attribute` of the element whose id is `id`.
    fn attr(&self, id: &str, attribute: &str) -> String {
        attr_of(&self.body, &format!("id=\"{id}\""), attribute)
            .unwrap_or_else(|| panic!("no {attribute} of #{id} in {}", self.body))
    }

    /// The CSRF token of the page's forms.
    fn csrf(&self) -> String {
        attr_of(&self.body, "name=\"csrf\"", "value")
            .unwrap_or_else(|| panic!("no csrf field in {}", self.body))
    }

    fn has(&self, id: &str) -> bool {
        self.body.contains(&format!("id=\"{id}\""))
    }
}

/// The attribute `attribute` of the first tag that holds `marker`.
fn attr_of(html: &str, marker: &str, attribute: &str) -> Option<String> {
    let at = html.find(marker)?;
    let start = html[..at].rfind('<')?;
    let end = at + html[at..].find('>')?;
    let tag = &html[start..end];
    let key = format!(" {attribute}=\"");
    let from = tag.find(&key)? + key.len();
    let value = &tag[from..];
    Some(value[..value.find('"')?].replace("&amp;", "&"))
}

async fn get(server: &Server, path: &str, cookie: &str) -> Page {
    let (status, headers, body) = server
        .send("GET", path, &[("cookie", cookie)], String::new())
        .await;
    Page {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

async fn post(server: &Server, path: &str, cookie: &str, fields: &[(&str, &str)]) -> Page {
    let (status, headers, body) = server
        .send(
            "POST",
            path,
            &[
                ("cookie", cookie),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            encoded(fields),
        )
        .await;
    Page {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

/// The current TOTP time step (30 seconds).
fn current_step() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / 30
}

/// The anonymous form of `path` (sign-in or sign-up): its cookie and its CSRF field.
async fn anonymous_form(server: &Server, path: &str) -> (String, String) {
    let page = get(server, path, "").await;
    assert_eq!(page.status, 200, "{}", page.body);
    (page.cookie(ANONYMOUS), page.csrf())
}

#[actix_web::test]
async fn a_person_manages_api_tokens_and_turns_on_totp_from_the_account_page() {
    let server = Server::start().await;

    // Sign up through the console.
    let (anonymous, token) = anonymous_form(&server, "/console/sign-up").await;
    let signed_up = post(
        &server,
        "/console/sign-up",
        &anonymous,
        &[
            ("csrf", &token),
            ("name", "Tess"),
            ("email", EMAIL),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(signed_up.status, 303, "{}", signed_up.body);
    let session = signed_up.cookie(SESSION);

    // The header links to the account page.
    let orgs = get(&server, "/console/orgs", &session).await;
    assert_eq!(orgs.status, 200);
    assert_eq!(orgs.attr("account-link", "href"), "/console/account");

    let account = get(&server, "/console/account", &session).await;
    assert_eq!(account.status, 200, "{}", account.body);
    assert!(account.has("no-tokens"), "{}", account.body);
    assert!(account.body.contains("data-enabled=\"false\""));
    let csrf = account.csrf();

    // A post without the session's CSRF token changes nothing.
    let forged = post(
        &server,
        "/console/account/tokens",
        &session,
        &[
            ("csrf", "forged"),
            ("name", "ci"),
            ("org", ""),
            ("days", "7"),
        ],
    )
    .await;
    assert_eq!(forged.status, 403);

    // An API token, shown once, works as a bearer.
    let created = post(
        &server,
        "/console/account/tokens",
        &session,
        &[("csrf", &csrf), ("name", "ci"), ("org", ""), ("days", "7")],
    )
    .await;
    assert_eq!(created.status, 200, "{}", created.body);
    let secret = created.attr("new-token", "value");
    assert!(!secret.is_empty());
    assert!(
        created
            .body
            .contains(r#"type="button" data-copy="new-token""#),
        "{}",
        created.body
    );
    let (status, me) = server.api("GET", "/api/me", Some(&secret), None).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["user"]["email"], EMAIL, "{me}");

    // Afterwards the page lists it, without its secret.
    let account = get(&server, "/console/account", &session).await;
    assert_eq!(account.status, 200);
    assert!(!account.body.contains(&secret), "the secret is shown again");
    assert!(!account.has("new-token"));
    let id = attr_of(&account.body, "tr data-id=", "data-id").unwrap();
    assert!(account.body.contains(">ci<"), "{}", account.body);

    // Revoked, the API refuses it.
    let revoked = post(
        &server,
        &format!("/console/account/tokens/{id}/revoke"),
        &session,
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(revoked.status, 303, "{}", revoked.body);
    assert_eq!(revoked.location(), "/console/account?done=revoked");
    let (status, _) = server.api("GET", "/api/me", Some(&secret), None).await;
    assert_eq!(status, 401);
    assert!(
        get(&server, "/console/account", &session)
            .await
            .has("no-tokens")
    );

    // TOTP: the secret is shown in the answer to the post that made it.
    let enrolment = post(
        &server,
        "/console/account/totp",
        &session,
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(enrolment.status, 200, "{}", enrolment.body);
    let base32 = enrolment.attr("totp-secret", "value");
    assert!(
        enrolment.body.contains(&format!(
            "otpauth://totp/Tenantry:tess%40example.com?secret={base32}"
        )),
        "{}",
        enrolment.body
    );
    assert!(enrolment.has("totp-code") && enrolment.has("verify-totp"));
    let totp = TotpSecret::from_base32(&base32).unwrap();

    // A wrong code leaves it off and asks again.
    let step = current_step();
    let near: Vec<String> = (step - 2..=step + 2).map(|s| totp.code(s)).collect();
    let wrong = (0..1_000_000)
        .map(|n| format!("{n:06}"))
        .find(|code| !near.contains(code))
        .unwrap();
    let refused = post(
        &server,
        "/console/account/totp/verify",
        &session,
        &[("csrf", &csrf), ("code", &wrong)],
    )
    .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.has("verify-totp") && !refused.has("totp-secret"));

    // The code of the current step turns it on (that step is then used up).
    let step = current_step();
    let verified = post(
        &server,
        "/console/account/totp/verify",
        &session,
        &[("csrf", &csrf), ("code", &totp.code(step))],
    )
    .await;
    assert_eq!(verified.status, 303, "{}", verified.body);
    assert_eq!(verified.location(), "/console/account?done=totp_on");
    let account = get(&server, "/console/account", &session).await;
    assert!(account.body.contains("data-enabled=\"true\""));
    assert!(account.has("disable-totp") && !account.has("start-totp"));

    let signed_out = post(&server, "/console/sign-out", &session, &[("csrf", &csrf)]).await;
    assert_eq!(signed_out.status, 303);
    assert_eq!(
        get(&server, "/console/account", &session).await.status,
        303,
        "the old session ended"
    );

    // Signing in now asks for the code...
    let (anonymous, token) = anonymous_form(&server, "/console/sign-in").await;
    let asked = post(
        &server,
        "/console/sign-in",
        &anonymous,
        &[("csrf", &token), ("email", EMAIL), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(asked.status, 401, "{}", asked.body);
    assert!(asked.has("code"), "{}", asked.body);
    assert!(asked.body.contains("mfa_code_required"));

    // ...and takes a fresh one: the next step's, within the accepted drift of now and later
    // than the step used to confirm, so no waiting for the clock.
    let signed_in = post(
        &server,
        "/console/sign-in",
        &anonymous,
        &[
            ("csrf", &token),
            ("email", EMAIL),
            ("password", PASSWORD),
            ("code", &totp.code(step + 1)),
        ],
    )
    .await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    assert_eq!(signed_in.location(), "/console/orgs");
    let session = signed_in.cookie(SESSION);
    let account = get(&server, "/console/account", &session).await;
    assert_eq!(account.status, 200);
    assert!(account.body.contains("data-enabled=\"true\""));
}
