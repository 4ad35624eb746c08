//! How many events each org has per hour, action and actor (`audit_counts`), and of all time
//! per actor and action (`audit_totals`), kept in the transaction that appends or prunes them.
//! A list's `total` without a time filter sums the few all-time rows; with one, it sums whole
//! hours and counts rows only in the partial hours at the filter's edges. Its cost follows the
//! number of actors and actions (and of hours in a time filter), not of events.

use sea_orm::{FromQueryResult, Value};
use tenantry_domain::audit::AuditFilter;
use tenantry_domain::error::StoreError;
use tenantry_domain::ids::OrgId;
use time::OffsetDateTime;
use uuid::Uuid;

use super::audit::conditions;
use crate::error::OrStoreError;
use crate::sql::{micros, statement};
use crate::transaction::SeaTransaction;

const HOUR_US: i64 = 3_600_000_000;

/// Events without an actor are counted under the nil id, which no account has.
fn actor_key(actor: Option<Uuid>) -> Uuid {
    actor.unwrap_or_else(Uuid::nil)
}

fn hour_start(hour: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(hour * 3_600).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

impl SeaTransaction {
    /// Takes the chained events `after_seq < seq <= last_seq` off the counts, before they are
    /// deleted.
    pub(super) async fn uncount(
        &self,
        org: OrgId,
        after_seq: i64,
        last_seq: i64,
    ) -> Result<(), StoreError> {
        #[derive(FromQueryResult)]
        struct Group {
            action: String,
            actor_id: Option<Uuid>,
            hour: i64,
            n: i64,
        }
        let sql = "SELECT action, actor_id, created_at_us / 3600000000 AS hour, COUNT(*) AS n \
             FROM audit_events WHERE org_id = ? AND seq > ? AND seq <= ? \
             GROUP BY action, actor_id, created_at_us / 3600000000";
        let values = [org.as_uuid().into(), after_seq.into(), last_seq.into()];
        let groups = Group::find_by_statement(statement(self.backend(), sql, values))
            .all(&self.tx)
            .await
            .or_store_error()?;
        for group in groups {
            let actor = actor_key(group.actor_id);
            self.update(
                "UPDATE audit_counts SET n = n - ? \
                 WHERE org_id = ? AND action = ? AND actor_id = ? AND hour = ?",
                vec![
                    group.n.into(),
                    org.as_uuid().into(),
                    group.action.clone().into(),
                    actor.into(),
                    group.hour.into(),
                ],
            )
            .await?;
            self.update(
                "UPDATE audit_totals SET n = n - ? WHERE org_id = ? AND actor_id = ? AND action = ?",
                vec![
                    group.n.into(),
                    org.as_uuid().into(),
                    actor.into(),
                    group.action.into(),
                ],
            )
            .await?;
        }
        for table in ["audit_counts", "audit_totals"] {
            self.update(
                &format!("DELETE FROM {table} WHERE org_id = ? AND n <= 0"),
                vec![org.as_uuid().into()],
            )
            .await?;
        }
        Ok(())
    }

    /// How many events match `filter`.
    pub(super) async fn total(&self, org: OrgId, filter: &AuditFilter) -> Result<u64, StoreError> {
        let (expression, values) = total_expression(org, filter);
        self.count(&format!("SELECT {expression} AS n"), values)
            .await
    }
}

/// How many events match `filter`, as one SQL expression and its values, so a page can read
/// its total in the statement that reads its rows.
pub(super) fn total_expression(org: OrgId, filter: &AuditFilter) -> (String, Vec<Value>) {
    let from = filter.from.map(micros);
    let until = filter.until.map(micros);
    // The whole hours inside the range: [first, end).
    let first = from.map(|from| (from + HOUR_US - 1) / HOUR_US);
    let end = until.map(|until| until / HOUR_US);
    if let (Some(first), Some(end)) = (first, end)
        && first >= end
    {
        // Within an hour or two: the rows are few.
        return count_rows(org, filter);
    }
    let (mut sql, mut values) = sum_hours(org, filter, first, end);
    let mut add = |(more, more_values): (String, Vec<Value>)| {
        sql = format!("{sql} + {more}");
        values.extend(more_values);
    };
    if let (Some(from), Some(first)) = (from, first)
        && from < first * HOUR_US
    {
        add(count_rows(
            org,
            &AuditFilter {
                until: Some(hour_start(first)),
                ..filter.clone()
            },
        ));
    }
    if let (Some(until), Some(end)) = (until, end)
        && end * HOUR_US < until
    {
        add(count_rows(
            org,
            &AuditFilter {
                from: Some(hour_start(end)),
                ..filter.clone()
            },
        ));
    }
    (format!("CAST({sql} AS BIGINT)"), values)
}

/// The sum of the counts that match `filter`'s action and actor, within whole hours
/// `[first, end)`: from the all-time totals when neither bound is set.
fn sum_hours(
    org: OrgId,
    filter: &AuditFilter,
    first: Option<i64>,
    end: Option<i64>,
) -> (String, Vec<Value>) {
    let table = match (first, end) {
        (None, None) => "audit_totals",
        _ => "audit_counts",
    };
    let mut sql =
        format!("(SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM {table} WHERE org_id = ?");
    let mut values: Vec<Value> = vec![org.as_uuid().into()];
    if let Some(action) = filter.action {
        sql.push_str(" AND action = ?");
        values.push(action.name().into());
    }
    if let Some(actor) = filter.actor {
        sql.push_str(" AND actor_id = ?");
        values.push(actor.as_uuid().into());
    }
    if let Some(first) = first {
        sql.push_str(" AND hour >= ?");
        values.push(first.into());
    }
    if let Some(end) = end {
        sql.push_str(" AND hour < ?");
        values.push(end.into());
    }
    sql.push(')');
    (sql, values)
}

fn count_rows(org: OrgId, filter: &AuditFilter) -> (String, Vec<Value>) {
    let (condition, values) = conditions(org, filter);
    (
        format!("(SELECT COUNT(*) FROM audit_events e{condition})"),
        values,
    )
}
