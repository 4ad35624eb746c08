//! Configuration: defaults, then an optional TOML file, then `TENANTRY_*` environment variables.

use std::num::{NonZeroU16, NonZeroU32, NonZeroU64};
use std::path::{Path, PathBuf};

use std::time::Duration;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use tenantry_persistence::PoolSettings;

/// Every setting, with the defaults that let `cargo run` work with nothing configured.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(default)]
pub struct Config {
    /// `sqlite://path/to/file.db` (created if missing) or `postgres://user:pass@host/db`.
    pub database_url: String,
    /// Database connections this process keeps at most.
    pub db_pool_size: NonZeroU32,
    /// How long a request waits for a free connection before it fails, in milliseconds.
    pub db_acquire_timeout_ms: NonZeroU64,
    /// PostgreSQL cancels a statement that runs longer, in milliseconds; 0: no limit.
    pub db_statement_timeout_ms: u64,
    /// Address and port to listen on.
    pub listen: String,
    /// Base of the links in e-mails.
    pub public_url: String,
    /// Directory of the development mail transport, used when no SMTP server is configured.
    pub mail_outbox: PathBuf,
    /// `smtp://user:pass@host:587` (STARTTLS), `smtps://user:pass@host` (TLS) or
    /// `smtp://host:25?tls=none`; when set, mail goes there instead of `mail_outbox`.
    pub smtp_url: Option<String>,
    /// How often the mail worker looks for due messages, in milliseconds.
    pub mail_poll_interval_ms: NonZeroU64,
    /// The wait after a failed delivery, in milliseconds; it doubles with each failure, up to
    /// 15 minutes.
    pub mail_retry_delay_ms: NonZeroU64,
    /// Sender of every e-mail.
    pub mail_from: String,
    /// How often the webhook workers look for due deliveries, in milliseconds.
    pub webhook_poll_interval_ms: NonZeroU64,
    /// The wait after a failed webhook delivery, in milliseconds; it doubles with each
    /// failure, up to an hour.
    pub webhook_retry_delay_ms: NonZeroU64,
    /// How long one webhook post may take before it counts as failed, in milliseconds.
    pub webhook_timeout_ms: NonZeroU64,
    /// Webhook deliveries in flight at once, to different endpoints (each endpoint gets its
    /// events one at a time, in order).
    pub webhook_workers: NonZeroU16,
    /// Lets webhooks post to private, loopback and link-local addresses. Off by default: an
    /// org admin could otherwise reach services inside the operator's network.
    pub webhook_allow_private: bool,
    /// The DNS server (`ip:port`, or `ip` for port 53) that domain verification asks, over
    /// UDP and TCP; unset: the system's resolvers (`/etc/resolv.conf`).
    pub dns_server: Option<String>,
    /// How often pending domains are looked up again, in seconds.
    pub domain_recheck_interval_s: NonZeroU64,
    /// Lifetime of a bearer token, in days.
    pub token_ttl_days: NonZeroU16,
    /// How long an instance trusts a bearer token it checked before reading it again, in
    /// seconds: a sign-out or revocation on another instance takes effect within this time
    /// (on the instance that did it, at once). 0 checks the database on every request.
    pub session_cache_seconds: u16,
    /// How often expired audit events are deleted, in seconds.
    pub audit_retention_interval_s: NonZeroU64,
    /// How often expired sessions and API tokens are deleted, in seconds.
    pub session_sweep_interval_s: NonZeroU64,
    /// Lifetime of an invitation or join link, in days.
    pub invitation_ttl_days: NonZeroU16,
    /// HTTP worker threads; defaults to the number of CPUs.
    pub workers: Option<usize>,
    /// Proxies (addresses or CIDR ranges, comma-separated) whose `X-Forwarded-For` names the
    /// client; empty: the socket peer is the client.
    pub trusted_proxies: String,
    /// Sign-up and sign-in attempts per minute allowed to one client address, and sign-in
    /// attempts per minute for one e-mail address.
    pub auth_attempts_per_minute: NonZeroU32,
    /// Invitations made, invitation and join-link lookups, and acceptances per minute allowed
    /// to one client address, and to one signed-in account.
    pub invitation_attempts_per_minute: NonZeroU32,
    /// The 256-bit key (base64) that seals integration credentials. Without it, on SQLite, a
    /// key file is made once beside the database file; PostgreSQL deployments must set it.
    pub secret_key: Option<Secret>,
}

/// A setting that must never be printed: `Debug` hides it.
#[derive(Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            database_url: "sqlite://tenantry.db".into(),
            db_pool_size: NonZeroU32::new(10).unwrap_or(NonZeroU32::MIN),
            db_acquire_timeout_ms: NonZeroU64::new(10_000).unwrap_or(NonZeroU64::MIN),
            db_statement_timeout_ms: 30_000,
            listen: "127.0.0.1:8080".into(),
            public_url: "http://127.0.0.1:8080".into(),
            mail_outbox: "./mail-outbox".into(),
            smtp_url: None,
            mail_poll_interval_ms: NonZeroU64::new(1_000).unwrap_or(NonZeroU64::MIN),
            mail_retry_delay_ms: NonZeroU64::new(5_000).unwrap_or(NonZeroU64::MIN),
            mail_from: "Tenantry <no-reply@tenantry.localhost>".into(),
            webhook_poll_interval_ms: NonZeroU64::new(1_000).unwrap_or(NonZeroU64::MIN),
            webhook_retry_delay_ms: NonZeroU64::new(1_000).unwrap_or(NonZeroU64::MIN),
            webhook_timeout_ms: NonZeroU64::new(10_000).unwrap_or(NonZeroU64::MIN),
            webhook_workers: NonZeroU16::new(4).unwrap_or(NonZeroU16::MIN),
            webhook_allow_private: false,
            dns_server: None,
            domain_recheck_interval_s: NonZeroU64::new(300).unwrap_or(NonZeroU64::MIN),
            token_ttl_days: NonZeroU16::new(30).unwrap_or(NonZeroU16::MIN),
            session_cache_seconds: 5,
            invitation_ttl_days: NonZeroU16::new(7).unwrap_or(NonZeroU16::MIN),
            audit_retention_interval_s: NonZeroU64::new(3_600).unwrap_or(NonZeroU64::MIN),
            session_sweep_interval_s: NonZeroU64::new(3_600).unwrap_or(NonZeroU64::MIN),
            workers: None,
            trusted_proxies: String::new(),
            auth_attempts_per_minute: NonZeroU32::new(10).unwrap_or(NonZeroU32::MIN),
            invitation_attempts_per_minute: NonZeroU32::new(120).unwrap_or(NonZeroU32::MIN),
            secret_key: None,
        }
    }
}

/// The config file read when none is named: optional, ignored if absent.
pub const DEFAULT_CONFIG_FILE: &str = "tenantry.toml";

impl Config {
    /// The database pool's size and timeouts.
    pub fn pool(&self) -> PoolSettings {
        PoolSettings {
            max_connections: self.db_pool_size.get(),
            acquire_timeout: Duration::from_millis(self.db_acquire_timeout_ms.get()),
            statement_timeout: (self.db_statement_timeout_ms > 0)
                .then(|| Duration::from_millis(self.db_statement_timeout_ms)),
        }
    }

    /// Loads the configuration; `file` overrides the default `tenantry.toml`.
    pub fn load(file: Option<&Path>) -> Result<Self, Box<figment::Error>> {
        let file = file.unwrap_or(Path::new(DEFAULT_CONFIG_FILE));
        Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::file(file))
            .merge(Env::prefixed("TENANTRY_").only(&[
                "database_url",
                "db_pool_size",
                "db_acquire_timeout_ms",
                "db_statement_timeout_ms",
                "listen",
                "public_url",
                "mail_outbox",
                "smtp_url",
                "mail_poll_interval_ms",
                "mail_retry_delay_ms",
                "mail_from",
                "webhook_poll_interval_ms",
                "webhook_retry_delay_ms",
                "webhook_timeout_ms",
                "webhook_workers",
                "webhook_allow_private",
                "dns_server",
                "domain_recheck_interval_s",
                "token_ttl_days",
                "session_cache_seconds",
                "invitation_ttl_days",
                "audit_retention_interval_s",
                "session_sweep_interval_s",
                "workers",
                "auth_attempts_per_minute",
                "invitation_attempts_per_minute",
                "trusted_proxies",
                "secret_key",
            ]))
            .extract()
            .map_err(Box::new)
    }
}

#[cfg(test)]
// figment::Jail's closures must return figment::Error, large as it is.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;

    #[test]
    fn file_then_environment_override_the_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "custom.toml",
                "listen = \"0.0.0.0:9000\"\npublic_url = \"https://orgs.example.com\"",
            )?;
            jail.set_env("TENANTRY_LISTEN", "127.0.0.1:7000");
            jail.set_env("TENANTRY_TOKEN_TTL_DAYS", "7");
            let config = Config::load(Some(Path::new("custom.toml"))).map_err(|error| *error)?;
            assert_eq!(config.listen, "127.0.0.1:7000");
            assert_eq!(config.public_url, "https://orgs.example.com");
            assert_eq!(config.token_ttl_days.get(), 7);
            assert_eq!(config.database_url, Config::default().database_url);
            Ok(())
        });
    }

    #[test]
    fn a_malformed_value_is_an_error_not_a_default() {
        for (variable, value) in [
            ("TENANTRY_TOKEN_TTL_DAYS", "soon"),
            ("TENANTRY_TOKEN_TTL_DAYS", "0"),
            ("TENANTRY_INVITATION_TTL_DAYS", "0"),
            ("TENANTRY_MAIL_RETRY_DELAY_MS", "-5"),
            ("TENANTRY_AUTH_ATTEMPTS_PER_MINUTE", "0"),
        ] {
            figment::Jail::expect_with(|jail| {
                jail.set_env(variable, value);
                assert!(Config::load(None).is_err(), "{variable}={value}");
                Ok(())
            });
        }
    }
}
