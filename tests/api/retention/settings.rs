//! The [retention] settings: the issue's defaults, and every bad value refused by its key.

use std::collections::HashMap;
use std::path::PathBuf;

use courrier::config::{Keep, Settings, Sources};
use courrier::domain::{Desk, Status};

fn load(extra: &str) -> Result<Settings, String> {
    let f = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
    std::fs::write(f.path(), extra).unwrap();
    Settings::load(&Sources {
        environment: Some("local".into()),
        extra_file: Some(f.path().to_owned()),
        config_dir: Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config")),
        env_vars: Some(HashMap::new()),
    })
    .map_err(|e| e.to_string())
}

#[test]
fn the_defaults_are_the_issues() {
    let s = load("").unwrap();
    let r = &s.retention;
    assert!(r.run_purge);
    assert_eq!(r.purge_every_hours, 24);
    assert_eq!(
        r.rule(Desk::Editorial, Status::Resolved).0,
        Keep::Months(24)
    );
    assert_eq!(
        r.rule(Desk::Commercial, Status::Resolved).0,
        Keep::Months(36)
    );
    assert_eq!(r.rule(Desk::Editorial, Status::Spam).0, Keep::Days(30));
    assert_eq!(r.rule(Desk::Commercial, Status::Spam).0, Keep::Days(30));
    assert_eq!(r.rule(Desk::Editorial, Status::Open).0, Keep::Forever);
    assert_eq!(r.dead_mail_bodies(), Keep::Days(90));
    assert_eq!(r.unmatched_inbound(), Keep::Days(90));
    // The tests run no purge of their own accord.
    let test = Settings::load(&Sources {
        environment: Some("test".into()),
        extra_file: None,
        config_dir: Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config")),
        env_vars: Some(HashMap::new()),
    })
    .unwrap();
    assert!(!test.retention.run_purge);
}

#[test]
fn a_queue_overrides_its_desk_status_by_status() {
    let s = load("[retention.queues.editorial]\nresolved = \"5 years\"\n").unwrap();
    let (desk, queues) = s.retention.rule(Desk::Editorial, Status::Resolved);
    assert_eq!(desk, Keep::Months(24));
    assert_eq!(queues, vec![("editorial".to_owned(), Keep::Months(60))]);
    assert!(s.retention.rule(Desk::Editorial, Status::Spam).1.is_empty());
}

#[test]
fn bad_retention_values_are_refused_by_key() {
    for (toml, key) in [
        (
            "[retention.editorial]\nresolved = \"24 moths\"\n",
            "retention.editorial.resolved",
        ),
        (
            "[retention.commercial]\nspam = \"0 days\"\n",
            "retention.commercial.spam",
        ),
        (
            "[retention]\ndead_mail_bodies = \"ninety days\"\n",
            "retention.dead_mail_bodies",
        ),
        (
            "[retention]\nunmatched_inbound = \"90\"\n",
            "retention.unmatched_inbound",
        ),
        (
            "[retention]\npurge_every_hours = 0\n",
            "retention.purge_every_hours",
        ),
        (
            "[retention.queues.nowhere]\nspam = \"1 day\"\n",
            "retention.queues.nowhere",
        ),
        (
            "[retention.queues.editorial]\nopen = \"-1 days\"\n",
            "retention.queues.editorial.open",
        ),
    ] {
        let err = load(toml).unwrap_err();
        assert!(err.contains(key), "{toml}: {err}");
    }
    let err = load("[retention.editorial]\narchived = \"1 day\"\n").unwrap_err();
    assert!(err.contains("archived"), "{err}");
}
