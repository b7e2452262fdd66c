//! The SMTP relay's address, checked when the settings are read.

use secrecy::SecretString;

/// How to reach the relay, parsed from lettre's URL form:
/// `smtp://[user:pass@]host[:port][?tls=required|opportunistic]` or `smtps://…`.
#[derive(Debug, Clone)]
pub struct SmtpTarget {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) tls: TlsMode,
    pub(crate) credentials: Option<(String, SecretString)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    None,
    StartTlsIfOffered,
    StartTlsRequired,
    Implicit,
}

impl SmtpTarget {
    pub fn parse(url: &str) -> Result<SmtpTarget, String> {
        let u = url::Url::parse(url).map_err(|e| format!("not a URL ({e})"))?;
        let host = u
            .host_str()
            .ok_or("the URL has no host")?
            .trim_matches(|c| c == '[' || c == ']')
            .to_owned();
        let query_tls = u
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.into_owned());
        let (tls, default_port) = match (u.scheme(), query_tls.as_deref()) {
            ("smtps", _) => (TlsMode::Implicit, 465),
            ("smtp", None) => (TlsMode::None, 25),
            ("smtp", Some("opportunistic")) => (TlsMode::StartTlsIfOffered, 587),
            ("smtp", Some("required")) => (TlsMode::StartTlsRequired, 587),
            ("smtp", Some(other)) => {
                return Err(format!("tls={other}: expected required or opportunistic"))
            }
            (other, _) => return Err(format!("scheme {other}: expected smtp or smtps")),
        };
        let credentials = (!u.username().is_empty()).then(|| {
            let decode = |s: &str| percent_decode(s).unwrap_or_else(|| s.to_owned());
            (
                decode(u.username()),
                SecretString::from(decode(u.password().unwrap_or(""))),
            )
        });
        Ok(SmtpTarget {
            host,
            port: u.port().unwrap_or(default_port),
            tls,
            credentials,
        })
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}
