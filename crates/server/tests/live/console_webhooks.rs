//! The console's Webhooks page over plain HTTP: an owner signs up on the console, creates an
//! org and a webhook (its secret shown once, in the answer to the post), edits its events,
//! reads its deliveries log, pauses and resumes it, rotates its secret (the new one shown
//! once) and deletes it. A member, whose role lacks `settings:write`, sees no Webhooks tab and
//! gets 403 for the page and for a post with her own CSRF token.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::console_forms::{ANONYMOUS, PASSWORD, SESSION, encoded};
use crate::support::Server;

const HOOK: &str = "http://127.0.0.1:9/hook";

/// An answer: its status, its `Location` (if any) and its body.
struct Answer {
    status: u16,
    location: String,
    body: String,
}

async fn post(server: &Server, path: &str, cookie: &str, fields: &[(&str, &str)]) -> Answer {
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
    Answer {
        status,
        location: headers
            .get("location")
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned(),
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

async fn get(server: &Server, path: &str, cookie: &str) -> (u16, String) {
    let (status, _, body) = server
        .send("GET", path, &[("cookie", cookie)], String::new())
        .await;
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// The value of the first `name="csrf"` field of a page.
fn csrf_of(page: &str) -> String {
    let start = page
        .find(r#"name="csrf" value=""#)
        .expect("a form with a CSRF field")
        + 19;
    page[start..].split('"').next().unwrap().to_owned()
}

/// The value of cookie `name` set by an answer.
fn set_cookie(headers: &hyper::HeaderMap, name: &str) -> String {
    headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(|value| value.strip_prefix(&format!("{name}=")))
        .map(|rest| rest.split(';').next().unwrap().to_owned())
        .unwrap_or_else(|| panic!("no {name} cookie set"))
}

/// Signs up on the console's sign-up page (its anonymous CSRF token and cookie first): the
/// session token, which is also a bearer token of the API's kind.
async fn console_sign_up(server: &Server, email: &str, name: &str) -> String {
    let (status, headers, page) = server
        .send("GET", "/console/sign-up", &[], String::new())
        .await;
    assert_eq!(status, 200);
    let anonymous = set_cookie(&headers, ANONYMOUS);
    let token = csrf_of(&String::from_utf8_lossy(&page));
    assert_eq!(token, anonymous, "double submit: the field is the cookie");
    let (status, headers, body) = server
        .send(
            "POST",
            "/console/sign-up",
            &[
                ("cookie", &format!("{ANONYMOUS}={anonymous}")),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            encoded(&[
                ("csrf", &token),
                ("name", name),
                ("email", email),
                ("password", PASSWORD),
            ]),
        )
        .await;
    assert_eq!(status, 303, "{}", String::from_utf8_lossy(&body));
    set_cookie(&headers, SESSION)
}

/// Where the row of a webhook's table starts, by its URL.
fn row_of(page: &str, url: &str) -> Option<usize> {
    page.find(&format!(r#"data-url="{url}""#))
}

/// The id of the webhook to `url` on the list page.
fn id_of(page: &str, url: &str) -> String {
    let at = row_of(page, url).unwrap_or_else(|| panic!("no row for {url}: {page}"));
    let row_start = page[..at].rfind("<tr").unwrap();
    let start = page[row_start..].find(r#"data-id=""#).unwrap() + row_start + 9;
    page[start..].split('"').next().unwrap().to_owned()
}

/// Whether the checkbox of `event` is ticked on a webhook form.
fn ticked(page: &str, event: &str) -> bool {
    page.contains(&format!(r#"value="{event}" checked>"#))
}

#[actix_web::test]
async fn an_owner_manages_webhooks_in_the_console_and_a_member_cannot() {
    let server = Server::start_with(|config| {
        config.webhook_allow_private = true;
        config.webhook_poll_interval_ms = std::num::NonZeroU64::new(50).unwrap();
        config.webhook_retry_delay_ms = std::num::NonZeroU64::new(60_000).unwrap();
        config.webhook_timeout_ms = std::num::NonZeroU64::new(2_000).unwrap();
    })
    .await;

    // The owner signs up on the console and creates an org there.
    let owner_session = console_sign_up(&server, "olga@example.com", "Olga Owner").await;
    let owner = format!("{SESSION}={owner_session}");
    let (status, orgs) = get(&server, "/console/orgs", &owner).await;
    assert_eq!(status, 200);
    let csrf = csrf_of(&orgs);
    let created = post(
        &server,
        "/console/orgs",
        &owner,
        &[("csrf", &csrf), ("name", "Hooked")],
    )
    .await;
    assert_eq!(created.status, 303, "{}", created.body);
    let org = created
        .location
        .strip_prefix("/console/orgs/")
        .and_then(|rest| rest.split('/').next())
        .unwrap()
        .to_owned();
    let hooks = format!("/console/orgs/{org}/webhooks");

    // The tab, and an empty list with the create form.
    let (status, members) = get(&server, &format!("/console/orgs/{org}/members"), &owner).await;
    assert_eq!(status, 200);
    assert!(members.contains(&format!(r#"href="{hooks}""#)), "the tab");
    let (status, list) = get(&server, &hooks, &owner).await;
    assert_eq!(status, 200, "{list}");
    assert!(list.contains(r#"id="webhooks""#) && list.contains(r#"id="no-webhooks""#));
    assert!(list.contains(r#"id="webhook-url""#) && list.contains(r#"id="create-webhook""#));
    assert!(list.contains(r#"name="events" value="member.joined""#));
    assert!(
        list.contains(r#"data-group="webhook""#),
        "grouped by resource"
    );

    // Refused forms come back with the domain's words and what was typed.
    let refused = post(
        &server,
        &hooks,
        &owner,
        &[
            ("csrf", &csrf),
            ("url", "ftp://127.0.0.1/x"),
            ("events", "org.updated"),
        ],
    )
    .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused.body.contains("must use http or https"),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("validation_failed"));
    assert!(ticked(&refused.body, "org.updated"));
    let refused = post(&server, &hooks, &owner, &[("csrf", &csrf), ("url", HOOK)]).await;
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("must list at least one event type"));
    // No CSRF token, no webhook.
    let forged = post(
        &server,
        &hooks,
        &owner,
        &[("url", HOOK), ("events", "org.updated")],
    )
    .await;
    assert_eq!(forged.status, 403);

    // Created: the secret is in this answer only, once, with its Copy button.
    let created = post(
        &server,
        &hooks,
        &owner,
        &[
            ("csrf", &csrf),
            ("url", HOOK),
            ("events", "member.joined"),
            ("events", "org.updated"),
        ],
    )
    .await;
    assert_eq!(created.status, 200, "{}", created.body);
    assert_eq!(
        created.body.matches("whsec_").count(),
        1,
        "{}",
        created.body
    );
    assert!(
        created
            .body
            .contains(r#"id="webhook-secret" type="text" readonly value="whsec_"#)
    );
    assert!(created.body.contains(r#"data-copy="webhook-secret""#));
    assert!(created.body.contains("docs/webhooks.md"));
    assert!(row_of(&created.body, HOOK).is_some());
    let (status, list) = get(&server, &hooks, &owner).await;
    assert_eq!(status, 200);
    assert!(!list.contains("whsec_"), "shown only once");
    assert!(!list.contains(r#"id="webhook-secret""#));
    let id = id_of(&list, HOOK);
    let hook = format!("{hooks}/{id}");
    let (status, page) = get(&server, &hook, &owner).await;
    assert_eq!(status, 200, "{page}");
    assert!(!page.contains("whsec_"));
    assert!(ticked(&page, "member.joined") && ticked(&page, "org.updated"));
    assert!(!ticked(&page, "member.removed"));

    // A member joins through a join link (the API, with the console's session tokens).
    let mia_session = console_sign_up(&server, "mia@example.com", "Mia Member").await;
    let (status, link) = server
        .api(
            "POST",
            &format!("/api/orgs/{org}/invitations/link"),
            Some(&owner_session),
            Some(json!({"role": "member"})),
        )
        .await;
    assert_eq!(status, 201, "{link}");
    let code = link["link"]
        .as_str()
        .unwrap()
        .rsplit_once("/join/")
        .unwrap()
        .1
        .to_owned();
    let (status, joined) = server
        .api(
            "POST",
            &format!("/api/join/{code}"),
            Some(&mia_session),
            Some(json!({})),
        )
        .await;
    assert!(status == 200 || status == 201, "{status} {joined}");

    // Her role lacks settings:write: no tab, and 403 for the pages and the posts, even with
    // her own CSRF token.
    let mia = format!("{SESSION}={mia_session}");
    let (status, settings) = get(&server, &format!("/console/orgs/{org}/settings"), &mia).await;
    assert_eq!(status, 200, "{settings}");
    assert!(settings.contains(r#"class="on""#), "the tabs");
    assert!(!settings.contains(&format!(r#"href="{hooks}""#)), "no tab");
    let mia_csrf = csrf_of(&settings);
    assert_eq!(get(&server, &hooks, &mia).await.0, 403);
    assert_eq!(get(&server, &hook, &mia).await.0, 403);
    let denied = post(
        &server,
        &hooks,
        &mia,
        &[
            ("csrf", &mia_csrf),
            ("url", "http://127.0.0.1:9/mine"),
            ("events", "member.joined"),
        ],
    )
    .await;
    assert_eq!(denied.status, 403, "{}", denied.body);
    let denied = post(
        &server,
        &format!("{hook}/delete"),
        &mia,
        &[("csrf", &mia_csrf)],
    )
    .await;
    assert_eq!(denied.status, 403);
    let denied = post(
        &server,
        &hook,
        &mia,
        &[
            ("csrf", &mia_csrf),
            ("url", HOOK),
            ("events", "org.created"),
        ],
    )
    .await;
    assert_eq!(denied.status, 403);
    for action in ["active", "secret", "test"] {
        let fields = [("csrf", mia_csrf.as_str()), ("active", "false")];
        let denied = post(&server, &format!("{hook}/{action}"), &mia, &fields).await;
        assert_eq!(denied.status, 403, "{action}");
    }
    let (_, list) = get(&server, &hooks, &owner).await;
    assert!(row_of(&list, "http://127.0.0.1:9/mine").is_none());
    assert!(row_of(&list, HOOK).is_some(), "still there");

    // Her joining was posted to the hook, where nothing listens: the log says so.
    let deadline = Instant::now() + Duration::from_secs(5);
    let page = loop {
        let (status, page) = get(&server, &hook, &owner).await;
        assert_eq!(status, 200);
        if page.contains("<td><code>member.joined</code></td>") {
            break page;
        }
        assert!(Instant::now() < deadline, "no delivery logged: {page}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(page.contains(r#"id="deliveries""#));
    assert!(page.contains(r#"data-delivered="false""#), "{page}");
    assert!(page.contains("Page 1 of 1"), "{page}");
    let (status, page) = get(&server, &format!("{hook}?page=many"), &owner).await;
    assert_eq!(status, 200);
    assert!(page.contains("Page must be between 1 and"), "{page}");

    // Edited: other events, the same URL.
    let saved = post(
        &server,
        &hook,
        &owner,
        &[
            ("csrf", &csrf),
            ("url", HOOK),
            ("events", "member.joined"),
            ("events", "member.removed"),
        ],
    )
    .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(saved.location, format!("{hook}?done=saved"));
    let (_, page) = get(&server, &saved.location, &owner).await;
    assert!(page.contains("Saved."));
    assert!(ticked(&page, "member.joined") && ticked(&page, "member.removed"));
    assert!(!ticked(&page, "org.updated"));
    let refused = post(&server, &hook, &owner, &[("csrf", &csrf), ("url", HOOK)]).await;
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("must list at least one event type"));

    // Paused: marked so in the list, then resumed.
    let paused = post(
        &server,
        &format!("{hook}/active"),
        &owner,
        &[("csrf", &csrf), ("active", "false")],
    )
    .await;
    assert_eq!(paused.location, format!("{hook}?done=paused"));
    let (_, page) = get(&server, &paused.location, &owner).await;
    assert!(page.contains(r#"id="webhook-paused""#) && page.contains(r#"id="resume-webhook""#));
    let (_, list) = get(&server, &hooks, &owner).await;
    let row = &list[row_of(&list, HOOK).unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.contains(r#"class="badge paused""#), "{row}");
    let resumed = post(
        &server,
        &format!("{hook}/active"),
        &owner,
        &[("csrf", &csrf), ("active", "true")],
    )
    .await;
    assert_eq!(resumed.location, format!("{hook}?done=resumed"));
    let (_, page) = get(&server, &resumed.location, &owner).await;
    assert!(page.contains(r#"id="pause-webhook""#), "{page}");

    // A test event: queued behind the event that keeps failing (nothing listens on the hook),
    // which the test makes due at once.
    let tested = post(&server, &format!("{hook}/test"), &owner, &[("csrf", &csrf)]).await;
    assert_eq!(tested.location, format!("{hook}?done=test_sent"));
    let (_, page) = get(&server, &tested.location, &owner).await;
    assert!(page.contains("Test event queued"), "{page}");

    // Rotated: the new secret in this answer only, and the old one's end on the page after.
    let rotated = post(
        &server,
        &format!("{hook}/secret"),
        &owner,
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    assert_eq!(rotated.body.matches("whsec_").count(), 1);
    assert!(rotated.body.contains(r#"id="previous-secret-note""#));
    let (_, page) = get(&server, &hook, &owner).await;
    assert!(!page.contains("whsec_"), "shown only once");
    assert!(page.contains(r#"id="previous-secret-until""#));

    // Deleted: gone from the list, and its page with it.
    let deleted = post(
        &server,
        &format!("{hook}/delete"),
        &owner,
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(deleted.status, 303);
    assert_eq!(deleted.location, format!("{hooks}?done=removed"));
    let (_, list) = get(&server, &deleted.location, &owner).await;
    assert!(row_of(&list, HOOK).is_none());
    assert!(list.contains(r#"id="no-webhooks""#));
    assert_eq!(get(&server, &hook, &owner).await.0, 404);
    let again = post(
        &server,
        &format!("{hook}/delete"),
        &owner,
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(again.status, 404);
}
