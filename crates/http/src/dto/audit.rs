use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tenantry_domain::audit::{AuditEntry, AuditFilter, AuditLog, AuditPage, ChainReport};
use tenantry_domain::validation::ValidationError;
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use super::{rfc3339, utc};

/// The filters of the list and the export.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct AuditFilterQuery {
    /// An action name, e.g. `member.invited` (see docs/audit-events.md).
    #[param(schema_with = crate::dto::schema::audit_action)]
    pub action: Option<String>,
    /// Only events by this user.
    #[param(schema_with = crate::dto::schema::id)]
    pub actor_id: Option<String>,
    /// ISO 8601 date or date-time; a date starts at its midnight UTC.
    #[param(schema_with = crate::dto::schema::date_or_time)]
    pub from: Option<String>,
    /// ISO 8601 date or date-time, inclusive; a date covers its whole day.
    #[param(schema_with = crate::dto::schema::date_or_time)]
    pub to: Option<String>,
}

impl TryFrom<&AuditFilterQuery> for AuditFilter {
    type Error = ValidationError;

    fn try_from(query: &AuditFilterQuery) -> Result<Self, Self::Error> {
        AuditFilter::parse(
            query.action.as_deref(),
            query.actor_id.as_deref(),
            query.from.as_deref(),
            query.to.as_deref(),
        )
    }
}

/// The list's filters and its page.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct AuditListQuery {
    #[param(schema_with = crate::dto::schema::audit_action)]
    pub action: Option<String>,
    #[param(schema_with = crate::dto::schema::id)]
    pub actor_id: Option<String>,
    #[param(schema_with = crate::dto::schema::date_or_time)]
    pub from: Option<String>,
    #[param(schema_with = crate::dto::schema::date_or_time)]
    pub to: Option<String>,
    /// From 1 (default 1).
    #[param(minimum = 1, maximum = 100_000)]
    pub page: Option<u64>,
    /// Events per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
}

impl TryFrom<AuditListQuery> for (AuditFilter, AuditPage) {
    type Error = ValidationError;

    fn try_from(query: AuditListQuery) -> Result<Self, Self::Error> {
        let page = AuditPage::new(query.page, query.limit)?;
        let filter = AuditFilter::try_from(&AuditFilterQuery {
            action: query.action,
            actor_id: query.actor_id,
            from: query.from,
            to: query.to,
        })?;
        Ok((filter, page))
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditActor {
    pub user_id: String,
    /// The account's current name; null once the account is gone.
    pub username: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditLogEntry {
    #[serde(rename = "_id")]
    pub id: String,
    #[schema(example = "member.invited")]
    pub action: &'static str,
    /// Null when an operator acted through the command line.
    pub actor: Option<AuditActor>,
    pub target: BTreeMap<String, String>,
    pub metadata: BTreeMap<String, String>,
    pub ip: Option<String>,
    #[serde(with = "rfc3339")]
    pub timestamp: OffsetDateTime,
}

impl From<AuditEntry> for AuditLogEntry {
    fn from(entry: AuditEntry) -> Self {
        let event = entry.event;
        Self {
            id: event.id.to_string(),
            action: event.action.name(),
            actor: event.actor_id.map(|id| AuditActor {
                user_id: id.to_string(),
                username: entry.actor_name,
            }),
            target: event.target,
            metadata: event.metadata,
            ip: event.ip.map(|ip| ip.to_string()),
            timestamp: utc(event.at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditLogResponse {
    pub logs: Vec<AuditLogEntry>,
    pub total: u64,
    pub page: u64,
    pub pages: u64,
}

impl From<AuditLog> for AuditLogResponse {
    fn from(log: AuditLog) -> Self {
        Self {
            logs: log.entries.into_iter().map(AuditLogEntry::from).collect(),
            total: log.total,
            page: log.page,
            pages: log.pages,
        }
    }
}

/// Where the chain breaks first.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChainBreakResponse {
    /// The sequence number expected there.
    pub seq: u64,
    /// The event found there, when there is one.
    pub event_id: Option<String>,
    /// `altered`, `unlinked`, `missing`, `truncated` or `unchained`.
    #[schema(example = "altered")]
    pub reason: &'static str,
}

/// The result of checking an org's audit chain.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChainReportResponse {
    pub intact: bool,
    /// Events checked before the first break (all of them when intact).
    pub checked: u64,
    /// The newest event's place and hash: keep them elsewhere to prove later that nothing
    /// was rewritten since.
    pub head_seq: u64,
    pub head_hash: Option<String>,
    /// Where retention last cut the log: the chain starts after it.
    pub anchor_seq: u64,
    pub first_break: Option<ChainBreakResponse>,
}

impl From<ChainReport> for ChainReportResponse {
    fn from(report: ChainReport) -> Self {
        Self {
            intact: report.intact(),
            checked: report.checked,
            head_seq: report.state.head_seq,
            head_hash: report.state.head_hash,
            anchor_seq: report.state.anchor_seq,
            first_break: report.first_break.map(|broken| ChainBreakResponse {
                seq: broken.seq,
                event_id: broken.event.map(|id| id.to_string()),
                reason: broken.reason.name(),
            }),
        }
    }
}
