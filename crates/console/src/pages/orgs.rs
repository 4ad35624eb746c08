//! The viewer's orgs: the list, creating one, and the switcher's jump to another.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use maud::html;
use serde::Deserialize;
use tenantry_domain::org::OrgName;

use super::{Refused, form, org_id};
use crate::ConsoleState;
use crate::flash::{self, Flash};
use crate::layout::plain_page;
use crate::session::Viewer;

pub(crate) fn register(cfg: &mut web::ServiceConfig) {
    cfg.route("/orgs", web::get().to(list))
        .route("/orgs", web::post().to(create))
        .route("/switch", web::get().to(switch))
        .route("/orgs/{org}", web::get().to(open));
}

async fn list(
    state: web::Data<ConsoleState>,
    viewer: Viewer,
    flash: web::Query<Flash>,
) -> Result<HttpResponse, Refused> {
    let orgs = state.services.orgs.list(&viewer.actor).await?;
    let me = state.services.auth.me(&viewer.actor).await?;
    let body = html! {
        section.card {
            h1 { "Your organizations" }
            (flash::banner(&flash))
            @if orgs.is_empty() {
                p.muted { "You belong to no organization yet. Create one, or accept an invitation." }
            } @else {
                table {
                    thead { tr { th { "Name" } th { "Your role" } th { "Members" } th { "Plan" } } }
                    tbody {
                        @for summary in &orgs {
                            tr {
                                td { a href={"/console/orgs/" (summary.org.id) "/members"} { (summary.org.name.as_str()) } }
                                td { (summary.role.display_name()) }
                                td { (summary.member_count) }
                                td { (summary.org.plan.name()) }
                            }
                        }
                    }
                }
            }
        }
        section.card {
            h2 { "Create an organization" }
            form.row method="post" action="/console/orgs" {
                input type="hidden" name="csrf" value=(viewer.csrf);
                div {
                    label for="org-name" { "Name" }
                    input #org-name type="text" name="name" required maxlength=(OrgName::MAX_CHARS);
                }
                button #create-org type="submit" { "Create" }
            }
        }
    };
    Ok(plain_page(
        "Organizations",
        Some((me.user.name.as_str(), &viewer.csrf)),
        false,
        body,
    ))
}

#[derive(Deserialize)]
struct NewOrgForm {
    #[serde(default)]
    name: String,
}

async fn create(
    state: web::Data<ConsoleState>,
    viewer: Viewer,
    body: web::Bytes,
) -> Result<HttpResponse, Refused> {
    let form: NewOrgForm = form(&viewer, &body)?;
    let name = match OrgName::try_from(form.name.as_str()) {
        Ok(name) => name,
        Err(invalid) => return Ok(flash::failed("/console/orgs", &invalid)),
    };
    match state.services.orgs.create(&viewer.actor, name).await {
        Ok(created) => Ok(flash::done(
            &format!("/console/orgs/{}/members", created.org.id),
            "created",
        )),
        Err(error) => Ok(flash::failed("/console/orgs", &error)),
    }
}

#[derive(Deserialize)]
struct SwitchQuery {
    #[serde(default)]
    org: String,
}

async fn switch(_viewer: Viewer, query: web::Query<SwitchQuery>) -> Result<HttpResponse, Refused> {
    let org = org_id(&query.org)?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/console/orgs/{org}/members")))
        .finish())
}

async fn open(_viewer: Viewer, path: web::Path<String>) -> Result<HttpResponse, Refused> {
    let org = org_id(&path)?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/console/orgs/{org}/members")))
        .finish())
}
