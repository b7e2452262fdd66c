//! Courrier's benchmark harness (`harness = false`), one binary with three modes:
//!
//! * `load`: an HTTP/1.1 keep-alive load generator posting valid newsroom submissions.
//!   Closed loop (as fast as the server answers) by default; open loop with `--rate R`, where
//!   latency runs from each request's intended send time, so a stalled server cannot hide its
//!   queue (no coordinated omission).
//! * `smtp-sink`: a loopback SMTP server (mailin-embedded) that accepts and counts everything.
//! * `smtp-compare`: sends the same messages sequentially to an in-process sink through lettre's
//!   stock transport, a kept-open lettre connection (Nagle on) and courrier's `Channel`
//!   (TCP_NODELAY), and reports messages/s for each.
//!
//! Run with `cargo bench --bench load -- <mode> [options]`; `bench/run.sh` drives all of it.
//! Machine-readable results are printed on lines starting with `RESULT`.

use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use courrier::mail::{Channel, SmtpTarget, Transport};
use lettre::address::Envelope;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{MultiPart, SinglePart};
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use mailin_embedded::{Handler, Response, Server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `cargo bench` passes `--bench`; ignore it.
    let args: Vec<String> = args.into_iter().filter(|a| a != "--bench").collect();
    let Some(mode) = args.first() else {
        eprintln!("usage: load <load|smtp-sink|smtp-compare> [options]");
        return ExitCode::from(2);
    };
    let opts = match Opts::parse(&args[1..]) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("load: {e}");
            return ExitCode::from(2);
        }
    };
    let result = match mode.as_str() {
        "load" => runtime(&opts).and_then(|rt| rt.block_on(load(&opts))),
        "smtp-sink" => smtp_sink(&opts),
        "smtp-compare" => runtime(&opts).and_then(|rt| rt.block_on(smtp_compare(&opts))),
        other => Err(format!("unknown mode {other}").into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("load: {e}");
            ExitCode::FAILURE
        }
    }
}

fn runtime(opts: &Opts) -> Result<tokio::runtime::Runtime, BoxError> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(opts.get_usize("threads", 1)?)
        .enable_all()
        .build()?)
}

/// `--key value` options.
struct Opts(BTreeMap<String, String>);

impl Opts {
    fn parse(args: &[String]) -> Result<Opts, BoxError> {
        let mut map = BTreeMap::new();
        let mut it = args.iter();
        while let Some(key) = it.next() {
            let key = key
                .strip_prefix("--")
                .ok_or_else(|| format!("expected --option, got {key}"))?;
            let value = it.next().ok_or_else(|| format!("--{key} needs a value"))?;
            map.insert(key.to_owned(), value.clone());
        }
        Ok(Opts(map))
    }

    fn get(&self, key: &str, default: &str) -> String {
        self.0
            .get(key)
            .cloned()
            .unwrap_or_else(|| default.to_owned())
    }

    fn get_usize(&self, key: &str, default: usize) -> Result<usize, BoxError> {
        self.0.get(key).map_or(Ok(default), |v| {
            v.parse()
                .map_err(|_| format!("--{key}: not a number").into())
        })
    }

    fn get_f64(&self, key: &str, default: f64) -> Result<f64, BoxError> {
        self.0.get(key).map_or(Ok(default), |v| {
            v.parse()
                .map_err(|_| format!("--{key}: not a number").into())
        })
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP load generator

const TOPICS: [&str; 5] = ["tip", "feedback", "other", "correction", "right_of_reply"];

/// A valid newsroom submission; `n` varies every field a little.
fn submission_body(n: u64) -> String {
    let topic = TOPICS[(n % 10).min(4) as usize]; // mostly tips, some of each other topic
    let mut message = format!(
        "Bonjour, je vous écris au sujet de votre article n°{n}. \
         J'ai des informations de première main sur ce dossier.\n\n"
    );
    let extra = (n % 7) as usize + 3;
    for i in 0..extra {
        message.push_str(&format!(
            "Paragraphe {i} : les faits sont les suivants, dates et documents à l'appui ; \
             je peux vous transmettre les pièces si vous me recontactez. "
        ));
    }
    serde_json::json!({
        "name": format!("Lectrice {n}"),
        // Readers of many domains, as on a real site: the acknowledgement caps count per
        // mailbox and per domain.
        "email": format!("lectrice.{n}@d{}.example.org", n % 4096),
        "topic": topic,
        "subject": format!("Information sur le dossier {n}"),
        "message": message,
        "consent": true,
        "locale": if n.is_multiple_of(3) { "en" } else { "fr" },
    })
    .to_string()
}

fn request_bytes(host: &str, path: &str, body: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: courrier-bench\r\n\
         Content-Type: application/json\r\nAccept: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// What each request of a run is: the default posts submissions; `--paths FILE` GETs the listed
/// paths in turn (with `--token` as a bearer token, or `--cookie` as the `Cookie` header, for the
/// console); `--login EMAIL:PASSWORD` signs in.
#[derive(Clone)]
enum Workload {
    Submit(String),
    Get {
        paths: Arc<Vec<String>>,
        token: String,
        cookie: String,
    },
    Login {
        email: String,
        password: String,
    },
}

impl Workload {
    fn from_opts(opts: &Opts) -> Result<Workload, BoxError> {
        let paths = opts.get("paths", "");
        let login = opts.get("login", "");
        if !paths.is_empty() {
            let list: Vec<String> = std::fs::read_to_string(&paths)?
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(String::from)
                .collect();
            if list.is_empty() {
                return Err(format!("{paths}: no paths").into());
            }
            Ok(Workload::Get {
                paths: Arc::new(list),
                token: opts.get("token", ""),
                cookie: opts.get("cookie", ""),
            })
        } else if let Some((email, password)) = login.split_once(':') {
            Ok(Workload::Login {
                email: email.to_owned(),
                password: password.to_owned(),
            })
        } else {
            Ok(Workload::Submit(opts.get("path", "/v1/forms/newsroom")))
        }
    }

    fn request(&self, host: &str, n: u64) -> Vec<u8> {
        match self {
            Workload::Submit(path) => request_bytes(host, path, &submission_body(n)),
            Workload::Get {
                paths,
                token,
                cookie,
            } => {
                let path = &paths[(n % paths.len() as u64) as usize];
                let cookie = if cookie.is_empty() {
                    String::new()
                } else {
                    format!("Cookie: {cookie}\r\n")
                };
                format!(
                    "GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: courrier-bench\r\n\
                     Accept: application/json\r\nAuthorization: Bearer {token}\r\n{cookie}\r\n"
                )
                .into_bytes()
            }
            Workload::Login { email, password } => {
                let body = serde_json::json!({"email": email, "password": password}).to_string();
                request_bytes(host, "/v1/auth/login", &body)
            }
        }
    }
}

/// A keep-alive HTTP/1.1 connection that reads responses framed by Content-Length.
struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    async fn open(addr: SocketAddr) -> Result<Conn, BoxError> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Conn {
            stream,
            buf: Vec::with_capacity(4096),
        })
    }

    /// Sends one request, returns the response's status code.
    async fn exchange(&mut self, request: &[u8]) -> Result<u16, BoxError> {
        self.stream.write_all(request).await?;
        loop {
            if let Some(end) = find(&self.buf, b"\r\n\r\n") {
                let head = std::str::from_utf8(&self.buf[..end])?;
                let status: u16 = head
                    .split(' ')
                    .nth(1)
                    .and_then(|s| s.parse().ok())
                    .ok_or("bad status line")?;
                let length: usize = head
                    .lines()
                    .filter_map(|l| l.split_once(':'))
                    .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
                    .and_then(|(_, v)| v.trim().parse().ok())
                    .ok_or("response without Content-Length")?;
                let total = end + 4 + length;
                while self.buf.len() < total {
                    self.fill().await?;
                }
                self.buf.drain(..total);
                return Ok(status);
            }
            self.fill().await?;
        }
    }

    async fn fill(&mut self) -> Result<(), BoxError> {
        let mut chunk = [0u8; 8192];
        let n = self.stream.read(&mut chunk).await?;
        if n == 0 {
            return Err("connection closed by the server".into());
        }
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(())
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[derive(Default)]
struct Tally {
    latencies_us: Vec<u64>,
    statuses: BTreeMap<u16, u64>,
    errors: u64,
}

async fn load(opts: &Opts) -> Result<(), BoxError> {
    let addr: SocketAddr = opts.get("addr", "127.0.0.1:8080").parse()?;
    let workload = Workload::from_opts(opts)?;
    let connections = opts.get_usize("connections", 32)?;
    let duration = Duration::from_secs_f64(opts.get_f64("duration", 10.0)?);
    let warmup = Duration::from_secs_f64(opts.get_f64("warmup", 1.0)?);
    let rate = opts.get_f64("rate", 0.0)?;
    let label = opts.get("label", if rate > 0.0 { "rate" } else { "peak" });
    let seed = opts.get_usize("seed", std::process::id() as usize)? as u64 * 1_000_000_000;

    let ticket = Arc::new(AtomicU64::new(0));
    let start = Instant::now() + Duration::from_millis(200);
    let measure_from = start + warmup;
    let end = measure_from + duration;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..connections {
        let ticket = ticket.clone();
        let workload = workload.clone();
        tasks.spawn(async move {
            let mut tally = Tally::default();
            let mut conn = None;
            loop {
                let n = ticket.fetch_add(1, Ordering::Relaxed);
                // Open loop: request n is due at start + n/rate whatever happened before it.
                let intended = if rate > 0.0 {
                    let due = start + Duration::from_secs_f64(n as f64 / rate);
                    tokio::time::sleep_until(due.into()).await;
                    due
                } else {
                    Instant::now().max(start)
                };
                if intended >= end {
                    break;
                }
                if intended < start {
                    tokio::time::sleep_until(start.into()).await;
                }
                let request = workload.request(&addr.to_string(), seed + n);
                if conn.is_none() {
                    conn = Conn::open(addr).await.ok();
                }
                let outcome = match conn.as_mut() {
                    Some(c) => c.exchange(&request).await,
                    None => Err("cannot connect".into()),
                };
                let done = Instant::now();
                let counted = intended >= measure_from;
                match outcome {
                    Ok(status) if counted => {
                        *tally.statuses.entry(status).or_default() += 1;
                        tally
                            .latencies_us
                            .push(done.duration_since(intended).as_micros() as u64);
                    }
                    Ok(_) => {}
                    Err(_) => {
                        conn = None;
                        if counted {
                            tally.errors += 1;
                        }
                    }
                }
            }
            tally
        });
    }
    let mut all = Tally::default();
    while let Some(t) = tasks.join_next().await {
        let t = t?;
        all.latencies_us.extend(t.latencies_us);
        for (s, c) in t.statuses {
            *all.statuses.entry(s).or_default() += c;
        }
        all.errors += t.errors;
    }
    let elapsed = Instant::now().duration_since(measure_from).as_secs_f64();
    let elapsed = elapsed.max(duration.as_secs_f64());
    all.latencies_us.sort_unstable();
    let pct = |p: f64| -> f64 {
        let l = &all.latencies_us;
        if l.is_empty() {
            return f64::NAN;
        }
        let i = ((p / 100.0) * l.len() as f64).ceil() as usize;
        l[i.clamp(1, l.len()) - 1] as f64 / 1000.0
    };
    let total: u64 = all.statuses.values().sum();
    // Successes: 201 for submissions, 200 for reads and sign-ins.
    let created: u64 = all
        .statuses
        .iter()
        .filter(|(s, _)| (200..300).contains(*s))
        .map(|(_, c)| c)
        .sum();
    let statuses: Vec<String> = all
        .statuses
        .iter()
        .map(|(s, c)| format!("{s}:{c}"))
        .collect();
    println!(
        "{label}: {connections} connections, {} s measured after {} s warm-up{}",
        duration.as_secs_f64(),
        warmup.as_secs_f64(),
        if rate > 0.0 {
            format!(", open loop at {rate} req/s")
        } else {
            ", closed loop".into()
        }
    );
    println!(
        "  responses {total} (status {}), errors {}",
        statuses.join(" "),
        all.errors
    );
    println!(
        "  {:.1} successful requests/s (2xx only); latency ms p50 {:.2} p90 {:.2} p99 {:.2} max {:.2}",
        created as f64 / elapsed,
        pct(50.0),
        pct(90.0),
        pct(99.0),
        pct(100.0)
    );
    println!(
        "RESULT label={label} connections={connections} rate={rate} responses={total} \
         created={created} errors={} statuses={} rps={:.1} p50_ms={:.2} p90_ms={:.2} \
         p99_ms={:.2} max_ms={:.2}",
        all.errors,
        statuses.join(","),
        created as f64 / elapsed,
        pct(50.0),
        pct(90.0),
        pct(99.0),
        pct(100.0)
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// SMTP sink

/// Accepts every message; counts the ones fully received.
#[derive(Clone)]
struct Sink {
    received: Arc<AtomicU64>,
}

impl Handler for Sink {
    fn data_end(&mut self) -> Response {
        self.received.fetch_add(1, Ordering::Relaxed);
        mailin_embedded::response::OK
    }
}

fn start_sink(listener: TcpListener, threads: u32) -> Arc<AtomicU64> {
    let received = Arc::new(AtomicU64::new(0));
    let sink = Sink {
        received: received.clone(),
    };
    std::thread::spawn(move || {
        let mut server = Server::new(sink);
        server
            .with_name("sink.localhost")
            .with_num_threads(threads)
            .with_tcp_listener(listener);
        if let Err(e) = server.serve() {
            eprintln!("smtp sink: {e}");
        }
    });
    received
}

fn smtp_sink(opts: &Opts) -> Result<(), BoxError> {
    let listener = TcpListener::bind(opts.get("addr", "127.0.0.1:2525"))?;
    let threads = opts.get_usize("threads", 32)? as u32;
    println!("smtp-sink listening on {}", listener.local_addr()?);
    let received = start_sink(listener, threads);
    let mut last = 0;
    loop {
        std::thread::sleep(Duration::from_secs(1));
        let now = received.load(Ordering::Relaxed);
        if now != last {
            println!("smtp-sink: {now} messages received");
            last = now;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// lettre stock vs courrier's Channel

/// A message shaped like courrier's: multipart text + HTML, quoted-printable, ~3 KB.
fn sample_message(n: usize) -> Result<(Envelope, Vec<u8>), BoxError> {
    let text = "Bonjour,\n\nUne lectrice a écrit à la rédaction. Voici son message :\n\n"
        .to_owned()
        + &"Les faits sont les suivants, dates et documents à l'appui. ".repeat(20);
    let html = format!(
        "<html><body><p>{}</p></body></html>",
        text.replace('\n', "<br>")
    );
    let part = |ct: ContentType, body: String| {
        SinglePart::builder()
            .header(ct)
            .header(ContentTransferEncoding::QuotedPrintable)
            .body(body)
    };
    let message = Message::builder()
        .from("Courrier <courrier@localhost>".parse()?)
        .to("Rédaction <redaction@localhost>".parse()?)
        .subject(format!("[Rédaction] Nouveau message n°{n}"))
        .message_id(Some(format!(
            "<bench-{n}-{}@localhost>",
            std::process::id()
        )))
        .multipart(
            MultiPart::alternative()
                .singlepart(part(ContentType::TEXT_PLAIN, text))
                .singlepart(part(ContentType::TEXT_HTML, html)),
        )?;
    Ok((message.envelope().clone(), message.formatted()))
}

async fn smtp_compare(opts: &Opts) -> Result<(), BoxError> {
    let count = opts.get_usize("messages", 300)?;
    let rounds = opts.get_usize("rounds", 2)?;
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    let received = start_sink(listener, 8);
    let messages: Vec<(Envelope, Vec<u8>)> =
        (0..count).map(sample_message).collect::<Result<_, _>>()?;
    println!(
        "smtp-compare: {count} messages of {} bytes, sequential, to a loopback sink on port {port}",
        messages[0].1.len()
    );
    let timeout = Duration::from_secs(30);
    for round in 1..=rounds {
        // 1. courrier's Channel: one kept-open connection with TCP_NODELAY.
        let mut channel = Channel::new(
            Transport::Smtp(SmtpTarget::parse(&format!("smtp://127.0.0.1:{port}"))?),
            timeout,
        );
        let t = Instant::now();
        for (env, raw) in &messages {
            channel
                .send(env, raw)
                .await
                .map_err(|e| format!("channel: {}", e.reason))?;
        }
        report(round, "courrier_channel_nodelay", count, t.elapsed());
        channel.close().await;

        // 2. lettre's own connection, kept open (what a pool of 1 holds): Nagle left on.
        let mut conn = AsyncSmtpConnection::connect_tokio1(
            ("127.0.0.1", port),
            Some(timeout),
            &ClientId::default(),
            None,
            None,
        )
        .await?;
        let t = Instant::now();
        for (env, raw) in &messages {
            conn.send(env, raw).await?;
        }
        report(round, "lettre_connection_kept_open", count, t.elapsed());
        conn.quit().await?;

        // 3. lettre's stock transport as this crate builds it (no `pool` feature): one new
        //    connection per message.
        let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
            .port(port)
            .build();
        let t = Instant::now();
        for (env, raw) in &messages {
            transport.send_raw(env, raw).await?;
        }
        report(round, "lettre_transport_stock", count, t.elapsed());
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    println!(
        "smtp-compare: sink received {} messages",
        received.load(Ordering::Relaxed)
    );
    Ok(())
}

fn report(round: usize, name: &str, count: usize, elapsed: Duration) {
    let rate = count as f64 / elapsed.as_secs_f64();
    println!(
        "  round {round} {name:<30} {:>8.1} msgs/s ({count} in {:.3} s)",
        rate,
        elapsed.as_secs_f64()
    );
    println!("RESULT label=smtp_{name} round={round} msgs={count} msgs_per_s={rate:.1}");
}
