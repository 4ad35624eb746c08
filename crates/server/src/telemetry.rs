use tracing_subscriber::EnvFilter;

/// Structured logs on stderr, filtered by `RUST_LOG` (default `info`); JSON when
/// `TENANTRY_LOG_FORMAT=json`.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::env::var("TENANTRY_LOG_FORMAT").is_ok_and(|format| format == "json") {
        builder.json().init();
    } else {
        builder.init();
    }
}
