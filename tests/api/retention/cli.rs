//! `courrier retention run [--dry-run]`, the real binary against the app's database.

use std::process::Command;

use super::{age, count_where, months, spawn_with};
use crate::helpers::Backend;
use crate::on_both_backends;

fn retention_run(db_url: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_courrier"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("COURRIER_ENV", "test")
        .env("COURRIER__LOG__FILTER", "warn")
        .env("COURRIER__DATABASE__URL", db_url)
        .args(["retention", "run"])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

async fn the_command_lists_with_dry_run_and_purges_without(b: Backend) {
    let (app, _) = spawn_with(b, |_| {}).await;
    let (due, id) = app.submit("newsroom").await;
    let (kept, _) = app.submit("newsroom").await;
    age(&app, &id, "resolved", months(25));

    let (ok, out) = retention_run(&app.db.url, &["--dry-run"]);
    assert!(ok, "{out}");
    let line = out
        .lines()
        .find(|l| l.starts_with(&due))
        .unwrap_or_default();
    assert!(line.contains("editorial\tresolved\t"), "{out}");
    assert!(line.ends_with("editorial resolved: 24 months"), "{out}");
    assert!(!out.contains(&kept), "{out}");
    assert!(out.contains("would purge 1 submission(s)"), "{out}");
    assert_eq!(
        count_where(&app, "submissions", "id", &id),
        1,
        "a dry run purges nothing"
    );

    let (ok, out) = retention_run(&app.db.url, &[]);
    assert!(ok, "{out}");
    assert!(out.contains("purged 1 submission(s)"), "{out}");
    assert_eq!(count_where(&app, "submissions", "id", &id), 0);
    assert_eq!(count_where(&app, "tombstones", "reference", &due), 1);
    assert_eq!(count_where(&app, "submissions", "reference", &kept), 1);

    // While another purge runs, the command says so and fails.
    app.with_conn(|c| {
        assert!(courrier::db::leases::take(
            c,
            courrier::desk::retention::PURGE_LEASE,
            "another instance",
            60_000
        )
        .unwrap())
    });
    let (ok, out) = retention_run(&app.db.url, &[]);
    assert!(!ok);
    assert!(out.contains("already running"), "{out}");
}

on_both_backends!(the_command_lists_with_dry_run_and_purges_without);
