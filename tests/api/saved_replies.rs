//! Saved replies: admins write them, each desk's staff read their own, variables are filled in
//! for a submission the caller sees, the duties' replies ship in French and English, and every
//! change is audited.

use serde_json::{json, Value};

use crate::console::{api_detail, Browser};
use crate::duties::{post, right_of_reply};
use crate::helpers::{spawn_app_without_worker, Answer, Backend, Staff, TestApp};
use crate::on_both_backends;

/// Every variable, once each, between bars.
pub const ALL_VARIABLES: &str =
    "{reader_name}|{reference}|{article_title}|{article_url}|{deadline}|{staff_name}";

pub async fn create(app: &TestApp, admin: &Staff, desk: &str, body: &str) -> Value {
    let resp = app
        .post_as(admin, "/v1/saved-replies")
        .json(&json!({"title": format!("Réponse {desk}"), "desk": desk, "locale": "fr", "body": body}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    resp.json().await.unwrap()
}

fn ids(list: &Value) -> Vec<String> {
    list["saved_replies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

fn desks(list: &Value) -> Vec<String> {
    let mut d: Vec<String> = list["saved_replies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["desk"].as_str().unwrap().to_owned())
        .collect();
    d.dedup();
    d
}

fn saved_reply_rows(app: &TestApp) -> Vec<(String, String)> {
    app.with_conn(|c| {
        use courrier::db::schema::saved_replies::dsl::*;
        use diesel::prelude::*;
        saved_replies
            .select((id, body))
            .order(id.asc())
            .load(c)
            .unwrap()
    })
}

async fn admins_write_saved_replies_and_each_desk_reads_its_own(b: Backend) {
    let app = spawn_app_without_worker(b, 25).await;
    let admin = app.staff("admin").await;
    let editor = app.staff("editor").await;
    let sales = app.staff("sales").await;
    let commercial = create(
        &app,
        &admin,
        "commercial",
        "Bonjour {reader_name}, notre offre.",
    )
    .await;
    let commercial_id = commercial["id"].as_str().unwrap();
    assert_eq!(commercial["desk"], "commercial");
    assert_eq!(commercial["body"], "Bonjour {reader_name}, notre offre.");

    let mine = |who: &Staff| app.get_as(who, "/v1/saved-replies").json_ok();
    assert_eq!(desks(&mine(&editor).await), ["editorial"]);
    assert_eq!(desks(&mine(&sales).await), ["commercial"]);
    assert_eq!(ids(&mine(&sales).await), [commercial_id]);
    assert_eq!(desks(&mine(&admin).await), ["commercial", "editorial"]);
    let only = app
        .get_as(&admin, "/v1/saved-replies?desk=commercial")
        .json_ok()
        .await;
    assert_eq!(ids(&only), [commercial_id]);
    assert!(
        ids(&app
            .get_as(&editor, "/v1/saved-replies?desk=commercial")
            .json_ok()
            .await)
        .is_empty(),
        "a desk the caller does not see lists nothing"
    );
    // Another desk's saved reply is answered as a missing one.
    let one = format!("/v1/saved-replies/{commercial_id}");
    assert_eq!(app.get_as(&editor, &one).status_code().await, 404);
    assert_eq!(
        app.get_as(&sales, &one).json_ok().await["id"],
        commercial_id
    );
    let editorial_id = ids(&mine(&editor).await)[0].clone();
    let editorial = format!("/v1/saved-replies/{editorial_id}");
    assert_eq!(app.get_as(&sales, &editorial).status_code().await, 404);
    assert_eq!(app.get(&one).await.status(), 401);

    // Writing is for admins: 403, whether the saved reply exists or not, and nothing changes.
    let before = saved_reply_rows(&app);
    for who in [&editor, &sales] {
        let post = app
            .post_as(who, "/v1/saved-replies")
            .json(&json!({"title": "T", "desk": "editorial", "locale": "fr", "body": "B"}));
        assert_eq!(post.status_code().await, 403);
        let patch = app.patch_as(who, &one).json(&json!({"body": "Changé"}));
        assert_eq!(patch.status_code().await, 403);
        let patch = app
            .patch_as(who, "/v1/saved-replies/none")
            .json(&json!({"body": "Changé"}));
        assert_eq!(patch.status_code().await, 403);
        let delete = app.client.delete(app.url(&one)).bearer_auth(&who.token);
        assert_eq!(delete.status_code().await, 403);
    }
    assert_eq!(saved_reply_rows(&app), before);

    let changed = app
        .patch_as(&admin, &one)
        .json(&json!({"title": "Offre d’abonnement", "locale": "en", "body": null}))
        .json_ok()
        .await;
    assert_eq!(changed["title"], "Offre d’abonnement");
    assert_eq!(changed["locale"], "en");
    assert_eq!(changed["body"], "Bonjour {reader_name}, notre offre.");
    let moved = app
        .patch_as(&admin, &one)
        .json(&json!({"desk": "editorial"}))
        .json_ok()
        .await;
    assert_eq!(moved["desk"], "editorial");
    assert_eq!(app.get_as(&sales, &one).status_code().await, 404);
    assert_eq!(app.get_as(&editor, &one).status_code().await, 200);
    let delete = |who: &Staff| app.client.delete(app.url(&one)).bearer_auth(&who.token);
    assert_eq!(delete(&admin).status_code().await, 204);
    assert_eq!(app.get_as(&admin, &one).status_code().await, 404);
    assert_eq!(delete(&admin).status_code().await, 404);
    let patch = app.patch_as(&admin, &one).json(&json!({"title": "X"}));
    assert_eq!(patch.status_code().await, 404);
}

async fn an_unknown_variable_is_refused_and_nothing_is_written(b: Backend) {
    let app = spawn_app_without_worker(b, 25).await;
    let admin = app.staff("admin").await;
    let events_before = app.count("events");
    let before = saved_reply_rows(&app);
    let resp = app
        .post_as(&admin, "/v1/saved-replies")
        .json(&json!({"title": " ", "desk": "editorial", "locale": "fr",
            "body": "Bonjour {reader_name}, {signature} {reference} {Reader_Name}"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
    let body: Value = resp.json().await.unwrap();
    let codes: Vec<&str> = body["fields"]["body"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["unknown_variable", "unknown_variable"]);
    assert_eq!(body["fields"]["title"][0]["code"], "required");
    assert_eq!(saved_reply_rows(&app), before);

    let saved = create(&app, &admin, "editorial", "Bonjour {reader_name},").await;
    let one = format!("/v1/saved-replies/{}", saved["id"].as_str().unwrap());
    let events_after_create = app.count("events");
    assert_eq!(events_after_create, events_before + 1);
    let resp = app
        .patch_as(&admin, &one)
        .json(&json!({"title": "Nouveau titre", "body": "Signé {signature}"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["fields"]["body"][0]["code"], "unknown_variable");
    let now = app.get_as(&admin, &one).json_ok().await;
    assert_eq!(now["title"], saved["title"], "nothing is half-written");
    assert_eq!(now["body"], "Bonjour {reader_name},");
    assert_eq!(app.count("events"), events_after_create);
    // Braces that name no variable are text.
    let literal = create(&app, &admin, "editorial", "Prix { à débattre } {}").await;
    assert_eq!(literal["body"], "Prix { à débattre } {}");
}

async fn a_saved_reply_is_filled_in_for_a_submission_the_caller_sees(b: Backend) {
    let app = spawn_app_without_worker(b, 25).await;
    let admin = app.staff("admin").await;
    let editor = app.staff("editor").await;
    let sales = app.staff("sales").await;
    let (reference, id) = post(&app, &right_of_reply(Some(5))).await;
    let saved = create(&app, &admin, "editorial", ALL_VARIABLES).await;
    let one = format!("/v1/saved-replies/{}", saved["id"].as_str().unwrap());
    let deadline = app.with_conn(|c| {
        courrier::db::submissions::by_reference(c, &reference)
            .unwrap()
            .deadline_at
            .unwrap()
    });
    let expected = format!(
        "Zoé Martin|{reference}|La médiathèque rouvre ses portes|https://journal.example/vie-locale/mediatheque|{}|Test editor",
        courrier::mail::time_for_reader(
            deadline,
            courrier::domain::Locale::Fr,
            courrier::domain::Zone::default(),
        )
    );
    for key in [&reference, &id] {
        let filled = app
            .get_as(&editor, &format!("{one}?submission={key}"))
            .json_ok()
            .await;
        assert_eq!(filled["body"], expected.as_str());
        assert_eq!(filled["id"], saved["id"]);
    }
    assert!(
        expected.contains(" à "),
        "the deadline in French: {expected}"
    );
    // Without a submission, the text as written.
    assert_eq!(
        app.get_as(&editor, &one).json_ok().await["body"],
        ALL_VARIABLES
    );

    // What a submission lacks fills as an empty string: a tip has no deadline.
    let (tip, _) = app.submit("newsroom").await;
    let filled = app
        .get_as(&admin, &format!("{one}?submission={tip}"))
        .json_ok()
        .await;
    assert_eq!(
        filled["body"],
        format!("Zoé Martin|{tip}|La médiathèque rouvre ses portes|https://journal.example/vie-locale/mediatheque||Test admin")
    );

    // A submission the caller may not see is answered as a missing one, even with a saved reply
    // they see.
    let offer = create(&app, &admin, "commercial", "Bonjour {reader_name}").await;
    let offer = format!("/v1/saved-replies/{}", offer["id"].as_str().unwrap());
    assert_eq!(
        app.get_as(&sales, &format!("{offer}?submission={reference}"))
            .status_code()
            .await,
        404
    );
    assert_eq!(
        app.get_as(&sales, &format!("{offer}?submission=R-NONE"))
            .status_code()
            .await,
        404
    );
    let (lead, _) = app.submit("sales").await;
    assert_eq!(
        app.get_as(&sales, &format!("{offer}?submission={lead}"))
            .json_ok()
            .await["body"],
        "Bonjour Jean Dupont"
    );
    assert_eq!(
        app.get_as(&sales, &format!("{one}?submission={lead}"))
            .status_code()
            .await,
        404,
        "another desk's saved reply"
    );

    // A staff reply's own text is sent as written: never filled in.
    app.post_as(&editor, &format!("/v1/submissions/{reference}/replies"))
        .json(&json!({"body": "Votre référence : {reference}"}))
        .json_ok()
        .await;
    let detail = app
        .get_as(&editor, &format!("/v1/submissions/{reference}"))
        .json_ok()
        .await;
    assert_eq!(
        detail["replies"][0]["body"],
        "Votre référence : {reference}"
    );
}

async fn the_duties_replies_ship_in_french_and_english(b: Backend) {
    use courrier::domain::{Locale, RefusalGrounds};
    let app = spawn_app_without_worker(b, 25).await;
    let editor = app.staff("editor").await;
    let list = app.get_as(&editor, "/v1/saved-replies").json_ok().await;
    let shipped = list["saved_replies"].as_array().unwrap();
    for (locale, code, inserted, corrected) in [
        (Locale::Fr, "fr", "insertion", "Correction publiée"),
        (Locale::En, "en", "inserted", "Correction published"),
    ] {
        let of: Vec<&Value> = shipped.iter().filter(|r| r["locale"] == code).collect();
        let titled = |t: &str| {
            of.iter()
                .filter(|r| r["title"].as_str().unwrap().contains(t))
                .count()
        };
        assert_eq!(titled(inserted), 1, "{code}: the insertion notice");
        assert_eq!(titled(corrected), 1, "{code}: the correction notice");
        for g in RefusalGrounds::ALL {
            let wording = courrier::mail::grounds_text(*g, locale);
            assert_eq!(
                of.iter()
                    .filter(|r| r["body"].as_str().unwrap().contains(wording))
                    .count(),
                1,
                "{code}: the refusal on {g}, worded as the outcome e-mail words it"
            );
        }
        for r in &of {
            let body = r["body"].as_str().unwrap();
            assert!(
                body.contains("{reference}") && body.contains("{reader_name}"),
                "{body}"
            );
            assert!(
                courrier::domain::saved_reply::unknown_variables(body).is_empty(),
                "{body}"
            );
            assert_eq!(r["desk"], "editorial");
        }
    }
    // Commercial staff do not get the newsroom's duties.
    let sales = app.staff("sales").await;
    assert!(ids(&app.get_as(&sales, "/v1/saved-replies").json_ok().await).is_empty());
}

fn audit_of(app: &TestApp, who: &Staff) -> Vec<(Option<String>, String, Value)> {
    app.with_conn(|c| {
        use courrier::db::schema::events::dsl::*;
        use diesel::prelude::*;
        events
            .filter(actor.eq(&who.id))
            .filter(kind.like("saved_reply_%"))
            .order(created_at.asc())
            .select((submission_id, kind, detail))
            .load::<(Option<String>, String, String)>(c)
            .unwrap()
    })
    .into_iter()
    .map(|(s, k, d)| (s, k, serde_json::from_str(&d).unwrap()))
    .collect()
}

async fn every_change_to_a_saved_reply_is_audited(b: Backend) {
    let app = spawn_app_without_worker(b, 25).await;
    let admin = app.staff("admin").await;
    let saved = create(&app, &admin, "editorial", "Premier texte {reference}").await;
    let id = saved["id"].as_str().unwrap();
    let one = format!("/v1/saved-replies/{id}");
    app.patch_as(&admin, &one)
        .json(&json!({"body": "Second texte {reference}", "locale": "fr"}))
        .json_ok()
        .await;
    // A change that changes nothing is not one.
    app.patch_as(&admin, &one)
        .json(&json!({"body": "Second texte {reference}"}))
        .json_ok()
        .await;
    let delete = app.client.delete(app.url(&one)).bearer_auth(&admin.token);
    assert_eq!(delete.status_code().await, 204);

    let audit = audit_of(&app, &admin);
    let kinds: Vec<&str> = audit.iter().map(|(_, k, _)| k.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "saved_reply_created",
            "saved_reply_changed",
            "saved_reply_deleted"
        ]
    );
    assert!(audit
        .iter()
        .all(|(s, _, d)| s.is_none() && d["saved_reply"] == id));
    assert_eq!(audit[0].2["body"], "Premier texte {reference}");
    assert_eq!(
        audit[1].2["body"],
        json!({"from": "Premier texte {reference}", "to": "Second texte {reference}"})
    );
    assert!(
        audit[1].2.get("locale").is_none(),
        "unchanged fields are not listed"
    );
    assert_eq!(
        audit[2].2["body"], "Second texte {reference}",
        "the last text is kept"
    );
}

async fn the_console_inserts_a_saved_reply_into_the_reply_box_without_javascript(b: Backend) {
    let app = spawn_app_without_worker(b, 25).await;
    let admin = app.staff("admin").await;
    let editor = app.staff("editor").await;
    let sales = app.staff("sales").await;
    let (reference, _) = app.submit("newsroom").await;
    let saved = create(
        &app,
        &admin,
        "editorial",
        "Bonjour {reader_name}, votre référence est {reference}.",
    )
    .await;
    let saved_id = saved["id"].as_str().unwrap();
    let browser = Browser::new(&app);
    browser.sign_in(&editor).await;
    let page_path = format!("/staff/submissions/{reference}");
    let page = browser.get(&page_path).await;
    assert!(page
        .body
        .contains("<label for=\"saved-reply\">Réponse type</label>"));
    assert!(page.body.contains(&format!(
        "<option value=\"{saved_id}\">Réponse editorial (fr)</option>"
    )));
    assert!(
        page.body.contains("Droit de réponse : insertion (fr)"),
        "the shipped ones too"
    );
    assert!(page
        .body
        .contains(&format!("formaction=\"{page_path}/insert\"")));

    // "Insérer" posts the reply form: the page comes back with the text after what was typed,
    // the subject kept, and nothing sent.
    let inserted = browser
        .post(
            &format!("{page_path}/insert"),
            &[
                ("csrf", &page.csrf()),
                ("subject", "Votre message"),
                ("body", "Merci pour votre message.\n"),
                ("saved_reply", saved_id),
            ],
        )
        .await;
    assert_eq!(inserted.status, 200, "{}", inserted.body);
    let filled = format!(
        "Merci pour votre message.\n\nBonjour Zoé Martin, votre référence est {reference}."
    );
    assert!(
        inserted
            .body
            .contains(&format!(" autofocus>{filled}</textarea>")),
        "{}",
        inserted.body
    );
    assert!(inserted.body.contains("value=\"Votre message\""));
    assert!(inserted
        .body
        .contains(&format!("<option value=\"{saved_id}\" selected>")));
    assert_eq!(
        api_detail(&app, &editor, &reference).await["replies"],
        json!([])
    );
    assert_eq!(
        app.count("outbox"),
        2,
        "the acknowledgement and the team's notice only"
    );

    // With JavaScript, the same text comes as plain text, to go in at the cursor.
    let text = browser
        .get(&format!("{page_path}/saved-replies/{saved_id}"))
        .await;
    assert_eq!(text.status, 200);
    assert!(text.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    assert_eq!(
        text.body,
        format!("Bonjour Zoé Martin, votre référence est {reference}.")
    );

    // A saved reply that is gone is refused by the select, the typed text kept.
    let gone = browser
        .post(
            &format!("{page_path}/insert"),
            &[
                ("csrf", &page.csrf()),
                ("body", "Mon brouillon"),
                ("saved_reply", "none"),
            ],
        )
        .await;
    assert_eq!(gone.status, 422);
    assert!(gone.body.contains("id=\"saved-reply-error\""));
    assert!(gone.body.contains(">Mon brouillon</textarea>"));

    // Another desk's staff: the submission is not theirs to see.
    let other = Browser::new(&app);
    other.sign_in(&sales).await;
    let (lead, _) = app.submit("sales").await;
    let lead_page = other.get(&format!("/staff/submissions/{lead}")).await;
    assert!(
        !lead_page.body.contains("Droit de réponse"),
        "no editorial saved reply"
    );
    let refused = other
        .post(
            &format!("{page_path}/insert"),
            &[
                ("csrf", &lead_page.csrf()),
                ("body", ""),
                ("saved_reply", saved_id),
            ],
        )
        .await;
    assert_eq!(refused.status, 404);
    assert_eq!(
        other
            .get(&format!("{page_path}/saved-replies/{saved_id}"))
            .await
            .status,
        404
    );
}

/// The reply box's text as the browser holds it.
async fn reply_box(b: &crate::browser::Browser) -> String {
    b.client
        .find(fantoccini::Locator::Css("#reply-body"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default()
}

async fn inserting_a_saved_reply_in_the_browser_then_sending_it(js: crate::browser::Js) {
    use crate::browser::{Browser as Chromium, Js};
    let app = spawn_app_without_worker(Backend::Sqlite, 25).await;
    let admin = app.staff("admin").await;
    let editor = app.staff("editor").await;
    let (reference, _) = app.submit("newsroom").await;
    let saved = create(
        &app,
        &admin,
        "editorial",
        "Bonjour {reader_name} ({reference}).",
    )
    .await;
    let b = Chromium::open(&app, js).await;
    b.sign_in(&editor).await;
    let page_path = format!("/staff/submissions/{reference}");
    b.goto(&page_path).await;
    b.fill("#reply-body", "Merci.").await;
    b.choose("#saved-reply", saved["id"].as_str().unwrap())
        .await;
    let filled = format!("Bonjour Zoé Martin ({reference}).");
    match js {
        Js::On => {
            // In place, at the cursor (after what was typed): the page is not left.
            let page = b
                .client
                .find(fantoccini::Locator::Css("html"))
                .await
                .unwrap();
            b.click("#saved-reply-insert").await;
            let wanted = format!("Merci.{filled}");
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
            while reply_box(&b).await != wanted {
                assert!(
                    std::time::Instant::now() < deadline,
                    "{}",
                    reply_box(&b).await
                );
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            assert!(page.tag_name().await.is_ok(), "the page was not reloaded");
            assert_eq!(b.path().await, page_path);
        }
        Js::Off => {
            b.submit("#saved-reply-insert").await;
            assert_eq!(reply_box(&b).await, format!("Merci.\n\n{filled}"));
            // The page as the insert action answered it (as a refused form's is).
            assert_eq!(b.path().await, format!("{page_path}/insert"));
        }
    }
    let sent = reply_box(&b).await;
    b.submit("#reply-body ~ button[type=submit]").await;
    let detail = api_detail(&app, &editor, &reference).await;
    // Sent as the browser posts a text box: its line breaks as CRLF.
    let stored = detail["replies"][0]["body"]
        .as_str()
        .unwrap()
        .replace("\r\n", "\n");
    assert_eq!(stored, sent);
}

crate::in_both_browsers!(inserting_a_saved_reply_in_the_browser_then_sending_it);

on_both_backends!(
    the_console_inserts_a_saved_reply_into_the_reply_box_without_javascript,
    admins_write_saved_replies_and_each_desk_reads_its_own,
    an_unknown_variable_is_refused_and_nothing_is_written,
    a_saved_reply_is_filled_in_for_a_submission_the_caller_sees,
    the_duties_replies_ship_in_french_and_english,
    every_change_to_a_saved_reply_is_audited,
);
