//! Starting the real server on port 0 against a fresh database, and a real SMTP listener.

use std::collections::HashMap;
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use courrier::app::Application;
use courrier::config::{MailTransportKind, Settings, Sources};
use courrier::db::{DbConnection, Pool};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use secrecy::SecretString;

/// Runs each listed `async fn(Backend)` once on SQLite and once on PostgreSQL (the latter when
/// `TEST_DATABASE_URL` is set).
#[macro_export]
macro_rules! on_both_backends {
    ($($test:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $test() {
                    super::$test($crate::helpers::Backend::Sqlite).await
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $test() {
                    match $crate::helpers::Backend::postgres() {
                        Some(b) => super::$test(b).await,
                        None => eprintln!("TEST_DATABASE_URL is not set: PostgreSQL variant skipped"),
                    }
                }
            )+
        }
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn postgres() -> Option<Backend> {
        std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
            .map(|_| Backend::Postgres)
    }
}

/// A database that exists for one test and is removed after it.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg_drop: Option<(String, String)>,
}

impl TestDb {
    pub fn new(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}", dir.path().join("courrier.db").display());
                TestDb {
                    url,
                    _dir: Some(dir),
                    pg_drop: None,
                }
            }
            Backend::Postgres => {
                let admin = std::env::var("TEST_DATABASE_URL").unwrap();
                let name = format!("courrier_test_{}", uuid::Uuid::now_v7().simple());
                let mut conn = PgConnection::establish(&admin).unwrap();
                conn.batch_execute(&format!("CREATE DATABASE {name}"))
                    .unwrap();
                let mut url = url::Url::parse(&admin).unwrap();
                url.set_path(&name);
                TestDb {
                    url: url.to_string(),
                    _dir: None,
                    pg_drop: Some((admin, name)),
                }
            }
        }
    }

    pub fn backend(&self) -> Backend {
        if self.pg_drop.is_some() {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }

    /// An admin connection to the PostgreSQL server (not to the test database).
    pub fn pg_admin(&self) -> Option<(PgConnection, String)> {
        let (admin, name) = self.pg_drop.as_ref()?;
        Some((PgConnection::establish(admin).unwrap(), name.clone()))
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.pg_drop {
            if let Ok(mut conn) = PgConnection::establish(admin) {
                let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
    }
}

/// Settings for a test: `config/test.toml`, the given database and SMTP on loopback.
pub fn test_settings(db_url: &str, smtp_port: u16) -> Settings {
    let mut settings = Settings::load(&Sources {
        environment: Some("test".into()),
        extra_file: None,
        config_dir: Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config")),
        env_vars: Some(HashMap::new()),
    })
    .unwrap();
    settings.database.url = SecretString::from(db_url.to_owned());
    settings.mail.transport = MailTransportKind::Smtp;
    settings.mail.smtp_url = Some(SecretString::from(format!("smtp://127.0.0.1:{smtp_port}")));
    settings
}

pub struct TestApp {
    pub address: String,
    pub pool: Pool,
    pub client: reqwest::Client,
    pub db: Arc<TestDb>,
    /// The mail settings it runs with, for `dispatch_all_pending`.
    pub mail: courrier::config::MailSettings,
    /// The queues' team addresses, for `dispatch_all_pending`.
    pub teams: courrier::mail::Teams,
}

/// Sending a request and reading its answer in one step, instead of send → unwrap → json.
#[allow(async_fn_in_trait)]
pub trait Answer {
    /// The answer's status.
    async fn status_code(self) -> u16;
    /// The answer's JSON body, whatever its status.
    async fn read_json(self) -> serde_json::Value;
    /// The JSON body of an answer that must be a success.
    async fn json_ok(self) -> serde_json::Value;
}

impl Answer for reqwest::RequestBuilder {
    async fn status_code(self) -> u16 {
        self.send().await.unwrap().status().as_u16()
    }

    async fn read_json(self) -> serde_json::Value {
        self.send().await.unwrap().json().await.unwrap()
    }

    async fn json_ok(self) -> serde_json::Value {
        let resp = self.send().await.unwrap();
        assert!(resp.status().is_success(), "status {}", resp.status());
        resp.json().await.unwrap()
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// An anonymous GET.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    pub async fn post_json(&self, form: &str, body: &serde_json::Value) -> reqwest::Response {
        self.client
            .post(self.url(&format!("/v1/forms/{form}")))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn post_form(&self, form: &str, body: &str) -> reqwest::Response {
        self.client
            .post(self.url(&format!("/v1/forms/{form}")))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.to_owned())
            .send()
            .await
            .unwrap()
    }

    /// Runs a query on the app's own database.
    pub fn with_conn<T>(&self, f: impl FnOnce(&mut DbConnection) -> T) -> T {
        let mut conn = self.pool.get().unwrap();
        f(&mut conn)
    }

    pub fn count(&self, table: &str) -> i64 {
        #[derive(QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        self.with_conn(|c| {
            diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"))
                .get_result::<Count>(c)
                .unwrap()
                .n
        })
    }

    pub fn outbox(&self) -> Vec<OutboxState> {
        use courrier::db::schema::outbox::dsl::*;
        self.with_conn(|c| {
            outbox
                .select((
                    purpose,
                    status,
                    attempts,
                    message_id,
                    last_error,
                    lease_owner,
                ))
                .order(created_at.asc())
                .load::<OutboxState>(c)
                .unwrap()
        })
    }
}

#[derive(Debug, Clone, Queryable)]
pub struct OutboxState {
    pub purpose: String,
    pub status: String,
    pub attempts: i32,
    pub message_id: String,
    pub last_error: Option<String>,
    pub lease_owner: Option<String>,
}

/// A staff member signed in through the API.
pub struct Staff {
    pub id: String,
    pub token: String,
    pub email: String,
}

pub const PASSWORD: &str = "correct horse battery staple";

impl TestApp {
    /// Creates an account directly (as the CLI does) and signs it in through the API.
    pub async fn staff(&self, role: &str) -> Staff {
        let email = format!("{role}.{}@journal.example", uuid::Uuid::new_v4().simple());
        let hasher = courrier::desk::auth::Hasher::new(1).unwrap();
        let user = courrier::desk::accounts::create(
            &self.pool,
            &hasher,
            courrier::desk::accounts::NewAccount {
                email: email.clone(),
                name: format!("Test {role}"),
                role: role.parse().unwrap(),
                password: PASSWORD.into(),
            },
            &courrier::desk::Caller::operator(),
        )
        .await
        .unwrap();
        let token = self.login(&email, PASSWORD).await;
        never_logged(&email);
        Staff {
            id: user.id,
            token,
            email,
        }
    }

    pub async fn login(&self, email: &str, password: &str) -> String {
        let resp = self.try_login(email, password).await;
        assert_eq!(resp.status(), 200);
        let body: serde_json::Value = resp.json().await.unwrap();
        let token = body["token"].as_str().unwrap().to_owned();
        never_logged(&token);
        token
    }

    pub async fn try_login(&self, email: &str, password: &str) -> reqwest::Response {
        self.client
            .post(self.url("/v1/auth/login"))
            .json(&serde_json::json!({"email": email, "password": password}))
            .send()
            .await
            .unwrap()
    }

    pub fn get_as(&self, who: &Staff, path: &str) -> reqwest::RequestBuilder {
        self.client.get(self.url(path)).bearer_auth(&who.token)
    }

    pub fn patch_as(&self, who: &Staff, path: &str) -> reqwest::RequestBuilder {
        self.client.patch(self.url(path)).bearer_auth(&who.token)
    }

    pub fn post_as(&self, who: &Staff, path: &str) -> reqwest::RequestBuilder {
        self.client.post(self.url(path)).bearer_auth(&who.token)
    }

    /// Sends every e-mail due now and returns once the relay has taken them (or refused): for
    /// tests started with `mail.run_worker = false`, instead of waiting for the worker.
    pub async fn dispatch_all_pending(&self) -> usize {
        let transport = courrier::mail::Transport::from_settings(&self.mail).unwrap();
        courrier::mail::Worker::dispatch_all_pending(
            self.pool.clone(),
            transport,
            &self.mail,
            self.teams.clone(),
            Arc::new(courrier::instruments::Instruments::new()),
        )
        .await
    }

    /// Posts a valid submission of the given form and returns its reference and id.
    pub async fn submit(&self, form: &str) -> (String, String) {
        let body = if form == "newsroom" {
            newsroom_body()
        } else {
            sales_body()
        };
        let resp: serde_json::Value = self.post_json(form, &body).await.json().await.unwrap();
        let reference = resp["reference"].as_str().unwrap().to_owned();
        let id = self.with_conn(|c| {
            courrier::db::submissions::by_reference(c, &reference)
                .unwrap()
                .id
        });
        (reference, id)
    }
}

/// Starts the application on a fresh database with mail going to `smtp_port`.
pub async fn spawn_app(backend: Backend, smtp_port: u16) -> TestApp {
    spawn_app_with(Arc::new(TestDb::new(backend)), smtp_port, |_| {}).await
}

/// Starts the application on a fresh database with mail going to `smtp_port`, without the
/// background worker: the test sends with `dispatch_all_pending` when it wants the mail.
pub async fn spawn_app_without_worker(backend: Backend, smtp_port: u16) -> TestApp {
    spawn_app_with(Arc::new(TestDb::new(backend)), smtp_port, |s| {
        s.mail.run_worker = false
    })
    .await
}

/// Starts the application on the given database, after `tweak` has changed its settings.
pub async fn spawn_app_with(
    db: Arc<TestDb>,
    smtp_port: u16,
    tweak: impl FnOnce(&mut Settings),
) -> TestApp {
    let mut settings = test_settings(&db.url, smtp_port);
    tweak(&mut settings);
    // What a test changes must still be a configuration the service would start with.
    settings.validate().expect("the test's settings");
    capture_logs();
    let mail = settings.mail.clone();
    let teams = courrier::mail::teams(&settings);
    let app = Application::build(settings).await.unwrap();
    let address = format!("http://127.0.0.1:{}", app.port());
    let pool = app.pool().clone();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        pool,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        db,
        mail,
        teams,
    }
}

/// Where the whole run's logs go (JSON, as in production, with Courrier's debug lines too), and
/// the file of what must never appear in them; `scripts/log-hygiene` reads both after the run.
/// `TEST_LOG=<filter>` sends the logs to the terminal instead.
pub fn log_path() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("api-test.log")
}

pub fn secrets_path() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("api-test.secrets")
}

static SECRETS: Mutex<Option<std::fs::File>> = Mutex::new(None);

/// Notes a value the logs must never show: a token, a password, a reader's address or words.
pub fn never_logged(value: &str) {
    use std::io::Write;
    if let Some(file) = SECRETS.lock().unwrap().as_mut() {
        writeln!(file, "{value}").unwrap();
    }
}

fn capture_logs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if let Ok(filter) = std::env::var("TEST_LOG") {
            tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_test_writer()
                .init();
            return;
        }
        let log = std::fs::File::create(log_path()).unwrap();
        *SECRETS.lock().unwrap() = Some(std::fs::File::create(secrets_path()).unwrap());
        tracing_subscriber::fmt()
            .json()
            .with_env_filter("info,courrier=debug")
            .with_writer(Mutex::new(log))
            .init();
        never_logged(PASSWORD);
        for body in [newsroom_body(), sales_body()] {
            for (field, value) in body.as_object().unwrap() {
                if let (false, Some(text)) = (field == "topic", value.as_str()) {
                    never_logged(text);
                }
            }
        }
    });
}

/// Polls `check` until it holds, failing the test after `within`.
pub async fn eventually<F: FnMut() -> bool>(what: &str, within: Duration, mut check: F) {
    let deadline = Instant::now() + within;
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A loopback port with nothing listening on it (yet).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A valid newsroom submission.
pub fn newsroom_body() -> serde_json::Value {
    serde_json::json!({
        "name": "Zoé Martin",
        "email": "zoe.martin@example.fr",
        "topic": "tip",
        "subject": "Fuite d’eau à la médiathèque",
        "message": "Bonjour,\nle toit de la médiathèque fuit depuis une semaine.",
        "phone": "+33 6 12 34 56 78",
        "article_url": "https://journal.example/vie-locale/mediatheque",
        "article_title": "La médiathèque rouvre ses portes",
        "consent": true
    })
}

/// A valid sales submission.
pub fn sales_body() -> serde_json::Value {
    serde_json::json!({
        "name": "Jean Dupont",
        "email": "jean.dupont@agence.example",
        "organisation": "Agence Dupont",
        "topic": "advertising",
        "message": "Nous voudrions une campagne en décembre.",
        "consent": true
    })
}

// ---------------------------------------------------------------------------------------------
// SMTP listener

/// How the listener answers the end of DATA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SinkMode {
    Accept,
    /// 550 "mailbox unavailable" to every recipient: a permanent refusal.
    RejectPermanently,
    /// 421 at the end of DATA for the first `n` messages, then accept. (mailin keeps its
    /// session in DATA after any other error reply there, so 421, which closes, is used.)
    RejectTemporarily(usize),
}

#[derive(Debug, Clone)]
pub struct ReceivedMail {
    pub from: String,
    pub to: Vec<String>,
    pub raw: Vec<u8>,
    pub accepted: bool,
}

impl ReceivedMail {
    pub fn parsed(&self) -> mailparse::ParsedMail<'_> {
        mailparse::parse_mail(&self.raw).unwrap()
    }

    pub fn header(&self, name: &str) -> Option<String> {
        use mailparse::MailHeaderMap;
        self.parsed().headers.get_first_value(name)
    }

    /// The raw header block, before any decoding.
    pub fn raw_headers(&self) -> String {
        let text = String::from_utf8_lossy(&self.raw);
        text.split("\r\n\r\n").next().unwrap_or_default().to_owned()
    }

    /// The decoded body of the part with this MIME type.
    pub fn body(&self, mime: &str) -> String {
        fn find(part: &mailparse::ParsedMail<'_>, mime: &str) -> Option<String> {
            if part.ctype.mimetype == mime {
                return part.get_body().ok();
            }
            part.subparts.iter().find_map(|p| find(p, mime))
        }
        find(&self.parsed(), mime).unwrap_or_default()
    }
}

#[derive(Clone)]
struct SinkHandler {
    mode: Arc<Mutex<SinkMode>>,
    mails: Arc<Mutex<Vec<ReceivedMail>>>,
    current: Option<ReceivedMail>,
}

impl mailin_embedded::Handler for SinkHandler {
    fn rcpt(&mut self, _to: &str) -> mailin_embedded::Response {
        if *self.mode.lock().unwrap() == SinkMode::RejectPermanently {
            mailin_embedded::response::NO_MAILBOX
        } else {
            mailin_embedded::response::OK
        }
    }

    fn data_start(
        &mut self,
        _domain: &str,
        from: &str,
        _is8bit: bool,
        to: &[String],
    ) -> mailin_embedded::Response {
        self.current = Some(ReceivedMail {
            from: from.to_owned(),
            to: to.to_vec(),
            raw: Vec::new(),
            accepted: false,
        });
        mailin_embedded::response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        if let Some(m) = self.current.as_mut() {
            m.raw.extend_from_slice(buf);
        }
        Ok(())
    }

    fn data_end(&mut self) -> mailin_embedded::Response {
        let Some(mut mail) = self.current.take() else {
            return mailin_embedded::response::OK;
        };
        let mut mode = self.mode.lock().unwrap();
        let response = match *mode {
            SinkMode::Accept => {
                mail.accepted = true;
                mailin_embedded::response::OK
            }
            SinkMode::RejectPermanently => mailin_embedded::response::NO_MAILBOX,
            SinkMode::RejectTemporarily(0) => {
                mail.accepted = true;
                *mode = SinkMode::Accept;
                mailin_embedded::response::OK
            }
            SinkMode::RejectTemporarily(n) => {
                *mode = SinkMode::RejectTemporarily(n - 1);
                mailin_embedded::response::NO_SERVICE
            }
        };
        self.mails.lock().unwrap().push(mail);
        response
    }
}

/// A real SMTP server (mailin-embedded) on loopback that records every message it is given.
#[derive(Clone)]
pub struct MailSink {
    pub port: u16,
    mails: Arc<Mutex<Vec<ReceivedMail>>>,
}

impl MailSink {
    pub fn start(mode: SinkMode) -> MailSink {
        Self::start_on(free_listener(), mode)
    }

    /// Starts listening on a port chosen earlier (to bring a "down" relay back up).
    pub fn start_on_port(port: u16, mode: SinkMode) -> MailSink {
        Self::start_on(TcpListener::bind(("127.0.0.1", port)).unwrap(), mode)
    }

    fn start_on(listener: TcpListener, mode: SinkMode) -> MailSink {
        let port = listener.local_addr().unwrap().port();
        let mode = Arc::new(Mutex::new(mode));
        let mails = Arc::new(Mutex::new(Vec::new()));
        let handler = SinkHandler {
            mode,
            mails: mails.clone(),
            current: None,
        };
        let mut server = mailin_embedded::Server::new(handler);
        server
            .with_name("sink.test")
            .with_num_threads(16)
            .with_tcp_listener(listener);
        std::thread::spawn(move || {
            let _ = server.serve();
        });
        MailSink { port, mails }
    }

    /// Every DATA received, accepted or not.
    pub fn all(&self) -> Vec<ReceivedMail> {
        self.mails.lock().unwrap().clone()
    }

    pub fn accepted(&self) -> Vec<ReceivedMail> {
        self.all().into_iter().filter(|m| m.accepted).collect()
    }

    /// Waits until `n` messages have been accepted.
    pub async fn wait_for(&self, n: usize) -> Vec<ReceivedMail> {
        eventually(
            &format!("{n} accepted e-mails"),
            Duration::from_secs(15),
            || self.accepted().len() >= n,
        )
        .await;
        self.accepted()
    }
}

fn free_listener() -> TcpListener {
    TcpListener::bind("127.0.0.1:0").unwrap()
}
