//! What the browser tests drive: the real server (`Application::build`, its mail worker writing
//! `.eml` files), Debian's chromedriver and headless Chromium, and a plain HTTP client for the
//! JSON API.

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::error::CmdError;
use fantoccini::{Client, ClientBuilder, Locator};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};
use tenantry_server::{Application, Config};

#[path = "../../../email/tests/support/mime.rs"]
pub mod mime;
#[path = "../../../email/tests/support/smtp_server.rs"]
pub mod smtp_server;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .unwrap()
}

fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on port {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Whether Chromium and its driver are installed. Without them the tests say so and pass,
/// except in CI (`CI` set), where `.ci/run` installs them and their absence is a failure.
pub fn browser_available() -> bool {
    let available = Path::new(CHROMEDRIVER).exists() && Path::new(CHROMIUM).exists();
    needed(available, "Debian's chromium and chromium-driver")
}

/// Whether a component a test needs (`what`, as one installs it) is `available`. Without it
/// the test says so and passes, except in CI (`CI` set), where `.ci/run` installs it.
pub fn needed(available: bool, what: &str) -> bool {
    if !available {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install {what} (see .ci/run)"
        );
        let _ = writeln!(std::io::stderr(), "note: test skipped: install {what}");
    }
    available
}

fn client(local: Option<std::net::IpAddr>) -> HttpClient<HttpConnector, Full<bytes::Bytes>> {
    let mut connector = HttpConnector::new();
    connector.set_local_address(local);
    // Idle connections are dropped well before the server's 5 s keep-alive closes them, so a
    // request is never sent on a connection the server is closing (a loaded machine made that
    // race show as `IncompleteMessage`).
    HttpClient::builder(TokioExecutor::new())
        .pool_timer(hyper_util::rt::TokioTimer::new())
        .pool_idle_timeout(std::time::Duration::from_secs(1))
        .build(connector)
}

/// A child process killed when the test ends, however it ends.
pub struct Process(pub Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The `tenantry` binary, run in `dir` with none of the test's environment but `PATH` and
/// `env`, its standard output discarded.
pub fn tenantry(dir: &Path, env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tenantry"));
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(env.iter().copied())
        .current_dir(dir)
        .stdout(Stdio::null());
    command
}

/// The server on a free port with a fresh SQLite file and its own mail directory.
pub struct Server {
    pub base: String,
    pub mail: PathBuf,
    pub database_url: String,
    _dir: tempfile::TempDir,
    http: HttpClient<HttpConnector, Full<bytes::Bytes>>,
}

impl Server {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// Like [`Server::start`], with settings changed by `adjust` first.
    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let database_url = format!("sqlite://{}", dir.path().join("tenantry.db").display());
        let mut config = Config {
            database_url: database_url.clone(),
            listen: format!("127.0.0.1:{port}"),
            public_url: base.clone(),
            mail_outbox: dir.path().join("mail-outbox"),
            mail_poll_interval_ms: std::num::NonZeroU64::new(100).unwrap(),
            ..Config::default()
        };
        adjust(&mut config);
        let app = Application::build(config).await.unwrap();
        actix_web::rt::spawn(app.run_until_stopped());
        Self {
            base,
            mail: dir.path().join("mail-outbox"),
            database_url,
            _dir: dir,
            http: client(None),
        }
    }

    /// A client of a server already listening on `port` (another process).
    pub async fn attach(port: u16) -> Self {
        Self::attach_from(port, None).await
    }

    /// Like [`Server::attach`], connecting from `local` (another loopback address, say).
    pub async fn attach_from(port: u16, local: Option<std::net::IpAddr>) -> Self {
        wait_for_port(port);
        let dir = tempfile::tempdir().unwrap();
        Self {
            base: format!("http://127.0.0.1:{port}"),
            mail: dir.path().join("mail-outbox"),
            database_url: String::new(),
            _dir: dir,
            http: client(local),
        }
    }

    /// A JSON request to the API; answers the status and the body (`null` when empty).
    pub async fn api(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let (status, _, bytes) = self.request(method, path, token, &[], body).await;
        let value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap()
        };
        (status, value)
    }

    /// A request with extra `headers`: the status, the response's headers and its body.
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> (u16, hyper::HeaderMap, bytes::Bytes) {
        let bearer = token.map(|token| format!("Bearer {token}"));
        let mut all: Vec<(&str, &str)> = headers.to_vec();
        if let Some(bearer) = &bearer {
            all.push(("authorization", bearer));
        }
        let payload = match body {
            Some(body) => {
                all.push(("content-type", "application/json"));
                body.to_string()
            }
            None => String::new(),
        };
        self.send(method, path, &all, payload).await
    }

    /// A request with exactly `headers` and the raw `payload`: the status, the response's
    /// headers and its body.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        payload: String,
    ) -> (u16, hyper::HeaderMap, bytes::Bytes) {
        let mut request = hyper::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = self
            .http
            .request(request.body(Full::new(payload.into())).unwrap())
            .await
            .unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, headers, bytes)
    }

    /// `tenantry set-plan`, as an operator runs it beside the server.
    pub fn set_plan(&self, org: &str, plan: &str) {
        let dir = tempfile::tempdir().unwrap();
        let status = tenantry(dir.path(), &[("TENANTRY_DATABASE_URL", &self.database_url)])
            .args(["set-plan", org, plan])
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "set-plan {org} {plan}");
    }

    /// Signs up and returns the bearer token.
    pub async fn sign_up(&self, email: &str, name: &str) -> String {
        let (status, body) = self
            .api(
                "POST",
                "/api/auth/signup",
                None,
                Some(json!({"email": email, "password": "correct horse", "name": name})),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["token"].as_str().unwrap().to_owned()
    }

    /// A new account named `owner_name` that owns a new org `org_name`: its token and the org.
    pub async fn owned_org(&self, owner_name: &str, org_name: &str) -> (String, String) {
        let owner = self.sign_up("owner@example.com", owner_name).await;
        let (status, org) = self
            .api(
                "POST",
                "/api/orgs",
                Some(&owner),
                Some(json!({ "name": org_name })),
            )
            .await;
        assert_eq!(status, 201, "{org}");
        (owner, org["_id"].as_str().unwrap().to_owned())
    }

    /// Invites by e-mail (`body` as the API takes it) and returns the invitation's id.
    pub async fn invite(&self, org: &str, manager: &str, body: Value) -> String {
        let (status, created) = self
            .api(
                "POST",
                &format!("/api/orgs/{org}/invitations/email"),
                Some(manager),
                Some(body),
            )
            .await;
        assert_eq!(status, 201, "{created}");
        created["_id"].as_str().unwrap().to_owned()
    }

    /// The role of `email` in the org's member list, as its owner reads it through the API.
    pub async fn role_of(&self, org: &str, owner: &str, email: &str) -> Option<String> {
        let (status, body) = self
            .api(
                "GET",
                &format!("/api/orgs/{org}/members"),
                Some(owner),
                None,
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|member| member["email"] == email)
            .map(|member| member["role"].as_str().unwrap().to_owned())
    }

    /// Waits for the mail worker to write a message to `to`, and returns its invitation link
    /// as the plain-text part shows it.
    pub async fn link_mailed_to(&self, to: &str) -> String {
        self.mailed_link(to, "invitations").await
    }

    /// Waits for the mail worker to write a message to `to` with a link under `/{path}/`, and
    /// returns that link as the plain-text part shows it.
    pub async fn mailed_link(&self, to: &str, path: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            for entry in std::fs::read_dir(&self.mail)
                .into_iter()
                .flatten()
                .flatten()
            {
                let raw = std::fs::read_to_string(entry.path()).unwrap_or_default();
                let message = mime::parse(&raw);
                if message.header("To").is_some_and(|value| value.contains(to)) {
                    let text = message.part("text/plain");
                    // Sign-up mails a verification link too: only the link asked for counts.
                    let Some(start) = text.find(&format!("{}/{path}/", self.base)) else {
                        continue;
                    };
                    let link: String = text[start..]
                        .chars()
                        .take_while(|c| !c.is_whitespace())
                        .collect();
                    return link;
                }
            }
            assert!(Instant::now() < deadline, "no mail to {to} arrived");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Headless Chromium under chromedriver, closed on drop.
pub struct Browser {
    pub client: Client,
    driver: Child,
}

impl Browser {
    pub async fn start() -> Self {
        let port = free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        wait_for_port(port);
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": CHROMIUM,
                // Root in a container needs no sandbox; the rest keeps Chromium off the network
                // this machine does not have.
                "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                         "--disable-background-networking", "--disable-component-update",
                         "--disable-sync", "--no-first-run", "--window-size=900,1100"],
            }),
        );
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .unwrap();
        Self { client, driver }
    }

    pub async fn open(&self, url: &str) {
        again(|| self.client.goto(url)).await.unwrap();
    }

    /// The first element `locator` finds.
    async fn find(&self, locator: Locator<'_>) -> Result<Element, CmdError> {
        again(|| self.client.find(locator)).await
    }

    /// Every element `css` selects.
    async fn find_all(&self, css: &str) -> Vec<Element> {
        again(|| self.client.find_all(Locator::Css(css)))
            .await
            .unwrap()
    }

    pub async fn fill(&self, id: &str, value: &str) {
        let field = self.find(Locator::Id(id)).await.unwrap();
        field.clear().await.unwrap();
        field.send_keys(value).await.unwrap();
    }

    /// Clicks a submit button and waits for the next page to load.
    pub async fn submit(&self, id: &str) {
        let button = self.find(Locator::Id(id)).await.unwrap();
        self.click_and_wait(button).await;
    }

    /// Clicks `target` and waits until another page has replaced this one. Chromedriver's click
    /// may return before a form's POST and redirect finish, and the old page has its own
    /// `main h1`: waiting for that alone let a test read the page being unloaded.
    async fn click_and_wait(&self, target: Element) {
        let old_page = self.find(Locator::Css("html")).await.unwrap();
        target.click().await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            // Chromedriver reports the old node as stale or, mid-navigation, as "not in the
            // document" or with a lost execution context: each means the page is going.
            if old_page.tag_name().await.is_err() {
                break;
            }
            assert!(Instant::now() < deadline, "a click led to no new page");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.client
            .wait()
            .for_element(Locator::Css("main h1"))
            .await
            .unwrap();
    }

    /// The visible text of the page's main block.
    pub async fn text(&self) -> String {
        self.find(Locator::Css("main"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// Saves a screenshot into `$TENANTRY_SCREENSHOTS` when it is set (how `docs/` got its
    /// pictures); otherwise only checks that one can be taken.
    pub async fn screenshot(&self, name: &str) {
        self.screenshot_into("TENANTRY_SCREENSHOTS", name).await;
    }

    /// Saves a screenshot as `<name>.png` into the directory the environment variable
    /// `variable` names, when it is set; otherwise only checks that one can be taken. A
    /// relative directory is taken from the workspace's root (`cargo test` runs in the crate's).
    pub async fn screenshot_into(&self, variable: &str, name: &str) {
        let png = self.client.screenshot().await.unwrap();
        assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
        if let Some(dir) = std::env::var_os(variable) {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../..")
                .join(dir);
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
        }
    }

    /// Clicks the element `css` selects, a submit button or a link, and waits for the next
    /// page to load.
    pub async fn click(&self, css: &str) {
        let target = self
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|error| panic!("no {css}: {error}"));
        self.click_and_wait(target).await;
    }

    /// Ticks or unticks the checkbox `css` selects, or clicks any element without waiting.
    pub async fn tick(&self, css: &str) {
        self.find(Locator::Css(css))
            .await
            .unwrap_or_else(|error| panic!("no {css}: {error}"))
            .click()
            .await
            .unwrap();
    }

    /// Chooses the option labelled `label` in the select `css` selects.
    pub async fn select(&self, css: &str, label: &str) {
        self.find(Locator::Css(css))
            .await
            .unwrap_or_else(|error| panic!("no {css}: {error}"))
            .select_by_label(label)
            .await
            .unwrap_or_else(|error| panic!("no option {label} in {css}: {error}"));
    }

    /// The visible text of every element `css` selects, in document order.
    pub async fn texts(&self, css: &str) -> Vec<String> {
        let mut texts = Vec::new();
        for element in self.find_all(css).await {
            texts.push(element.text().await.unwrap());
        }
        texts
    }

    /// The attribute `name` of every element `css` selects that has it, in document order.
    pub async fn attrs(&self, css: &str, name: &str) -> Vec<String> {
        let mut values = Vec::new();
        for element in self.find_all(css).await {
            values.extend(element.attr(name).await.unwrap());
        }
        values
    }

    /// How many elements `css` selects.
    pub async fn count(&self, css: &str) -> usize {
        self.find_all(css).await.len()
    }

    /// The attribute `name` of the first element `css` selects.
    pub async fn attr(&self, css: &str, name: &str) -> Option<String> {
        self.find(Locator::Css(css))
            .await
            .unwrap_or_else(|error| panic!("no {css}: {error}"))
            .attr(name)
            .await
            .unwrap()
    }

    /// The address of the page shown.
    pub async fn url(&self) -> String {
        again(|| self.client.current_url())
            .await
            .unwrap()
            .to_string()
    }

    /// The value of the cookie `name` the page shown can see (`HttpOnly` ones included), as a
    /// `cookie` request header carries it.
    pub async fn cookie(&self, name: &str) -> String {
        let cookie = self.client.get_named_cookie(name).await.unwrap();
        format!("{name}={}", cookie.value())
    }

    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Runs an idempotent WebDriver command again when its connection to chromedriver broke:
/// fantoccini's HTTP client keeps connections alive with no idle limit, and one that
/// chromedriver closes just as a command is sent fails as `IncompleteMessage` (seen once in a
/// full parallel run). Any other outcome is returned as it is.
async fn again<T, F, Fut>(mut command: F) -> Result<T, CmdError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, CmdError>>,
{
    for _ in 0..2 {
        match command().await {
            Err(CmdError::FailedC(_) | CmdError::Failed(_) | CmdError::Lost(_)) => {}
            outcome => return outcome,
        }
    }
    command().await
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}
