//! aiosmtpd (PyPI) as a real SMTP server for tests: a child process that stores what it
//! receives in a maildir. Shared by this crate's tests and, through `#[path]`, the server's.

#![allow(dead_code, clippy::unwrap_used)]

use std::io::Write;
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Once;
use std::time::{Duration, Instant};

/// aiosmtpd listening on a free local port, killed on drop.
pub struct SmtpServer {
    child: Child,
    pub port: u16,
    maildir: PathBuf,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl SmtpServer {
    /// `None` (after a note on stderr) when aiosmtpd is not installed and `CI` is not set.
    pub fn start() -> Option<Self> {
        Self::start_on(free_port())
    }

    /// On a chosen port, so that a test can first let a client fail against it.
    pub fn start_on(port: u16) -> Option<Self> {
        if !aiosmtpd_installed() {
            let note = "aiosmtpd is not importable by python3 (pip install aiosmtpd)";
            assert!(std::env::var_os("CI").is_none(), "{note}; CI must not skip");
            static NOTE: Once = Once::new();
            NOTE.call_once(|| {
                let _ = writeln!(std::io::stderr(), "note: skipping real-SMTP tests: {note}");
            });
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        // aiosmtpd creates the maildir only if the directory does not exist yet.
        let maildir = dir.path().join("maildir");
        let log = dir.path().join("aiosmtpd.log");
        let child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Mailbox"])
            .args(["-l", &format!("127.0.0.1:{port}")])
            .arg(&maildir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let mut server = Self {
            child,
            port,
            maildir,
            log,
            _dir: dir,
        };
        server.wait_until_listening();
        Some(server)
    }

    pub fn url(&self, query: &str) -> String {
        format!("smtp://127.0.0.1:{}{query}", self.port)
    }

    fn wait_until_listening(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while TcpStream::connect((Ipv4Addr::LOCALHOST, self.port)).is_err() {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("aiosmtpd exited with {status}: {}", self.log_text());
            }
            assert!(
                Instant::now() < deadline,
                "aiosmtpd did not listen within 15 s: {}",
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Delivered messages: a maildir moves each file into `new/` only once it is complete.
    pub fn messages(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.maildir.join("new")) else {
            return Vec::new();
        };
        entries
            .map(|entry| std::fs::read_to_string(entry.unwrap().path()).unwrap())
            .collect()
    }

    pub async fn wait_for_message(&self) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let mut messages = self.messages();
            if !messages.is_empty() {
                assert_eq!(messages.len(), 1);
                return messages.remove(0);
            }
            assert!(
                Instant::now() < deadline,
                "no message within 10 s: {}",
                self.log_text()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn aiosmtpd_installed() -> bool {
    Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// A port nothing listens on right now (the OS picked it and it was released).
pub fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
