use std::sync::Arc;

use tracing::instrument;

use super::chain::{BreakReason, ChainBreak, ChainReport, ChainWalk};
use super::error::AuditError;
use super::model::{AuditAction, AuditEvent};
use super::ports::EventPage;
use super::query::{AuditCursor, AuditFilter, AuditLog, AuditPage};
use crate::authz::{Access, Actor, Permission, Requirement};
use crate::clock::Clock;
use crate::ids::OrgId;
use crate::plan::Feature;
use crate::ports::UnitOfWork;

const AUDIT_READ: Requirement = Requirement::Permission(Permission::AuditRead);

/// What a retention pass deleted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pruned {
    /// Audit events.
    pub events: u64,
    /// Webhook delivery attempts (the deliveries log).
    pub delivery_attempts: u64,
}

/// Reading the audit log: pages for people, a CSV export for auditors' tools.
#[derive(Clone)]
pub struct AuditService {
    uow: Arc<dyn UnitOfWork>,
    clock: Arc<dyn Clock>,
}

impl AuditService {
    /// Events per export batch: large enough to stream fast, small enough that memory stays
    /// flat however many rows match.
    pub const EXPORT_BATCH: u64 = 5_000;

    /// The service over a store and a clock, which dates the `audit.exported` event and sets the
    /// export and retention cut-offs; [`crate::Services`] builds one for the server.
    pub fn new(uow: Arc<dyn UnitOfWork>, clock: Arc<dyn Clock>) -> Self {
        Self { uow, clock }
    }

    /// One page of the events that match, newest first; needs `audit:read`.
    #[instrument(skip_all, fields(org = %org))]
    pub async fn list(
        &self,
        actor: &Actor,
        org: OrgId,
        filter: AuditFilter,
        page: AuditPage,
    ) -> Result<AuditLog, AuditError> {
        // Two statements and no transaction: the page reads its total with its rows.
        let tx = self.uow.read_one().await?;
        Access::load::<AuditError>(&*tx, org, actor, AUDIT_READ).await?;
        let EventPage { total, entries } = tx
            .audit()
            .list_events(org, &filter, page.offset(), page.limit)
            .await?;
        Ok(AuditLog {
            entries,
            total,
            page: page.page,
            pages: total.div_ceil(page.limit),
        })
    }

    /// Events deleted per retention transaction: small, so writers never wait long.
    pub const RETENTION_BATCH: u64 = 500;

    /// Deletes the events every org's plan no longer keeps, and its webhooks' delivery
    /// attempts as old (they name events that are gone), in small batches, each in its own
    /// transaction; the chain stays verifiable from its new anchor. Returns how many went.
    #[instrument(skip_all)]
    pub async fn apply_retention(&self) -> Result<Pruned, AuditError> {
        let now = self.clock.now();
        let mut pruned = Pruned::default();
        let mut after = None;
        loop {
            let orgs = self.uow.read().await?.orgs().list_orgs(after, 200).await?;
            let Some(last) = orgs.last() else {
                return Ok(pruned);
            };
            after = Some(last.id);
            for org in &orgs {
                let Some(retention) = org.plan.audit_retention() else {
                    continue;
                };
                let cutoff = now - retention;
                loop {
                    let tx = self.uow.begin().await?;
                    let events = tx
                        .audit()
                        .prune_before(org.id, cutoff, Self::RETENTION_BATCH)
                        .await?;
                    let attempts = tx
                        .webhooks()
                        .prune_attempts_before(org.id, cutoff, Self::RETENTION_BATCH)
                        .await?;
                    tx.commit().await?;
                    pruned.events += events;
                    pruned.delivery_attempts += attempts;
                    if events < Self::RETENTION_BATCH && attempts < Self::RETENTION_BATCH {
                        break;
                    }
                }
            }
        }
    }

    /// Checks the org's chain from its anchor to its head; needs `audit:read`.
    #[instrument(skip_all, fields(org = %org))]
    pub async fn verify(&self, actor: &Actor, org: OrgId) -> Result<ChainReport, AuditError> {
        let tx = self.uow.read().await?;
        Access::load::<AuditError>(&*tx, org, actor, AUDIT_READ).await?;
        let state = tx.audit().chain_state(org).await?;
        let mut walk = ChainWalk::from(&state);
        let mut after = state.anchor_seq;
        let mut first_break = None;
        'batches: loop {
            let links = tx
                .audit()
                .chain_links(org, after, Self::EXPORT_BATCH)
                .await?;
            for (link, event) in &links {
                if let Some(broken) = walk.step(link, event) {
                    first_break = Some(broken);
                    break 'batches;
                }
                after = link.seq;
            }
            if (links.len() as u64) < Self::EXPORT_BATCH {
                break;
            }
        }
        let first_break = match first_break.or_else(|| walk.finish(&state)) {
            Some(broken) => Some(broken),
            None if tx.audit().count_unchained(org).await? > 0 => Some(ChainBreak {
                seq: state.head_seq + 1,
                event: None,
                reason: BreakReason::Unchained,
            }),
            None => None,
        };
        Ok(ChainReport {
            checked: walk.checked,
            state,
            first_break,
        })
    }

    /// Starts an export: needs `audit:read` and a plan with audit export. Reading is
    /// accountable too, so the export is itself audited, with its filters and row count, before
    /// any row is handed out.
    #[instrument(skip_all, fields(org = %org))]
    pub async fn export(
        &self,
        actor: &Actor,
        org: OrgId,
        filter: AuditFilter,
    ) -> Result<AuditExport, AuditError> {
        let tx = Access::begin_for::<AuditError>(&*self.uow, actor, &[(org, AUDIT_READ)]).await?;
        Access::load::<AuditError>(&*tx, org, actor, AUDIT_READ).await?;
        let org_row = tx
            .orgs()
            .find_org(org)
            .await?
            .ok_or(AuditError::OrgNotFound)?;
        if !org_row.plan.includes(Feature::AuditExport) {
            return Err(AuditError::PlanUpgradeRequired);
        }
        let now = self.clock.now();
        let filter = filter.ending_by(now);
        let rows = tx.audit().count_events(org, &filter).await?;
        let mut event = AuditEvent::new(org, Some(actor), AuditAction::AuditExported, now)
            .target("orgId", org)
            .meta("rowCount", rows);
        if let Some(action) = filter.action {
            event = event.meta("action", action.name());
        }
        if let Some(user) = filter.actor {
            event = event.meta("actorId", user);
        }
        if let Some(from) = filter.from {
            event = event.meta_time("from", from);
        }
        if let Some(until) = filter.until {
            event = event.meta_time("until", until);
        }
        tx.audit().append(&event).await?;
        tx.commit().await?;
        Ok(AuditExport {
            uow: self.uow.clone(),
            org,
            filter,
            rows,
            after: None,
            done: false,
        })
    }
}

/// An export under way: batches of events, newest first, each read in its own short read
/// transaction so no transaction stays open while a slow client downloads.
pub struct AuditExport {
    uow: Arc<dyn UnitOfWork>,
    org: OrgId,
    filter: AuditFilter,
    rows: u64,
    after: Option<AuditCursor>,
    done: bool,
}

impl AuditExport {
    /// How many rows matched when the export began.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// The next batch as CSV rows, or `None` once every row has been handed out. Each batch
    /// is one statement, its own snapshot, outside any transaction.
    pub async fn next_batch(&mut self) -> Result<Option<Vec<u8>>, AuditError> {
        if self.done {
            return Ok(None);
        }
        let tx = self.uow.read_one().await?;
        let chunk = tx
            .audit()
            .export_before(
                self.org,
                &self.filter,
                self.after,
                AuditService::EXPORT_BATCH,
            )
            .await?;
        self.done = chunk.rows < AuditService::EXPORT_BATCH;
        self.after = chunk.last;
        Ok((chunk.rows > 0).then_some(chunk.csv))
    }
}
