//! The IMAP poller as instances run it, against a real Dovecot: a message that arrives while it
//! waits in IDLE is taken in without waiting for the next poll, and two pollers on one mailbox
//! work it one at a time, storing each message once.

use std::sync::Arc;
use std::time::Duration;

use courrier::desk::inbound::imap::poll_once;
use courrier::desk::Context;
use courrier::instruments::Instruments;
use secrecy::SecretString;

use super::imap::Dovecot;
use super::{inbound_settings, message, reader_message_id, spawn_inbound_app};
use crate::helpers::{eventually, test_settings, Backend, TestApp};

/// An instance of the desk on the app's database, its poller aimed at `url`: what each
/// instance's background poller works with. Its settings pass the start-up checks.
pub(super) async fn instance(
    app: &TestApp,
    url: &str,
    tweak: impl FnOnce(&mut courrier::config::Settings),
) -> (Context, Arc<Instruments>) {
    let mut settings = test_settings(&app.db.url, crate::helpers::free_port());
    inbound_settings(&mut settings);
    settings.inbound.imap_url = Some(SecretString::from(url.to_owned()));
    settings.inbound.processed_folder = Some("Processed".into());
    tweak(&mut settings);
    settings.validate().expect("the test's settings");
    let instruments = Arc::new(Instruments::new());
    let state = Context::open(settings, instruments.clone()).await.unwrap();
    (state, instruments)
}

/// A message to no queue address: kept as unmatched, which is all these tests need.
pub(super) fn stray(n: usize) -> Vec<u8> {
    message(
        &[
            ("From", "Jean Lecteur <jean@example.org>"),
            ("To", "<quelquun@ailleurs.example>"),
            ("Subject", &format!("Message {n}")),
            ("Message-ID", &reader_message_id()),
        ],
        "Bonjour.",
    )
}

async fn a_message_arriving_while_the_poller_idles_is_taken_in_without_a_new_poll(b: Backend) {
    let dovecot = Dovecot::start();
    let app = spawn_inbound_app(b, crate::helpers::free_port()).await;
    // Ten minutes between polls: within this test, only IDLE can wake the poller.
    let (state, instruments) = instance(&app, &dovecot.url(), |s| {
        s.inbound.poll_interval_ms = 600_000;
    })
    .await;
    let state = Arc::new(state);
    let poller = {
        let state = state.clone();
        tokio::spawn(async move { courrier::desk::inbound::imap::run(&state).await })
    };
    eventually("the poller waits in IDLE", Duration::from_secs(30), || {
        instruments.render().contains("courrier_inbound_idle 1")
    })
    .await;
    assert_eq!(app.count("inbound_mail"), 0);

    dovecot.deliver(&stray(1));
    eventually("the message is taken in", Duration::from_secs(30), || {
        app.count("inbound_mail") == 1
    })
    .await;
    eventually("it is moved", Duration::from_secs(30), || {
        dovecot.count("Processed") == 1 && dovecot.count("INBOX") == 0
    })
    .await;
    // And back to waiting.
    eventually("the poller idles again", Duration::from_secs(30), || {
        instruments.render().contains("courrier_inbound_idle 1")
    })
    .await;
    poller.abort();
}

async fn two_pollers_on_one_mailbox_work_it_one_at_a_time_and_store_each_message_once(b: Backend) {
    let dovecot = Dovecot::start();
    let app = spawn_inbound_app(b, crate::helpers::free_port()).await;
    let (one, _) = instance(&app, &dovecot.url(), |_| {}).await;
    let (two, _) = instance(&app, &dovecot.url(), |_| {}).await;
    for n in 0..5 {
        dovecot.deliver(&stray(n));
    }

    // Both at once: one of them holds the mailbox, the other leaves it alone.
    let (a, b) = tokio::join!(
        poll_once(&one, "instance-one"),
        poll_once(&two, "instance-two")
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert!(
        a.worked != b.worked,
        "exactly one pass works the mailbox: {a:?} {b:?}"
    );
    let (holder, holder_state, other, other_state) = if a.worked {
        ("instance-one", &one, "instance-two", &two)
    } else {
        ("instance-two", &two, "instance-one", &one)
    };
    assert_eq!(a.marked + b.marked, 5);
    assert_eq!(app.count("inbound_mail"), 5);
    assert_eq!(dovecot.count("INBOX"), 0);
    assert_eq!(dovecot.count("Processed"), 5);

    // More mail: the other instance still may not work the mailbox while the lease runs.
    for n in 5..8 {
        dovecot.deliver(&stray(n));
    }
    let pass = poll_once(other_state, other).await.unwrap();
    assert_eq!((pass.worked, pass.marked), (false, 0));
    assert_eq!(dovecot.count("INBOX"), 3);
    let pass = poll_once(holder_state, holder).await.unwrap();
    assert_eq!((pass.worked, pass.marked), (true, 3));
    assert_eq!(app.count("inbound_mail"), 8, "each message once");
    assert_eq!(dovecot.count("Processed"), 8);
}

crate::on_both_backends!(
    a_message_arriving_while_the_poller_idles_is_taken_in_without_a_new_poll,
    two_pollers_on_one_mailbox_work_it_one_at_a_time_and_store_each_message_once,
);
