//! The triage list in the console: the views one click away ("À traiter" by default), the
//! latest activity first, the unread marker in words, read once the page is opened, the
//! unread-only switch, and the reader's other submissions on the submission page.

use serde_json::json;

use super::Browser;
use crate::helpers::{newsroom_body, sales_body, spawn_app, Backend, MailSink, SinkMode};
use crate::triage_list::{five_states, note, reader_answers};

/// The references of the inbox's rows, in order.
fn refs(body: &str) -> Vec<String> {
    body.match_indices("id=\"pick-")
        .map(|(i, m)| {
            let rest = &body[i + m.len()..];
            rest[..rest.find('"').unwrap()].to_owned()
        })
        .collect()
}

/// The inbox's row of `reference`.
fn row(body: &str, reference: &str) -> String {
    let at = body.find(&format!("pick-{reference}")).unwrap();
    let start = body[..at].rfind("<tr").unwrap();
    let end = at + body[at..].find("</tr>").unwrap();
    body[start..end].to_owned()
}

async fn the_inbox_opens_on_the_to_do_view_and_each_view_is_one_link(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app(b, sink.port).await;
    let editor = app.staff("editor").await;
    let [new, open, quiet, resolved, answered] = five_states(&app, &editor).await;
    let browser = Browser::new(&app);
    browser.sign_in(&editor).await;

    let inbox = browser.get("/staff/").await;
    assert_eq!(inbox.status, 200);
    assert_eq!(
        refs(&inbox.body),
        [answered.as_str(), open.as_str(), new.as_str()]
    );
    assert!(inbox
        .body
        .contains("<a href=\"/staff/?view=todo\" aria-current=\"page\">À traiter</a>"));
    for (view, label) in [
        ("mine", "Mes demandes"),
        ("unassigned", "Non assignées"),
        ("all", "Toutes"),
    ] {
        assert!(
            inbox
                .body
                .contains(&format!("<a href=\"/staff/?view={view}\">{label}</a>")),
            "{view}"
        );
    }
    let all = browser.get("/staff/?view=all").await;
    assert_eq!(
        refs(&all.body),
        [
            answered.as_str(),
            resolved.as_str(),
            quiet.as_str(),
            open.as_str(),
            new.as_str()
        ]
    );
    let unassigned = browser.get("/staff/?view=unassigned").await;
    assert_eq!(
        refs(&unassigned.body),
        [
            answered.as_str(),
            quiet.as_str(),
            open.as_str(),
            new.as_str()
        ]
    );
    crate::triage_list::patch(&app, &editor, &open, json!({"assignee": "me"})).await;
    assert_eq!(
        refs(&browser.get("/staff/?view=mine").await.body),
        [open.as_str()]
    );
    // The queues' counts still link to everything of a status.
    assert_eq!(
        refs(&browser.get("/staff/?status=resolved").await.body),
        [resolved.as_str()]
    );
    // The filters keep the view they were used in.
    assert_eq!(inbox.hidden("view").as_deref(), Some("todo"));
    assert_eq!(
        refs(&browser.get("/staff/?view=todo&status=waiting").await.body),
        [answered.as_str()]
    );
    assert_eq!(browser.get("/staff/?view=later").await.status, 400);
}

async fn an_unread_row_says_so_and_opening_the_page_reads_it(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app(b, sink.port).await;
    let alice = app.staff("editor").await;
    let bruno = app.staff("editor").await;
    let (reference, _) = app.submit("newsroom").await;
    let (other, _) = app.submit("newsroom").await;
    let browser = Browser::new(&app);
    browser.sign_in(&alice).await;

    let inbox = browser.get("/staff/").await;
    assert!(row(&inbox.body, &reference).contains("class=\"unread-mark\">Non lu</strong>"));
    assert_eq!(
        browser
            .get(&format!("/staff/submissions/{reference}"))
            .await
            .status,
        200
    );
    let inbox = browser.get("/staff/").await;
    assert!(!row(&inbox.body, &reference).contains("Non lu"));
    assert!(row(&inbox.body, &other).contains("Non lu"));
    // The unread-only switch, one click from the view.
    let switch = inbox.body.find(">Non lues seulement</a>").unwrap();
    let href = &inbox.body[inbox.body[..switch].rfind("href=").unwrap()..switch];
    assert!(
        href.contains("/staff/?view=todo&#38;unread=1") || href.contains("view=todo&amp;unread=1"),
        "{href}"
    );
    assert_eq!(
        refs(&browser.get("/staff/?view=todo&unread=1").await.body),
        [other.as_str()]
    );

    // A colleague's note makes it unread again, and moves it to the top.
    note(&app, &bruno, &reference).await;
    let inbox = browser.get("/staff/").await;
    assert!(row(&inbox.body, &reference).contains("Non lu"));
    assert_eq!(refs(&inbox.body)[0], reference);
    // Alice's own note, from the page: read for her.
    let page = browser
        .submit(
            &format!("/staff/submissions/{reference}"),
            &format!("/staff/submissions/{reference}/notes"),
            &[("body", "Je m'en occupe.")],
        )
        .await;
    assert_eq!(page.status, 303);
    let inbox = browser.get("/staff/").await;
    assert!(!row(&inbox.body, &reference).contains("Non lu"));
    // The reader's answer: unread.
    reader_answers(&app, &reference);
    let inbox = browser.get("/staff/?view=todo&unread=1").await;
    assert_eq!(refs(&inbox.body), [reference.as_str(), other.as_str()]);
}

async fn the_submission_page_links_the_readers_other_submissions_of_its_desks(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app(b, sink.port).await;
    let editor = app.staff("editor").await;
    let reference = |resp: serde_json::Value| resp["reference"].as_str().unwrap().to_owned();
    let first = reference(
        app.post_json("newsroom", &newsroom_body())
            .await
            .json()
            .await
            .unwrap(),
    );
    let mut lead = sales_body();
    lead["email"] = json!("ZOE.martin@example.fr");
    let sales = reference(app.post_json("sales", &lead).await.json().await.unwrap());
    let second = reference(
        app.post_json("newsroom", &newsroom_body())
            .await
            .json()
            .await
            .unwrap(),
    );
    let browser = Browser::new(&app);
    browser.sign_in(&editor).await;
    let page = browser.get(&format!("/staff/submissions/{second}")).await;
    assert_eq!(page.status, 200);
    let start = page.body.find("id=\"reader-history\"").unwrap();
    let section = &page.body[start..start + page.body[start..].find("</div>").unwrap()];
    assert!(section.contains("Autres demandes de ce lecteur"));
    assert!(section.contains(&format!(
        "<a href=\"/staff/submissions/{first}\">{first}</a>"
    )));
    assert!(section.contains("Fuite d’eau à la médiathèque"));
    assert!(
        !page.body.contains(&sales),
        "a sales lead is not shown to an editor"
    );
    // One click: the link opens the other submission.
    let other = browser.get(&format!("/staff/submissions/{first}")).await;
    assert_eq!(other.status, 200);
    assert!(other.body.contains(&format!("/staff/submissions/{second}")));
}

crate::on_both_backends!(
    the_inbox_opens_on_the_to_do_view_and_each_view_is_one_link,
    an_unread_row_says_so_and_opening_the_page_reads_it,
    the_submission_page_links_the_readers_other_submissions_of_its_desks,
);
