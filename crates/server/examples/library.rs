//! Tenantry's use cases linked into another Rust service, without HTTP: `tenantry-domain`
//! wired to the SQLite adapter of `tenantry-persistence` (a file in a temporary directory),
//! with the argon2 hasher and the AES-GCM sealer. It makes an org on the team plan, adds a
//! member, gives them a custom role and asks a permission check, then checks the answers.
//!
//! `cargo run -p tenantry-server --example library`; with `-- --bench N` it then times N
//! checks and prints only the checks per second.

// An example's job is to print what it did.
#![allow(clippy::print_stdout)]

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, ensure};
use tenantry_domain::authz::{Actor, BuiltinRole, Permission, PermissionSet};
use tenantry_domain::check::{Questions, Reason};
use tenantry_domain::clock::SystemClock;
use tenantry_domain::member::{AssignedRole, RoleChoice};
use tenantry_domain::org::OrgName;
use tenantry_domain::plan::Plan;
use tenantry_domain::role::{NewRole, RoleName};
use tenantry_domain::user::{Email, NewAccount, Password, UserName};
use tenantry_domain::{Services, ServicesConfig};
use tenantry_persistence::Database;
use tenantry_server::Argon2Hasher;
use tenantry_vault::{AesGcmSealer, SecretKey};
use tenantry_webhook::{HttpSender, SenderSettings};

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let bench: Option<u32> = match std::env::args().skip(1).collect::<Vec<_>>().as_slice() {
        [] => None,
        [flag, n] if flag == "--bench" => Some(n.parse().context("--bench N")?),
        _ => anyhow::bail!("usage: library [--bench N]"),
    };
    let dir = tempfile::tempdir()?;
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("tenantry.db").display()
    );
    let database = Database::connect(&url).await?;
    database.migrate().await?;
    let services = Services::new(
        Arc::new(database),
        Arc::new(Argon2Hasher::new(1)),
        Arc::new(SystemClock),
        Arc::new(AesGcmSealer::new(&SecretKey::generate()?)?),
        Arc::new(HttpSender::new(SenderSettings::default())),
        Arc::new(tenantry_dns::HickoryDns::system()?),
        ServicesConfig::default(),
    );

    let account = |email: &str, name: &str| -> anyhow::Result<NewAccount> {
        Ok(NewAccount {
            email: Email::try_from(email)?,
            password: Password::try_from("correct horse battery")?,
            name: UserName::try_from(name)?,
        })
    };
    let owner = services
        .auth
        .sign_up(account("olive@example.com", "Olive")?)
        .await?;
    let owner = Actor::new(owner.user.id);
    let org = services
        .orgs
        .create(&owner, OrgName::try_from("Acme")?)
        .await?
        .org
        .id;
    // Custom roles are a team-plan feature; an operator puts the org on it.
    services.orgs.set_plan_as_operator(org, Plan::Team).await?;
    let dev = services
        .auth
        .sign_up(account("dev@example.com", "Dev")?)
        .await?
        .user;
    services
        .members
        .add_as_operator(org, &dev.email, RoleChoice::Builtin(BuiltinRole::Viewer))
        .await?;
    let scanner = NewRole::new(
        RoleName::try_from("Scanner")?,
        None,
        PermissionSet::of(&[Permission::ScansRead, Permission::ScansWrite]),
    )?;
    let scanner = services.roles.create(&owner, org, scanner).await?.role;
    services
        .members
        .update_role(&owner, org, dev.id, RoleChoice::Custom(scanner.id))
        .await?;

    let questions = Questions::new(
        "permissions",
        vec![
            (dev.id, Permission::ScansWrite),
            (dev.id, Permission::MembersWrite),
        ],
    )?;
    let verdicts = services.checks.check(&owner, org, &questions).await?;
    let role = AssignedRole::Custom(scanner);
    ensure!(verdicts[0].allowed && verdicts[0].reason == Reason::GrantedByRole(role.clone()));
    ensure!(!verdicts[1].allowed && verdicts[1].reason == Reason::RoleLacksPermission(role));

    match bench {
        None => {
            for verdict in &verdicts {
                let role = verdict
                    .reason
                    .role()
                    .map_or("-", |role| role.display_name());
                println!(
                    "{} {}: allowed={} reason={} role={role}",
                    verdict.user,
                    verdict.permission,
                    verdict.allowed,
                    verdict.reason.code()
                );
            }
        }
        Some(n) => {
            // One question per call, as one HTTP check of one permission.
            let one = Questions::new("permissions", vec![(dev.id, Permission::ScansWrite)])?;
            let started = Instant::now();
            for _ in 0..n {
                services.checks.check(&owner, org, &one).await?;
            }
            let per_second = f64::from(n) / started.elapsed().as_secs_f64();
            println!("{per_second:.0}");
        }
    }
    Ok(())
}
