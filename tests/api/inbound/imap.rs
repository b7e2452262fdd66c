//! IMAP against a real Dovecot started on loopback with a throwaway user and Maildir: the
//! reader's answer lands on its submission, the message is moved only after it is stored, a
//! crash between the two stores nothing twice, and only the lease holder works the mailbox.

use std::net::IpAddr;
use std::os::unix::fs::{chown, PermissionsExt};
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use secrecy::SecretString;
use serde_json::Value;

use super::{answer, inbound_settings, post_mime, record};
use crate::helpers::{free_port, spawn_app_with, Backend, MailSink, SinkMode, TestDb};

/// A Dovecot of its own: stopped, and its folder removed, when dropped.
pub(super) struct Dovecot {
    dir: tempfile::TempDir,
    address: IpAddr,
    pub(super) port: u16,
    /// The IMAPS port, when it serves TLS.
    imaps_port: Option<u16>,
}

/// How a test Dovecot listens: on loopback unless said, and with TLS (STARTTLS on its IMAP port,
/// and an IMAPS port) when given a certificate.
#[derive(Default)]
pub(super) struct Listen<'a> {
    pub address: Option<IpAddr>,
    pub tls: Option<&'a TestCertificates>,
}

/// A throwaway authority and a server certificate it signed for the given addresses (and
/// `localhost`), made with the openssl CLI at test time.
pub(super) struct TestCertificates {
    _dir: tempfile::TempDir,
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl TestCertificates {
    pub fn issue(addresses: &[IpAddr]) -> TestCertificates {
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let at = |name: &str| dir.path().join(name);
        let openssl = |args: &[&str]| {
            let out = Command::new("openssl")
                .args(args)
                .current_dir(dir.path())
                .output()
                .expect("the openssl CLI is installed");
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ];
        openssl(
            &[
                &["req", "-x509"][..],
                &ec,
                &[
                    "-keyout",
                    "ca.key",
                    "-out",
                    "ca.pem",
                    "-days",
                    "2",
                    "-subj",
                    "/CN=Courrier test authority",
                    "-addext",
                    "basicConstraints=critical,CA:TRUE",
                    "-addext",
                    "keyUsage=critical,keyCertSign",
                ],
            ]
            .concat(),
        );
        openssl(
            &[
                &["req", "-new"][..],
                &ec,
                &[
                    "-keyout",
                    "server.key",
                    "-out",
                    "server.csr",
                    "-subj",
                    "/CN=courrier-test-imap",
                ],
            ]
            .concat(),
        );
        let names: Vec<String> = addresses
            .iter()
            .map(|a| format!("IP:{a}"))
            .chain(["DNS:localhost".to_owned()])
            .collect();
        std::fs::write(
            at("server.ext"),
            format!(
                "subjectAltName={}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
                names.join(",")
            ),
        )
        .unwrap();
        openssl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-set_serial",
            "2",
            "-days",
            "2",
            "-out",
            "server.pem",
            "-extfile",
            "server.ext",
        ]);
        TestCertificates {
            ca: at("ca.pem"),
            cert: at("server.pem"),
            key: at("server.key"),
            _dir: dir,
        }
    }
}

impl Dovecot {
    pub(super) fn start() -> Dovecot {
        Dovecot::start_with(Listen::default())
    }

    pub(super) fn start_with(listen: Listen<'_>) -> Dovecot {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
        for sub in ["run", "state", "mail"] {
            std::fs::create_dir(d.join(sub)).unwrap();
        }
        let (uid, gid) = mail_ids();
        chown(d.join("mail"), Some(uid), Some(gid)).unwrap();
        std::fs::write(d.join("users"), "reader:{PLAIN}secret\n").unwrap();
        let address = listen.address.unwrap_or(IpAddr::from([127, 0, 0, 1]));
        let port = free_port();
        let p = d.display();
        let (ssl, imaps_port) = match listen.tls {
            None => ("ssl = no\n".to_owned(), None),
            Some(c) => (
                format!(
                    "ssl = yes\nssl_cert = <{}\nssl_key = <{}\nssl_dh = </usr/share/dovecot/dh.pem\n",
                    c.cert.display(),
                    c.key.display()
                ),
                Some(free_port()),
            ),
        };
        let imaps = match imaps_port {
            None => " inet_listener imaps {\n  port = 0\n }\n".to_owned(),
            Some(q) => format!(
                " inet_listener imaps {{\n  address = {address}\n  port = {q}\n  ssl = yes\n }}\n"
            ),
        };
        std::fs::write(
            d.join("dovecot.conf"),
            format!(
                "base_dir = {p}/run\nstate_dir = {p}/state\nlog_path = {p}/dovecot.log\n\
                 protocols = imap\nlisten = {address}\n{ssl}disable_plaintext_auth = no\n\
                 auth_mechanisms = plain login\nfirst_valid_uid = 8\n\
                 mailbox_idle_check_interval = 1 secs\n\
                 mail_location = maildir:{p}/mail/%u\n\
                 passdb {{\n driver = passwd-file\n args = {p}/users\n}}\n\
                 userdb {{\n driver = static\n args = uid=mail gid=mail home={p}/mail/%u\n}}\n\
                 service imap-login {{\n inet_listener imap {{\n  address = {address}\n  port = {port}\n }}\n{imaps}}}\n"
            ),
        )
        .unwrap();
        // Dovecot daemonizes but keeps the caller's output open: send it nowhere.
        let status = Command::new("dovecot")
            .arg("-c")
            .arg(d.join("dovecot.conf"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .expect("dovecot (Debian's dovecot-imapd) is installed");
        assert!(status.success());
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        for p in std::iter::once(port).chain(imaps_port) {
            while std::net::TcpStream::connect((address, p)).is_err() {
                assert!(
                    std::time::Instant::now() < deadline,
                    "dovecot did not start: {}",
                    std::fs::read_to_string(d.join("dovecot.log")).unwrap_or_default()
                );
                std::thread::yield_now();
            }
        }
        Dovecot {
            dir,
            address,
            port,
            imaps_port,
        }
    }

    /// What Dovecot logged (sign-ins, with `TLS` when the connection was; disconnections).
    pub(super) fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dovecot.log")).unwrap_or_default()
    }

    /// `imaps://` to its IMAPS port.
    pub(super) fn imaps_url(&self) -> String {
        format!(
            "imaps://reader:secret@{}:{}/INBOX",
            self.address,
            self.imaps_port.expect("a Dovecot started with TLS")
        )
    }

    pub(super) fn maildir(&self) -> PathBuf {
        self.dir.path().join("mail/reader")
    }

    /// Delivers a message into INBOX as the MTA's local delivery does (a file in `new/`).
    pub(super) fn deliver(&self, raw: &[u8]) {
        let (uid, gid) = mail_ids();
        let base = self.maildir();
        for sub in ["", "new", "cur", "tmp"] {
            let dir = base.join(sub);
            if !dir.exists() {
                std::fs::create_dir_all(&dir).unwrap();
                chown(&dir, Some(uid), Some(gid)).unwrap();
            }
        }
        let file = base.join(format!(
            "new/{}.courrier-test",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::write(&file, raw).unwrap();
        chown(&file, Some(uid), Some(gid)).unwrap();
    }

    pub(super) fn count(&self, folder: &str) -> usize {
        let base = if folder == "INBOX" {
            self.maildir()
        } else {
            self.maildir().join(format!(".{folder}"))
        };
        ["new", "cur"]
            .iter()
            .map(|s| std::fs::read_dir(base.join(s)).map_or(0, |d| d.count()))
            .sum()
    }

    pub(super) fn url(&self) -> String {
        format!("imap://reader:secret@{}:{}/INBOX", self.address, self.port)
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        if let Ok(pid) = std::fs::read_to_string(self.dir.path().join("run/master.pid")) {
            let _ = Command::new("kill").arg(pid.trim()).status();
        }
    }
}

fn mail_ids() -> (u32, u32) {
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap();
    let line = passwd.lines().find(|l| l.starts_with("mail:")).unwrap();
    let f: Vec<&str> = line.split(':').collect();
    (f[2].parse().unwrap(), f[3].parse().unwrap())
}

async fn an_answer_fetched_by_imap_lands_once_and_is_moved_after_it_is_stored(b: Backend) {
    let dovecot = Dovecot::start();
    let sink = MailSink::start(SinkMode::Accept);
    let url = dovecot.url();
    // The app's own poller is off (no imap_url): the test drives passes itself.
    let app = spawn_app_with(Arc::new(TestDb::new(b)), sink.port, inbound_settings).await;
    let (_, id) = app.submit("newsroom").await;
    let mails = sink.wait_for(2).await;
    let ack = mails
        .iter()
        .find(|m| m.to == ["zoe.martin@example.fr"])
        .unwrap();
    let first = answer(ack, "Merci ! Voici la suite : la fuite continue.");
    let second = answer(ack, "Et une photo demain.");
    dovecot.deliver(&first);
    dovecot.deliver(&second);
    // A crash between store and mark: the first answer is already stored (as if by the
    // poller), but still in INBOX.
    assert_eq!(post_mime(&app, &first).await.status(), 202);

    let mut settings = crate::helpers::test_settings(&app.db.url, sink.port);
    inbound_settings(&mut settings);
    settings.inbound.imap_url = Some(SecretString::from(url));
    settings.inbound.processed_folder = Some("Processed".into());
    let state = courrier::desk::Context::open(
        settings,
        Arc::new(courrier::instruments::Instruments::new()),
    )
    .await
    .unwrap();

    // Another instance holds the mailbox: this one leaves it alone.
    let key = courrier::desk::inbound::imap::lease_name(&format!(
        "reader@127.0.0.1:{}/INBOX",
        dovecot.port
    ));
    app.with_conn(|c| assert!(courrier::db::leases::take(c, &key, "other", 5 * 60_000).unwrap()));
    let pass = courrier::desk::inbound::imap::poll_once(&state, "me")
        .await
        .unwrap();
    assert!(!pass.worked);
    assert_eq!(dovecot.count("INBOX"), 2);

    // Its lease runs out: this instance works the mailbox.
    app.with_conn(|c| courrier::db::leases::release(c, &key, "other").unwrap());
    let pass = courrier::desk::inbound::imap::poll_once(&state, "me")
        .await
        .unwrap();
    assert_eq!((pass.worked, pass.marked), (true, 2));
    assert_eq!(dovecot.count("INBOX"), 0);
    assert_eq!(dovecot.count("Processed"), 2);
    assert_eq!(
        app.count("inbound_mail"),
        2,
        "the first answer is not stored twice"
    );
    let rec: Value = record(&app, &id).await;
    let bodies: Vec<&str> = rec["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(
        bodies,
        [
            "Merci ! Voici la suite : la fuite continue.",
            "Et une photo demain."
        ]
    );
    // Nothing left: a second pass marks nothing.
    let pass = courrier::desk::inbound::imap::poll_once(&state, "me")
        .await
        .unwrap();
    assert_eq!(pass.marked, 0);
}

crate::on_both_backends!(an_answer_fetched_by_imap_lands_once_and_is_moved_after_it_is_stored);
