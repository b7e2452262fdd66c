//! The staff console over HTTP, as a browser without JavaScript uses it: cookies kept by hand
//! (so their attributes can be read), forms posted with the page's own token.

mod actions;
mod bidi;
mod closing;
mod composer;
mod history;
mod inbox;
mod invitations;
mod signin;
mod triage;
mod users;

use std::collections::HashMap;
use std::sync::Mutex;

use crate::helpers::{Staff, TestApp, PASSWORD};

/// A page as the browser got it.
pub struct Page {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Page {
    pub fn location(&self) -> &str {
        self.headers
            .get("location")
            .map_or("", |v| v.to_str().unwrap())
    }

    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }

    /// The value of the first hidden `csrf` field.
    pub fn csrf(&self) -> String {
        hidden(&self.body, "csrf").expect("a csrf field")
    }

    pub fn hidden(&self, name: &str) -> Option<String> {
        hidden(&self.body, name)
    }
}

fn hidden(body: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = body.find(&marker)? + marker.len();
    let end = body[start..].find('"')? + start;
    Some(body[start..end].to_owned())
}

/// One browser: its own cookie jar, following no redirect by itself.
pub struct Browser<'a> {
    pub app: &'a TestApp,
    jar: Mutex<HashMap<String, String>>,
    pub accept_language: &'static str,
}

impl<'a> Browser<'a> {
    pub fn new(app: &'a TestApp) -> Browser<'a> {
        Browser {
            app,
            jar: Mutex::new(HashMap::new()),
            accept_language: "fr-FR,fr;q=0.9",
        }
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.jar.lock().unwrap().get(name).cloned()
    }

    pub fn set_cookie(&self, name: &str, value: &str) {
        self.jar
            .lock()
            .unwrap()
            .insert(name.to_owned(), value.to_owned());
    }

    fn cookie_header(&self) -> String {
        self.jar
            .lock()
            .unwrap()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn read(&self, resp: reqwest::Response) -> Page {
        let page = Page {
            status: resp.status().as_u16(),
            headers: resp.headers().clone(),
            body: resp.text().await.unwrap(),
        };
        let mut jar = self.jar.lock().unwrap();
        for c in page.set_cookies() {
            let pair = c.split(';').next().unwrap();
            let (k, v) = pair.split_once('=').unwrap();
            if v.is_empty() || c.contains("Max-Age=0") {
                jar.remove(k);
            } else {
                jar.insert(k.to_owned(), v.to_owned());
            }
        }
        page
    }

    pub async fn get(&self, path: &str) -> Page {
        let resp = self
            .app
            .client
            .get(self.app.url(path))
            .header("cookie", self.cookie_header())
            .header("accept-language", self.accept_language)
            .send()
            .await
            .unwrap();
        self.read(resp).await
    }

    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        self.post_with(path, fields, &[]).await
    }

    /// Posts a form with these headers too (what a browser says of where the form came from).
    pub async fn post_with(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Page {
        let body = serde_urlencoded::to_string(fields).unwrap();
        let mut req = self
            .app
            .client
            .post(self.app.url(path))
            .header("cookie", self.cookie_header())
            .header("accept-language", self.accept_language)
            .header("content-type", "application/x-www-form-urlencoded");
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let resp = req.body(body).send().await.unwrap();
        self.read(resp).await
    }

    /// Posts a form the way its page would: with the page's token, and the version of the
    /// submission it shows (when it shows one and `fields` name none).
    pub async fn submit(&self, page_path: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let page = self.get(page_path).await;
        assert_eq!(page.status, 200, "{page_path}: {}", page.body);
        let csrf = page.csrf();
        let version = page.hidden("version");
        let mut all = vec![("csrf", csrf.as_str())];
        if let Some(v) = version.as_deref() {
            if !fields.iter().any(|(k, _)| *k == "version") {
                all.push(("version", v));
            }
        }
        all.extend_from_slice(fields);
        self.post(action, &all).await
    }

    /// Signs in through the sign-in form.
    pub async fn sign_in_with(&self, email: &str, password: &str) -> Page {
        let form = self.get("/staff/login").await;
        let csrf = form.csrf();
        self.post(
            "/staff/login",
            &[
                ("csrf", &csrf),
                ("email", email),
                ("password", password),
                ("next", ""),
            ],
        )
        .await
    }

    pub async fn sign_in(&self, who: &Staff) -> Page {
        let page = self.sign_in_with(&who.email, PASSWORD).await;
        assert_eq!(page.status, 303, "{}", page.body);
        page
    }
}

/// The status of a submission, through the JSON API.
pub async fn api_detail(app: &TestApp, who: &Staff, reference: &str) -> serde_json::Value {
    let resp = app
        .get_as(who, &format!("/v1/submissions/{reference}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    resp.json().await.unwrap()
}
