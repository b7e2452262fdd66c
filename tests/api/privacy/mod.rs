//! Readers' data rights: the export and the erasure of an address (API and command line), and
//! the marketing opt-out of commercial e-mails.

mod cli;
mod erasure;
mod export;
mod optout;

use std::sync::Arc;

use base64::Engine;
use courrier::config::Settings;
use diesel::prelude::*;
use serde_json::{json, Value};

use crate::helpers::{
    never_logged, newsroom_body, sales_body, spawn_app_with, Answer, Backend, MailSink,
    ReceivedMail, SinkMode, Staff, TestApp, TestDb,
};
use crate::inbound::{
    address_of, encoded, inbound_settings, message, post_mime, reader_message_id,
};

/// One reader and everything they wrote, ASCII so that every database's `lower` folds it.
pub struct Person {
    /// As they typed it, with capitals.
    pub email: String,
    pub name: String,
    pub phone: String,
    pub organisation: String,
    pub message: String,
    pub sales_message: String,
    pub answer: String,
    pub unmatched: String,
    /// What they wrote into another reader's thread.
    pub elsewhere: String,
}

impl Person {
    /// A new person, unique to the test.
    pub fn new() -> Person {
        let tag = uuid::Uuid::now_v7().simple().to_string();
        let tag = &tag[tag.len() - 10..];
        let person = Person {
            email: format!("Amandine.Roussel{tag}@Exemple.org"),
            name: format!("Amandine Roussel{tag}"),
            phone: "+33 6 98 76 54 32".into(),
            organisation: format!("Roussel Conseil {tag}"),
            message: format!("Le cadastre de Pontivy {tag} cache une fraude."),
            sales_message: format!("Une campagne pour Roussel Conseil {tag} en mars."),
            answer: format!("Voici les pieces du dossier {tag}."),
            unmatched: format!("Un courrier perdu {tag} sans reference."),
            elsewhere: format!("Je confirme ce que dit votre lectrice {tag}."),
        };
        for text in [
            &person.email,
            &person.name,
            &person.message,
            &person.answer,
            &person.elsewhere,
        ] {
            never_logged(text);
            never_logged(&text.to_lowercase());
        }
        person
    }

    /// The address as stored: the domain folded, the local part as typed.
    pub fn stored_email(&self) -> String {
        let (local, domain) = self.email.rsplit_once('@').unwrap();
        format!("{local}@{}", domain.to_lowercase())
    }

    pub fn newsroom(&self) -> Value {
        let mut body = newsroom_body();
        body["name"] = json!(self.name);
        body["email"] = json!(self.email);
        body["phone"] = json!(self.phone);
        body["message"] = json!(self.message);
        body
    }

    pub fn sales(&self) -> Value {
        let mut body = sales_body();
        body["name"] = json!(self.name);
        body["email"] = json!(self.email);
        body["organisation"] = json!(self.organisation);
        body["message"] = json!(self.sales_message);
        body["marketing_opt_in"] = json!(true);
        body
    }

    /// What must be found nowhere once the person is erased: the address, the name, the
    /// phone, every text they wrote, and the name as their mail client encoded it in raw MIME.
    pub fn needles(&self) -> Vec<String> {
        let b64 = base64::engine::general_purpose::STANDARD.encode(&self.name);
        vec![
            self.email.to_lowercase(),
            self.name.to_lowercase(),
            self.phone.to_lowercase(),
            self.organisation.to_lowercase(),
            self.message.to_lowercase(),
            self.sales_message.to_lowercase(),
            self.answer.to_lowercase(),
            self.unmatched.to_lowercase(),
            self.elsewhere.to_lowercase(),
            b64.to_lowercase(),
        ]
    }
}

/// The app with mail coming in (signed reply addresses), tuned by `tweak`.
pub async fn app_with(b: Backend, sink: &MailSink, tweak: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_with(Arc::new(TestDb::new(b)), sink.port, |s| {
        inbound_settings(s);
        tweak(s);
    })
    .await
}

pub async fn app(b: Backend) -> (TestApp, MailSink) {
    let sink = MailSink::start(SinkMode::Accept);
    let app = app_with(b, &sink, |_| {}).await;
    (app, sink)
}

/// Posts a form; returns the reference.
pub async fn post(app: &TestApp, form: &str, body: &Value) -> String {
    let resp = app.post_json(form, body).await;
    assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap());
    let answer: Value = resp.json().await.unwrap();
    answer["reference"].as_str().unwrap().to_owned()
}

/// The submissions of a person's whole history: what `populate` made.
pub struct History {
    pub newsroom: String,
    pub sales: String,
    pub note: String,
    pub reply: String,
}

/// A person's whole history: a tip (with an idempotency key) and a sales lead (opted in), both
/// acknowledged, a note and staff replies on both, their answer by e-mail on the tip's thread,
/// a message of theirs that matched nothing, and failed sign-ins typed with their address.
pub async fn populate(app: &TestApp, sink: &MailSink, admin: &Staff, p: &Person) -> History {
    let before = sink.accepted().len();
    let resp = app
        .client
        .post(app.url("/v1/forms/newsroom"))
        .header("Idempotency-Key", uuid::Uuid::now_v7().to_string())
        .json(&p.newsroom())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let newsroom = resp.json::<Value>().await.unwrap()["reference"]
        .as_str()
        .unwrap()
        .to_owned();
    let sales = post(app, "sales", &p.sales()).await;
    let mails = sink.wait_for(before + 4).await;
    let ack = acknowledgement(&mails[before..], p, &newsroom);
    let note = format!("Verifier aupres de la mairie {}", &newsroom);
    never_logged(&note);
    let resp = app
        .post_as(admin, &format!("/v1/submissions/{newsroom}/notes"))
        .json(&json!({ "body": note }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let reply = format!("Merci pour votre message, {}.", p.name);
    for reference in [&newsroom, &sales] {
        let resp = app
            .post_as(admin, &format!("/v1/submissions/{reference}/replies"))
            .json(&json!({ "body": reply }))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap());
    }
    // Their answer to the acknowledgement, by the reply address, their name encoded.
    let to = format!("<{}>", address_of(&ack.header("Reply-To").unwrap()));
    let from = format!("{} <{}>", encoded(&p.name), p.email);
    let parent = ack.header("Message-ID").unwrap();
    let answer = message(
        &[
            ("From", &from),
            ("To", &to),
            ("Subject", "Re: votre message"),
            ("Message-ID", &reader_message_id()),
            ("In-Reply-To", &parent),
            ("References", &parent),
        ],
        &p.answer,
    );
    assert_eq!(post_mime(app, &answer).await.status(), 202);
    // A message of theirs to no queue: kept, unmatched.
    let lost = message(
        &[
            ("From", &from),
            ("To", "<personne@ailleurs.example>"),
            ("Subject", "Sans objet"),
            ("Message-ID", &reader_message_id()),
        ],
        &p.unmatched,
    );
    assert_eq!(post_mime(app, &lost).await.status(), 202);
    // Someone signs in to the console with their address: the throttle keeps it.
    for _ in 0..2 {
        assert_eq!(
            app.try_login(&p.email, "not the password").await.status(),
            401
        );
    }
    let r = record(app, admin, &newsroom).await;
    assert!(
        r["messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["direction"] == "inbound"),
        "their answer is on the thread: {r}"
    );
    History {
        newsroom,
        sales,
        note,
        reply,
    }
}

/// Traces of the person outside their own submissions: their answer to another reader's
/// acknowledgement (`other`, by that reader's reply address), which joins that reader's thread
/// and notifies the team with their text; and a delivery report about an e-mail Courrier never
/// sent, naming their address, which matches nothing.
pub async fn traces_elsewhere(app: &TestApp, sink: &MailSink, p: &Person, other: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let other_ack = loop {
        let found = sink.accepted().into_iter().find(|m| {
            m.to.iter().any(|t| t == "zoe.martin@example.fr")
                && m.header("Subject").unwrap().contains(other)
        });
        match found {
            Some(m) => break m,
            None if std::time::Instant::now() < deadline => {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            None => panic!("no acknowledgement of {other}"),
        }
    };
    let to = format!("<{}>", address_of(&other_ack.header("Reply-To").unwrap()));
    let from = format!("{} <{}>", encoded(&p.name), p.email);
    let joined = message(
        &[
            ("From", &from),
            ("To", &to),
            ("Subject", "Re: au sujet de cette affaire"),
            ("Message-ID", &reader_message_id()),
        ],
        &p.elsewhere,
    );
    let receipt: Value = post_mime(app, &joined).await.json().await.unwrap();
    assert_eq!(receipt["outcome"], "reply", "{receipt}");
    assert_eq!(receipt["reference"], other, "{receipt}");
    // As they typed it, capitals and all.
    let address = p.email.clone();
    let bounce = format!(
        "Return-Path: <>\r\n\
         From: MAILER-DAEMON@mx.journal.example (Mail Delivery System)\r\n\
         To: redaction@journal.example\r\n\
         Subject: Undelivered Mail Returned to Sender\r\n\
         Auto-Submitted: auto-replied\r\n\
         Message-ID: <{n}@mx.journal.example>\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=delivery-status;\r\n\
         \tboundary=\"B0UND\"\r\n\r\n\
         --B0UND\r\n\
         Content-Type: text/plain; charset=us-ascii\r\n\r\n\
         <{address}>: host mx.exemple.org said: 550 5.1.1 User unknown\r\n\r\n\
         --B0UND\r\n\
         Content-Type: message/delivery-status\r\n\r\n\
         Reporting-MTA: dns; mx.journal.example\r\n\r\n\
         Final-Recipient: rfc822; {address}\r\n\
         Action: failed\r\n\
         Status: 5.1.1\r\n\
         Diagnostic-Code: smtp; 550 5.1.1 <{address}>: User unknown\r\n\r\n\
         --B0UND\r\n\
         Content-Type: text/rfc822-headers\r\n\r\n\
         To: {address}\r\n\
         Message-ID: <never-sent-{n}@journal.example>\r\n\r\n\
         --B0UND--\r\n",
        n = uuid::Uuid::new_v4().simple()
    );
    let receipt: Value = post_mime(app, bounce.as_bytes())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(receipt["outcome"], "unmatched", "{receipt}");
}

/// The acknowledgement of `reference` among `mails`.
pub fn acknowledgement(mails: &[ReceivedMail], p: &Person, reference: &str) -> ReceivedMail {
    mails
        .iter()
        .find(|m| {
            m.to.iter()
                .any(|t| t.eq_ignore_ascii_case(&p.stored_email()))
                && m.header("Subject").unwrap().contains(reference)
        })
        .unwrap_or_else(|| panic!("no acknowledgement of {reference}"))
        .clone()
}

/// A submission's detail, as an admin sees it.
pub async fn record(app: &TestApp, admin: &Staff, reference: &str) -> Value {
    app.get_as(admin, &format!("/v1/submissions/{reference}"))
        .json_ok()
        .await
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

pub fn count_where(app: &TestApp, sql: &str) -> i64 {
    app.with_conn(|c| {
        diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {sql}"))
            .get_result::<Count>(c)
            .unwrap()
            .n
    })
}

#[derive(QueryableByName)]
struct Column {
    #[diesel(sql_type = diesel::sql_types::Text)]
    table_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    column_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    data_type: String,
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

#[derive(QueryableByName)]
struct PragmaColumn {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    ty: String,
}

/// Every text or binary column of every table of the live schema, read from the database
/// itself (so a table added later is searched too): (table, column, binary).
pub fn text_columns(app: &TestApp) -> Vec<(String, String, bool)> {
    app.with_conn(|c| match app.db.backend() {
        Backend::Postgres => diesel::sql_query(
            "SELECT table_name::text AS table_name, column_name::text AS column_name, \
             data_type::text AS data_type FROM information_schema.columns \
             WHERE table_schema = 'public'",
        )
        .load::<Column>(c)
        .unwrap()
        .into_iter()
        .filter(|col| {
            matches!(
                col.data_type.as_str(),
                "text" | "character varying" | "character" | "bytea" | "json" | "jsonb"
            )
        })
        .map(|col| {
            let binary = col.data_type == "bytea";
            (col.table_name, col.column_name, binary)
        })
        .collect(),
        Backend::Sqlite => {
            let tables = diesel::sql_query(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            )
            .load::<Name>(c)
            .unwrap();
            let mut columns = Vec::new();
            for t in tables {
                let cols = diesel::sql_query("SELECT name, type AS ty FROM pragma_table_info(?)")
                    .bind::<diesel::sql_types::Text, _>(&t.name)
                    .load::<PragmaColumn>(c)
                    .unwrap();
                for col in cols {
                    let ty = col.ty.to_ascii_uppercase();
                    // SQLite's affinity rules: TEXT, CHAR, CLOB or BLOB, or no type at all.
                    let text = ty.contains("TEXT") || ty.contains("CHAR") || ty.contains("CLOB");
                    let binary = ty.contains("BLOB") || ty.contains("BINARY") || ty.is_empty();
                    if text || binary {
                        columns.push((t.name.clone(), col.name, binary));
                    }
                }
            }
            columns
        }
    })
}

/// Where, in any text or binary column of any table, any of `needles` appears (in any case,
/// raw MIME included): "table.column: needle" for each find.
pub fn search_everywhere(app: &TestApp, needles: &[String]) -> Vec<String> {
    let columns = text_columns(app);
    assert!(
        columns.len() > 40,
        "the schema's columns were read: {}",
        columns.len()
    );
    let mut found = Vec::new();
    app.with_conn(|c| {
        for (table, column, binary) in &columns {
            let value = match (app.db.backend(), binary) {
                (Backend::Postgres, true) => format!("encode(\"{column}\", 'escape')"),
                (Backend::Postgres, false) => format!("\"{column}\"::text"),
                (Backend::Sqlite, _) => format!("CAST(\"{column}\" AS TEXT)"),
            };
            let placeholder = match app.db.backend() {
                Backend::Postgres => "$1",
                Backend::Sqlite => "?",
            };
            for needle in needles {
                let n = diesel::sql_query(format!(
                    "SELECT COUNT(*) AS n FROM \"{table}\" WHERE lower({value}) LIKE {placeholder}"
                ))
                .bind::<diesel::sql_types::Text, _>(format!("%{needle}%"))
                .get_result::<Count>(c)
                .unwrap()
                .n;
                if n > 0 {
                    found.push(format!("{table}.{column}: {needle} ({n} rows)"));
                }
            }
        }
    });
    found
}
