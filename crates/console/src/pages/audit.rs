//! The org's audit log: filter by action, actor and dates, page through it newest first, open
//! an event to its target and metadata; download the same selection as the API's CSV export.

use std::collections::{BTreeMap, HashMap};

use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType};
use actix_web::{HttpRequest, HttpResponse, web};
use futures::{Stream, StreamExt, stream};
use maud::{Markup, html};
use serde::Deserialize;
use tenantry_domain::audit::{
    AuditAction, AuditEntry, AuditExport, AuditFilter, AuditLog, AuditPage, csv,
};
use tenantry_domain::authz::Permission;
use tenantry_domain::ids::OrgId;
use tenantry_domain::member::{Member, MemberPage};
use tenantry_domain::plan::Feature;
use tenantry_domain::validation::ValidationError;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

use super::{Refused, org_id};
use crate::ConsoleState;
use crate::flash::{self, Flash};
use crate::layout::{OrgFrame, Tab, org_frame, org_page};
use crate::session::Viewer;

pub(crate) fn register(cfg: &mut web::ServiceConfig) {
    cfg.route("/orgs/{org}/audit", web::get().to(page))
        .route("/orgs/{org}/audit.csv", web::get().to(download));
}

/// The page's query. Every field is text so that a bad value is a banner, not a bare 400.
#[derive(Debug, Default, Deserialize)]
struct AuditQuery {
    action: Option<String>,
    actor: Option<String>,
    from: Option<String>,
    to: Option<String>,
    page: Option<String>,
    done: Option<String>,
    error: Option<String>,
}

impl AuditQuery {
    /// The query of `request`; a malformed one (a field given twice) reads as no filter at
    /// all and says so.
    fn read(request: &HttpRequest) -> (Self, Option<ValidationError>) {
        match serde_urlencoded::from_str(request.query_string()) {
            Ok(query) => (query, None),
            Err(_) => (
                Self::default(),
                Some(ValidationError::new("query", "names a filter twice")),
            ),
        }
    }
}

/// The filters as given, blanks dropped: an empty select or date field means no condition.
#[derive(Debug, Default)]
struct Filters {
    action: Option<String>,
    actor: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

fn given(value: Option<&String>) -> Option<String> {
    value
        .map(|value| value.trim())
        .filter(|value| !value.is_empty())
        .map(str::to_owned)
}

impl Filters {
    fn of(query: &AuditQuery) -> Self {
        Self {
            action: given(query.action.as_ref()),
            actor: given(query.actor.as_ref()),
            from: given(query.from.as_ref()),
            to: given(query.to.as_ref()),
        }
    }

    /// The domain's filter, parsed exactly as the API parses its query.
    fn filter(&self) -> Result<AuditFilter, ValidationError> {
        AuditFilter::parse(
            self.action.as_deref(),
            self.actor.as_deref(),
            self.from.as_deref(),
            self.to.as_deref(),
        )
    }

    /// `action=…&actor=…` for the filters given, then `extra`; empty when there are none.
    fn query_string(&self, extra: &[(&str, String)]) -> String {
        let pairs = [
            ("action", &self.action),
            ("actor", &self.actor),
            ("from", &self.from),
            ("to", &self.to),
        ];
        let pairs: Vec<(&str, &str)> = pairs
            .iter()
            .filter_map(|(key, value)| value.as_deref().map(|value| (*key, value)))
            .chain(extra.iter().map(|(key, value)| (*key, value.as_str())))
            .collect();
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

fn with_query(url: String, query: &str) -> String {
    if query.is_empty() {
        url
    } else {
        format!("{url}?{query}")
    }
}

/// The page number as given; a value that is no number gets the same refusal as one out of
/// range.
fn page_number(raw: Option<&String>) -> Result<AuditPage, ValidationError> {
    let page = given(raw)
        .map(|raw| raw.parse::<u64>())
        .transpose()
        .map_err(|_| {
            ValidationError::new(
                "page",
                format!("must be between 1 and {}", AuditPage::MAX_PAGE),
            )
        })?;
    AuditPage::new(page, None)
}

/// The org's members to choose an actor from, when the viewer may list them and they fit
/// one read; otherwise the page asks for a user id, so no actor is out of reach.
async fn members(state: &ConsoleState, viewer: &Viewer, frame: &OrgFrame) -> Option<Vec<Member>> {
    if !frame.may(Permission::MembersRead) {
        return None;
    }
    let page = MemberPage::new(None, Some(MemberPage::MAX_LIMIT)).ok()?;
    let list = state
        .services
        .members
        .list(&viewer.actor, frame.org.org.id, page)
        .await
        .ok()?;
    list.next.is_none().then_some(list.members)
}

/// Words for the field a filter was refused for, as the form labels it.
fn field_label(field: &str) -> &'static str {
    match field {
        "action" => "Action",
        "actorId" => "Actor",
        "from" => "From",
        "to" => "To",
        "page" => "Page",
        _ => "The address",
    }
}

async fn page(
    state: web::Data<ConsoleState>,
    viewer: Viewer,
    path: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, Refused> {
    let org = org_id(&path)?;
    let frame = org_frame(&state, &viewer, org).await?;
    let (query, malformed) = AuditQuery::read(&request);
    let filters = Filters::of(&query);
    let parsed = match malformed {
        Some(invalid) => Err(invalid),
        None => filters
            .filter()
            .and_then(|filter| Ok((filter, page_number(query.page.as_ref())?))),
    };
    let (log, invalid) = match parsed {
        Ok((filter, page)) => {
            let log = state
                .services
                .audit
                .list(&viewer.actor, org, filter, page)
                .await?;
            (Some(log), None)
        }
        Err(invalid) => (None, Some(invalid)),
    };
    let members = members(&state, &viewer, &frame).await;
    // A refused filter comes back from the download with its code too: one banner says it.
    let flash = Flash {
        done: query.done.clone(),
        error: query
            .error
            .clone()
            .or_else(|| invalid.as_ref().map(|_| "validation_failed".to_owned())),
    };
    let names: HashMap<String, &str> = members
        .iter()
        .flatten()
        .map(|member| (member.user.id.to_string(), member.user.name.as_str()))
        .collect();
    let org_text = org.to_string();
    let body = html! {
        section.card {
            h1 { "Audit log of " (frame.org.org.name.as_str()) }
            (flash::banner(&flash))
            @if let Some(invalid) = &invalid {
                p.muted { (field_label(invalid.field)) " " (invalid.message) "." }
            }
            (filter_form(&frame, &filters, members.as_deref()))
            @if invalid.is_none() {
                p {
                    a.button #download-csv href=(with_query(format!("{}.csv", frame.url("audit")), &filters.query_string(&[]))) {
                        "Download CSV"
                    }
                    @if !frame.org.org.plan.includes(Feature::AuditExport) {
                        " " span.muted { "Needs the Team plan or higher." }
                    }
                }
            }
            table #audit {
                thead { tr { th { "Time (UTC)" } th { "Action" } th { "Actor" } th { "Target" } } }
                tbody {
                    @for entry in log.iter().flat_map(|log| &log.entries) {
                        (row(entry, &names, &org_text))
                    }
                }
            }
            @match &log {
                Some(log) if log.total == 0 => { p.muted { "No event matches." } }
                Some(log) => { (pager(&frame, &filters, log)) }
                None => { p.muted { "Correct the filters to see events." } }
            }
        }
    };
    Ok(org_page(&frame, &viewer, Tab::Audit, body))
}

fn filter_form(frame: &OrgFrame, filters: &Filters, members: Option<&[Member]>) -> Markup {
    let actor = filters.actor.as_deref();
    // A past member's events stay in the log: keep their id chosen though they left.
    let unlisted = actor.filter(|actor| {
        !members
            .unwrap_or_default()
            .iter()
            .any(|member| member.user.id.to_string() == *actor)
    });
    html! {
        form.row #audit-filters method="get" action=(frame.url("audit")) {
            div {
                label for="action" { "Action" }
                select #action name="action" {
                    option value="" { "Any action" }
                    @for action in AuditAction::ALL {
                        option value=(action.name()) selected[filters.action.as_deref() == Some(action.name())] {
                            (action.name())
                        }
                    }
                }
            }
            div {
                label for="actor" { "Actor" }
                @if let Some(members) = members {
                    select #actor name="actor" {
                        option value="" { "Anyone" }
                        @for member in members {
                            @let id = member.user.id.to_string();
                            option value=(id) selected[actor == Some(id.as_str())] {
                                (member.user.name.as_str()) " (" (member.user.email.as_str()) ")"
                            }
                        }
                        @if let Some(unlisted) = unlisted {
                            option value=(unlisted) selected { (unlisted) }
                        }
                    }
                } @else {
                    input #actor type="text" name="actor" value=[actor] placeholder="User id";
                }
            }
            div {
                label for="from" { "From" }
                input #from type="date" name="from" value=[filters.from.as_deref()];
            }
            div {
                label for="to" { "To" }
                input #to type="date" name="to" value=[filters.to.as_deref()];
            }
            button.quiet type="submit" { "Filter" }
            a href=(frame.url("audit")) { "Clear" }
        }
    }
}

fn utc_time(at: OffsetDateTime) -> String {
    at.to_offset(UtcOffset::UTC)
        .format(format_description!(
            "[year]-[month]-[day] [hour]:[minute]:[second]"
        ))
        .unwrap_or_default()
}

/// An event's row. `names` are the members' names by user id, `org` the page's org.
fn row(entry: &AuditEntry, names: &HashMap<String, &str>, org: &str) -> Markup {
    let event = &entry.event;
    // A target names users and orgs by id: a current member or this org reads better in words.
    let shown = |key: &str, value: &str| -> String {
        match names.get(value) {
            Some(name) if key == "userId" => format!("{name} ({value})"),
            _ if key == "orgId" && value == org => "this organization".to_owned(),
            _ => value.to_owned(),
        }
    };
    let summary = event
        .target
        .iter()
        .map(|(key, value)| format!("{key}: {}", shown(key, value)))
        .collect::<Vec<_>>()
        .join(", ");
    html! {
        tr data-action=(event.action.name()) {
            td { time datetime=(rfc3339(event.at)) { (utc_time(event.at)) } }
            td { code { (event.action.name()) } }
            td {
                @match (&event.actor_id, &entry.actor_name) {
                    (Some(_), Some(name)) => { (name) }
                    (Some(id), None) => { span.muted title=(id) { "deleted account" } }
                    (None, _) => { span.muted { "no signed-in user" } }
                }
            }
            td {
                details {
                    summary { @if summary.is_empty() { "—" } @else { (summary) } }
                    (pairs("Target", &event.target))
                    (pairs("Metadata", &event.metadata))
                    p.muted {
                        "Event " code { (event.id) }
                        @if let Some(id) = &event.actor_id { " · actor " code { (id) } }
                        @if let Some(ip) = &event.ip { " · from " code { (ip) } }
                    }
                }
            }
        }
    }
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.to_offset(UtcOffset::UTC)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn pairs(title: &str, map: &BTreeMap<String, String>) -> Markup {
    html! {
        @if !map.is_empty() {
            p.muted { (title) }
            dl {
                @for (key, value) in map {
                    dt { code { (key) } }
                    dd { (value) }
                }
            }
        }
    }
}

fn pager(frame: &OrgFrame, filters: &Filters, log: &AuditLog) -> Markup {
    let to_page = |page: u64| {
        with_query(
            frame.url("audit"),
            &filters.query_string(&[("page", page.to_string())]),
        )
    };
    html! {
        div.pager {
            span.muted {
                "Page " (log.page) " of " (log.pages) " · " (log.total)
                @if log.total == 1 { " event" } @else { " events" }
            }
            @if log.page > 1 { a #prev-page href=(to_page((log.page - 1).min(log.pages))) { "Newer" } }
            @if log.page < log.pages { a #next-page href=(to_page(log.page + 1)) { "Older" } }
        }
    }
}

/// The CSV of the events that match, the API's export under the console's session: the same
/// use case checks the role and plan and records `audit.exported`. A refusal the page can
/// explain (no plan with export, a bad filter) goes back to it as a banner.
async fn download(
    state: web::Data<ConsoleState>,
    viewer: Viewer,
    path: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, Refused> {
    let org = org_id(&path)?;
    let (query, malformed) = AuditQuery::read(&request);
    let filters = Filters::of(&query);
    let back = with_query(
        format!("/console/orgs/{org}/audit"),
        &filters.query_string(&[]),
    );
    let filter = match malformed.map_or_else(|| filters.filter(), Err) {
        Ok(filter) => filter,
        Err(invalid) => return Ok(flash::failed(&back, &invalid)),
    };
    let export = match state
        .services
        .audit
        .export(&viewer.actor, org, filter)
        .await
    {
        Ok(export) => export,
        Err(error) => return Ok(flash::failed(&back, &error)),
    };
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(format!("audit-logs-{org}.csv"))],
        })
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(csv_body(org, export)))
}

type Chunk = Result<web::Bytes, actix_web::Error>;

/// The header, then one chunk per batch, each read only when the client took the one before:
/// memory holds one batch however many rows match. A failure mid-way ends the download early
/// (the status is sent by then) and is logged.
fn csv_body(org: OrgId, export: AuditExport) -> impl Stream<Item = Chunk> {
    let header = stream::once(async { Ok(web::Bytes::from(csv::header())) });
    let rows = stream::unfold(Some(export), move |export| async move {
        let mut export = export?;
        let failure = match export.next_batch().await {
            Ok(Some(rows)) => return Some((Ok(web::Bytes::from(rows)), Some(export))),
            Ok(None) => return None,
            Err(error) => error.to_string(),
        };
        tracing::error!(%org, error = failure, "console audit download failed mid-stream");
        let error = actix_web::error::ErrorInternalServerError("export failed");
        Some((Err(error), None))
    });
    header.chain(rows)
}
