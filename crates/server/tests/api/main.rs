//! HTTP tests through the real actix app, over a real database per test.

mod account;
mod concurrency;
mod errors;
mod helpers;
mod matrix;
mod members;
mod orgs;
mod roles;
