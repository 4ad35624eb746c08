use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use tenantry_domain::ids::OrgId;
use tenantry_domain::member::{ImportReport, RoleChoice};
use tenantry_domain::plan::Plan;
use tenantry_domain::user::Email;
use tenantry_persistence::Database;
use tenantry_server::{Application, Config, import, open_database, services, telemetry};

/// Tenantry: multi-tenant organizations, members, roles and invitations.
#[derive(Parser)]
#[command(name = "tenantry", version)]
struct Cli {
    /// A TOML config file (default: ./tenantry.toml if it exists).
    #[arg(long, env = "TENANTRY_CONFIG", global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the OpenAPI document (as served at /api/openapi.json) and exit.
    Openapi,
    /// Put an organization on a plan: free, team or enterprise.
    SetPlan { org_id: String, plan: String },
    /// Add an existing account to an organization without an invitation.
    AddMember {
        org_id: String,
        email: String,
        /// admin, auditor, member, viewer, or a custom role's id.
        #[arg(long, default_value = "member")]
        role: String,
    },
    /// Add everyone in a CSV file (`email,name,role`, with that header; role defaults to
    /// member) to an organization; accounts are made, without a password, for addresses
    /// that have none. Each chunk of 1,000 rows is one transaction; running the same file
    /// again adds only who is missing.
    ImportMembers { org_id: String, file: PathBuf },
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init();
    let cli = Cli::parse();
    if let Some(Command::Openapi) = cli.command {
        use std::io::Write;
        let document = tenantry_http::openapi_json()?;
        return Ok(std::io::stdout().write_all(document.as_bytes())?);
    }
    let config = Config::load(cli.config.as_deref()).context("invalid configuration")?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => Application::build(config).await?.run_until_stopped().await,
        Command::Openapi => Ok(()),
        Command::Migrate => {
            open_database(&config).await?.close().await?;
            tracing::info!("database schema is up to date");
            Ok(())
        }
        Command::SetPlan { org_id, plan } => {
            let org: OrgId = org_id
                .parse()
                .context("ORG_ID must be an organization id")?;
            let plan: Plan = plan.parse()?;
            let database = connect(&config).await?;
            let org = services(&config, database)?
                .orgs
                .set_plan_as_operator(org, plan)
                .await?;
            tracing::info!(org = %org.id, plan = %org.plan, "plan changed");
            Ok(())
        }
        Command::AddMember {
            org_id,
            email,
            role,
        } => {
            let org: OrgId = org_id
                .parse()
                .context("ORG_ID must be an organization id")?;
            let email = Email::try_from(email.as_str())?;
            let role = RoleChoice::try_from(role.as_str())?;
            let database = connect(&config).await?;
            let member = services(&config, database)?
                .members
                .add_as_operator(org, &email, role)
                .await?;
            tracing::info!(org = %org, user = %member.user.id, role = %member.role.key(), "member added");
            Ok(())
        }
        Command::ImportMembers { org_id, file } => {
            let org: OrgId = org_id
                .parse()
                .context("ORG_ID must be an organization id")?;
            let rows = import::read(&file)?;
            let database = connect(&config).await?;
            let members = services(&config, database)?.members;
            let mut total = ImportReport::default();
            for chunk in rows.chunks(import::CHUNK) {
                let report = members.import_as_operator(org, chunk).await?;
                total.added += report.added;
                total.accounts_created += report.accounts_created;
                total.already_members += report.already_members;
            }
            tracing::info!(org = %org, added = total.added,
                accounts_created = total.accounts_created,
                already_members = total.already_members, "members imported");
            Ok(())
        }
    }
}

/// Operator commands use the schema as it is: only `serve` and `migrate` change it, so a newer
/// binary run beside an older server cannot migrate the database under it.
async fn connect(config: &Config) -> anyhow::Result<Database> {
    Database::connect_with(&config.database_url, config.pool())
        .await
        .context("cannot open the database (TENANTRY_DATABASE_URL)")
}
