//! Tests against the live server (`Application::build` on a real port, its mail worker and its
//! configured transport): the invitation pages in headless Chromium, and mail that survives a
//! mail server being down.

#![allow(clippy::unwrap_used)]

mod browser;
mod console;
mod console_account;
mod console_forms;
mod console_webhooks;
mod domains;
mod faults;
mod mail;
mod ops;
mod owasp;
mod replicas;
mod scim;
mod support;
mod webhooks;
