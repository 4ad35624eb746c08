//! The audit log: `/api/orgs/{orgId}/audit-logs` and its CSV export.

use actix_web::http::header::{ContentDisposition, DispositionParam, DispositionType};
use actix_web::{HttpResponse, web};
use futures::channel::mpsc;
use futures::{SinkExt, Stream, StreamExt, stream};
use tenantry_domain::audit::{AuditExport, AuditFilter, AuditPage, csv};
use tenantry_domain::ids::OrgId;

use super::path_id;
use crate::ApiState;
use crate::auth::Authenticated;
use crate::body::Query;
use crate::dto::audit::{AuditFilterQuery, AuditListQuery, AuditLogResponse, ChainReportResponse};
use crate::error::{ApiError, ErrorBody};

/// One page of the org's audit log, newest first; needs `audit:read`.
#[utoipa::path(get, path = "/api/orgs/{orgId}/audit-logs", tag = "audit",
    security(("bearer" = [])), params(("orgId" = String, Path), AuditListQuery),
    responses(
        (status = 200, body = AuditLogResponse),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "org_not_found", body = ErrorBody),
    ))]
pub(crate) async fn list_audit_logs(
    state: web::Data<ApiState>,
    auth: Authenticated,
    path: web::Path<String>,
    query: Query<AuditListQuery>,
) -> Result<HttpResponse, ApiError> {
    let org: OrgId = path_id(&path)?;
    let (filter, page) = <(AuditFilter, AuditPage)>::try_from(query.value()?)?;
    let log = state
        .services
        .audit
        .list(&auth.actor, org, filter, page)
        .await?;
    Ok(HttpResponse::Ok().json(AuditLogResponse::from(log)))
}

/// The events that match, newest first, as a CSV download streamed from the database in
/// batches. Needs `audit:read` and the team plan or higher; the export itself is audited
/// (`audit.exported`, with its filters and row count).
#[utoipa::path(get, path = "/api/orgs/{orgId}/audit-logs/export", tag = "audit",
    security(("bearer" = [])), params(("orgId" = String, Path), AuditFilterQuery),
    responses(
        (status = 200, description = "text/csv: id, timestamp, action, actorId, actorName, target, metadata, ip", content_type = "text/csv", body = String),
        (status = 403, description = "forbidden, plan_upgrade_required", body = ErrorBody),
        (status = 404, description = "org_not_found", body = ErrorBody),
    ))]
pub(crate) async fn export_audit_logs(
    state: web::Data<ApiState>,
    auth: Authenticated,
    path: web::Path<String>,
    query: Query<AuditFilterQuery>,
) -> Result<HttpResponse, ApiError> {
    let org: OrgId = path_id(&path)?;
    let filter = AuditFilter::try_from(&query.value()?)?;
    let export = state
        .services
        .audit
        .export(&auth.actor, org, filter)
        .await?;
    let body =
        stream::once(async { Ok(web::Bytes::from(csv::header())) }).chain(read_ahead(export));
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(format!("audit-logs-{org}.csv"))],
        })
        .streaming(body))
}

/// Checks that the org's audit log is unbroken: every event's hash matches its content and
/// follows the one before, from the retention anchor to the head. Needs `audit:read`.
#[utoipa::path(get, path = "/api/orgs/{orgId}/audit-logs/verify", tag = "audit",
    security(("bearer" = [])), params(("orgId" = String, Path)),
    responses(
        (status = 200, body = ChainReportResponse),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "org_not_found", body = ErrorBody),
    ))]
pub(crate) async fn verify_audit_logs(
    state: web::Data<ApiState>,
    auth: Authenticated,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let org: OrgId = path_id(&path)?;
    let report = state.services.audit.verify(&auth.actor, org).await?;
    Ok(HttpResponse::Ok().json(ChainReportResponse::from(report)))
}

type Chunk = Result<web::Bytes, actix_web::Error>;

/// The batches as CSV, read ahead: the database reads the next batch while the current one is
/// written. The reader stops when the client goes away. After a failure the
/// download ends early (the status is sent by then), and the cause is logged.
fn read_ahead(mut export: AuditExport) -> impl Stream<Item = Chunk> {
    let (mut sender, receiver) = mpsc::channel(1);
    actix_web::rt::spawn(async move {
        loop {
            let chunk = match export.next_batch().await {
                Ok(Some(rows)) => Ok(web::Bytes::from(rows)),
                Ok(None) => break,
                Err(error) => {
                    tracing::error!(error = %error, "audit export failed mid-stream");
                    Err(actix_web::error::ErrorInternalServerError("export failed"))
                }
            };
            let failed = chunk.is_err();
            if sender.send(chunk).await.is_err() || failed {
                break;
            }
        }
    });
    // The reader sends nothing after the end or a failure, so the stream ends there.
    receiver
}
