//! A relay for the crash tests: it can hold a message at the end of DATA until released, or
//! answer each one slowly, and notes every Message-ID it is given.

use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

#[derive(Default)]
struct RelayState {
    /// Hold the message that comes after this many acceptances, until released.
    hold_after: Option<usize>,
    released: bool,
    delay: Duration,
    /// Message-ID of every DATA, and whether it was accepted.
    mails: Vec<(String, bool)>,
}

#[derive(Clone)]
pub struct Relay {
    pub port: u16,
    state: Arc<(Mutex<RelayState>, Condvar)>,
}

#[derive(Clone)]
struct RelayHandler {
    state: Arc<(Mutex<RelayState>, Condvar)>,
    raw: Vec<u8>,
}

impl mailin_embedded::Handler for RelayHandler {
    fn data_start(
        &mut self,
        _domain: &str,
        _from: &str,
        _is8bit: bool,
        _to: &[String],
    ) -> mailin_embedded::Response {
        self.raw.clear();
        mailin_embedded::response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.raw.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> mailin_embedded::Response {
        use mailparse::MailHeaderMap;
        let (parsed, _) = mailparse::parse_headers(&self.raw).unwrap();
        let id = parsed.get_first_value("Message-ID").unwrap();
        let (lock, released) = &*self.state;
        let mut state = lock.lock().unwrap();
        let accepted = state.mails.iter().filter(|(_, ok)| *ok).count();
        if state.hold_after == Some(accepted) && !state.released {
            state.mails.push((id, false));
            let _state = released.wait_while(state, |s| !s.released).unwrap();
            return mailin_embedded::response::NO_SERVICE;
        }
        let delay = state.delay;
        drop(state);
        std::thread::sleep(delay);
        lock.lock().unwrap().mails.push((id, true));
        mailin_embedded::response::OK
    }
}

impl Relay {
    pub fn start(hold_after: Option<usize>, delay: Duration) -> Relay {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new((
            Mutex::new(RelayState {
                hold_after,
                delay,
                ..RelayState::default()
            }),
            Condvar::new(),
        ));
        let mut server = mailin_embedded::Server::new(RelayHandler {
            state: state.clone(),
            raw: Vec::new(),
        });
        server
            .with_name("relay.test")
            .with_num_threads(8)
            .with_tcp_listener(listener);
        std::thread::spawn(move || {
            let _ = server.serve();
        });
        Relay { port, state }
    }

    pub fn mails(&self) -> Vec<(String, bool)> {
        self.state.0.lock().unwrap().mails.clone()
    }

    pub fn accepted(&self) -> Vec<String> {
        let mails = self.mails().into_iter();
        mails.filter(|(_, ok)| *ok).map(|(id, _)| id).collect()
    }

    /// Lets a held message go: it is answered 421, as a relay that gave up would.
    pub fn release(&self) {
        self.state.0.lock().unwrap().released = true;
        self.state.1.notify_all();
    }
}
