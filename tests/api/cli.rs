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
    assert!(String::from_utf8_lossy(&first.stdout).contains("2 migration(s) applied"));
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
