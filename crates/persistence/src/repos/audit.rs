use std::sync::PoisonError;

use async_trait::async_trait;
use sea_orm::{ActiveValue::Set, DbBackend, EntityTrait, FromQueryResult, Value};
use tenantry_domain::audit::{
    AuditCursor, AuditEntry, AuditEvent, AuditFilter, AuditRepository, ChainLink, ChainState,
    EventPage, ExportChunk, chain_hash, csv,
};
use tenantry_domain::error::StoreError;
use tenantry_domain::ids::{AuditEventId, OrgId, UserId};
use time::OffsetDateTime;
use uuid::Uuid;

use super::audit_counts::total_expression;
use super::audit_export::{EXPORT_COLUMNS, read_batch, read_pg_batch};
use crate::database::sqlite_file;
use crate::entities::audit_events;
use crate::error::{OrStoreError, corrupt};
use crate::json;
use crate::sql::{from_micros, micros, statement};
use crate::transaction::{Conn, SeaTransaction};

#[derive(Debug, FromQueryResult)]
pub(super) struct EntryRow {
    pub(super) id: Uuid,
    pub(super) org_id: Uuid,
    pub(super) actor_id: Option<Uuid>,
    pub(super) action: String,
    pub(super) target: String,
    pub(super) metadata: String,
    pub(super) ip: Option<String>,
    pub(super) created_at: OffsetDateTime,
    pub(super) actor_name: Option<String>,
}

impl TryFrom<EntryRow> for AuditEntry {
    type Error = StoreError;

    fn try_from(row: EntryRow) -> Result<Self, StoreError> {
        Ok(AuditEntry {
            event: AuditEvent {
                id: AuditEventId::from_uuid(row.id),
                org_id: OrgId::from_uuid(row.org_id),
                actor_id: row.actor_id.map(UserId::from_uuid),
                action: row
                    .action
                    .parse()
                    .map_err(|()| corrupt("audit action", &row.action))?,
                target: json::parse("audit target", &row.target)?,
                metadata: json::parse("audit metadata", &row.metadata)?,
                ip: row.ip.as_deref().and_then(|ip| ip.parse().ok()),
                at: row.created_at,
            },
            actor_name: row.actor_name,
        })
    }
}

/// An event as packed by [`SQLITE_PACKED`].
#[derive(serde::Deserialize)]
struct PackedRow(
    String,
    String,
    i64,
    String,
    String,
    Option<String>,
    String,
    String,
    Option<String>,
);

fn packed_uuid(column: &str, hex: &str) -> Result<Uuid, StoreError> {
    Uuid::try_parse(hex).map_err(|_| corrupt(column, hex))
}

impl PackedRow {
    fn entry(self) -> Result<AuditEntry, StoreError> {
        let PackedRow(id, org, at_us, action, actor, actor_name, target, metadata, ip) = self;
        let at = from_micros("audit time", at_us)?;
        let actor_id = match actor.as_str() {
            "" => None,
            hex => Some(packed_uuid("audit actor", hex)?),
        };
        Ok(AuditEntry {
            event: AuditEvent {
                id: AuditEventId::from_uuid(packed_uuid("audit id", &id)?),
                org_id: OrgId::from_uuid(packed_uuid("audit org", &org)?),
                actor_id: actor_id.map(UserId::from_uuid),
                action: action
                    .parse()
                    .map_err(|()| corrupt("audit action", &action))?,
                target: json::parse("audit target", &target)?,
                metadata: json::parse("audit metadata", &metadata)?,
                ip: ip.as_deref().and_then(|ip| ip.parse().ok()),
                at,
            },
            actor_name,
        })
    }
}

/// Events read from SQLite packed into one JSON value by SQLite itself: sqlx hands SQLite rows
/// from its worker thread to the runtime one at a time, which costs more than reading them, so
/// a page or an export batch comes over as one row, from a query selecting [`COLUMNS_US`].
/// The rows are sorted again after reading: SQLite does not promise to keep the subquery's
/// order, and sorting inside the aggregate would cost it a temporary b-tree.
const SQLITE_PACKED: &str = "SELECT json_group_array(json_array(hex(id), hex(org_id), \
     created_at_us, action, hex(actor_id), actor_name, target, metadata, ip)) AS batch";

/// An event's columns and its actor's name, from `e` (audit_events) and `u` (users).
macro_rules! entry_columns {
    () => {
        "e.id AS id, e.org_id AS org_id, e.actor_id AS actor_id, e.action AS action, \
         e.target AS target, e.metadata AS metadata, e.ip AS ip, e.created_at AS created_at, \
         u.name AS actor_name"
    };
}

/// Events and their actors, for [`entry_columns`] to select from.
const JOINED: &str = " FROM audit_events e LEFT JOIN users u ON u.id = e.actor_id";

/// An event's columns, with the time as sorted.
const COLUMNS_US: &str = concat!("e.created_at_us AS created_at_us, ", entry_columns!());

/// An event's columns with its place in the chain.
const SELECT_LINK: &str = concat!(
    "SELECT e.seq AS seq, e.prev_hash AS prev_hash, e.hash AS hash, ",
    entry_columns!()
);

/// `WHERE` conditions and their values for `filter`, on `e` (audit_events).
pub(super) fn conditions(org: OrgId, filter: &AuditFilter) -> (String, Vec<Value>) {
    let mut sql = String::from(" WHERE e.org_id = ?");
    let mut values: Vec<Value> = vec![org.as_uuid().into()];
    if let Some(action) = filter.action {
        sql.push_str(" AND e.action = ?");
        values.push(action.name().into());
    }
    if let Some(actor) = filter.actor {
        sql.push_str(" AND e.actor_id = ?");
        values.push(actor.as_uuid().into());
    }
    if let Some(from) = filter.from {
        sql.push_str(" AND e.created_at_us >= ?");
        values.push(micros(from).into());
    }
    if let Some(until) = filter.until {
        sql.push_str(" AND e.created_at_us < ?");
        values.push(micros(until).into());
    }
    (sql, values)
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or_default()
}

#[derive(FromQueryResult)]
struct HeadRow {
    audit_seq: i64,
    audit_head: Option<String>,
}

/// An org's chain head as a write transaction holds it: read with the org's lock
/// (`lock_org`) or just moved by an append. Nothing else in a transaction moves the head
/// between those, so an append after a lock need not read it again.
pub(crate) struct HeldHead {
    org: OrgId,
    head: HeadRow,
}

impl SeaTransaction {
    /// Remembers `org`'s chain head, read or moved under the org's lock; a no-op outside a
    /// write transaction, where no lock holds it.
    pub(crate) fn hold_chain_head(&self, org: OrgId, audit_seq: i64, audit_head: Option<String>) {
        if let Some(held) = &self.chain_head {
            let head = HeadRow {
                audit_seq,
                audit_head,
            };
            *held.lock().unwrap_or_else(PoisonError::into_inner) = Some(HeldHead { org, head });
        }
    }

    /// The head held for `org`, if that is the org held; the hold ends either way.
    fn take_chain_head(&self, org: OrgId) -> Option<HeadRow> {
        let held = self.chain_head.as_ref()?;
        let taken = held.lock().unwrap_or_else(PoisonError::into_inner).take()?;
        (taken.org == org).then_some(taken.head)
    }

    /// The org's chain head, held until the transaction ends (`FOR UPDATE` on PostgreSQL;
    /// SQLite's writers run one at a time).
    async fn chain_head(&self, org: OrgId) -> Result<HeadRow, StoreError> {
        let lock = match self.backend() {
            DbBackend::Postgres => " FOR UPDATE",
            _ => "",
        };
        let sql = format!("SELECT audit_seq, audit_head FROM orgs WHERE id = ?{lock}");
        HeadRow::find_by_statement(statement(self.backend(), &sql, [org.as_uuid().into()]))
            .one(&self.tx)
            .await
            .or_store_error()?
            .ok_or_else(|| StoreError::MissingReference("orgs".into()))
    }
}

impl SeaTransaction {
    /// Chains the events of an org that has none chained yet: the log as it was before the
    /// chain existed, oldest first. Run once per org at the first start of this version.
    pub(crate) async fn chain_existing_events(&self, org: OrgId) -> Result<u64, StoreError> {
        let head = self.chain_head(org).await?;
        if head.audit_seq != 0 {
            // Already chained: an unchained row now is one added behind the chain's back, and
            // `verify` must report it, not absorb it.
            return Ok(0);
        }
        let events = self
            .entries(
                " WHERE e.org_id = ? AND e.seq IS NULL",
                Order::OldestFirst,
                "",
                vec![org.as_uuid().into()],
            )
            .await?;
        let mut prev = String::new();
        let mut seq: i64 = 0;
        for entry in &events {
            seq += 1;
            let hash = chain_hash(&entry.event, count(seq), &prev);
            self.update(
                "UPDATE audit_events SET seq = ?, prev_hash = ?, hash = ? WHERE id = ?",
                vec![
                    seq.into(),
                    prev.clone().into(),
                    hash.clone().into(),
                    entry.event.id.as_uuid().into(),
                ],
            )
            .await?;
            prev = hash;
        }
        self.take_chain_head(org);
        if seq > 0 {
            self.update(
                "UPDATE orgs SET audit_seq = ?, audit_head = ? WHERE id = ?",
                vec![seq.into(), prev.into(), org.as_uuid().into()],
            )
            .await?;
        }
        Ok(count(seq))
    }
}

#[derive(Clone, Copy)]
enum Order {
    NewestFirst,
    OldestFirst,
}

impl Order {
    fn sql(self) -> &'static str {
        match self {
            Order::NewestFirst => " ORDER BY e.created_at_us DESC, e.id DESC",
            Order::OldestFirst => " ORDER BY e.created_at_us, e.id",
        }
    }

    /// The same order as [`Order::sql`], for rows whose order SQLite does not promise to keep.
    fn sort(self, entries: &mut [AuditEntry]) {
        let key = |entry: &AuditEntry| (entry.event.at, entry.event.id.as_uuid());
        match self {
            Order::NewestFirst => entries.sort_by_key(|entry| std::cmp::Reverse(key(entry))),
            Order::OldestFirst => entries.sort_by_key(key),
        }
    }
}

/// A column computed once beside the rows (the total of a page), with its values.
type Extra = Option<(String, Vec<Value>)>;

impl SeaTransaction {
    /// The events `condition` selects, in `order`, then `limit` (`LIMIT`/`OFFSET`, or empty).
    async fn entries(
        &self,
        condition: &str,
        order: Order,
        limit: &str,
        values: Vec<Value>,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let source = format!("{JOINED}{condition}{}{limit}", order.sql());
        Ok(self.read_entries(&source, order, values, None).await?.1)
    }

    /// The events `source` (`FROM` to the end, over `e` and `u` as in [`JOINED`]) picks, in
    /// `order`, and the `extra` column if one is given, read in the same statement (`None`
    /// when no event matched, on PostgreSQL).
    async fn read_entries(
        &self,
        source: &str,
        order: Order,
        values: Vec<Value>,
        extra: Extra,
    ) -> Result<(Option<i64>, Vec<AuditEntry>), StoreError> {
        let (extra_sql, values) = match extra {
            Some((sql, mut extra_values)) => {
                extra_values.extend(values);
                (sql, extra_values)
            }
            None => ("CAST(NULL AS BIGINT)".to_owned(), values),
        };
        if self.backend() != DbBackend::Sqlite {
            #[derive(FromQueryResult)]
            struct Row {
                extra: Option<i64>,
                #[sea_orm(nested)]
                entry: EntryRow,
            }
            let sql = format!("SELECT {extra_sql} AS extra, {COLUMNS_US}{source}");
            let rows = Row::find_by_statement(statement(self.backend(), &sql, values))
                .all(&self.tx)
                .await
                .or_store_error()?;
            let extra = rows.first().and_then(|row| row.extra);
            let entries = rows
                .into_iter()
                .map(|row| AuditEntry::try_from(row.entry))
                .collect::<Result<_, _>>()?;
            return Ok((extra, entries));
        }
        #[derive(FromQueryResult)]
        struct Packed {
            batch: String,
            extra: Option<i64>,
        }
        let sql =
            format!("{SQLITE_PACKED}, {extra_sql} AS extra FROM (SELECT {COLUMNS_US}{source})");
        let Some(row) = Packed::find_by_statement(statement(self.backend(), &sql, values))
            .one(&self.tx)
            .await
            .or_store_error()?
        else {
            return Ok((None, Vec::new()));
        };
        let rows: Vec<PackedRow> =
            serde_json::from_str(&row.batch).map_err(|_| corrupt("audit rows", "(json)"))?;
        let mut entries = rows
            .into_iter()
            .map(PackedRow::entry)
            .collect::<Result<Vec<_>, _>>()?;
        order.sort(&mut entries);
        Ok((row.extra, entries))
    }
}

fn bound(n: u64) -> Value {
    i64::try_from(n).unwrap_or(i64::MAX).into()
}

#[async_trait]
impl AuditRepository for SeaTransaction {
    async fn append(&self, event: &AuditEvent) -> Result<(), StoreError> {
        let head = match self.take_chain_head(event.org_id) {
            Some(head) => head,
            None => self.chain_head(event.org_id).await?,
        };
        let seq = head.audit_seq + 1;
        let prev = head.audit_head.unwrap_or_default();
        let hash = chain_hash(event, u64::try_from(seq).unwrap_or_default(), &prev);
        let row = audit_events::ActiveModel {
            id: Set(event.id.as_uuid()),
            org_id: Set(event.org_id.as_uuid()),
            actor_id: Set(event.actor_id.map(|id| id.as_uuid())),
            action: Set(event.action.name().to_owned()),
            target: Set(json::text(&event.target)),
            metadata: Set(json::text(&event.metadata)),
            ip: Set(event.ip.map(|ip| ip.to_string())),
            created_at: Set(event.at),
            created_at_us: Set(micros(event.at)),
            seq: Set(Some(seq)),
            prev_hash: Set(Some(prev)),
            hash: Set(Some(hash.clone())),
        };
        // The insert's triggers move the org's chain head to this event, count it in its hour
        // (migration m20261201_000011) and queue it for the org's webhooks that subscribe to
        // its action (m20261202_000001).
        audit_events::Entity::insert(row)
            .exec_without_returning(&self.tx)
            .await
            .or_store_error()?;
        self.hold_chain_head(event.org_id, seq, Some(hash));
        Ok(())
    }

    async fn chain_state(&self, org: OrgId) -> Result<ChainState, StoreError> {
        #[derive(FromQueryResult)]
        struct StateRow {
            audit_anchor_seq: i64,
            audit_anchor_hash: Option<String>,
            audit_seq: i64,
            audit_head: Option<String>,
        }
        let sql = "SELECT audit_anchor_seq, audit_anchor_hash, audit_seq, audit_head \
             FROM orgs WHERE id = ?";
        let row =
            StateRow::find_by_statement(statement(self.backend(), sql, [org.as_uuid().into()]))
                .one(&self.tx)
                .await
                .or_store_error()?;
        Ok(row.map_or_else(ChainState::default, |row| ChainState {
            anchor_seq: count(row.audit_anchor_seq),
            anchor_hash: row.audit_anchor_hash,
            head_seq: count(row.audit_seq),
            head_hash: row.audit_head,
        }))
    }

    async fn chain_links(
        &self,
        org: OrgId,
        after_seq: u64,
        limit: u64,
    ) -> Result<Vec<(ChainLink, AuditEvent)>, StoreError> {
        #[derive(FromQueryResult)]
        struct LinkRow {
            seq: i64,
            prev_hash: Option<String>,
            hash: Option<String>,
            #[sea_orm(nested)]
            entry: EntryRow,
        }
        let sql = format!(
            "{SELECT_LINK}{JOINED} WHERE e.org_id = ? AND e.seq > ? ORDER BY e.seq LIMIT ?"
        );
        let values = [org.as_uuid().into(), bound(after_seq), bound(limit)];
        LinkRow::find_by_statement(statement(self.backend(), &sql, values))
            .all(&self.tx)
            .await
            .or_store_error()?
            .into_iter()
            .map(|row| {
                let link = ChainLink {
                    seq: count(row.seq),
                    prev_hash: row.prev_hash.unwrap_or_default(),
                    hash: row.hash.unwrap_or_default(),
                };
                Ok((link, AuditEntry::try_from(row.entry)?.event))
            })
            .collect()
    }

    async fn prune_before(
        &self,
        org: OrgId,
        cutoff: OffsetDateTime,
        limit: u64,
    ) -> Result<u64, StoreError> {
        #[derive(FromQueryResult)]
        struct Oldest {
            seq: i64,
            hash: Option<String>,
            created_at_us: i64,
        }
        // Hold the chain's ends like an append does: the anchor moves on the same row.
        self.chain_head(org).await?;
        let state = self.chain_state(org).await?;
        let anchor = i64::try_from(state.anchor_seq).unwrap_or(i64::MAX);
        let sql = "SELECT seq, hash, created_at_us FROM audit_events \
             WHERE org_id = ? AND seq > ? ORDER BY seq LIMIT ?";
        let oldest = Oldest::find_by_statement(statement(
            self.backend(),
            sql,
            [org.as_uuid().into(), anchor.into(), bound(limit)],
        ))
        .all(&self.tx)
        .await
        .or_store_error()?;
        let cutoff = micros(cutoff);
        let Some(last) = oldest
            .iter()
            .take_while(|row| row.created_at_us < cutoff)
            .last()
        else {
            return Ok(0);
        };
        self.uncount(org, anchor, last.seq).await?;
        let deleted = self
            .update(
                "DELETE FROM audit_events WHERE org_id = ? AND seq > ? AND seq <= ?",
                vec![org.as_uuid().into(), anchor.into(), last.seq.into()],
            )
            .await?;
        self.update(
            "UPDATE orgs SET audit_anchor_seq = ?, audit_anchor_hash = ? WHERE id = ?",
            vec![
                last.seq.into(),
                last.hash.clone().into(),
                org.as_uuid().into(),
            ],
        )
        .await?;
        Ok(deleted)
    }

    async fn count_unchained(&self, org: OrgId) -> Result<u64, StoreError> {
        self.count(
            "SELECT COUNT(*) AS n FROM audit_events WHERE org_id = ? AND seq IS NULL",
            vec![org.as_uuid().into()],
        )
        .await
    }

    async fn list_events(
        &self,
        org: OrgId,
        filter: &AuditFilter,
        offset: u64,
        limit: u64,
    ) -> Result<EventPage, StoreError> {
        let (condition, values) = conditions(org, filter);
        let order = Order::NewestFirst;
        // The numbers are written into the statement, not bound: with them bound, PostgreSQL
        // cannot cost a cached generic plan and plans the statement again on every call.
        let order_sql = order.sql();
        let page = format!("{condition}{order_sql} LIMIT {limit} OFFSET {offset}");
        let source = if offset == 0 {
            format!("{JOINED}{page}")
        } else {
            // A later page finds its ids in the index alone, however many rows it skips, and
            // reads and joins only those events.
            format!(
                " FROM (SELECT e.id AS id FROM audit_events e{page}) p \
                 JOIN audit_events e ON e.id = p.id LEFT JOIN users u ON u.id = e.actor_id{order_sql}"
            )
        };
        let (total, entries) = self
            .read_entries(&source, order, values, Some(total_expression(org, filter)))
            .await?;
        let total = match total {
            Some(total) => count(total),
            // Past the last page PostgreSQL has no row to carry the total.
            None => self.total(org, filter).await?,
        };
        Ok(EventPage { total, entries })
    }

    async fn count_events(&self, org: OrgId, filter: &AuditFilter) -> Result<u64, StoreError> {
        self.total(org, filter).await
    }

    async fn export_before(
        &self,
        org: OrgId,
        filter: &AuditFilter,
        before: Option<AuditCursor>,
        limit: u64,
    ) -> Result<ExportChunk, StoreError> {
        // After the first batch the cursor is the upper bound (it lies below the filter's own):
        // given two, SQLite seeks by one and may pick the filter's, rescanning every earlier
        // batch's rows for each new one.
        let filter = match before {
            Some(_) => &AuditFilter {
                until: None,
                ..filter.clone()
            },
            None => filter,
        };
        let (mut condition, mut values) = conditions(org, filter);
        if let Some(cursor) = before {
            let at = micros(cursor.at);
            // The plain range on created_at_us lets the index seek to the cursor; an OR alone
            // makes SQLite scan from the newest event for every batch.
            condition.push_str(" AND e.created_at_us <= ? AND (e.created_at_us < ? OR e.id < ?)");
            values.extend([at.into(), at.into(), cursor.id.as_uuid().into()]);
        }
        values.push(bound(limit));
        let order = Order::NewestFirst;
        if let Conn::Pool(pool, _) = &self.tx {
            let query = format!("{EXPORT_COLUMNS}{condition}{} LIMIT ?", order.sql());
            if let Some(file) = sqlite_file(pool) {
                return blocking(move || read_batch(&file, &query, &values, limit)).await?;
            }
            if self.backend() == DbBackend::Postgres {
                let pool = pool.get_postgres_connection_pool();
                return read_pg_batch(pool, &query, values, limit).await;
            }
        }
        let entries = self.entries(&condition, order, " LIMIT ?", values).await?;
        blocking(move || csv::chunk(&entries)).await
    }
}

/// `work` on the blocking pool: writing a batch takes milliseconds the runtime's threads need.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| StoreError::Unavailable(error.to_string()))
}
