//! Bulk invitations: a CSV of `email,role` rows (up to 1,000), each judged as a single
//! invitation would be; the rows that pass are applied in one transaction and the page shows
//! what became of every row.

use actix_web::{HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;
use tenantry_domain::error::DomainError;
use tenantry_domain::invitation::{EmailInvite, MAX_BULK_BODY_BYTES, MAX_BULK_ROWS};
use tenantry_domain::member::RoleChoice;
use tenantry_domain::user::Email;
use tenantry_domain::validation::ValidationError;

use super::{Refused, form, invitation_attempt, org_id};
use crate::ConsoleState;
use crate::layout::{OrgFrame, Tab, org_frame, org_page};
use crate::session::Viewer;

pub(crate) fn register(cfg: &mut web::ServiceConfig) {
    // A CSV of the most rows needs more room than other forms.
    cfg.service(
        web::resource("/orgs/{org}/invitations/bulk")
            .app_data(web::PayloadConfig::new(MAX_BULK_BODY_BYTES))
            .route(web::get().to(page))
            .route(web::post().to(upload)),
    );
}

fn upload_form(frame: &OrgFrame, viewer: &Viewer) -> Markup {
    html! {
        section.card {
            h1 { "Invite many people" }
            p { "A CSV file with one person per line: " code { "email,role" } ". The role is "
                "admin, auditor, member or viewer, or a custom role's id; left out, it is member. "
                "A first line " code { "email,role" } " is skipped. At most " (MAX_BULK_ROWS) " lines." }
            form method="post" action={(frame.url("invitations")) "/bulk"} {
                input type="hidden" name="csrf" value=(viewer.csrf);
                label for="csv-file" { "CSV file" }
                input #csv-file type="file" accept=".csv,text/csv" data-into="csv-text";
                label for="csv-text" { "…or paste the lines" }
                textarea #csv-text name="csv" rows="8" cols="60" required {}
                p { button #upload-csv type="submit" { "Invite" } }
            }
        }
    }
}

async fn page(
    state: web::Data<ConsoleState>,
    viewer: Viewer,
    path: web::Path<String>,
) -> Result<HttpResponse, Refused> {
    let org = org_id(&path)?;
    let frame = org_frame(&state, &viewer, org).await?;
    Ok(org_page(
        &frame,
        &viewer,
        Tab::Invitations,
        upload_form(&frame, &viewer),
    ))
}

#[derive(Deserialize)]
struct UploadForm {
    #[serde(default)]
    csv: String,
}

/// A row as written (its address) and as the use case takes it.
type Row = (String, Result<EmailInvite, ValidationError>);

/// The CSV's rows, each with the address as written.
fn rows(text: &str) -> Result<Vec<Row>, ValidationError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let record = record.map_err(|error| ValidationError::new("csv", error.to_string()))?;
        let email = record.get(0).unwrap_or_default().to_owned();
        if index == 0 && email.eq_ignore_ascii_case("email") {
            continue;
        }
        if record.iter().all(str::is_empty) {
            continue;
        }
        let role = record.get(1).filter(|role| !role.is_empty());
        let invite = Email::try_from(email.as_str()).and_then(|address| {
            Ok(EmailInvite {
                email: address,
                role: role.map_or(Ok(RoleChoice::default()), RoleChoice::try_from)?,
            })
        });
        rows.push((email, invite));
    }
    if rows.is_empty() || rows.len() > MAX_BULK_ROWS {
        return Err(ValidationError::new(
            "csv",
            format!("must hold 1 to {MAX_BULK_ROWS} lines"),
        ));
    }
    Ok(rows)
}

async fn upload(
    state: web::Data<ConsoleState>,
    viewer: Viewer,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, Refused> {
    let org = org_id(&path)?;
    let upload: UploadForm = form(&viewer, &body)?;
    invitation_attempt(&state, &viewer)?;
    let frame = org_frame(&state, &viewer, org).await?;
    let parsed = match rows(&upload.csv) {
        Ok(parsed) => parsed,
        Err(invalid) => {
            let body = html! {
                p.error role="alert" { (invalid.to_string()) }
                (upload_form(&frame, &viewer))
            };
            return Ok(org_page(&frame, &viewer, Tab::Invitations, body));
        }
    };
    let (emails, invites): (Vec<String>, Vec<_>) = parsed.into_iter().unzip();
    let outcomes = state
        .services
        .invitations
        .invite_bulk(&viewer.actor, org, invites)
        .await?;
    let invited = outcomes.iter().filter(|outcome| outcome.is_ok()).count();
    let body = html! {
        section.card {
            h1 { "Invitations processed" }
            p.done role="status" { (invited) " invited, " (outcomes.len() - invited) " not." }
            table #bulk-results {
                thead { tr { th { "Line" } th { "E-mail" } th { "Result" } } }
                tbody {
                    @for (index, (email, outcome)) in emails.iter().zip(&outcomes).enumerate() {
                        tr data-email=(email) {
                            td { (index + 1) }
                            td { (email) }
                            @match outcome {
                                Ok(_) => td.result { "invited" },
                                Err(error) => td.result { (error.code()) ": " (error.to_string()) },
                            }
                        }
                    }
                }
            }
            p { a href=(frame.url("invitations")) { "Back to invitations" } }
        }
    };
    Ok(org_page(&frame, &viewer, Tab::Invitations, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_and_blank_lines_are_skipped_and_roles_default_to_member() {
        let parsed =
            rows("email,role\n a@example.com , viewer\n\nb@example.com\nnot-mail,admin\n").unwrap();
        let emails: Vec<&str> = parsed.iter().map(|(email, _)| email.as_str()).collect();
        assert_eq!(emails, ["a@example.com", "b@example.com", "not-mail"]);
        assert_eq!(parsed[1].1.as_ref().unwrap().role, RoleChoice::default());
        assert_eq!(parsed[2].1.as_ref().unwrap_err().field, "email");
        assert!(rows("").is_err());
    }
}
