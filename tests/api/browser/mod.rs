//! The console in a real browser: Debian's Chromium driven through ChromeDriver, each test run
//! once with JavaScript on and once with it off. At most two browsers run at once (the
//! machines have two cores). Screenshots are written under `target/screenshots/`.

mod a11y;
mod attacks;
mod daily_loop;
mod reader;
mod staff;
mod triage;

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::helpers::{free_port, Staff, TestApp, PASSWORD};

/// Runs each listed `async fn(Backend, Js)` with JavaScript on and off, on SQLite (the
/// browser's part does not depend on the database, which the HTTP tests cover on both).
#[macro_export]
macro_rules! in_both_browsers {
    ($($test:ident),+ $(,)?) => {
        mod js_on {
            $(
                #[tokio::test]
                async fn $test() {
                    super::$test($crate::browser::Js::On).await
                }
            )+
        }
        mod js_off {
            $(
                #[tokio::test]
                async fn $test() {
                    super::$test($crate::browser::Js::Off).await
                }
            )+
        }
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Js {
    On,
    Off,
}

fn browsers() -> &'static Semaphore {
    static BROWSERS: OnceLock<Semaphore> = OnceLock::new();
    BROWSERS.get_or_init(|| Semaphore::new(2))
}

/// One ChromeDriver with one Chromium session, ended (both) when dropped.
pub struct Browser {
    pub client: Client,
    pub js: Js,
    pub base: String,
    driver: Child,
    _profile: tempfile::TempDir,
    /// Held by the first browser of a test; a second one opened with it shares its turn.
    _turn: Option<SemaphorePermit<'static>>,
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Ends the driver this test started and its Chromium: the whole process group, since
        // a driver killed alone leaves its browser running.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.driver.id())])
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn chromedriver() -> String {
    std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into())
}

fn chromium() -> String {
    std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into())
}

impl Browser {
    pub async fn open(app: &TestApp, js: Js) -> Browser {
        let turn = browsers().acquire().await.unwrap();
        Browser::launch(app, js, Some(turn)).await
    }

    /// Two browsers for one test, their turns taken together so that two such tests cannot
    /// each hold one and wait for the other.
    pub async fn open_two(app: &TestApp, js: Js) -> (Browser, Browser) {
        let turns = browsers().acquire_many(2).await.unwrap();
        let first = Browser::launch(app, js, Some(turns)).await;
        let second = Browser::launch(app, js, None).await;
        (first, second)
    }

    async fn launch(app: &TestApp, js: Js, turn: Option<SemaphorePermit<'static>>) -> Browser {
        let port = free_port();
        let driver = Command::new(chromedriver())
            .arg(format!("--port={port}"))
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (Debian package chromium-driver; scripts/test installs it)");
        let profile = tempfile::tempdir().unwrap();
        // The newsroom's browsers ask for French, as the console's default.
        let mut prefs = serde_json::Map::new();
        prefs.insert("intl.accept_languages".into(), json!("fr-FR,fr"));
        if js == Js::Off {
            prefs.insert(
                "profile.managed_default_content_settings.javascript".into(),
                json!(2),
            );
        }
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium(),
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--window-size=1280,800", "--lang=fr-FR",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
                "prefs": prefs,
            }
        });
        let caps = caps.as_object().unwrap().clone();
        let url = format!("http://127.0.0.1:{port}");
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        let client = loop {
            let http = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(http)
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(c) => break c,
                Err(e) if std::time::Instant::now() < deadline => {
                    let _ = e;
                    tokio::task::yield_now().await;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => panic!("no browser session: {e}"),
            }
        };
        Browser {
            client,
            js,
            base: app.address.clone(),
            driver,
            _profile: profile,
            _turn: turn,
        }
    }

    pub async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap();
    }

    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.unwrap();
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    pub async fn text(&self) -> String {
        self.client
            .find(Locator::Css("body"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    pub async fn fill(&self, css: &str, value: &str) {
        let field = self.client.find(Locator::Css(css)).await.unwrap();
        field.clear().await.unwrap();
        field.send_keys(value).await.unwrap();
    }

    pub async fn choose(&self, css: &str, value: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap()
            .select_by_value(value)
            .await
            .unwrap();
    }

    pub async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }

    /// Clicks what leaves the page (a submit button, a link) and waits until the page it left
    /// is gone: on a busy machine the click returns before the navigation has begun.
    pub async fn submit(&self, css: &str) {
        let old = self.client.find(Locator::Css("html")).await.unwrap();
        self.click(css).await;
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while old.tag_name().await.is_ok() {
            assert!(std::time::Instant::now() < deadline, "{css}: no navigation");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub async fn sign_in_with(&self, email: &str, password: &str) {
        self.goto("/staff/login").await;
        self.fill("#email", email).await;
        self.fill("#password", password).await;
        self.submit("form.card button[type=submit]").await;
    }

    pub async fn sign_in(&self, who: &Staff) {
        self.sign_in_with(&who.email, PASSWORD).await;
        assert_eq!(self.path().await, "/staff/", "{}", self.text().await);
    }

    /// Saves the page as it looks at 1280×800 and at 390×844, under `target/screenshots/`.
    pub async fn screenshots(&self, name: &str) {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        let js = if self.js == Js::On { "js" } else { "nojs" };
        for (w, h) in [(1280, 800), (390, 844)] {
            self.client.set_window_size(w, h).await.unwrap();
            let png = self.client.screenshot().await.unwrap();
            assert!(png.starts_with(b"\x89PNG"));
            std::fs::write(dir.join(format!("{name}-{js}-{w}x{h}.png")), png).unwrap();
        }
        self.client.set_window_size(1280, 800).await.unwrap();
    }
}
