//! clamd from Debian's clamav-daemon, started by the test in a temp folder with one signature
//! of its own: a file with the pattern is infected (with the signature's name), one without is
//! clean, over a Unix socket and over TCP; a stopped or hanging scanner is an error.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use courrier::files::clamd::{Address, Clamd, ClamdError, Verdict};

const PATTERN: &[u8] = b"COURRIER-TEST-PATTERN-5f3a9c1e";
const SIGNATURE: &str = "Courrier.Test.Pattern";

struct RunningClamd {
    child: Child,
    socket: PathBuf,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for RunningClamd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_clamd() -> RunningClamd {
    let dir = tempfile::tempdir().unwrap();
    let hex: String = PATTERN.iter().map(|b| format!("{b:02x}")).collect();
    let database = dir.path().join("db");
    std::fs::create_dir(&database).unwrap();
    std::fs::write(
        database.join("courrier.ndb"),
        format!("{SIGNATURE}:0:*:{hex}\n"),
    )
    .unwrap();
    let socket = dir.path().join("clamd.sock");
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = dir.path().join("clamd.conf");
    std::fs::write(
        &config,
        format!(
            "LocalSocket {}\nTCPSocket {port}\nTCPAddr 127.0.0.1\nDatabaseDirectory {}\n\
             Foreground yes\nLogFile {}\nTemporaryDirectory {}\nPidFile {}\n",
            socket.display(),
            database.display(),
            dir.path().join("clamd.log").display(),
            dir.path().display(),
            dir.path().join("clamd.pid").display(),
        ),
    )
    .unwrap();
    let child = Command::new("clamd")
        .arg("-c")
        .arg(&config)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("clamd (Debian's clamav-daemon) is installed");
    RunningClamd {
        child,
        socket,
        port,
        _dir: dir,
    }
}

/// Waits on the socket, not on a clock: clamd answers PING once its signatures are loaded.
async fn wait_until_up(clamd: &Clamd) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while clamd.ping().await.is_err() {
        assert!(Instant::now() < deadline, "clamd did not come up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn clamd_finds_the_test_signature_and_passes_a_clean_file() {
    let running = start_clamd();
    let timeout = Duration::from_secs(20);
    let unix = Clamd::new(
        Address::parse(&format!("unix:{}", running.socket.display())).unwrap(),
        timeout,
    );
    wait_until_up(&unix).await;
    let tcp = Clamd::new(
        Address::parse(&format!("tcp://127.0.0.1:{}", running.port)).unwrap(),
        timeout,
    );
    // Past one chunk, with the pattern across no boundary the client could hide it at.
    let mut infected = vec![b'a'; 200_000];
    infected.extend_from_slice(PATTERN);
    infected.extend_from_slice(&[b'z'; 1000]);
    let clean = vec![b'a'; 200_000];
    for scanner in [&unix, &tcp] {
        match scanner.scan_bytes(&infected).await.unwrap() {
            Verdict::Infected(name) => assert!(name.starts_with(SIGNATURE), "{name}"),
            Verdict::Clean => panic!("the test pattern was not found"),
        }
        assert_eq!(scanner.scan_bytes(&clean).await.unwrap(), Verdict::Clean);
    }
    // A file is streamed from disk as well as from memory.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("upload");
    std::fs::write(&path, &infected).unwrap();
    let file = tokio::fs::File::open(&path).await.unwrap();
    assert!(matches!(
        unix.scan(file).await.unwrap(),
        Verdict::Infected(_)
    ));

    drop(running);
    // Stopped: an error, not a verdict.
    assert!(matches!(
        unix.scan_bytes(&clean).await,
        Err(ClamdError::Io(_))
    ));
    assert!(matches!(
        tcp.scan_bytes(&clean).await,
        Err(ClamdError::Io(_))
    ));
}

#[tokio::test]
async fn an_absent_or_hanging_scanner_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let absent = Clamd::new(
        Address::Unix(dir.path().join("no-such.sock")),
        Duration::from_secs(5),
    );
    assert!(matches!(
        absent.scan_bytes(b"hello").await,
        Err(ClamdError::Io(_))
    ));

    // A listener that accepts and never answers: the deadline ends the wait.
    let path = dir.path().join("silent.sock");
    let listener = tokio::net::UnixListener::bind(&path).unwrap();
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    let silent = Clamd::new(Address::Unix(path), Duration::from_millis(300));
    assert!(matches!(
        silent.scan_bytes(b"hello").await,
        Err(ClamdError::Timeout(_))
    ));
    holder.abort();
}

#[test]
fn scanner_addresses_are_unix_paths_or_tcp_host_ports() {
    assert_eq!(
        Address::parse("unix:/run/clamav/clamd.ctl").unwrap(),
        Address::Unix("/run/clamav/clamd.ctl".into())
    );
    assert_eq!(
        Address::parse("tcp://scanner.internal:3310").unwrap(),
        Address::Tcp("scanner.internal:3310".into())
    );
    for bad in [
        "unix:",
        "tcp://scanner",
        "tcp://:3310",
        "tcp://host:99999",
        "http://x:1",
        "/run/x",
    ] {
        assert!(Address::parse(bad).is_err(), "{bad}");
    }
}
