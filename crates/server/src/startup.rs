//! One wiring for `main` and the tests: [`Application::build`] connects and migrates the
//! database, assembles the use cases and binds the HTTP server.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::HttpServer;
use actix_web::dev::Server;
use anyhow::Context;
use async_trait::async_trait;
use tenantry_console::ConsoleState;
use tenantry_domain::audit::{AuditService, Pruned};
use tenantry_domain::clock::SystemClock;
use tenantry_domain::domains::{DnsError, DnsResolver, DomainService};
use tenantry_domain::integration::Sealer;
use tenantry_domain::user::AuthService;
use tenantry_domain::{Services, ServicesConfig};
use tenantry_http::{ApiState, AuthRateLimit, GaugeSource, Readiness, StoreGauges, TrustedProxies};
use tenantry_persistence::{Database, DbBackend, PoolSettings};
use tenantry_scim::ScimState;
use tenantry_vault::{AesGcmSealer, SecretKey};

use crate::config::Config;
use crate::jobs::Job;
use crate::mail_worker::{mail_worker, mailer};
use crate::password::Argon2Hasher;
use crate::webhook_worker::{webhook_sender, webhook_workers};
use tenantry_domain::idempotency::{IdempotencyStore, SealedAnswers};

/// How long in-flight requests may finish after SIGINT/SIGTERM.
const SHUTDOWN_GRACE_SECONDS: u64 = 30;

pub struct Application {
    port: u16,
    server: Server,
    database: Database,
    jobs: Vec<Job>,
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let database = open_database(&config).await?;
        let mailer = mailer(&config)?;
        let listener = TcpListener::bind(&config.listen)
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let port = listener.local_addr()?.port();
        let state = api_state(&config, database.clone())?;
        let metrics = state.metrics.clone();
        let retention = audit_retention(&config, state.services.audit.clone());
        let sweep = session_sweep(&config, state.services.auth.clone());
        let keys = idempotency_sweep(&config, state.idempotency.clone());
        let domains = domain_recheck(&config, state.services.domains.clone());
        let proxies = state.trusted_proxies.clone();
        let console = ConsoleState {
            services: state.services.clone(),
            secure_cookies: config.public_url.starts_with("https://"),
            sign_in_attempts: state.auth_rate_limit.clone(),
            invitation_attempts: state.invitation_rate_limit.clone(),
            client_address: Arc::new(move |request| proxies.client_of(request)),
        };
        let scim_proxies = state.trusted_proxies.clone();
        let scim = ScimState {
            services: state.services.clone(),
            client_address: Arc::new(move |request| scim_proxies.client_of(request)),
        };
        let mut server = HttpServer::new(move || {
            tenantry_http::app(state.clone())
                .configure(tenantry_console::routes(console.clone()))
                .configure(tenantry_scim::routes(scim.clone()))
        })
        .shutdown_timeout(SHUTDOWN_GRACE_SECONDS)
        // actix would stop at once on SIGINT; `stop_on_signal` makes both signals graceful.
        .disable_signals();
        if let Some(workers) = config.workers {
            server = server.workers(workers);
        }
        let server = server.listen(listener)?.run();
        tokio::spawn(stop_on_signal(server.handle()));
        tracing::info!(address = %config.listen, port, "listening");
        let mut jobs = vec![
            mail_worker(&config, database.clone(), mailer, metrics.clone()),
            retention,
            sweep,
            keys,
            domains,
        ];
        jobs.extend(webhook_workers(
            &config,
            database.clone(),
            webhook_sender(&config),
            sealer(&config)?,
            metrics,
        ));
        Ok(Self {
            port,
            server,
            database,
            jobs,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGINT or SIGTERM, lets in-flight requests finish, then closes the pool.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.server.await?;
        for job in self.jobs {
            job.stop().await;
        }
        tracing::info!("stopped accepting requests; closing the database");
        self.database.close().await?;
        Ok(())
    }
}

async fn stop_on_signal(handle: actix_web::dev::ServerHandle) {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => tracing::info!("SIGINT received; finishing in-flight requests"),
        () = terminate => tracing::info!("SIGTERM received; finishing in-flight requests"),
    }
    handle.stop(true).await;
}

/// Connects and brings the schema up to date.
pub async fn open_database(config: &Config) -> anyhow::Result<Database> {
    let pool = config.pool();
    let url = &config.database_url;
    let database = Database::connect_with(url, pool)
        .await
        .context("cannot open the database (TENANTRY_DATABASE_URL)")?;
    if database.backend() == DbBackend::Postgres && pool.statement_timeout.is_some() {
        // A migration may build an index or backfill for longer than a request may run.
        let unlimited = PoolSettings {
            max_connections: 1,
            statement_timeout: None,
            ..pool
        };
        let migrator = Database::connect_with(url, unlimited).await?;
        migrator.migrate().await.context("migrations failed")?;
        migrator.close().await?;
    } else {
        database.migrate().await.context("migrations failed")?;
    }
    Ok(database)
}

/// The key that seals credentials: `secret_key` from the configuration, or, on the embedded
/// SQLite default, a key file made once beside the database file (`tenantry.db` →
/// `tenantry.key`), with a warning: it must be kept with the database.
fn secret_key(config: &Config) -> anyhow::Result<SecretKey> {
    if let Some(key) = &config.secret_key {
        return SecretKey::from_base64(&key.0).context("invalid TENANTRY_SECRET_KEY");
    }
    let Some(file) = config
        .database_url
        .strip_prefix("sqlite://")
        .map(|rest| rest.split('?').next().unwrap_or(rest))
        .filter(|file| !file.is_empty() && !file.starts_with(':'))
    else {
        anyhow::bail!(
            "TENANTRY_SECRET_KEY is required unless the database is a SQLite file: 32 bytes \
             in base64, for example from `openssl rand -base64 32`"
        );
    };
    let path = std::path::Path::new(file).with_extension("key");
    let (key, created) = SecretKey::from_file_or_create(&path)?;
    if created {
        tracing::warn!(
            path = %path.display(),
            "made a key file to seal integration credentials: back it up with the database, \
             or set TENANTRY_SECRET_KEY"
        );
    }
    Ok(key)
}

/// The sealer of secrets at rest, under the configured key.
fn sealer(config: &Config) -> anyhow::Result<Arc<dyn Sealer>> {
    Ok(Arc::new(AesGcmSealer::new(&secret_key(config)?)?))
}

/// The use cases over the given database, as the CLI and the HTTP server use them.
pub fn services(config: &Config, database: Database) -> anyhow::Result<Services> {
    Ok(Services::new(
        Arc::new(database),
        Arc::new(Argon2Hasher::default()),
        Arc::new(SystemClock),
        sealer(config)?,
        webhook_sender(config),
        dns_resolver(config)?,
        ServicesConfig {
            token_ttl: time::Duration::days(i64::from(config.token_ttl_days.get())),
            invitation_ttl: time::Duration::days(i64::from(config.invitation_ttl_days.get())),
            public_url: config.public_url.clone(),
            session_cache_ttl: time::Duration::seconds(i64::from(config.session_cache_seconds)),
        },
    ))
}

pub fn api_state(config: &Config, database: Database) -> anyhow::Result<ApiState> {
    let trusted_proxies = TrustedProxies::parse(&config.trusted_proxies)
        .map_err(|error| anyhow::anyhow!("invalid TENANTRY_TRUSTED_PROXIES: {error}"))?;
    Ok(ApiState {
        services: services(config, database.clone())?,
        readiness: Arc::new(DatabaseReadiness(database.clone())),
        auth_rate_limit: Arc::new(AuthRateLimit::per_minute(config.auth_attempts_per_minute)),
        invitation_rate_limit: Arc::new(AuthRateLimit::per_minute(
            config.invitation_attempts_per_minute,
        )),
        trusted_proxies: Arc::new(trusted_proxies),
        member_lists: Arc::default(),
        metrics: Arc::default(),
        gauges: Arc::new(DatabaseGauges(database.clone())),
        idempotency: Arc::new(SealedAnswers::new(Arc::new(database), sealer(config)?)),
    })
}

/// The gauges of `/metrics`, read from the database when scraped.
struct DatabaseGauges(Database);

#[async_trait]
impl GaugeSource for DatabaseGauges {
    async fn read(&self) -> Result<StoreGauges, String> {
        let now = time::OffsetDateTime::now_utc();
        let stats = self.0.stats(now).await.map_err(|error| error.to_string())?;
        Ok(StoreGauges {
            pool_open: stats.pool_open,
            pool_idle: stats.pool_idle,
            pool_waiting: stats.waiting,
            outbox_undelivered: stats.outbox_undelivered,
            outbox_oldest_age_seconds: stats.outbox_oldest_age_seconds,
            outbox_failing: stats.outbox_failing,
            active_sessions: stats.active_sessions,
            webhook_queued: stats.webhook_queued,
            webhook_oldest_age_seconds: stats.webhook_oldest_age_seconds,
            webhooks_failing: stats.webhooks_failing,
            webhooks_paused: stats.webhooks_paused,
        })
    }
}

/// Deletes the audit events each org's plan no longer keeps, and webhook delivery attempts as
/// old.
fn audit_retention(config: &Config, audit: AuditService) -> Job {
    let interval = std::time::Duration::from_secs(config.audit_retention_interval_s.get());
    Job::every("audit retention", interval, move || {
        let audit = audit.clone();
        async move {
            match audit.apply_retention().await {
                Ok(pruned) if pruned == Pruned::default() => {}
                Ok(pruned) => tracing::info!(
                    events = pruned.events,
                    delivery_attempts = pruned.delivery_attempts,
                    "expired audit events and webhook delivery attempts deleted"
                ),
                Err(error) => tracing::error!(%error, "audit retention failed; will retry"),
            }
            false
        }
    })
}

/// The resolver domain verification asks: `dns_server` when set, else the system's.
fn dns_resolver(config: &Config) -> anyhow::Result<Arc<dyn DnsResolver>> {
    if let Some(server) = config
        .dns_server
        .as_deref()
        .filter(|s| !s.trim().is_empty())
    {
        let server = server.trim();
        let address = server
            .parse::<std::net::SocketAddr>()
            .or_else(|_| {
                server
                    .parse::<std::net::IpAddr>()
                    .map(|ip| std::net::SocketAddr::new(ip, 53))
            })
            .with_context(|| {
                format!(
                    "invalid TENANTRY_DNS_SERVER `{server}`: give ip:port, or an ip for port 53"
                )
            })?;
        return Ok(Arc::new(tenantry_dns::HickoryDns::with_server(address)));
    }
    match tenantry_dns::HickoryDns::system() {
        Ok(resolver) => Ok(Arc::new(resolver)),
        // Only domain verification needs DNS: the rest of the service, and the commands, work
        // without it. Verifying then fails with this reason until the system is fixed.
        Err(error) => {
            tracing::warn!(%error, "no DNS resolver: domains cannot be verified; set TENANTRY_DNS_SERVER");
            Ok(Arc::new(NoResolver(error)))
        }
    }
}

/// What domain verification asks when the system has no usable resolver configuration.
struct NoResolver(DnsError);

#[async_trait]
impl DnsResolver for NoResolver {
    async fn txt_records(&self, _: &str) -> Result<Vec<String>, DnsError> {
        Err(self.0.clone())
    }
}

/// Looks up pending domains again, so a record published later verifies its domain without
/// anyone asking.
fn domain_recheck(config: &Config, domains: DomainService) -> Job {
    let interval = std::time::Duration::from_secs(config.domain_recheck_interval_s.get());
    Job::every("domain recheck", interval, move || {
        let domains = domains.clone();
        async move {
            match domains.recheck_pending().await {
                Ok(0) => {}
                Ok(verified) => tracing::info!(verified, "pending domains verified"),
                Err(error) => tracing::error!(%error, "domain recheck failed; will retry"),
            }
            false
        }
    })
}

/// Deletes expired sessions, which are otherwise only forgotten when their owner signs in.
fn session_sweep(config: &Config, auth: AuthService) -> Job {
    let interval = std::time::Duration::from_secs(config.session_sweep_interval_s.get());
    Job::every("session sweep", interval, move || {
        let auth = auth.clone();
        async move {
            match auth.sweep_expired_sessions().await {
                Ok(0) => {}
                Ok(deleted) => tracing::info!(deleted, "expired sessions deleted"),
                Err(error) => tracing::error!(%error, "session sweep failed; will retry"),
            }
            false
        }
    })
}

/// Deletes `Idempotency-Key` answers past their 24 hours, a batch at a time, on the session
/// sweep's interval.
fn idempotency_sweep(config: &Config, store: Arc<dyn IdempotencyStore>) -> Job {
    const BATCH: u64 = 1_000;
    let interval = std::time::Duration::from_secs(config.session_sweep_interval_s.get());
    Job::every("idempotency sweep", interval, move || {
        let store = store.clone();
        async move {
            match store.sweep(time::OffsetDateTime::now_utc(), BATCH).await {
                Ok(deleted) => deleted == BATCH,
                Err(error) => {
                    tracing::error!(%error, "idempotency sweep failed; will retry");
                    false
                }
            }
        }
    })
}

struct DatabaseReadiness(Database);

#[async_trait]
impl Readiness for DatabaseReadiness {
    async fn ready(&self) -> bool {
        self.0.ping().await.is_ok()
    }
}
