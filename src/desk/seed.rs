//! Plausible submissions in bulk, for benchmarks and demonstrations (`courrier seed`).

use chrono::{Duration, NaiveDateTime};
use rand::seq::SliceRandom;
use rand::Rng;

use crate::db::submissions::{insert_many, SubmissionRow};
use crate::db::{self, Pool};
use crate::domain::{FormKind, Locale, Reference, Router, Status, Topic};

const FIRST: [&str; 8] = [
    "Zoé", "Lucas", "Inès", "Hugo", "Amina", "Jules", "Chloé", "Karim",
];
const LAST: [&str; 8] = [
    "Martin", "Bernard", "Dubois", "Moreau", "Laurent", "Lefebvre", "Roux", "Diallo",
];
const WORDS: [&str; 12] = [
    "mairie",
    "budget",
    "école",
    "chantier",
    "erreur",
    "date",
    "tribune",
    "abonnement",
    "publicité",
    "partenariat",
    "photo",
    "transport",
];

/// Inserts `count` submissions spread over the last two years, in batches, routed as the
/// configuration routes real ones.
pub async fn seed(pool: &Pool, router: &Router, count: usize) -> Result<usize, db::DbError> {
    const BATCH: usize = 500;
    let now = db::now();
    let mut done = 0;
    while done < count {
        let n = BATCH.min(count - done);
        let rows: Vec<SubmissionRow> = {
            let mut rng = rand::thread_rng();
            (0..n).map(|_| fake(&mut rng, router, now)).collect()
        };
        // 40-bit references collide about once in a million rows: a clash is skipped, and the
        // next batch makes up for it.
        done += db::run(pool, move |conn| insert_many(conn, &rows)).await?;
    }
    Ok(done)
}

fn fake(rng: &mut impl Rng, router: &Router, now: NaiveDateTime) -> SubmissionRow {
    let form = if rng.gen_bool(0.6) {
        FormKind::Newsroom
    } else {
        FormKind::Sales
    };
    let topic = *Topic::for_form(form).choose(rng).unwrap_or(&Topic::Other);
    let status = *[
        Status::New,
        Status::Open,
        Status::Waiting,
        Status::Resolved,
        Status::Resolved,
        Status::Spam,
    ]
    .choose(rng)
    .unwrap_or(&Status::New);
    let created = now
        - Duration::seconds(rng.gen_range(0..63_072_000))
        - Duration::microseconds(rng.gen_range(0..1_000_000));
    let first = FIRST.choose(rng).unwrap_or(&"Zoé");
    let last = LAST.choose(rng).unwrap_or(&"Martin");
    let words: Vec<&str> = (0..6).filter_map(|_| WORDS.choose(rng).copied()).collect();
    let route = router.route(form, topic, created);
    // Answered ones had a first reply within three days, and were resolved after it.
    let answered = matches!(status, Status::Waiting | Status::Resolved);
    let first_response =
        answered.then(|| (created + Duration::seconds(rng.gen_range(60..259_200))).min(now));
    let resolved = (status == Status::Resolved).then(|| {
        (first_response.unwrap_or(created) + Duration::seconds(rng.gen_range(0..864_000))).min(now)
    });
    // Staff last acted at the resolution or the first reply; one waiting in four has the
    // reader's answer since (the triage list's "waiting, answered").
    let last_staff = resolved.or(first_response);
    let last_reader = match last_staff {
        Some(at) if status == Status::Waiting && rng.gen_bool(0.25) => {
            (at + Duration::seconds(rng.gen_range(60..86_400))).min(now)
        }
        _ => created,
    };
    let channel = if rng.gen_bool(0.1) {
        crate::domain::Channel::Email
    } else {
        crate::domain::Channel::Web
    };
    SubmissionRow {
        id: uuid::Uuid::now_v7().to_string(),
        reference: Reference::generate().as_str().to_owned(),
        form,
        topic,
        queue: route.queue,
        status,
        priority: route.priority,
        name: format!("{first} {last}"),
        email: format!(
            "{}.{}{}@example.org",
            first.to_lowercase(),
            last.to_lowercase(),
            rng.gen_range(0..1000)
        ),
        phone: None,
        organisation: (form == FormKind::Sales).then(|| format!("Société {last}")),
        subject: Some(words[..3].join(" ")),
        message: format!("Bonjour, à propos de {}. Cordialement.", words.join(", ")),
        article_url: Some("https://journal.example/article".into()),
        article_title: None,
        locale: Locale::Fr,
        consent: true,
        consent_version: "seed".into(),
        consent_at: created,
        marketing_opt_in: false,
        client_ip_hash: None,
        user_agent: None,
        assignee_id: None,
        version: 1,
        created_at: created,
        updated_at: created,
        last_activity_at: last_staff.map_or(last_reader, |s| s.max(last_reader)),
        last_reader_at: last_reader,
        last_staff_at: last_staff,
        first_response_at: first_response,
        resolved_at: resolved,
        deadline_at: route.deadline,
        spam_reason: None,
        flags: String::new(),
        desk: form.desk(),
        article_published_at: None,
        outcome_kind: None,
        legal_hold: false,
        outcome: None,
        consent_text_sha256: None,
        channel,
    }
}
