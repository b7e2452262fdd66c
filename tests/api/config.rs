//! Configuration layering and the start-up errors that name the offending key.

use std::collections::HashMap;
use std::path::PathBuf;

use courrier::config::{Settings, Sources};

fn load(env: &[(&str, &str)], extra: Option<&str>) -> Result<Settings, String> {
    let file = extra.map(|text| {
        let f = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
        std::fs::write(f.path(), text).unwrap();
        f
    });
    Settings::load(&Sources {
        environment: Some("local".into()),
        extra_file: file.as_ref().map(|f| f.path().to_owned()),
        config_dir: Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config")),
        env_vars: Some(
            env.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<HashMap<_, _>>(),
        ),
    })
    .map_err(|e| e.to_string())
}

#[test]
fn defaults_are_sqlite_and_mail_to_files() {
    let s = load(&[], None).unwrap();
    assert_eq!(s.http.address, "127.0.0.1:8080");
    assert_eq!(
        secrecy::ExposeSecret::expose_secret(&s.database.url),
        "sqlite://var/courrier.db"
    );
    assert_eq!(s.mail.transport, courrier::config::MailTransportKind::File);
    assert_eq!(s.mail.file_dir, PathBuf::from("var/mail"));
}

#[test]
fn environment_variables_override_files() {
    let s = load(
        &[
            ("COURRIER__HTTP__ADDRESS", "0.0.0.0:9000"),
            ("COURRIER__DATABASE__POOL_SIZE", "3"),
            (
                "COURRIER__QUEUES__EDITORIAL__NOTIFY",
                "a@journal.example, b@journal.example",
            ),
        ],
        Some("[mail]\nfrom = \"Journal <contact@journal.example>\"\n"),
    )
    .unwrap();
    assert_eq!(s.http.address, "0.0.0.0:9000");
    assert_eq!(s.database.pool_size, 3);
    assert_eq!(
        s.queues["editorial"].notify,
        ["a@journal.example", "b@journal.example"]
    );
    assert_eq!(s.mail.from, "Journal <contact@journal.example>");
}

#[test]
fn unknown_keys_are_refused_by_name() {
    let err = load(&[], Some("[http]\nadress = \"127.0.0.1:1\"\n")).unwrap_err();
    assert!(err.contains("adress"), "{err}");
    let err = load(&[("COURRIER__MAIL__SMTP_HOST", "x")], None).unwrap_err();
    assert!(err.contains("smtp_host"), "{err}");
}

#[test]
fn invalid_values_are_refused_by_key() {
    let err = load(&[("COURRIER__DATABASE__POOL_SIZE", "many")], None).unwrap_err();
    assert!(err.contains("pool_size"), "{err}");
    let err = load(&[("COURRIER__DATABASE__URL", "mysql://x")], None).unwrap_err();
    assert!(err.contains("database.url"), "{err}");
    let err = load(&[("COURRIER__MAIL__FROM", "not an address")], None).unwrap_err();
    assert!(err.contains("mail.from"), "{err}");
    let err = load(&[("COURRIER__MAIL__TRANSPORT", "smtp")], None).unwrap_err();
    assert!(err.contains("mail.smtp_url"), "{err}");
    let err = load(
        &[
            ("COURRIER__MAIL__TRANSPORT", "smtp"),
            ("COURRIER__MAIL__SMTP_URL", "http://x"),
        ],
        None,
    )
    .unwrap_err();
    assert!(err.contains("mail.smtp_url"), "{err}");
}

#[test]
fn a_rule_naming_an_unknown_queue_stops_start_up() {
    let err = load(
        &[],
        Some("[[routing.rules]]\nform = \"sales\"\ntopic = \"licensing\"\nqueue = \"legal\"\n"),
    )
    .unwrap_err();
    assert!(
        err.contains("routing.rules[0]") && err.contains("legal"),
        "{err}"
    );
    let err = load(&[("COURRIER__ROUTING__NEWSROOM_QUEUE", "ghost")], None).unwrap_err();
    assert!(err.contains("ghost"), "{err}");
    let err = load(
        &[],
        Some("[[routing.rules]]\nform = \"sales\"\ntopic = \"tip\"\n"),
    )
    .unwrap_err();
    assert!(
        err.contains("tip"),
        "a newsroom topic on the sales form: {err}"
    );
}

#[test]
fn an_operator_rule_list_replaces_the_default_one() {
    let s = load(
        &[],
        Some("[[routing.rules]]\nform = \"sales\"\ntopic = \"licensing\"\npriority = \"high\"\n"),
    )
    .unwrap();
    assert_eq!(s.routing.rules.len(), 1);
    assert_eq!(s.routing.rules[0].priority.as_deref(), Some("high"));
    assert_eq!(s.routing.rules[0].queue, None);
}

#[test]
fn unknown_environment_is_refused() {
    let err = Settings::load(&Sources {
        environment: Some("staging".into()),
        env_vars: Some(HashMap::new()),
        ..Sources::default()
    })
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("COURRIER_ENV") && err.contains("staging"),
        "{err}"
    );
}

#[test]
fn production_requires_an_smtp_relay() {
    let err = Settings::load(&Sources {
        environment: Some("production".into()),
        config_dir: Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config")),
        env_vars: Some(HashMap::new()),
        ..Sources::default()
    })
    .unwrap_err()
    .to_string();
    assert!(err.contains("mail.smtp_url"), "{err}");
}

#[test]
fn production_refuses_the_shipped_defaults() {
    let err = Settings::load(&Sources {
        environment: Some("production".into()),
        config_dir: Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config")),
        env_vars: Some(
            [(
                "COURRIER__MAIL__SMTP_URL",
                "smtp://relay.journal.example:587?tls=required",
            )]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ),
        ..Sources::default()
    })
    .unwrap_err()
    .to_string();
    for key in [
        "privacy.ip_hash_key",
        "mail.from",
        "queues.editorial.notify",
        "site.public_url",
    ] {
        assert!(err.contains(key), "{key}: {err}");
    }
}

#[test]
fn nonsense_ranges_are_refused() {
    for (key, value, named) in [
        (
            "COURRIER__MAIL__POLL_INTERVAL_MS",
            "0",
            "mail.poll_interval_ms",
        ),
        (
            "COURRIER__AUTH__IDLE_TIMEOUT_MINUTES",
            "0",
            "auth.idle_timeout_minutes",
        ),
        (
            "COURRIER__AUTH__LOCKOUT_THRESHOLD",
            "0",
            "auth.lockout_threshold",
        ),
        ("COURRIER__MAIL__LEASE_MS", "1000", "mail.lease_ms"),
        (
            "COURRIER__PRIVACY__OPTOUT_LINK_DAYS",
            "0",
            "privacy.optout_link_days",
        ),
        (
            "COURRIER__SITE__PUBLIC_URL",
            "courrier.journal.example",
            "site.public_url",
        ),
        (
            "COURRIER__SITE__PUBLIC_URL",
            "https://courrier.journal.example/?x=1",
            "site.public_url",
        ),
    ] {
        let err = load(&[(key, value)], None).unwrap_err();
        assert!(err.contains(named), "{key}: {err}");
    }
}

#[test]
fn site_origins_must_be_bare_origins() {
    for bad in [
        "https://journal.example/",
        "journal.example",
        "null",
        "https://journal.example/path",
    ] {
        let err = load(&[("COURRIER__SITE__ORIGINS", bad)], None).unwrap_err();
        assert!(err.contains("site.origins"), "{bad}: {err}");
    }
    let ok = load(
        &[(
            "COURRIER__SITE__ORIGINS",
            "https://journal.example, https://www.journal.example",
        )],
        None,
    )
    .unwrap();
    assert_eq!(ok.site.origins.len(), 2);
}

#[test]
fn the_site_name_must_be_writable_in_the_atom_feed() {
    let err = load(&[("COURRIER__SITE__NAME", "Le Quotidien\u{FFFF}")], None).unwrap_err();
    assert!(err.contains("site.name"), "{err}");
    assert!(load(&[("COURRIER__SITE__NAME", "Le Quotidien & Cie")], None).is_ok());
}

#[test]
fn abuse_settings_are_checked_by_key() {
    for (key, value, named) in [
        (
            "COURRIER__HTTP__TRUSTED_PROXIES",
            "10.0.0.0/8, lb",
            "http.trusted_proxies",
        ),
        (
            "COURRIER__ANTISPAM__BLOCKED_NETWORKS",
            "203.0.113.0/33",
            "antispam.blocked_networks",
        ),
        (
            "COURRIER__ANTISPAM__HONEYPOT_FIELD",
            "email",
            "antispam.honeypot_field",
        ),
        (
            "COURRIER__ANTISPAM__HONEYPOT_FIELD",
            "form_token",
            "antispam.honeypot_field",
        ),
        (
            "COURRIER__ANTISPAM__HONEYPOT_FIELD",
            "a b",
            "antispam.honeypot_field",
        ),
        (
            "COURRIER__ANTISPAM__CAPTCHA__VERIFY_URL",
            "https://captcha.example/siteverify",
            "antispam.captcha.secret",
        ),
        (
            "COURRIER__LIMITS__FORM_PER_IP_PER_MINUTE",
            "0",
            "limits.form_per_ip_per_minute",
        ),
        ("COURRIER__METRICS__TOKEN", "short", "metrics.token"),
    ] {
        let err = load(&[(key, value)], None).unwrap_err();
        assert!(err.contains(named), "{key}={value}: {err}");
    }
    let ok = load(
        &[
            (
                "COURRIER__HTTP__TRUSTED_PROXIES",
                "10.0.0.0/8, 192.0.2.1, ::1",
            ),
            ("COURRIER__ANTISPAM__BLOCKED_WORDS", "casino, viagra"),
        ],
        None,
    )
    .unwrap();
    assert_eq!(ok.http.trusted_proxies.len(), 3);
    assert_eq!(ok.antispam.blocked_words, ["casino", "viagra"]);
}

#[test]
fn a_newsroom_route_to_a_commercial_queue_stops_start_up() {
    // Source protection: a rule cannot send what readers tell the newsroom to a queue that
    // sales accounts can read.
    let err = load(
        &[],
        Some("[[routing.rules]]\nform = \"newsroom\"\ntopic = \"tip\"\nqueue = \"commercial\"\n"),
    )
    .unwrap_err();
    assert!(err.contains("queues.commercial.desk"), "{err}");
    let err = load(&[("COURRIER__QUEUES__EDITORIAL__DESK", "commercial")], None).unwrap_err();
    assert!(err.contains("queues.editorial.desk"), "{err}");
}

#[test]
fn the_imap_authority_file_must_hold_certificates() {
    let mail_in = [
        (
            "COURRIER__INBOUND__IMAP_URL",
            "imaps://u:p@imap.example.org/INBOX",
        ),
        (
            "COURRIER__QUEUES__EDITORIAL__ADDRESS",
            "redaction@journal.example",
        ),
        (
            "COURRIER__QUEUES__COMMERCIAL__ADDRESS",
            "commercial@journal.example",
        ),
        ("COURRIER__MAIL__REPLY_KEY", "a reply key long enough"),
    ];
    let not_pem = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(not_pem.path(), "not a certificate\n").unwrap();
    let not_pem = not_pem.path().display().to_string();
    for file in ["/nonexistent/ca.pem", not_pem.as_str()] {
        let env: Vec<(&str, &str)> = mail_in
            .iter()
            .copied()
            .chain([("COURRIER__INBOUND__IMAP_CA_FILE", file)])
            .collect();
        let err = load(&env, None).unwrap_err();
        assert!(err.contains("inbound.imap_ca_file"), "{file}: {err}");
    }
    let s = load(&mail_in, None).unwrap();
    assert!(s.inbound.imap_ca_file.is_none());
}

#[test]
fn the_time_zone_is_paris_unless_set_and_must_be_a_real_one() {
    assert_eq!(
        load(&[], None).unwrap().site.timezone.name(),
        "Europe/Paris"
    );
    let s = load(&[("COURRIER__SITE__TIMEZONE", "America/Montreal")], None).unwrap();
    assert_eq!(s.site.timezone.name(), "America/Montreal");
    let err = load(&[], Some("[site]\ntimezone = \"Europe/Lutece\"\n")).unwrap_err();
    assert!(
        err.contains("timezone") && err.contains("Europe/Lutece"),
        "{err}"
    );
}
