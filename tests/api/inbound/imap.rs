//! IMAP against a real Dovecot started on loopback with a throwaway user and Maildir: the
//! reader's answer lands on its submission, the message is moved only after it is stored, a
//! crash between the two stores nothing twice, and only the lease holder works the mailbox.

use std::os::unix::fs::{chown, PermissionsExt};
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use secrecy::SecretString;
use serde_json::Value;

use super::{answer, inbound_settings, post_mime, record};
use crate::helpers::{free_port, spawn_app_with, Backend, MailSink, SinkMode, TestDb};

/// A Dovecot of its own: stopped, and its folder removed, when dropped.
struct Dovecot {
    dir: tempfile::TempDir,
    port: u16,
}

impl Dovecot {
    fn start() -> Dovecot {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
        for sub in ["run", "state", "mail"] {
            std::fs::create_dir(d.join(sub)).unwrap();
        }
        let (uid, gid) = mail_ids();
        chown(d.join("mail"), Some(uid), Some(gid)).unwrap();
        std::fs::write(d.join("users"), "reader:{PLAIN}secret\n").unwrap();
        let port = free_port();
        let p = d.display();
        std::fs::write(
            d.join("dovecot.conf"),
            format!(
                "base_dir = {p}/run\nstate_dir = {p}/state\nlog_path = {p}/dovecot.log\n\
                 protocols = imap\nlisten = 127.0.0.1\nssl = no\ndisable_plaintext_auth = no\n\
                 auth_mechanisms = plain login\nfirst_valid_uid = 8\n\
                 mail_location = maildir:{p}/mail/%u\n\
                 passdb {{\n driver = passwd-file\n args = {p}/users\n}}\n\
                 userdb {{\n driver = static\n args = uid=mail gid=mail home={p}/mail/%u\n}}\n\
                 service imap-login {{\n inet_listener imap {{\n  address = 127.0.0.1\n  port = {port}\n }}\n \
                 inet_listener imaps {{\n  port = 0\n }}\n}}\n"
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
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "dovecot did not start"
            );
            std::thread::yield_now();
        }
        Dovecot { dir, port }
    }

    fn maildir(&self) -> PathBuf {
        self.dir.path().join("mail/reader")
    }

    /// Delivers a message into INBOX as the MTA's local delivery does (a file in `new/`).
    fn deliver(&self, raw: &[u8]) {
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

    fn count(&self, folder: &str) -> usize {
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

    fn url(&self) -> String {
        format!("imap://reader:secret@127.0.0.1:{}/INBOX", self.port)
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
