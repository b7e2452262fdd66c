//! `courrier privacy export|erase --email X`, the real binary on the app's database.

use std::process::Command;

use serde_json::Value;

use super::{app, count_where, post, Person};
use crate::helpers::{Backend, TestApp};

fn courrier(app: &TestApp, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_courrier"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("COURRIER_ENV", "test")
        .env("COURRIER__LOG__FILTER", "warn")
        .env("COURRIER__DATABASE__URL", &app.db.url)
        .env("COURRIER__MAIL__RUN_WORKER", "false")
        .args(args)
        .output()
        .unwrap()
}

fn json_of(out: &std::process::Output) -> Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

async fn the_command_line_exports_then_erases_an_address(b: Backend) {
    let (app, sink) = app(b).await;
    let person = Person::new();
    let tip = post(&app, "newsroom", &person.newsroom()).await;
    let lead = post(&app, "sales", &person.sales()).await;
    sink.wait_for(4).await;

    let doc = json_of(&courrier(
        &app,
        &["privacy", "export", "--email", &person.email],
    ));
    assert_eq!(doc["email"], person.email.to_lowercase());
    let references: Vec<&str> = doc["submissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["reference"].as_str().unwrap())
        .collect();
    assert_eq!(references, [tip.as_str(), lead.as_str()]);
    assert_eq!(
        count_where(
            &app,
            "events WHERE kind = 'privacy_export' AND actor = 'cli'"
        ),
        1
    );

    let report = json_of(&courrier(
        &app,
        &["privacy", "erase", "--email", &person.email],
    ));
    assert_eq!(report["tables"]["submissions"], 2, "{report}");
    assert_eq!(report["erased"].as_array().unwrap().len(), 2);
    assert_eq!(
        count_where(
            &app,
            &format!(
                "submissions WHERE lower(email) = '{}'",
                person.email.to_lowercase()
            )
        ),
        0
    );
    assert_eq!(
        count_where(
            &app,
            "events WHERE kind = 'privacy_erasure' AND actor = 'cli'"
        ),
        1
    );

    let refused = courrier(&app, &["privacy", "erase", "--email", "not an address"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--email"));
}

crate::on_both_backends!(the_command_line_exports_then_erases_an_address);
