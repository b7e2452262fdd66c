//! The IMAP poller's transport security against a real Dovecot with a throwaway authority made
//! at test time: `imaps://` and STARTTLS trust the authority of `inbound.imap_ca_file` and no
//! other (verification is never off), and to an address that is not loopback the poller never
//! signs in without TLS.

use std::net::{IpAddr, UdpSocket};

use courrier::desk::inbound::imap::poll_once;

use super::imap::{Dovecot, Listen, TestCertificates};
use super::imap_poller::{instance, stray};
use super::spawn_inbound_app;
use crate::helpers::{free_port, Backend};

/// This machine's address on its network (not loopback), from the route the system would take
/// out; no packet is sent.
fn non_loopback_address() -> IpAddr {
    let socket = UdpSocket::bind("0.0.0.0:0").unwrap();
    for probe in [
        "192.0.2.1:9",
        "198.51.100.1:9",
        "203.0.113.1:9",
        "10.255.255.1:9",
    ] {
        if socket.connect(probe).is_ok() {
            if let Ok(local) = socket.local_addr() {
                if !local.ip().is_loopback() && !local.ip().is_unspecified() {
                    return local.ip();
                }
            }
        }
    }
    panic!("these tests need an IPv4 address other than loopback on this machine");
}

/// The sign-ins Dovecot logged.
fn logins(dovecot: &Dovecot) -> Vec<String> {
    dovecot
        .log()
        .lines()
        .filter(|l| l.contains("Login: user=<reader>"))
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn imaps_trusts_the_configured_authority_and_no_other() {
    let loopback = IpAddr::from([127, 0, 0, 1]);
    let certificates = TestCertificates::issue(&[loopback]);
    let stranger = TestCertificates::issue(&[loopback]);
    let dovecot = Dovecot::start_with(Listen {
        address: None,
        tls: Some(&certificates),
    });
    let app = spawn_inbound_app(Backend::Sqlite, free_port()).await;
    dovecot.deliver(&stray(1));
    let url = dovecot.imaps_url();

    // The public roots (no CA file) do not know the test authority; nor does another one's file.
    for ca in [None, Some(stranger.ca.clone())] {
        let (state, _) = instance(&app, &url, |s| s.inbound.imap_ca_file = ca.clone()).await;
        let err = poll_once(&state, "me").await.unwrap_err().to_string();
        assert!(
            err.contains("certificate") || err.contains("UnknownIssuer"),
            "{ca:?}: {err}"
        );
    }
    assert!(logins(&dovecot).is_empty(), "{}", dovecot.log());
    assert_eq!(dovecot.count("INBOX"), 1);
    assert_eq!(app.count("inbound_mail"), 0);

    // Its own authority: the message is taken in, over TLS.
    let (state, _) = instance(&app, &url, |s| {
        s.inbound.imap_ca_file = Some(certificates.ca.clone())
    })
    .await;
    let pass = poll_once(&state, "me").await.unwrap();
    assert_eq!((pass.worked, pass.marked), (true, 1));
    assert_eq!(app.count("inbound_mail"), 1);
    assert_eq!(dovecot.count("Processed"), 1);
    let logins = logins(&dovecot);
    assert_eq!(logins.len(), 1, "{}", dovecot.log());
    assert!(logins[0].contains("TLS"), "{}", logins[0]);
}

#[tokio::test]
async fn imap_to_an_address_that_is_not_loopback_signs_in_after_starttls_only() {
    let address = non_loopback_address();
    let certificates = TestCertificates::issue(&[address]);
    let stranger = TestCertificates::issue(&[address]);
    let dovecot = Dovecot::start_with(Listen {
        address: Some(address),
        tls: Some(&certificates),
    });
    let app = spawn_inbound_app(Backend::Sqlite, free_port()).await;
    dovecot.deliver(&stray(1));
    let url = dovecot.url();
    assert!(url.starts_with("imap://"), "{url}");

    // STARTTLS with a certificate of an authority it does not trust: no sign-in.
    let (state, _) = instance(&app, &url, |s| {
        s.inbound.imap_ca_file = Some(stranger.ca.clone())
    })
    .await;
    let err = poll_once(&state, "me").await.unwrap_err().to_string();
    assert!(err.contains("certificate"), "{err}");
    assert!(logins(&dovecot).is_empty(), "{}", dovecot.log());
    assert_eq!(app.count("inbound_mail"), 0);

    // With the right authority: the message comes in, and the sign-in was over TLS.
    let (state, _) = instance(&app, &url, |s| {
        s.inbound.imap_ca_file = Some(certificates.ca.clone())
    })
    .await;
    let pass = poll_once(&state, "me").await.unwrap();
    assert_eq!((pass.worked, pass.marked), (true, 1));
    assert_eq!(app.count("inbound_mail"), 1);
    let logins = logins(&dovecot);
    assert_eq!(logins.len(), 1, "{}", dovecot.log());
    assert!(logins[0].contains("TLS"), "{}", logins[0]);
}

#[tokio::test]
async fn plain_imap_is_refused_to_an_address_that_is_not_loopback() {
    let address = non_loopback_address();
    // A server without TLS, that would take a plain sign-in (disable_plaintext_auth = no).
    let dovecot = Dovecot::start_with(Listen {
        address: Some(address),
        tls: None,
    });
    let app = spawn_inbound_app(Backend::Sqlite, free_port()).await;
    dovecot.deliver(&stray(1));
    let (state, _) = instance(&app, &dovecot.url(), |_| {}).await;
    let err = poll_once(&state, "me").await.unwrap_err().to_string();
    assert!(err.contains("STARTTLS refused"), "{err}");
    // The password never went out: Dovecot saw the connection end with no sign-in at all.
    assert!(logins(&dovecot).is_empty(), "{}", dovecot.log());
    assert!(
        dovecot
            .log()
            .lines()
            .any(|l| l.contains("Disconnected") && l.contains("user=<>")),
        "{}",
        dovecot.log()
    );
    assert!(!dovecot.log().contains("auth failed"), "{}", dovecot.log());
    assert_eq!(dovecot.count("INBOX"), 1);
    assert_eq!(app.count("inbound_mail"), 0);

    // The same server on loopback is worked in plain IMAP, as the issue allows.
    let local = Dovecot::start();
    local.deliver(&stray(2));
    let (state, _) = instance(&app, &local.url(), |_| {}).await;
    let pass = poll_once(&state, "me").await.unwrap();
    assert_eq!((pass.worked, pass.marked), (true, 1));
}
