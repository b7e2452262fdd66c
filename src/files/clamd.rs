//! A client for clamd's `INSTREAM` command, over a Unix socket or TCP: the file goes in chunks,
//! each after its length as 4 big-endian bytes, then a zero length; clamd answers
//! `stream: OK` or `stream: <signature> FOUND`. Every exchange has a deadline, so a scanner that
//! hangs is reported as down instead of holding an upload.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Where clamd listens: `unix:<socket path>` or `tcp://host:port`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    Unix(std::path::PathBuf),
    Tcp(String),
}

impl Address {
    pub fn parse(text: &str) -> Result<Address, ClamdError> {
        let text = text.trim();
        if let Some(path) = text.strip_prefix("unix:") {
            if path.is_empty() {
                return Err(ClamdError::Address(text.to_string()));
            }
            return Ok(Address::Unix(path.into()));
        }
        if let Some(host_port) = text.strip_prefix("tcp://") {
            let valid = host_port
                .rsplit_once(':')
                .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
            if valid {
                return Ok(Address::Tcp(host_port.to_string()));
            }
        }
        Err(ClamdError::Address(text.to_string()))
    }
}

/// The scanner's verdict on one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Clean,
    /// With the signature's name, as clamd reports it.
    Infected(String),
}

/// Why no verdict came: the file is then "awaiting scan", and the scan is retried.
#[derive(Debug, thiserror::Error)]
pub enum ClamdError {
    #[error("the scanner address {0:?} is neither unix:<path> nor tcp://host:port")]
    Address(String),
    #[error("the scanner cannot be reached or broke off: {0}")]
    Io(#[from] std::io::Error),
    #[error("the scanner did not answer within {0:?}")]
    Timeout(Duration),
    #[error("the scanner answered something unexpected: {0}")]
    Answer(String),
}

/// clamd's default `StreamMaxLength` is 25 MiB; a chunk stays well under any limit.
const CHUNK_BYTES: usize = 64 * 1024;
/// The longest answer read: a signature name and its decoration.
const MAX_ANSWER_BYTES: u64 = 4096;

#[derive(Debug, Clone)]
pub struct Clamd {
    address: Address,
    timeout: Duration,
}

impl Clamd {
    /// `timeout` bounds a whole exchange: connecting, sending the file and reading the verdict.
    pub fn new(address: Address, timeout: Duration) -> Self {
        Self { address, timeout }
    }

    /// Scans what `file` yields, streamed in chunks (never read whole into memory).
    pub async fn scan(&self, file: impl AsyncRead + Unpin) -> Result<Verdict, ClamdError> {
        let answer = self.exchange(b"zINSTREAM\0", Some(file)).await?;
        verdict(&answer)
    }

    pub async fn scan_bytes(&self, bytes: &[u8]) -> Result<Verdict, ClamdError> {
        self.scan(bytes).await
    }

    /// Whether clamd answers (`PING`/`PONG`), for health checks and for waiting on a start.
    pub async fn ping(&self) -> Result<(), ClamdError> {
        let answer = self.exchange::<&[u8]>(b"zPING\0", None).await?;
        if answer == "PONG" {
            Ok(())
        } else {
            Err(ClamdError::Answer(answer))
        }
    }

    async fn exchange<R: AsyncRead + Unpin>(
        &self,
        command: &[u8],
        body: Option<R>,
    ) -> Result<String, ClamdError> {
        let work = async {
            match &self.address {
                Address::Unix(path) => {
                    let stream = tokio::net::UnixStream::connect(path).await?;
                    talk(stream, command, body).await
                }
                Address::Tcp(host_port) => {
                    let stream = tokio::net::TcpStream::connect(host_port.as_str()).await?;
                    talk(stream, command, body).await
                }
            }
        };
        tokio::time::timeout(self.timeout, work)
            .await
            .map_err(|_| ClamdError::Timeout(self.timeout))?
    }
}

async fn talk<S, R>(mut stream: S, command: &[u8], body: Option<R>) -> Result<String, ClamdError>
where
    S: AsyncRead + AsyncWrite + Unpin,
    R: AsyncRead + Unpin,
{
    stream.write_all(command).await?;
    if let Some(mut body) = body {
        let mut chunk = vec![0u8; CHUNK_BYTES];
        loop {
            let read = body.read(&mut chunk).await?;
            if read == 0 {
                break;
            }
            let length = u32::try_from(read).map_err(std::io::Error::other)?;
            stream.write_all(&length.to_be_bytes()).await?;
            // clamd may close early (a size limit): its answer is still read below.
            if stream.write_all(&chunk[..read]).await.is_err() {
                break;
            }
        }
        let _ = stream.write_all(&0u32.to_be_bytes()).await;
    }
    stream.flush().await?;
    let mut answer = Vec::new();
    (&mut stream)
        .take(MAX_ANSWER_BYTES)
        .read_to_end(&mut answer)
        .await?;
    let answer = String::from_utf8_lossy(&answer);
    Ok(answer.trim_end_matches(['\0', '\n']).trim().to_string())
}

/// `stream: OK`, `stream: <name> FOUND`, or an error line (`... ERROR`).
fn verdict(answer: &str) -> Result<Verdict, ClamdError> {
    let result = answer.strip_prefix("stream:").unwrap_or(answer).trim();
    if result == "OK" {
        return Ok(Verdict::Clean);
    }
    if let Some(signature) = result.strip_suffix(" FOUND") {
        let signature = signature.trim();
        if !signature.is_empty() {
            return Ok(Verdict::Infected(signature.to_string()));
        }
    }
    Err(ClamdError::Answer(answer.chars().take(200).collect()))
}
