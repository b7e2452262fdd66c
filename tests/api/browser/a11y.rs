//! Accessibility: axe-core (from the npm registry, installed by `scripts/test`) finds no
//! violation of impact serious or critical on the console's pages and the reader's pages; and
//! the screenshots a reviewer opens, under `target/screenshots/`.

use std::path::PathBuf;

use super::{Browser, Js};
use crate::helpers::{spawn_app, Backend, MailSink, SinkMode};

fn axe_source() -> String {
    let path = std::env::var("AXE_CORE")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("target/npm/node_modules/axe-core/axe.min.js")
        });
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "axe-core at {} ({e}): scripts/test installs it from npm",
            path.display()
        )
    })
}

/// The serious and critical violations on the page shown, as "id: help (n nodes)". axe is
/// JavaScript: with scripts off in the browser it cannot run, and the pages' markup is the
/// same server-rendered HTML (the script only adds the inbox's "select all" box), so it runs in
/// the JavaScript-on pass.
async fn violations(b: &Browser, axe: &str) -> Vec<String> {
    if b.js == Js::Off {
        return Vec::new();
    }
    b.client.execute(axe, vec![]).await.unwrap();
    let found = b
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, {resultTypes: ['violations']})
               .then(r => done(r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                 .map(v => v.id + ': ' + v.help + ' (' + v.nodes.length + ' nodes)')))
               .catch(e => done(['axe failed: ' + e]));",
            vec![],
        )
        .await
        .unwrap();
    serde_json::from_value(found).unwrap()
}

async fn no_serious_violation_and_screenshots(js: Js) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app(Backend::Sqlite, sink.port).await;
    let editor = app.staff("editor").await;
    let (reference, _) = app.submit("newsroom").await;
    app.submit("sales").await;
    let axe = axe_source();
    let b = Browser::open(&app, js).await;
    let mut report = Vec::new();
    let mut check = |name: &'static str, found: Vec<String>| {
        if !found.is_empty() {
            report.push(format!("{name}: {found:?}"));
        }
    };

    // The reader's pages: the article with its forms, the form shown again, the thanks.
    b.goto("/").await;
    check("demo", violations(&b, &axe).await);
    b.screenshots("reader-demo").await;
    b.fill("#n-name", "Zoé").await;
    b.fill("#n-email", "zoe@example.fr").await;
    b.fill("#n-phone", "not a number").await;
    b.fill("#n-message", "Bonjour").await;
    b.click("#redaction input[name=consent]").await;
    b.submit("#redaction button[type=submit]").await;
    assert_eq!(b.path().await, "/v1/forms/newsroom");
    check("form again", violations(&b, &axe).await);
    b.screenshots("reader-form-again").await;
    b.goto("/merci?reference=ABCD-EFGH").await;
    check("thank you", violations(&b, &axe).await);

    // The console.
    b.goto("/staff/login").await;
    check("login", violations(&b, &axe).await);
    b.screenshots("login").await;
    b.sign_in(&editor).await;
    check("inbox", violations(&b, &axe).await);
    b.goto(&format!("/staff/submissions/{reference}")).await;
    check("submission", violations(&b, &axe).await);
    b.goto("/staff/account").await;
    check("account", violations(&b, &axe).await);
    // The page an invitation's link opens, without a session.
    let admin = app.staff("admin").await;
    let invited = app
        .post_as(&admin, "/v1/users")
        .json(&serde_json::json!({"email": "new@journal.example", "name": "New", "role": "editor"}))
        .send()
        .await
        .unwrap();
    assert_eq!(invited.status(), 201);
    let link = crate::invitations::link_in(&crate::invitations::nth_invitation(&sink, 1).await);
    b.goto(&link).await;
    check("invitation", violations(&b, &axe).await);
    b.screenshots("invitation").await;
    assert!(report.is_empty(), "{report:#?}");

    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    let mode = if js == Js::On { "js" } else { "nojs" };
    for name in ["login", "reader-demo", "reader-form-again"] {
        for size in ["1280x800", "390x844"] {
            assert!(dir.join(format!("{name}-{mode}-{size}.png")).exists());
        }
    }
}

crate::in_both_browsers!(no_serious_violation_and_screenshots);
