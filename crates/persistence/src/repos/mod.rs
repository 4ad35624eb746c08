//! The repository ports implemented on [`crate::transaction::SeaTransaction`], one file per
//! context, plus the translations between rows and domain types they share.

mod audit;
mod audit_counts;
mod audit_export;
mod directory;
mod domain;
mod integration;
mod invitation;
mod member;
mod org;
mod outbox;
mod role;
mod role_columns;
mod user;
mod webhook;

pub(crate) use audit::HeldHead;
