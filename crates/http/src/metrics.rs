//! `GET /metrics` in the OpenMetrics text format (which Prometheus reads): requests per route
//! template and status with their durations, and gauges read from the database when scraped.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use async_trait::async_trait;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::ApiState;
use crate::error::ApiError;

/// What the gauges show, read from the store at each scrape.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct StoreGauges {
    pub pool_open: u32,
    pub pool_idle: u32,
    pub pool_waiting: u64,
    pub outbox_undelivered: u64,
    pub outbox_oldest_age_seconds: f64,
    pub outbox_failing: u64,
    pub active_sessions: u64,
    pub webhook_queued: u64,
    pub webhook_oldest_age_seconds: f64,
    pub webhooks_failing: u64,
    pub webhooks_paused: u64,
}

/// Where the gauges come from; the server wires the database in.
#[async_trait]
pub trait GaugeSource: Send + Sync {
    async fn read(&self) -> Result<StoreGauges, String>;
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    /// The route template (`/api/orgs/{org_id}`), never the path: ids and tokens stay out.
    route: String,
    status: u16,
}

type DurationHistogram = Family<RequestLabels, Histogram, fn() -> Histogram>;

/// The registry and every metric in it. Cheap to share.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    durations: DurationHistogram,
    pool_open: Gauge,
    pool_idle: Gauge,
    pool_in_use: Gauge,
    pool_waiting: Gauge,
    outbox_undelivered: Gauge,
    outbox_oldest_age: Gauge<f64, AtomicU64>,
    outbox_failing: Gauge,
    mail_failures: Counter,
    active_sessions: Gauge,
    webhook_queued: Gauge,
    webhook_oldest_age: Gauge<f64, AtomicU64>,
    webhooks_failing: Gauge,
    webhooks_paused: Gauge,
    webhook_failures: Counter,
}

fn duration_histogram() -> Histogram {
    // 1 ms to about 16 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("tenantry");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route template and status",
            requests.clone(),
        );
        let durations: DurationHistogram = Family::new_with_constructor(duration_histogram);
        registry.register(
            "http_request_duration_seconds",
            "Time from the request's arrival to its answer, by method, route template and status",
            durations.clone(),
        );
        let mut gauge = |name: &str, help: &str| {
            let gauge = Gauge::default();
            registry.register(name, help, gauge.clone());
            gauge
        };
        let pool_open = gauge(
            "db_pool_connections",
            "Connections open in this process's pool",
        );
        let pool_idle = gauge("db_pool_idle", "Open connections not in use");
        let pool_in_use = gauge("db_pool_in_use", "Open connections in use");
        let pool_waiting = gauge(
            "db_pool_waiting",
            "Callers waiting to open a transaction (a connection, or SQLite's write turn)",
        );
        let outbox_undelivered = gauge("outbox_undelivered", "E-mails queued and not yet sent");
        let outbox_failing = gauge(
            "outbox_failing",
            "Undelivered e-mails whose last attempt failed",
        );
        let active_sessions = gauge("active_sessions", "Sessions and API tokens not yet expired");
        let webhook_queued = gauge(
            "webhook_queued",
            "Events queued for webhooks and not yet delivered, paused webhooks included",
        );
        let webhooks_failing = gauge(
            "webhooks_failing",
            "Active webhooks whose next event has failed at least once",
        );
        let webhooks_paused = gauge("webhooks_paused", "Webhooks paused by their org");
        let outbox_oldest_age = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "outbox_oldest_age_seconds",
            "How long the oldest undelivered e-mail has waited (0 when none waits)",
            outbox_oldest_age.clone(),
        );
        let webhook_oldest_age = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "webhook_oldest_age_seconds",
            "How long the oldest event queued for an active webhook has waited since it happened (0 when none waits)",
            webhook_oldest_age.clone(),
        );
        let webhook_failures = Counter::default();
        registry.register(
            "webhook_delivery_failures",
            "Webhook posts that failed, by this process's webhook workers",
            webhook_failures.clone(),
        );
        let mail_failures = Counter::default();
        registry.register(
            "mail_delivery_failures",
            "Delivery attempts that failed, by this process's mail worker",
            mail_failures.clone(),
        );
        Self {
            registry,
            requests,
            durations,
            pool_open,
            pool_idle,
            pool_in_use,
            pool_waiting,
            outbox_undelivered,
            outbox_oldest_age,
            outbox_failing,
            mail_failures,
            active_sessions,
            webhook_queued,
            webhook_oldest_age,
            webhooks_failing,
            webhooks_paused,
            webhook_failures,
        }
    }
}

impl Metrics {
    pub(crate) fn record_request(
        &self,
        method: &str,
        route: &str,
        status: StatusCode,
        took: Duration,
    ) {
        let labels = RequestLabels {
            method: method.to_owned(),
            route: route.to_owned(),
            status: status.as_u16(),
        };
        self.requests.get_or_create(&labels).inc();
        self.durations
            .get_or_create(&labels)
            .observe(took.as_secs_f64());
    }

    /// Counts failed deliveries; the mail worker reports them.
    pub fn record_mail_failures(&self, failed: u64) {
        self.mail_failures.inc_by(failed);
    }

    /// Counts failed webhook posts; the webhook workers report them.
    pub fn record_webhook_failures(&self, failed: u64) {
        self.webhook_failures.inc_by(failed);
    }

    fn set(&self, gauges: StoreGauges) {
        let signed = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        self.pool_open.set(i64::from(gauges.pool_open));
        self.pool_idle.set(i64::from(gauges.pool_idle));
        self.pool_in_use
            .set(i64::from(gauges.pool_open.saturating_sub(gauges.pool_idle)));
        self.pool_waiting.set(signed(gauges.pool_waiting));
        self.outbox_undelivered
            .set(signed(gauges.outbox_undelivered));
        self.outbox_oldest_age.set(gauges.outbox_oldest_age_seconds);
        self.outbox_failing.set(signed(gauges.outbox_failing));
        self.active_sessions.set(signed(gauges.active_sessions));
        self.webhook_queued.set(signed(gauges.webhook_queued));
        self.webhook_oldest_age
            .set(gauges.webhook_oldest_age_seconds);
        self.webhooks_failing.set(signed(gauges.webhooks_failing));
        self.webhooks_paused.set(signed(gauges.webhooks_paused));
    }

    fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)?;
        Ok(text)
    }
}

/// Every metric, its gauges read afresh. Not for the public: keep it behind the load balancer.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses(
    (status = 200, description = "every metric, in the OpenMetrics text format", content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8", body = String),
))]
pub(crate) async fn metrics(state: web::Data<ApiState>) -> Result<HttpResponse, ApiError> {
    let gauges = state.gauges.read().await.map_err(ApiError::internal)?;
    let metrics: &Arc<Metrics> = &state.metrics;
    metrics.set(gauges);
    let text = metrics.encode().map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
        .body(text))
}
