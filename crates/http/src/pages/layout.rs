//! The frame every invitation page shares, and the headers that keep its secret URL private.
//! It wears the console's look (its header, palette and card; `crates/console/assets`), inline,
//! because these pages load nothing from anywhere: their URL holds a secret.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use maud::{DOCTYPE, Markup, html};

/// Inline styles only: the pages load nothing, so their policy can forbid everything else.
const STYLE: &str = "body{font-family:system-ui,sans-serif;background:#f4f5f7;color:#1f2328;\
margin:0}header{background:#fff;border-bottom:1px solid #e4e7eb;padding:.6rem 1.5rem;\
font-weight:700}header a{color:#1f2328;text-decoration:none}main{max-width:28rem;margin:2rem auto;background:#fff;border-radius:8px;\
padding:2rem;box-shadow:0 1px 3px rgba(0,0,0,.12)}h1{font-size:1.35rem;margin-top:0}\
h2{font-size:1.05rem;margin:1.5rem 0 .5rem}label{display:block;margin:.6rem 0 .2rem;font-size:.9rem}\
input{width:100%;box-sizing:border-box;padding:.5rem;border:1px solid #c9ced6;border-radius:4px;\
font-size:1rem}button{margin-top:.9rem;padding:.55rem 1rem;border:0;border-radius:4px;\
background:#2f6feb;color:#fff;font-size:1rem;cursor:pointer}button.quiet{background:#eef0f3;\
color:#1f2328}.error{background:#fdecea;color:#8a1c13;padding:.7rem;border-radius:4px}\
.done{background:#e7f5ea;color:#1a5e2a;padding:.7rem;border-radius:4px}.muted{color:#59636e;\
font-size:.9rem}hr{border:0;border-top:1px solid #e4e7eb;margin:1.5rem 0}";

/// Nothing but the page's own inline styles and form posts to itself; the URL holds a secret,
/// so it is never sent on as a referrer and the page cannot be framed.
const POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; \
frame-ancestors 'none'; base-uri 'none'";

pub(crate) fn page(status: StatusCode, title: &str, body: Markup) -> HttpResponse {
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="robots" content="noindex";
                title { (title) " · Tenantry" }
                style { (STYLE) }
            }
            body {
                header { a href="/console" { "Tenantry" } }
                main { (body) }
            }
        }
    };
    HttpResponse::build(status)
        .content_type(ContentType::html())
        .insert_header((header::CONTENT_SECURITY_POLICY, POLICY))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .body(markup.into_string())
}
