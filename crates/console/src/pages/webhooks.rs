//! The org's webhooks (`settings:write`, since a webhook reads the whole audit log): the list,
//! creating one (its signing secret shown once, on the answer to the post), and a page of each
//! to change its URL and events, pause and resume it, rotate its secret (the new one shown
//! once), send it a test event, read its deliveries log and delete it.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;
use tenantry_domain::audit::{AuditAction, AuditPage};
use tenantry_domain::ids::{OrgId, WebhookId};
use tenantry_domain::validation::ValidationError;
use tenantry_domain::webhook::{
    CreatedWebhook, DeliveryAttempt, DeliveryLog, EventTypes, MAX_WEBHOOKS_PER_ORG, NewWebhook,
    Webhook, WebhookChanges, WebhookError, WebhookUrl,
};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{NoFields, Refused, form, org_id};
use crate::ConsoleState;
use crate::flash::{self, Flash};
use crate::layout::{OrgFrame, Tab, org_frame, org_page};
use crate::session::Viewer;

pub(crate) fn register(cfg: &mut web::ServiceConfig) {
    cfg.route("/orgs/{org}/webhooks", web::get().to(page))
        .route("/orgs/{org}/webhooks", web::post().to(create))
        .route("/orgs/{org}/webhooks/{id}", web::get().to(edit_page))
        .route("/orgs/{org}/webhooks/{id}", web::post().to(update))
        .route(
            "/orgs/{org}/webhooks/{id}/active",
            web::post().to(set_active),
        )
        .route("/orgs/{org}/webhooks/{id}/secret", web::post().to(rotate))
        .route("/orgs/{org}/webhooks/{id}/test", web::post().to(send_test))
        .route("/orgs/{org}/webhooks/{id}/delete", web::post().to(delete));
}

fn list_url(org: OrgId) -> String {
    format!("/console/orgs/{org}/webhooks")
}

/// The page of one webhook, where its forms lead back to.
fn webhook_url(org: OrgId, id: WebhookId) -> String {
    format!("{}/{id}", list_url(org))
}

fn ids(path: &(String, String)) -> Result<(OrgId, WebhookId), Refused> {
    let org = org_id(&path.0)?;
    let id = path.1.parse().map_err(|_| Refused::not_found())?;
    Ok((org, id))
}

/// A webhook form as posted. The event checkboxes repeat their name, which no struct of
/// `serde_urlencoded` can take, so the pairs are read one by one.
#[derive(Debug, Default)]
struct WebhookForm {
    url: String,
    events: Vec<String>,
}

impl WebhookForm {
    fn read(viewer: &Viewer, body: &[u8]) -> Result<Self, Refused> {
        let pairs: Vec<(String, String)> = form(viewer, body)?;
        let mut read = Self::default();
        for (key, value) in pairs {
            match key.as_str() {
                "url" => read.url = value,
                "events" => read.events.push(value),
                _ => {}
            }
        }
        Ok(read)
    }

    fn url(&self) -> Result<WebhookUrl, ValidationError> {
        WebhookUrl::try_from(self.url.as_str())
    }

    fn events(&self) -> Result<EventTypes, ValidationError> {
        EventTypes::parse(self.events.iter().map(String::as_str))
    }

    fn new_webhook(&self) -> Result<NewWebhook, ValidationError> {
        Ok(NewWebhook {
            url: self.url()?,
            events: self.events()?,
        })
    }

    /// Only what differs from `current`; `None` when nothing does.
    fn changes(&self, current: &Webhook) -> Result<Option<WebhookChanges>, ValidationError> {
        let url = Some(self.url()?).filter(|url| *url != current.url);
        let events = Some(self.events()?).filter(|events| *events != current.events);
        if url.is_none() && events.is_none() {
            return Ok(None);
        }
        Ok(Some(WebhookChanges {
            url,
            events,
            active: None,
        }))
    }

    fn ticked(&self, action: AuditAction) -> bool {
        self.events.iter().any(|name| name == action.name())
    }
}

/// A form sent back to its page with why it was refused: its values stay as typed.
struct Refusal<'a> {
    form: &'a WebhookForm,
    invalid: &'a ValidationError,
}

impl Refusal<'_> {
    fn flash() -> Flash {
        Flash {
            done: None,
            error: Some("validation_failed".to_owned()),
        }
    }

    fn explained(&self) -> Markup {
        html! {
            p.muted #webhook-invalid { (field_label(self.invalid.field)) " " (self.invalid.message) "." }
        }
    }
}

/// Words for the field a form was refused for, as the form labels it.
fn field_label(field: &str) -> &'static str {
    match field {
        "url" => "The URL",
        "events" => "Events:",
        "page" => "Page",
        _ => "The form",
    }
}

/// `response` with `status`: a refused form is answered with its page, not a redirect.
fn with_status(mut response: HttpResponse, status: StatusCode) -> HttpResponse {
    *response.status_mut() = status;
    response
}

fn when(at: OffsetDateTime) -> Markup {
    let full = at.format(&Rfc3339).unwrap_or_default();
    let day: String = full.chars().take(10).collect();
    html! { time datetime=(full) title=(full) { (day) } }
}

/// A time to the second, in UTC.
fn moment(at: OffsetDateTime) -> Markup {
    let full = at.format(&Rfc3339).unwrap_or_default();
    let shown: String = full.chars().take(19).collect::<String>().replace('T', " ");
    html! { time datetime=(full) { (shown) } }
}

fn event_names(events: &EventTypes) -> Markup {
    html! {
        @for (i, action) in events.actions().iter().enumerate() {
            @if i > 0 { " " }
            code { (action.name()) }
        }
    }
}

/// The actions of [`AuditAction::ALL`] grouped by the part of their name before the dot, in
/// the order of the catalogue, so that an action added there shows up here unchanged.
fn groups() -> Vec<(&'static str, Vec<AuditAction>)> {
    let mut groups: Vec<(&'static str, Vec<AuditAction>)> = Vec::new();
    for action in AuditAction::ALL {
        let group = action
            .name()
            .split_once('.')
            .map_or(action.name(), |(group, _)| group);
        match groups.iter_mut().find(|(name, _)| *name == group) {
            Some((_, actions)) => actions.push(action),
            None => groups.push((group, vec![action])),
        }
    }
    groups
}

/// A checkbox's id: a `.` would read as a class in a CSS selector.
fn checkbox_id(action: AuditAction) -> String {
    format!("event-{}", action.name().replace('.', "-"))
}

/// The URL field and the event checkboxes, `ticked` as given.
fn fields(url: &str, ticked: impl Fn(AuditAction) -> bool) -> Markup {
    html! {
        label for="webhook-url" { "URL" }
        input #webhook-url type="url" name="url" required maxlength=(WebhookUrl::MAX_CHARS)
            value=(url) placeholder="https://hooks.example.com/tenantry" autocomplete="off";
        fieldset.events {
            legend { "Events" }
            p.muted { "The audit events posted to the URL; at least one." }
            @for (group, actions) in groups() {
                div data-group=(group) {
                    strong { (group) } " "
                    @for action in actions {
                        @let id = checkbox_id(action);
                        label for=(id) {
                            input #(id) type="checkbox" name="events" value=(action.name())
                                checked[ticked(action)];
                            " " (action.name().split_once('.').map_or(action.name(), |(_, rest)| rest))
                        }
                    }
                }
            }
        }
    }
}

async fn page(
    state: web::Data<ConsoleState>,
    viewer: Viewer,
    path: web::Path<String>,
    flash: web::Query<Flash>,
) -> Result<HttpResponse, Refused> {
    let org = org_id(&path)?;
    render(&state, &viewer, org, &flash, None, None).await
}

/// The list with the create form, and the webhook just created when there is one: its secret
/// exists only in this response, so it is rendered here rather than carried through a
/// redirect's URL. `refusal` is a create form sent back.
async fn render(
    state: &ConsoleState,
    viewer: &Viewer,
    org: OrgId,
    flash: &Flash,
    created: Option<&CreatedWebhook>,
    refusal: Option<&Refusal<'_>>,
) -> Result<HttpResponse, Refused> {
    let frame = org_frame(state, viewer, org).await?;
    let webhooks = state.services.webhooks.list(&viewer.actor, org).await?;
    let body = html! {
        section.card {
            h1 { "Webhooks of " (frame.org.org.name.as_str()) }
            (flash::banner(flash))
            @if let Some(refusal) = refusal { (refusal.explained()) }
            @if let Some(created) = created { (new_secret(created)) }
            p.muted #webhooks-usage {
                (webhooks.len()) " of " (MAX_WEBHOOKS_PER_ORG) " webhooks. Each receives the org's "
                "audit events of the types it lists, signed with its own secret."
            }
            table #webhooks {
                thead { tr {
                    th { "URL" } th { "Events" } th { "Created" } th { "Actions" }
                } }
                tbody {
                    @for webhook in &webhooks { (row(&frame, viewer, webhook)) }
                }
            }
            @if webhooks.is_empty() { p.muted #no-webhooks { "No webhook yet." } }
        }
        section.card {
            h2 { "Create a webhook" }
            @if webhooks.len() < MAX_WEBHOOKS_PER_ORG {
                form method="post" action=(frame.url("webhooks")) {
                    input type="hidden" name="csrf" value=(viewer.csrf);
                    @match refusal {
                        Some(refusal) => (fields(&refusal.form.url, |action| refusal.form.ticked(action))),
                        None => (fields("", |_| false)),
                    }
                    button #create-webhook type="submit" { "Create webhook" }
                }
            } @else {
                p #webhooks-full { "This organization has the most webhooks allowed. Delete one to make room." }
            }
        }
    };
    Ok(org_page(&frame, viewer, Tab::Webhooks, body))
}

/// The secret of the webhook just created or rotated, once: only a sealed copy is kept.
fn new_secret(created: &CreatedWebhook) -> Markup {
    html! {
        div #new-webhook data-id=(created.webhook.id) {
            label for="webhook-secret" { "Signing secret" }
            div {
                input #webhook-secret type="text" readonly value=(created.secret.text()) size="60"
                    autocomplete="off" spellcheck="false" aria-describedby="webhook-secret-note";
                " "
                button.quiet #copy-secret type="button" data-copy="webhook-secret" { "Copy" }
            }
            p.muted #webhook-secret-note {
                "Shown only now: copy it into the receiver at " code { (created.webhook.url.as_str()) }
                " before leaving this page. It cannot be shown again; to replace it, rotate it on "
                "the webhook's page."
            }
            @if let Some(until) = created.webhook.previous_secret_expires_at {
                p.muted #previous-secret-note {
                    "The secret it replaces signs beside it until " (moment(until)) " UTC: the "
                    "receiver accepts deliveries with either until then."
                }
            }
            p.muted {
                "Every delivery carries the headers " code { "webhook-id" } ", " code { "webhook-timestamp" }
                " and " code { "webhook-signature" } " (Standard Webhooks): the receiver computes "
                "HMAC-SHA256 with this secret over the id, the timestamp and the raw body, compares it "
                "with the signature and refuses old timestamps. How, with code: "
                code { "docs/webhooks.md" } ", “Verifying a delivery”."
            }
        }
    }
}

fn row(frame: &OrgFrame, viewer: &Viewer, webhook: &Webhook) -> Markup {
    let url = format!("{}/{}", frame.url("webhooks"), webhook.id);
    html! {
        tr data-id=(webhook.id) data-url=(webhook.url.as_str()) {
            td.url {
                a href=(url) { (webhook.url.as_str()) }
                @if !webhook.active { " " span.badge.paused { "paused" } }
            }
            td.events { (event_names(&webhook.events)) }
            td { (when(webhook.created_at)) }
            td {
                a href=(url) { "Edit" }
                " "
                form.inline method="post" action={(url) "/delete"}
                    data-confirm="Delete this webhook? Events not yet delivered to it are dropped." {
                    input type="hidden" name="csrf" value=(viewer.csrf);
                    button.danger type="submit" { "Delete" }
                }
            }
        }
    }
}

async fn create(
    state: web::Data<ConsoleState>,
    viewer: Viewer,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, Refused> {
    let org = org_id(&path)?;
    let form = WebhookForm::read(&viewer, &body)?;
    let back = list_url(org);
    let new = match form.new_webhook() {
        Ok(new) => new,
        Err(invalid) => return refused_create(&state, &viewer, org, &form, &invalid).await,
    };
    match state
        .services
        .webhooks
        .create(&viewer.actor, org, new)
        .await
    {
        Ok(created) => {
            let flash = Flash {
                done: Some("created".to_owned()),
                error: None,
            };
            render(&state, &viewer, org, &flash, Some(&created), None).await
        }
        // A URL the server may not reach: the domain says why, on the form as typed.
        Err(WebhookError::Invalid(invalid)) => {
            refused_create(&state, &viewer, org, &form, &invalid).await
        }
        Err(error) => Ok(flash::failed(&back, &error)),
    }
}

/// The list again with a create form sent back, as `422`.
async fn refused_create(
    state: &ConsoleState,
    viewer: &Viewer,
    org: OrgId,
    form: &WebhookForm,
    invalid: &ValidationError,
) -> Result<HttpResponse, Refused> {
    let refusal = Refusal { form, invalid };
    let page = render(state, viewer, org, &Refusal::flash(), None, Some(&refusal)).await?;
    Ok(with_status(page, StatusCode::UNPROCESSABLE_ENTITY))
}

/// The page's query: its banner and the deliveries page, as text so that a bad number is a
/// banner, not a bare 400.
#[derive(Debug, Default, Deserialize)]
struct EditQuery {
    done: Option<String>,
    error: Option<String>,
    page: Option<String>,
}

/// The deliveries page asked for; a value that is no number gets the same refusal as one out
/// of range.
fn page_number(raw: Option<&str>) -> Result<AuditPage, ValidationError> {
    let page = raw
        .map(str::trim)
        .filter(|raw| !raw.is_empty())
        .map(str::parse::<u64>)
        .transpose()
        .map_err(|_| {
            ValidationError::new(
                "page",
                format!("must be between 1 and {}", AuditPage::MAX_PAGE),
            )
        })?;
    AuditPage::new(page, None)
}

async fn edit_page(
    state: web::Data<ConsoleState>,
    viewer: Viewer,
    path: web::Path<(String, String)>,
    query: web::Query<EditQuery>,
) -> Result<HttpResponse, Refused> {
    let (org, id) = ids(&path)?;
    render_edit(&state, &viewer, org, id, &query, Edit::Shown).await
}

/// What the webhook's page shows besides the webhook.
#[derive(Clone, Copy)]
enum Edit<'a> {
    Shown,
    /// Its form, sent back.
    Refused(&'a Refusal<'a>),
    /// The secret that just replaced its own.
    Rotated(&'a CreatedWebhook),
}

/// A webhook's page: its form (as sent back when it was refused), pausing and rotating, its
/// deliveries log at the page `query` asks for, and deleting it.
async fn render_edit(
    state: &ConsoleState,
    viewer: &Viewer,
    org: OrgId,
    id: WebhookId,
    query: &EditQuery,
    shown: Edit<'_>,
) -> Result<HttpResponse, Refused> {
    let refusal = match shown {
        Edit::Refused(refusal) => Some(refusal),
        _ => None,
    };
    let frame = org_frame(state, viewer, org).await?;
    let webhook = state
        .services
        .webhooks
        .list(&viewer.actor, org)
        .await?
        .into_iter()
        .find(|webhook| webhook.id == id)
        .ok_or_else(Refused::not_found)?;
    let (log, bad_page) = match page_number(query.page.as_deref()) {
        Ok(page) => {
            let log = state
                .services
                .webhooks
                .deliveries(&viewer.actor, org, id, page)
                .await?;
            (Some(log), None)
        }
        Err(invalid) => (None, Some(invalid)),
    };
    let flash = match (refusal, &bad_page) {
        (Some(_), _) | (None, Some(_)) => Refusal::flash(),
        (None, None) => Flash {
            done: query.done.clone(),
            error: query.error.clone(),
        },
    };
    let url = format!("{}/{}", frame.url("webhooks"), webhook.id);
    let body = html! {
        section.card {
            h1 { "Webhook to " (webhook.url.origin()) }
            (flash::banner(&flash))
            @if let Some(refusal) = refusal { (refusal.explained()) }
            @if let Edit::Rotated(rotated) = shown { (new_secret(rotated)) }
            p.muted {
                "Created " (when(webhook.created_at)) ". Its signing secret is shown once, when it "
                "is made, and cannot be shown again."
            }
            form method="post" action=(url) {
                input type="hidden" name="csrf" value=(viewer.csrf);
                @match refusal {
                    Some(refusal) => (fields(&refusal.form.url, |action| refusal.form.ticked(action))),
                    None => (fields(webhook.url.as_str(), |action| webhook.events.contains(action))),
                }
                button #save-webhook type="submit" { "Save" }
                " " a href=(frame.url("webhooks")) { "Cancel" }
            }
        }
        section.card #webhook-state {
            h2 { "Deliveries on or off" }
            @if webhook.active {
                p { "Active: events are posted as they happen." }
                form.inline method="post" action={(url) "/active"} {
                    input type="hidden" name="csrf" value=(viewer.csrf);
                    input type="hidden" name="active" value="false";
                    button #pause-webhook type="submit" { "Pause deliveries" }
                }
                " " span.muted { "Events wait in its queue, in order, until it is resumed." }
            } @else {
                p #webhook-paused { "Paused: events wait in its queue." }
                form.inline method="post" action={(url) "/active"} {
                    input type="hidden" name="csrf" value=(viewer.csrf);
                    input type="hidden" name="active" value="true";
                    button #resume-webhook type="submit" { "Resume deliveries" }
                }
            }
        }
        section.card #webhook-secret-rotation {
            h2 { "Signing secret" }
            @if let Some(until) = webhook.previous_secret_expires_at {
                p #previous-secret-until {
                    "The secret before the last rotation signs beside the current one until "
                    (moment(until)) " UTC."
                }
            }
            form.inline method="post" action={(url) "/secret"}
                data-confirm="Make a new signing secret? The current one keeps signing beside it for 24 hours." {
                input type="hidden" name="csrf" value=(viewer.csrf);
                button #rotate-secret type="submit" { "Rotate secret" }
            }
            " " span.muted { "The new secret is shown once; the current one keeps signing beside it for 24 hours." }
        }
        section.card {
            h2 { "Deliveries" }
            form.inline method="post" action={(url) "/test"} {
                input type="hidden" name="csrf" value=(viewer.csrf);
                button.quiet #test-webhook type="submit" { "Send a test event" }
            }
            " " span.muted { "A signed " code { "webhook.tested" } " event, whatever the webhook subscribes to." }
            @if let Some(invalid) = &bad_page {
                p.muted { (field_label(invalid.field)) " " (invalid.message) "." }
            }
            table #deliveries {
                thead { tr {
                    th { "Event type" } th { "Attempt" } th { "Status" } th { "Delivered" }
                    th { "Error" } th { "Time (UTC)" } th { "Duration" }
                } }
                tbody {
                    @for attempt in log.iter().flat_map(|log| &log.attempts) {
                        (delivery(attempt))
                    }
                }
            }
            @match &log {
                Some(log) if log.total == 0 => { p.muted #no-deliveries { "Nothing was sent to it yet." } }
                Some(log) => { (pager(&url, log)) }
                None => {}
            }
        }
        section.card {
            h2 { "Delete" }
            form.inline method="post" action={(url) "/delete"}
                data-confirm="Delete this webhook? Events not yet delivered to it are dropped." {
                input type="hidden" name="csrf" value=(viewer.csrf);
                button.danger #delete-webhook type="submit" { "Delete webhook" }
            }
            " " span.muted { "Events not yet delivered to it are dropped with it." }
        }
    };
    Ok(org_page(&frame, viewer, Tab::Webhooks, body))
}

fn delivery(attempt: &DeliveryAttempt) -> Markup {
    let delivered = attempt.delivered();
    html! {
        tr data-event=(attempt.event_id) data-delivered=(delivered) {
            td { code { (attempt.action.name()) } }
            td.attempt { (attempt.attempt) }
            td.status {
                @match attempt.status {
                    Some(status) => { (status) }
                    None => { span.muted { "no answer" } }
                }
            }
            td.delivered { @if delivered { "yes" } @else { "no" } }
            td.error { @if let Some(error) = &attempt.error { (error) } }
            td { (moment(attempt.at)) }
            td.duration { (attempt.duration_ms) " ms" }
        }
    }
}

fn pager(url: &str, log: &DeliveryLog) -> Markup {
    let to_page = |page: u64| format!("{url}?page={page}");
    html! {
        div.pager {
            span.muted {
                "Page " (log.page) " of " (log.pages) " · " (log.total)
                @if log.total == 1 { " attempt" } @else { " attempts" }
            }
            @if log.page > 1 { a #prev-page href=(to_page((log.page - 1).min(log.pages))) { "Newer" } }
            @if log.page < log.pages { a #next-page href=(to_page(log.page + 1)) { "Older" } }
        }
    }
}

async fn update(
    state: web::Data<ConsoleState>,
    viewer: Viewer,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, Refused> {
    let (org, id) = ids(&path)?;
    let form = WebhookForm::read(&viewer, &body)?;
    let back = webhook_url(org, id);
    let webhooks = match state.services.webhooks.list(&viewer.actor, org).await {
        Ok(webhooks) => webhooks,
        Err(error) => return Ok(flash::failed(&back, &error)),
    };
    let Some(current) = webhooks.into_iter().find(|webhook| webhook.id == id) else {
        return Ok(flash::failed(&back, &WebhookError::NotFound));
    };
    let changes = match form.changes(&current) {
        Ok(Some(changes)) => changes,
        // Saving an unchanged form changes nothing, and leaves the audit log alone.
        Ok(None) => return Ok(flash::done(&back, "saved")),
        Err(invalid) => return refused_update(&state, &viewer, org, id, &form, &invalid).await,
    };
    match state
        .services
        .webhooks
        .update(&viewer.actor, org, id, changes)
        .await
    {
        Ok(_) => Ok(flash::done(&back, "saved")),
        Err(WebhookError::Invalid(invalid)) => {
            refused_update(&state, &viewer, org, id, &form, &invalid).await
        }
        Err(error) => Ok(flash::failed(&back, &error)),
    }
}

/// The webhook's page again with its form sent back, as `422`.
async fn refused_update(
    state: &ConsoleState,
    viewer: &Viewer,
    org: OrgId,
    id: WebhookId,
    form: &WebhookForm,
    invalid: &ValidationError,
) -> Result<HttpResponse, Refused> {
    let refusal = Refusal { form, invalid };
    let query = EditQuery::default();
    let page = render_edit(state, viewer, org, id, &query, Edit::Refused(&refusal)).await?;
    Ok(with_status(page, StatusCode::UNPROCESSABLE_ENTITY))
}

#[derive(Deserialize)]
struct ActiveForm {
    active: bool,
}

async fn set_active(
    state: web::Data<ConsoleState>,
    viewer: Viewer,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, Refused> {
    let (org, id) = ids(&path)?;
    let ActiveForm { active } = form(&viewer, &body)?;
    let changes = WebhookChanges {
        active: Some(active),
        ..WebhookChanges::default()
    };
    let back = webhook_url(org, id);
    let outcome = state
        .services
        .webhooks
        .update(&viewer.actor, org, id, changes)
        .await;
    Ok(flash::outcome(
        &back,
        outcome,
        if active { "resumed" } else { "paused" },
    ))
}

async fn send_test(
    state: web::Data<ConsoleState>,
    viewer: Viewer,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, Refused> {
    let (org, id) = ids(&path)?;
    let _: NoFields = form(&viewer, &body)?;
    Ok(flash::outcome(
        &webhook_url(org, id),
        state
            .services
            .webhooks
            .send_test(&viewer.actor, org, id)
            .await,
        "test_sent",
    ))
}

/// Rotates the secret and answers with the webhook's page showing the new one: it exists only
/// in this response, as a created webhook's does.
async fn rotate(
    state: web::Data<ConsoleState>,
    viewer: Viewer,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, Refused> {
    let (org, id) = ids(&path)?;
    let _: NoFields = form(&viewer, &body)?;
    match state
        .services
        .webhooks
        .rotate_secret(&viewer.actor, org, id)
        .await
    {
        Ok(rotated) => {
            let query = EditQuery {
                done: Some("saved".to_owned()),
                ..EditQuery::default()
            };
            render_edit(&state, &viewer, org, id, &query, Edit::Rotated(&rotated)).await
        }
        Err(error) => Ok(flash::failed(&webhook_url(org, id), &error)),
    }
}

async fn delete(
    state: web::Data<ConsoleState>,
    viewer: Viewer,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, Refused> {
    let (org, id) = ids(&path)?;
    let _: NoFields = form(&viewer, &body)?;
    Ok(flash::outcome(
        &list_url(org),
        state.services.webhooks.delete(&viewer.actor, org, id).await,
        "removed",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_groups_hold_every_action_once() {
        let actions: Vec<AuditAction> = groups().into_iter().flat_map(|(_, a)| a).collect();
        assert_eq!(actions, AuditAction::ALL.to_vec());
        let names: Vec<_> = groups().into_iter().map(|(g, _)| g).collect();
        assert!(names.contains(&"member") && names.contains(&"webhook"));
    }

    #[test]
    fn checkbox_ids_hold_no_dot() {
        assert_eq!(
            checkbox_id(AuditAction::MemberInvited),
            "event-member-invited"
        );
    }

    #[test]
    fn a_deliveries_page_is_a_number_in_range() {
        assert_eq!(page_number(None).unwrap().page, 1);
        assert_eq!(page_number(Some(" 3 ")).unwrap().page, 3);
        assert_eq!(page_number(Some("three")).unwrap_err().field, "page");
        assert_eq!(page_number(Some("0")).unwrap_err().field, "page");
    }

    #[test]
    fn an_unchanged_form_is_no_change() {
        let current = Webhook {
            id: WebhookId::generate(),
            org_id: OrgId::generate(),
            url: WebhookUrl::try_from("https://hooks.example.com/in").unwrap(),
            events: EventTypes::parse(["member.invited", "org.updated"]).unwrap(),
            active: true,
            previous_secret_expires_at: None,
            created_at: OffsetDateTime::UNIX_EPOCH,
        };
        let same = WebhookForm {
            url: "https://hooks.example.com/in".to_owned(),
            events: vec!["org.updated".to_owned(), "member.invited".to_owned()],
        };
        assert_eq!(same.changes(&current).unwrap(), None);
        let fewer = WebhookForm {
            events: vec!["org.updated".to_owned()],
            ..same
        };
        let changes = fewer.changes(&current).unwrap().unwrap();
        assert_eq!(changes.url, None);
        assert_eq!(
            changes.events,
            Some(EventTypes::parse(["org.updated"]).unwrap())
        );
        let none = WebhookForm::default();
        assert_eq!(none.changes(&current).unwrap_err().field, "url");
    }
}
