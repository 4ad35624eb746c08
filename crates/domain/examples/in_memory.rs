//! Tenantry's use cases ([`Services`]) over in-memory fakes of every port: no database, no
//! adapter crate. The flow is that of `crates/server/examples/library.rs`: two accounts sign
//! up, the first makes an org, an operator puts it on the team plan and adds the second as a
//! viewer, the owner makes a custom role and gives it to them, and permission checks say what
//! each may do. The example checks the answers and exits non-zero on the first that is wrong.
//!
//! `cargo run -p tenantry-domain --example in_memory`
//!
//! Why one would do this: the tests of a service that links `tenantry-domain` can run the real
//! use cases, rules and all, without a database; and a service that keeps its own store sees
//! here what it has to implement, [`UnitOfWork`](tenantry_domain::ports::UnitOfWork) and the
//! repositories of its transactions, and which rules their doc comments ask it to keep.
//!
//! The fakes: `in_memory/store.rs` (the store and its transactions), `in_memory/repos.rs` (the
//! repositories this flow uses, real for the methods it calls), `in_memory/unkept.rs` (those it
//! does not use), and `in_memory/stand_ins.rs` (password hasher, sealer, webhook sender; none
//! fit for production). A method the flow does not call answers an error saying it is not kept.

// An example's job is to print what it did.
#![allow(clippy::print_stdout)]

#[path = "in_memory/repos.rs"]
mod repos;
#[path = "in_memory/stand_ins.rs"]
mod stand_ins;
#[path = "in_memory/store.rs"]
mod store;
#[path = "in_memory/unkept.rs"]
mod unkept;

use std::error::Error;
use std::fmt;
use std::sync::Arc;

use tenantry_domain::authz::{Actor, BuiltinRole, Permission, PermissionSet};
use tenantry_domain::check::{Questions, Reason, Verdict};
use tenantry_domain::clock::SystemClock;
use tenantry_domain::member::{AssignedRole, RoleChoice};
use tenantry_domain::org::OrgName;
use tenantry_domain::plan::Plan;
use tenantry_domain::role::{NewRole, RoleName};
use tenantry_domain::user::{Email, NewAccount, Password, UserName};
use tenantry_domain::{Services, ServicesConfig};

use stand_ins::{ExampleHasher, NoDns, NoWebhooks, PlainSealer};
use store::MemoryStore;

fn main() -> Result<(), Box<dyn Error>> {
    // Nothing here waits on I/O, so the smallest executor will do: no async runtime needed.
    pollster::block_on(run())
}

async fn run() -> Result<(), Box<dyn Error>> {
    let store = MemoryStore::default();
    let services = Services::new(
        Arc::new(store.clone()),
        Arc::new(ExampleHasher),
        Arc::new(SystemClock),
        Arc::new(PlainSealer),
        Arc::new(NoWebhooks),
        Arc::new(NoDns),
        ServicesConfig::default(),
    );

    let account = |email: &str, name: &str| -> Result<NewAccount, Box<dyn Error>> {
        Ok(NewAccount {
            email: Email::try_from(email)?,
            password: Password::try_from("correct horse battery")?,
            name: UserName::try_from(name)?,
        })
    };
    let owner = services
        .auth
        .sign_up(account("olive@example.com", "Olive")?)
        .await?
        .user;
    let dev = services
        .auth
        .sign_up(account("dev@example.com", "Dev")?)
        .await?
        .user;
    println!("signed up {} and {}", owner.email, dev.email);

    let actor = Actor::new(owner.id);
    let created = services
        .orgs
        .create(&actor, OrgName::try_from("Acme")?)
        .await?;
    let owner_role = AssignedRole::Builtin(BuiltinRole::Owner);
    ensure(
        created.org.plan == Plan::Free && created.role == owner_role,
        || format!("a new org should be on free, owned by its maker: {created:?}"),
    )?;
    println!(
        "{} created org {} on the {} plan",
        owner.email,
        created.org.name.as_str(),
        created.org.plan.name()
    );

    // Custom roles are a team-plan feature; an operator (or a billing system) puts it there.
    let org = services
        .orgs
        .set_plan_as_operator(created.org.id, Plan::Team)
        .await?;
    let added = services
        .members
        .add_as_operator(org.id, &dev.email, RoleChoice::Builtin(BuiltinRole::Viewer))
        .await?;
    println!(
        "an operator moved it to the {} plan and added {} as {}",
        org.plan.name(),
        added.user.email,
        added.role.display_name()
    );

    let scanner = NewRole::new(
        RoleName::try_from("Scanner")?,
        None,
        PermissionSet::of(&[Permission::ScansRead, Permission::RepositoriesRead]),
    )?;
    let scanner = services.roles.create(&actor, org.id, scanner).await?.role;
    let member = services
        .members
        .update_role(&actor, org.id, dev.id, RoleChoice::Custom(scanner.id))
        .await?;
    let scanner_role = AssignedRole::Custom(scanner.clone());
    ensure(member.role == scanner_role, || {
        format!("the member should now hold Scanner: {member:?}")
    })?;
    let slugs: Vec<&str> = scanner.permissions.iter().map(Permission::slug).collect();
    println!(
        "{} created role {} ({}) and gave it to {}",
        owner.email,
        scanner.name.as_str(),
        slugs.join(", "),
        dev.email
    );

    // The owner asks about the member (which needs members:read) and about every permission
    // of their own, in one check.
    let mut pairs = vec![
        (dev.id, Permission::ScansRead),
        (dev.id, Permission::ScansWrite),
    ];
    pairs.extend(Permission::ALL.map(|permission| (owner.id, permission)));
    let questions = Questions::new("permissions", pairs)?;
    let verdicts = services.checks.check(&actor, org.id, &questions).await?;
    let [read, write, owners @ ..] = verdicts.as_slice() else {
        return Err(Mismatch(format!("fewer verdicts than questions: {verdicts:?}")).into());
    };
    ensure(
        read.allowed && read.reason == Reason::GrantedByRole(scanner_role.clone()),
        || format!("scans:read should be granted by Scanner: {read:?}"),
    )?;
    ensure(
        !write.allowed && write.reason == Reason::RoleLacksPermission(scanner_role),
        || format!("scans:write should be refused, Scanner lacking it: {write:?}"),
    )?;
    let granted_by_owner = |verdict: &Verdict| {
        verdict.allowed && verdict.reason == Reason::GrantedByRole(owner_role.clone())
    };
    ensure(
        owners.len() == Permission::ALL.len() && owners.iter().all(granted_by_owner),
        || format!("the owner should hold every permission: {owners:?}"),
    )?;
    for verdict in [read, write] {
        println!("check {}: {}", dev.email, describe(verdict));
    }
    // Every owner verdict was just checked to be this one.
    println!(
        "check {}: all {} permissions allowed, granted_by_role ({})",
        owner.email,
        owners.len(),
        owner_role.display_name()
    );

    let kept = store.counts()?;
    // One audit event per write: org created, plan changed, member added, role created, role
    // given. A count off by one would mean a write committed twice or not at all.
    ensure(kept.audit_events == 5, || {
        format!("five audit events should be kept: {kept:?}")
    })?;
    println!(
        "kept in memory: accounts {}, sessions {}, orgs {}, memberships {}, custom roles {}, \
         audit events {}",
        kept.users, kept.sessions, kept.orgs, kept.members, kept.roles, kept.audit_events
    );
    Ok(())
}

/// `scans:read allowed, granted_by_role (Scanner)`: the verdict, why, and the role that
/// decided.
fn describe(verdict: &Verdict) -> String {
    let role = verdict
        .reason
        .role()
        .map_or("-", AssignedRole::display_name);
    let outcome = if verdict.allowed {
        "allowed"
    } else {
        "refused"
    };
    format!(
        "{} {outcome}, {} ({role})",
        verdict.permission,
        verdict.reason.code()
    )
}

/// A wrong answer. `main` prints the error it returns with `Debug`, hence a `Debug` that is
/// the message alone rather than a struct dump.
struct Mismatch(String);

impl fmt::Debug for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "mismatch: {}", self.0)
    }
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl Error for Mismatch {}

fn ensure(ok: bool, message: impl FnOnce() -> String) -> Result<(), Mismatch> {
    if ok { Ok(()) } else { Err(Mismatch(message())) }
}
