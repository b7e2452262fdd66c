//! The command line: help, migrate, and configuration errors at start-up.

use std::process::Command;

fn courrier() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_courrier"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("COURRIER_ENV")
        .env("COURRIER__LOG__FILTER", "warn");
    cmd
}

#[test]
fn help_explains_the_commands_and_configuration() {
    let out = courrier().arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "serve",
        "migrate",
        "--config",
        "COURRIER__DATABASE__URL",
        "COURRIER_ENV",
    ] {
        assert!(text.contains(needle), "--help lacks {needle}:\n{text}");
    }
}

#[test]
fn migrate_creates_the_schema_and_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("nested/c.db").display());
    let first = courrier()
        .arg("migrate")
        .env("COURRIER__DATABASE__URL", &url)
        .output()
        .unwrap();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    // Every migration the project ships, applied once.
    let shipped = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite"))
        .unwrap()
        .count();
    assert!(shipped >= 4);
    assert!(
        String::from_utf8_lossy(&first.stdout).contains(&format!("{shipped} migration(s) applied"))
    );
    let again = courrier()
        .arg("migrate")
        .env("COURRIER__DATABASE__URL", &url)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&again.stdout).contains("0 migration(s) applied"));
}

#[test]
fn bad_configuration_stops_start_up_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let extra = dir.path().join("extra.toml");
    std::fs::write(&extra, "[database]\npool_sise = 4\n").unwrap();
    let out = courrier()
        .args(["serve", "--config"])
        .arg(&extra)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("pool_sise"), "{err}");
}

#[test]
fn unreachable_database_is_reported_with_its_real_cause() {
    let out = courrier()
        .arg("migrate")
        .env(
            "COURRIER__DATABASE__URL",
            "postgres://nobody@127.0.0.1:1/none",
        )
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("database.url") && err.contains("127.0.0.1"),
        "{err}"
    );
}

fn with_stdin(mut cmd: Command, input: &str) -> std::process::Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn user_commands_add_list_change_and_disable_accounts() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("c.db").display());
    let run = |args: &[&str], input: &str| {
        let mut cmd = courrier();
        cmd.args(args).env("COURRIER__DATABASE__URL", &url);
        with_stdin(cmd, input)
    };
    let add = run(
        &[
            "user",
            "add",
            "--email",
            "Chef@Journal.example",
            "--name",
            "Chef",
            "--role",
            "admin",
        ],
        "a long enough password\n",
    );
    assert!(
        add.status.success(),
        "{}",
        String::from_utf8_lossy(&add.stderr)
    );
    let short = run(
        &[
            "user",
            "add",
            "--email",
            "x@journal.example",
            "--name",
            "X",
            "--role",
            "editor",
        ],
        "short\n",
    );
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 12 characters"));
    let dup = run(
        &[
            "user",
            "add",
            "--email",
            "chef@journal.example",
            "--name",
            "C",
            "--role",
            "editor",
        ],
        "a long enough password\n",
    );
    assert!(String::from_utf8_lossy(&dup.stderr).contains("already uses this address"));
    let bad_role = run(
        &[
            "user",
            "add",
            "--email",
            "y@journal.example",
            "--name",
            "Y",
            "--role",
            "chief",
        ],
        "",
    );
    assert_eq!(
        bad_role.status.code(),
        Some(2),
        "clap refuses an unknown role"
    );
    let list = String::from_utf8(run(&["user", "list"], "").stdout).unwrap();
    assert!(
        list.contains("chef@journal.example\tChef\tadmin\tactive"),
        "{list}"
    );
    assert!(run(
        &["user", "passwd", "--email", "chef@journal.example"],
        "another long password\n"
    )
    .status
    .success());
    assert!(
        run(&["user", "disable", "--email", "CHEF@journal.example"], "")
            .status
            .success()
    );
    let list = String::from_utf8(run(&["user", "list"], "").stdout).unwrap();
    assert!(list.contains("\tdisabled\t"), "{list}");
    let missing = run(
        &["user", "disable", "--email", "nobody@journal.example"],
        "",
    );
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no account"));
    let help = String::from_utf8(
        courrier()
            .args(["user", "add", "--help"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(
        help.contains("standard input") && help.contains("--role"),
        "{help}"
    );
}

#[test]
fn config_check_prints_the_configuration_without_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("c.db").display());
    let ok = courrier()
        .args(["config", "check"])
        .env("COURRIER__DATABASE__URL", &url)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&ok.stdout);
    assert!(ok.status.success(), "{out}");
    assert!(
        out.contains("no problem found") && out.contains("REDACTED"),
        "{out}"
    );
    assert!(
        !out.contains("change-me-local-only-key"),
        "the IP hash key is a secret"
    );
    let bad = courrier()
        .args(["config", "check"])
        .env("COURRIER__DATABASE__URL", &url)
        .env("COURRIER__MAIL__FROM", "nobody")
        .env("COURRIER__ROUTING__SALES_QUEUE", "ghost")
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    let out = String::from_utf8_lossy(&bad.stdout);
    assert!(
        out.contains("problem: mail.from") && out.contains("ghost"),
        "every problem: {out}"
    );
}

#[tokio::test]
async fn outbox_commands_list_and_requeue_dead_mail() {
    use crate::helpers::{spawn_app, Backend, MailSink, SinkMode};
    let sink = MailSink::start(SinkMode::RejectPermanently);
    let app = spawn_app(Backend::Sqlite, sink.port).await;
    let (reference, _) = app.submit("newsroom").await;
    crate::helpers::eventually("both dead", std::time::Duration::from_secs(10), || {
        app.outbox().iter().all(|j| j.status == "dead")
    })
    .await;
    let run = |args: &[&str]| {
        courrier()
            .args(args)
            .env("COURRIER__DATABASE__URL", &app.db.url)
            .output()
            .unwrap()
    };
    let list = String::from_utf8(run(&["outbox", "list"]).stdout).unwrap();
    assert!(
        list.contains(&reference) && list.contains("2 dead e-mail(s)"),
        "{list}"
    );
    assert!(
        !list.contains("zoe.martin@example.fr"),
        "addresses are redacted: {list}"
    );
    let id = list
        .lines()
        .next()
        .unwrap()
        .split('\t')
        .next()
        .unwrap()
        .to_owned();
    let one = String::from_utf8(run(&["outbox", "retry", "--id", &id]).stdout).unwrap();
    assert!(one.starts_with("1 e-mail(s) back"), "{one}");
    let all = String::from_utf8(run(&["outbox", "retry", "--all"]).stdout).unwrap();
    let n: usize = all.split(' ').next().unwrap().parse().unwrap();
    assert!(n >= 1, "the other dead e-mail at least: {all}");
    let none = run(&["outbox", "retry"]);
    assert_eq!(none.status.code(), Some(2), "--id or --all is required");
}

#[test]
fn a_queue_move_to_an_unconfigured_queue_is_refused_and_moves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("q.db").display());
    let out = courrier()
        .args(["queue", "move", "--from", "editorial", "--to", "nowhere"])
        .env("COURRIER__DATABASE__URL", &url)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("queue nowhere is not configured"), "{err}");
    let same = courrier()
        .args(["queue", "move", "--from", "editorial", "--to", "editorial"])
        .env("COURRIER__DATABASE__URL", &url)
        .output()
        .unwrap();
    assert!(!same.status.success());
    assert!(String::from_utf8_lossy(&same.stderr).contains("are the same queue"));
}
