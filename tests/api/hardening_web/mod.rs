//! The web edge under attack (issue: hardening): `edge` for what a hostile client sends on the
//! wire (odd methods, slow heads and bodies, many connections), `answers` for what every client
//! reads back (the language of errors, checkbox values, the error page's link back).

mod answers;
mod edge;

use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

use crate::helpers::{free_port, spawn_app_with, Backend, TestApp, TestDb};

async fn app_with(tweak: impl FnOnce(&mut courrier::config::Settings)) -> TestApp {
    spawn_app_with(Arc::new(TestDb::new(Backend::Sqlite)), free_port(), tweak).await
}

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .unwrap()
}

/// Everything the server sends until it closes the connection; fails after `within`.
async fn read_to_close(stream: &mut TcpStream, within: Duration) -> String {
    let mut all = Vec::new();
    tokio::time::timeout(within, stream.read_to_end(&mut all))
        .await
        .expect("the server closes the connection")
        .ok();
    String::from_utf8_lossy(&all).into_owned()
}
