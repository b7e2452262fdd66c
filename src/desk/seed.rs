//! Plausible submissions in bulk, for benchmarks and demonstrations (`courrier seed`).

use chrono::{Duration, NaiveDateTime};
use rand::seq::SliceRandom;
use rand::Rng;

use crate::db::submissions::{insert_many, SubmissionRow};
use crate::db::{self, Pool};
use crate::domain::{FormKind, Reference, Status, Topic};

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

/// Inserts `count` submissions spread over the last two years, in batches.
pub async fn seed(pool: &Pool, count: usize, queues: (&str, &str)) -> Result<usize, db::DbError> {
    const BATCH: usize = 500;
    let now = db::now();
    let (editorial, commercial) = (queues.0.to_owned(), queues.1.to_owned());
    let mut done = 0;
    while done < count {
        let n = BATCH.min(count - done);
        let mut rows: Vec<SubmissionRow> = {
            let mut rng = rand::thread_rng();
            (0..n)
                .map(|_| fake(&mut rng, now, &editorial, &commercial))
                .collect()
        };
        // 40-bit references collide about once in a million rows: draw new ones and retry.
        loop {
            let batch = rows.clone();
            match db::run(pool, move |conn| insert_many(conn, &batch)).await {
                Ok(inserted) => {
                    done += inserted;
                    break;
                }
                Err(db::DbError::UniqueViolation(what)) if what.contains("reference") => {
                    for row in &mut rows {
                        row.reference = Reference::generate().as_str().to_owned();
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }
    Ok(done)
}

fn fake(
    rng: &mut impl Rng,
    now: NaiveDateTime,
    editorial: &str,
    commercial: &str,
) -> SubmissionRow {
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
    SubmissionRow {
        id: uuid::Uuid::now_v7().to_string(),
        reference: Reference::generate().as_str().to_owned(),
        form: form.as_str().into(),
        topic: topic.as_str().into(),
        queue: if form == FormKind::Newsroom {
            editorial
        } else {
            commercial
        }
        .into(),
        status: status.as_str().into(),
        priority: if topic == Topic::RightOfReply {
            "urgent"
        } else {
            "normal"
        }
        .into(),
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
        locale: "fr".into(),
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
        first_response_at: None,
        resolved_at: (status == Status::Resolved).then_some(created),
        deadline_at: (topic == Topic::RightOfReply).then(|| created + Duration::days(3)),
        spam_reason: None,
        flags: String::new(),
    }
}
