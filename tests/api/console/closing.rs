//! Closing a right of reply or a correction from the console with its legal outcome, and
//! handing a sales enquiry over to the sales desk: the same stored result as through the API,
//! and every refusal a page that says what to do, never "internal error".

use serde_json::{json, Value};

use super::{api_detail, Browser, Page};
use crate::duties::{mails_of, post, right_of_reply};
use crate::helpers::{
    newsroom_body, spawn_app_without_worker, Answer, Backend, MailSink, SinkMode, Staff, TestApp,
};

/// A right of reply (or, with `topic`, another newsroom request) moved to `open` through the
/// API; returns (reference, id).
async fn opened(app: &TestApp, editor: &Staff, topic: &str) -> (String, String) {
    let mut body = right_of_reply(Some(10));
    body["topic"] = json!(topic);
    let (reference, id) = post(app, &body).await;
    crate::duties::open(app, editor, &format!("/v1/submissions/{reference}")).await;
    (reference, id)
}

/// The stored outcome and the outbox's purposes of one submission.
async fn closed_as(
    app: &TestApp,
    editor: &Staff,
    reference: &str,
    id: &str,
) -> (Value, Vec<String>) {
    let detail = api_detail(app, editor, reference).await;
    assert_eq!(detail["status"], "resolved", "{detail}");
    let purposes = mails_of(app, id).into_iter().map(|m| m.0).collect();
    (detail["outcome"].clone(), purposes)
}

/// A form's fields, as posted.
type Form<'a> = &'a [(&'a str, &'a str)];

fn no_internal_error(page: &Page) {
    assert!(
        !page.body.contains("Erreur interne") && page.status != 500,
        "{}: {}",
        page.status,
        page.body
    );
}

async fn an_editor_closes_a_right_of_reply_with_each_outcome_as_the_api_does(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app_without_worker(b, sink.port).await;
    let editor = app.staff("editor").await;
    let browser = Browser::new(&app);
    browser.sign_in(&editor).await;
    let url = "https://journal.example/droit-de-reponse/42";
    let cases: [(Form, Value); 2] = [
        (
            &[
                ("kind", "inserted"),
                ("url", url),
                ("published_at", "2026-12-02"),
            ],
            json!({"kind": "inserted", "url": url, "published_at": "2026-12-02"}),
        ),
        (
            &[
                ("kind", "refused"),
                ("grounds", "third_party_interest"),
                ("note", "Elle met en cause un tiers."),
            ],
            json!({"kind": "refused", "grounds": "third_party_interest", "note": "Elle met en cause un tiers."}),
        ),
    ];
    for (form, outcome) in cases {
        let (by_console, console_id) = opened(&app, &editor, "right_of_reply").await;
        let page_path = format!("/staff/submissions/{by_console}");
        let page = browser.get(&page_path).await;
        assert!(page
            .body
            .contains(&format!("action=\"{page_path}/outcome\"")));
        let done = browser
            .submit(&page_path, &format!("{page_path}/outcome"), form)
            .await;
        assert_eq!(done.status, 303, "{}", done.body);
        assert_eq!(done.location(), format!("{page_path}?done=outcome"));
        let shown = browser.get(done.location()).await;
        assert!(shown.body.contains("Issue enregistrée"), "{}", shown.body);
        // A resolved right of reply no longer offers the form.
        assert!(!shown.body.contains("/outcome\""));

        let (by_api, api_id) = opened(&app, &editor, "right_of_reply").await;
        app.patch_as(&editor, &format!("/v1/submissions/{by_api}"))
            .json(&json!({"status": "resolved", "outcome": outcome}))
            .json_ok()
            .await;
        let console = closed_as(&app, &editor, &by_console, &console_id).await;
        let api = closed_as(&app, &editor, &by_api, &api_id).await;
        assert_eq!(console.0, outcome);
        assert_eq!(console, api);
        assert_eq!(
            console.1,
            ["team_notification", "reader_ack", "reader_outcome"]
        );
        let detail = api_detail(&app, &editor, &by_console).await;
        assert!(detail["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "outcome" && e["actor"] == editor.id.as_str()));
    }
}

async fn choosing_resolved_without_an_outcome_shows_the_outcome_form(b: Backend) {
    let app = spawn_app_without_worker(b, 25).await;
    let editor = app.staff("editor").await;
    let (reference, id) = opened(&app, &editor, "right_of_reply").await;
    let browser = Browser::new(&app);
    browser.sign_in(&editor).await;
    let page_path = format!("/staff/submissions/{reference}");

    let asked = browser
        .submit(
            &page_path,
            &format!("{page_path}/status"),
            &[("status", "resolved")],
        )
        .await;
    no_internal_error(&asked);
    assert_eq!(asked.status, 422);
    assert!(asked
        .body
        .contains(&format!("action=\"{page_path}/outcome\"")));
    assert!(asked.body.contains(
        "id=\"outcome-error\" role=\"alert\">Un droit de réponse se clôt avec son issue"
    ));
    // The form it shows carries what it needs to be posted as it is.
    assert!(asked.hidden("version").is_some());

    // The outcome form posted without choosing an outcome says the same.
    let empty = browser
        .submit(
            &page_path,
            &format!("{page_path}/outcome"),
            &[("note", "gardé")],
        )
        .await;
    assert_eq!(empty.status, 422);
    assert!(empty
        .body
        .contains("Un droit de réponse se clôt avec son issue"));
    assert!(
        empty.body.contains(">gardé</textarea>"),
        "what was typed comes back"
    );
    assert_eq!(
        api_detail(&app, &editor, &reference).await["status"],
        "open"
    );
    assert_eq!(mails_of(&app, &id).len(), 2, "only the intake's e-mails");
}

async fn a_correction_resolves_with_or_without_an_outcome(b: Backend) {
    let app = spawn_app_without_worker(b, 25).await;
    let editor = app.staff("editor").await;
    let browser = Browser::new(&app);
    browser.sign_in(&editor).await;
    let article = newsroom_body()["article_url"].as_str().unwrap().to_owned();

    let (with, _) = opened(&app, &editor, "correction").await;
    let page_path = format!("/staff/submissions/{with}");
    let page = browser.get(&page_path).await;
    // Offered, with the article's address and a public listing proposed.
    assert!(page.body.contains(&format!(
        "name=\"article_url\" type=\"url\" value=\"{article}\""
    )));
    assert!(page.body.contains("name=\"public\" value=\"on\" checked"));
    let done = browser
        .submit(
            &page_path,
            &format!("{page_path}/outcome"),
            &[
                ("kind", "corrected"),
                ("article_url", &article),
                ("text", "Le budget est de 3 M€, non 30 M€."),
                ("public", "on"),
            ],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    let detail = api_detail(&app, &editor, &with).await;
    assert_eq!(detail["status"], "resolved");
    assert_eq!(
        detail["outcome"],
        json!({"kind": "corrected", "article_url": article, "text": "Le budget est de 3 M€, non 30 M€.", "public": true})
    );
    let listed: Value = app.get("/corrections.json").await.json().await.unwrap();
    assert!(listed.to_string().contains("3 M€, non 30 M€"), "{listed}");

    // Without one: through the status form, or the outcome form's "no correction".
    for how in ["status", "outcome"] {
        let (without, _) = opened(&app, &editor, "correction").await;
        let page_path = format!("/staff/submissions/{without}");
        let fields: &[(&str, &str)] = if how == "status" {
            &[("status", "resolved")]
        } else {
            &[("kind", "none"), ("text", "")]
        };
        let done = browser
            .submit(&page_path, &format!("{page_path}/{how}"), fields)
            .await;
        assert_eq!(done.status, 303, "{how}: {}", done.body);
        let detail = api_detail(&app, &editor, &without).await;
        assert_eq!(detail["status"], "resolved", "{how}");
        assert_eq!(detail["outcome"], Value::Null, "{how}");
    }
}

async fn the_outcome_form_refuses_each_problem_on_its_page_and_changes_nothing(b: Backend) {
    let app = spawn_app_without_worker(b, 25).await;
    let editor = app.staff("editor").await;
    let browser = Browser::new(&app);
    browser.sign_in(&editor).await;
    let (reference, id) = opened(&app, &editor, "right_of_reply").await;
    let page_path = format!("/staff/submissions/{reference}");
    let action = format!("{page_path}/outcome");
    let cases: [(Form, &[&str]); 6] = [
        (
            &[
                ("kind", "inserted"),
                ("url", "ftp://x"),
                ("published_at", ""),
            ],
            &[
                "id=\"url-error\">Indiquez une adresse web complète",
                "id=\"published-at-error\">Ce champ est obligatoire.",
            ],
        ),
        (
            &[
                ("kind", "inserted"),
                ("url", "https://journal.example/r"),
                ("published_at", "2026-02-30"),
            ],
            &["id=\"published-at-error\">Indiquez une date"],
        ),
        (
            &[("kind", "refused"), ("grounds", "")],
            &["id=\"grounds-error\">Ce champ est obligatoire."],
        ),
        (
            &[("kind", "refused"), ("grounds", "rude")],
            &["id=\"grounds-error\">Choisissez une des options proposées."],
        ),
        (
            &[("kind", "sealed")],
            &["id=\"kind-error\">Choisissez une des options proposées."],
        ),
        // Checked by the use case itself: this outcome does not fit a right of reply.
        (
            &[
                ("kind", "corrected"),
                ("article_url", "https://journal.example/a"),
                ("text", "x"),
            ],
            &["id=\"outcome-error\" role=\"alert\">Cette issue ne convient pas"],
        ),
    ];
    for (form, shown) in cases {
        let refused = browser.submit(&page_path, &action, form).await;
        no_internal_error(&refused);
        assert_eq!(refused.status, 422, "{form:?}");
        for text in shown {
            assert!(
                refused.body.contains(text),
                "{form:?} {text}: {}",
                refused.body
            );
        }
    }
    let good = [("kind", "refused"), ("grounds", "unrelated")];

    // Without its version: malformed, as the other forms.
    let csrf = browser.get(&page_path).await.csrf();
    let bare = browser
        .post(&action, &[("csrf", csrf.as_str()), good[0], good[1]])
        .await;
    assert_eq!(bare.status, 400);
    assert!(bare.body.contains("Rechargez la page"), "{}", bare.body);

    // From a page drawn before a colleague moved it (to `waiting` and back): the conflict
    // page, with what changed. (A change to another field, the priority, would merge.)
    let stale = browser.get(&page_path).await;
    for status in ["waiting", "open"] {
        app.patch_as(&editor, &format!("/v1/submissions/{reference}"))
            .json(&json!({ "status": status }))
            .json_ok()
            .await;
    }
    let conflict = browser
        .post(
            &action,
            &[
                ("csrf", stale.csrf().as_str()),
                ("version", &stale.hidden("version").unwrap()),
                ("seen", &stale.hidden("seen").unwrap()),
                good[0],
                good[1],
            ],
        )
        .await;
    assert_eq!(conflict.status, 409);
    assert!(conflict.body.contains("Quelqu’un a modifié ce message"));

    assert_eq!(
        api_detail(&app, &editor, &reference).await["status"],
        "open"
    );
    assert_eq!(
        api_detail(&app, &editor, &reference).await["outcome"],
        Value::Null
    );
    assert_eq!(mails_of(&app, &id).len(), 2, "no outcome e-mail");

    // A request still `new` cannot be resolved yet: the form says where it may go.
    let (fresh, _) = post(&app, &right_of_reply(Some(3))).await;
    let fresh_path = format!("/staff/submissions/{fresh}");
    let early = browser
        .submit(&fresh_path, &format!("{fresh_path}/outcome"), &good)
        .await;
    assert_eq!(early.status, 422);
    assert!(
        early.body.contains(
            "Ce changement de statut n’est pas permis. Statuts possibles depuis celui-ci : ouvert, spam"
        ),
        "{}",
        early.body
    );
    assert_eq!(api_detail(&app, &editor, &fresh).await["status"], "new");
}

/// The reference the page says the submission was handed over as, and its link if any.
fn handed_over(page: &Page) -> (String, Option<String>) {
    let start = page
        .body
        .find("id=\"handed-over\"")
        .unwrap_or_else(|| panic!("no hand-over shown: {}", page.body));
    let part = &page.body[start..];
    let part = &part[..part.find("</p>").unwrap()];
    let link = part
        .find("<a href=\"")
        .map(|i| part[i + 9..].split('"').next().unwrap().to_owned());
    let text_end = part.rfind("</").unwrap();
    let text_start = part[..text_end].rfind('>').unwrap() + 1;
    (part[text_start..text_end].to_owned(), link)
}

async fn an_editor_hands_a_sales_enquiry_over_and_sales_sees_it(b: Backend) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = spawn_app_without_worker(b, sink.port).await;
    let editor = app.staff("editor").await;
    let sales = app.staff("sales").await;
    let admin = app.staff("admin").await;
    let (reference, _) = app.submit("newsroom").await;
    let page_path = format!("/staff/submissions/{reference}");
    let browser = Browser::new(&app);
    browser.sign_in(&editor).await;
    let page = browser.get(&page_path).await;
    assert!(page.body.contains("Transmettre au service commercial"));

    let done = browser
        .submit(&page_path, &format!("{page_path}/handover"), &[])
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.location(), format!("{page_path}?done=handover"));
    let shown = browser.get(done.location()).await;
    assert!(shown.body.contains("Transmis au service commercial."));
    assert!(
        !shown.body.contains("Transmettre au service commercial"),
        "offered once"
    );
    // The editor may not open the commercial copy: its reference, no link.
    let (copy, link) = handed_over(&shown);
    assert_ne!(copy, reference);
    assert_eq!(link, None);

    // The sales rep sees it, in the console, with the reader's words.
    let rep = Browser::new(&app);
    rep.sign_in(&sales).await;
    let lead = rep.get(&format!("/staff/submissions/{copy}")).await;
    assert_eq!(lead.status, 200, "{}", lead.body);
    assert!(lead.body.contains("le toit de la médiathèque fuit"));
    assert!(rep.get("/staff/").await.body.contains(&copy));
    // The sales team hears of it, as after the API's hand-over.
    app.dispatch_all_pending().await;
    let mails = sink.wait_for(3).await;
    assert!(mails
        .iter()
        .any(|m| m.to == ["commercial@localhost".to_owned()]
            && String::from_utf8_lossy(&m.raw).contains(&copy)));

    // An admin, who sees both desks, gets the link.
    let boss = Browser::new(&app);
    boss.sign_in(&admin).await;
    let (_, link) = handed_over(&boss.get(&page_path).await);
    assert_eq!(link, Some(format!("/staff/submissions/{copy}")));
}

async fn each_hand_over_refusal_is_a_page_that_says_what_to_do(b: Backend) {
    let app = spawn_app_without_worker(b, 25).await;
    let editor = app.staff("editor").await;
    let sales = app.staff("sales").await;
    let admin = app.staff("admin").await;
    let (tip, _) = app.submit("newsroom").await;
    let (lead, _) = app.submit("sales").await;
    let tip_path = format!("/staff/submissions/{tip}");
    let browser = Browser::new(&app);
    browser.sign_in(&editor).await;
    let csrf = browser.get(&tip_path).await.csrf();
    let first = browser
        .post(&format!("{tip_path}/handover"), &[("csrf", &csrf)])
        .await;
    assert_eq!(first.status, 303);

    // Twice (a second tab): once only.
    let again = browser
        .post(&format!("{tip_path}/handover"), &[("csrf", &csrf)])
        .await;
    no_internal_error(&again);
    assert_eq!(again.status, 409);
    assert!(again
        .body
        .contains("Cette demande a déjà été transmise au service commercial."));
    assert!(again.body.contains("Rien n’a été enregistré."));
    assert!(again.body.contains(&format!(
        "<a href=\"{tip_path}\" id=\"back\">Revenir au message</a>"
    )));

    // A sales enquiry is not the newsroom's to hand over; the admin is told so.
    let mut boss = Browser::new(&app);
    boss.accept_language = "en-GB,en;q=0.9";
    boss.sign_in(&admin).await;
    let lead_path = format!("/staff/submissions/{lead}");
    assert!(!boss
        .get(&lead_path)
        .await
        .body
        .contains("Hand over to the sales desk"));
    let csrf = boss.get(&lead_path).await.csrf();
    let not_ours = boss
        .post(&format!("{lead_path}/handover"), &[("csrf", &csrf)])
        .await;
    no_internal_error(&not_ours);
    assert_eq!(not_ours.status, 409);
    assert!(not_ours
        .body
        .contains("Only a request sent to the newsroom can be handed over"));

    // A sales rep cannot reach the newsroom's request at all.
    let rep = Browser::new(&app);
    rep.sign_in(&sales).await;
    let csrf = rep.get("/staff/").await.csrf();
    let hidden = rep
        .post(&format!("{tip_path}/handover"), &[("csrf", &csrf)])
        .await;
    assert_eq!(hidden.status, 404);
    assert!(hidden.body.contains("Introuvable."));
    assert_eq!(app.count("handovers"), 1);
}

crate::on_both_backends!(
    an_editor_closes_a_right_of_reply_with_each_outcome_as_the_api_does,
    choosing_resolved_without_an_outcome_shows_the_outcome_form,
    a_correction_resolves_with_or_without_an_outcome,
    the_outcome_form_refuses_each_problem_on_its_page_and_changes_nothing,
    an_editor_hands_a_sales_enquiry_over_and_sales_sees_it,
    each_hand_over_refusal_is_a_page_that_says_what_to_do,
);
