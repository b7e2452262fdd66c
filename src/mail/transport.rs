//! Where e-mail goes: `.eml` files (lettre's file transport) or an SMTP relay. SMTP connections
//! are opened here with TCP_NODELAY: lettre's own leave Nagle's algorithm on, which stalls
//! every message on the relay's delayed ACK (about 20 messages/s per connection on loopback).

use std::path::PathBuf;
use std::time::Duration;

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncFileTransport, AsyncTransport, Tokio1Executor};
use secrecy::ExposeSecret;

pub use crate::config::smtp::{SmtpTarget, TlsMode};
use crate::config::{MailSettings, MailTransportKind};

impl SmtpTarget {
    /// Opens an authenticated, ready-to-send connection, all within `timeout`: a relay that
    /// accepts the TCP connection but never greets must not hold a sender forever.
    pub async fn connect(
        &self,
        hello: &ClientId,
        timeout: Duration,
    ) -> Result<AsyncSmtpConnection, SendFailure> {
        tokio::time::timeout(timeout, self.open(hello, timeout))
            .await
            .map_err(|_| temporary("SMTP connection timed out".into()))?
    }

    async fn open(
        &self,
        hello: &ClientId,
        timeout: Duration,
    ) -> Result<AsyncSmtpConnection, SendFailure> {
        let tls_params = || TlsParameters::new(self.host.clone()).map_err(smtp_failure);
        let mut conn = if self.tls == TlsMode::Implicit {
            AsyncSmtpConnection::connect_tokio1(
                (self.host.as_str(), self.port),
                Some(timeout),
                hello,
                Some(tls_params()?),
                None,
            )
            .await
            .map_err(smtp_failure)?
        } else {
            let stream = tokio::time::timeout(
                timeout,
                tokio::net::TcpStream::connect((self.host.as_str(), self.port)),
            )
            .await
            .map_err(|_| temporary("SMTP connection timed out".into()))?
            .map_err(|e| temporary(format!("SMTP connection: {e}")))?;
            stream
                .set_nodelay(true)
                .map_err(|e| temporary(format!("SMTP connection: {e}")))?;
            AsyncSmtpConnection::connect_with_transport(Box::new(stream), hello)
                .await
                .map_err(smtp_failure)?
        };
        match self.tls {
            TlsMode::StartTlsRequired => conn
                .starttls(tls_params()?, hello)
                .await
                .map_err(smtp_failure)?,
            TlsMode::StartTlsIfOffered if conn.can_starttls() => conn
                .starttls(tls_params()?, hello)
                .await
                .map_err(smtp_failure)?,
            _ => {}
        }
        if let Some((user, pass)) = &self.credentials {
            let creds = Credentials::new(user.clone(), pass.expose_secret().to_owned());
            conn.auth(&[Mechanism::Plain, Mechanism::Login], &creds)
                .await
                .map_err(smtp_failure)?;
        }
        Ok(conn)
    }
}

fn temporary(reason: String) -> SendFailure {
    SendFailure::new(false, &reason)
}

/// The configured destination of outgoing mail.
#[derive(Debug, Clone)]
pub enum Transport {
    File(PathBuf),
    Smtp(SmtpTarget),
}

/// One sender's channel to the destination; an SMTP connection is kept open between messages.
pub struct Channel {
    transport: Transport,
    hello: ClientId,
    timeout: Duration,
    smtp: Option<AsyncSmtpConnection>,
    file: Option<AsyncFileTransport<Tokio1Executor>>,
}

/// Why a message was not handed over.
#[derive(Debug)]
pub struct SendFailure {
    /// A 5xx reply or an unbuildable message: retrying cannot help.
    pub permanent: bool,
    /// The relay's words with the addresses it quoted taken out: this is what is logged,
    /// stored as the job's last error and shown to operators.
    pub reason: String,
}

impl SendFailure {
    pub fn new(permanent: bool, reason: &str) -> SendFailure {
        SendFailure {
            permanent,
            reason: redact_addresses(reason),
        }
    }
}

/// Relays quote recipients in their replies; logs and stored errors must not carry readers'
/// addresses.
fn redact_addresses(text: &str) -> String {
    text.split(' ')
        .map(|word| {
            if word.contains('@') {
                "<address>"
            } else {
                word
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

impl Channel {
    pub fn new(transport: Transport, timeout: Duration) -> Channel {
        let file = match &transport {
            Transport::File(dir) => Some(AsyncFileTransport::<Tokio1Executor>::new(dir)),
            Transport::Smtp(_) => None,
        };
        Channel {
            transport,
            hello: ClientId::default(),
            timeout,
            smtp: None,
            file,
        }
    }

    pub async fn send(&mut self, envelope: &Envelope, raw: &[u8]) -> Result<(), SendFailure> {
        if let Some(file) = &self.file {
            return file
                .send_raw(envelope, raw)
                .await
                .map(drop)
                .map_err(|e| temporary(format!("file transport: {e}")));
        }
        let Transport::Smtp(target) = &self.transport else {
            return Ok(());
        };
        if self.smtp.as_ref().is_none_or(|c| c.has_broken()) {
            let conn = target.connect(&self.hello, self.timeout).await?;
            self.smtp = Some(conn);
        }
        let Some(conn) = self.smtp.as_mut() else {
            return Ok(());
        };
        match tokio::time::timeout(self.timeout, conn.send(envelope, raw)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => {
                // After a refusal the session may be mid-transaction: start afresh next time.
                self.close().await;
                Err(smtp_failure(e))
            }
            Err(_) => {
                self.smtp = None;
                Err(temporary("SMTP send timed out".into()))
            }
        }
    }

    pub async fn close(&mut self) {
        if let Some(mut conn) = self.smtp.take() {
            let _ = tokio::time::timeout(Duration::from_secs(2), conn.quit()).await;
        }
    }
}

fn smtp_failure(e: lettre::transport::smtp::Error) -> SendFailure {
    SendFailure::new(e.is_permanent(), &format!("SMTP: {e}"))
}

impl Transport {
    /// The transport the settings name: a folder of `.eml` files (created if need be), or the
    /// SMTP relay of `mail.smtp_url`.
    pub fn from_settings(mail: &MailSettings) -> anyhow::Result<Transport> {
        use anyhow::Context;
        Ok(match mail.transport {
            MailTransportKind::File => {
                std::fs::create_dir_all(&mail.file_dir).with_context(|| {
                    format!("mail.file_dir: cannot create {}", mail.file_dir.display())
                })?;
                Transport::File(mail.file_dir.clone())
            }
            MailTransportKind::Smtp => {
                let url = mail
                    .smtp_url
                    .as_ref()
                    .context("mail.smtp_url is required with the smtp transport")?;
                Transport::Smtp(
                    SmtpTarget::parse(url.expose_secret())
                        .map_err(|e| anyhow::anyhow!("mail.smtp_url: {e}"))?,
                )
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_carries_the_relays_words_without_the_addresses_it_quoted() {
        let failure = SendFailure::new(
            true,
            "permanent error (550): 5.1.1 <zoe@example.fr>: unknown",
        );
        assert_eq!(
            failure.reason,
            "permanent error (550): 5.1.1 <address> unknown"
        );
    }
}
