//! The form again, for an HTML post with fields to correct: what the reader typed, each error
//! next to its field, posting to the same route with the honeypot, the first post's form token
//! when it was genuine (so a quick correction is not caught by the time trap), a CAPTCHA asked
//! again (its answers are single-use), and a plain link back to the article limited to the
//! site's own origins.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use askama::Template;

use crate::domain::i18n::{label, topic_label, Label};
use crate::domain::{checkbox_value, FieldErrors, FormKind, Locale, Msg, Topic, TOKEN_FIELD};
use crate::http::error::field_label;
use crate::http::state::AppState;

pub struct Field {
    name: &'static str,
    label: String,
    kind: &'static str,
    value: String,
    required: bool,
    max: usize,
    autocomplete: &'static str,
    error: Option<String>,
    options: Vec<(&'static str, &'static str, bool)>,
}

#[derive(Template)]
#[template(path = "pages/form_again.html")]
struct Again<'a> {
    lang: &'static str,
    title: &'static str,
    summary: String,
    action: String,
    hidden: Vec<(&'static str, String)>,
    honeypot: &'a str,
    captcha: Option<(&'a str, &'static str)>,
    fields: Vec<Field>,
    send: &'static str,
    back: &'static str,
    back_url: &'a str,
}

/// The form's own fields, in the demo page's order: name, required, input kind, bound, and
/// the browser's autofill hint.
fn layout(form: FormKind) -> &'static [(&'static str, bool, &'static str, usize, &'static str)] {
    match form {
        FormKind::Newsroom => &[
            ("name", true, "text", 200, "name"),
            ("email", true, "email", 254, "email"),
            ("phone", false, "tel", 40, "tel"),
            ("topic", true, "select", 0, ""),
            ("subject", false, "text", 200, ""),
            ("message", true, "textarea", 10000, ""),
            ("consent", true, "check", 0, ""),
        ],
        FormKind::Sales => &[
            ("name", true, "text", 200, "name"),
            ("email", true, "email", 254, "email"),
            ("organisation", true, "text", 200, "organization"),
            ("phone", false, "tel", 40, "tel"),
            ("topic", true, "select", 0, ""),
            ("message", true, "textarea", 10000, ""),
            ("consent", true, "check", 0, ""),
            ("marketing_opt_in", false, "check", 0, ""),
        ],
    }
}

/// `422` with the form again.
pub fn page(
    state: &AppState,
    form: FormKind,
    locale: Locale,
    posted: &[u8],
    errors: &FieldErrors,
    back_url: &str,
) -> HttpResponse {
    let typed: HashMap<String, String> =
        url::form_urlencoded::parse(posted)
            .into_owned()
            .fold(HashMap::new(), |mut m, (k, v)| {
                m.entry(k).or_insert(v);
                m
            });
    let value = |name: &str| typed.get(name).cloned().unwrap_or_default();
    let fields = layout(form)
        .iter()
        .map(|&(name, required, kind, max, autocomplete)| {
            let current = value(name);
            Field {
                name,
                // The box is labelled with the consent text itself, as on the form and as
                // stored with the submission.
                label: if name == "consent" {
                    state.settings.site.consent_text.get(locale).to_owned()
                } else {
                    field_label(name, locale)
                },
                kind,
                required,
                max,
                autocomplete,
                error: errors
                    .get(name)
                    .and_then(|list| list.first())
                    .map(|e| e.msg.text(locale)),
                options: Topic::for_form(form)
                    .iter()
                    .filter(|_| kind == "select")
                    .map(|t| (t.as_str(), topic_label(*t, locale), t.as_str() == current))
                    .collect(),
                value: if kind == "check" {
                    // Ticked stays ticked; anything else is shown unticked.
                    if checkbox_value(&current) == Some(true) {
                        "on".into()
                    } else {
                        String::new()
                    }
                } else {
                    current
                },
            }
        })
        .collect();
    let now_ms = chrono::Utc::now().timestamp_millis();
    let token = typed
        .get(TOKEN_FIELD)
        .filter(|t| state.screen.token_reusable(form, t, now_ms))
        .cloned()
        .unwrap_or_else(|| state.screen.issue(form, now_ms));
    let mut hidden = vec![("locale", locale.as_str().to_owned())];
    for kept in ["article_url", "article_title"] {
        if let Some(v) = typed.get(kept).filter(|v| !v.is_empty()) {
            hidden.push((kept, v.clone()));
        }
    }
    hidden.push((TOKEN_FIELD, token));
    let page = Again {
        lang: locale.as_str(),
        title: label(Label::FixProblems, locale),
        summary: Msg::ValidationFailed.text(locale),
        action: format!("/v1/forms/{}", form.as_str()),
        hidden,
        honeypot: state.screen.honeypot_field(),
        captcha: state.screen.captcha_configured().then(|| {
            (
                state.screen.captcha_field(),
                label(Label::CaptchaAgain, locale),
            )
        }),
        fields,
        send: label(Label::SendAgain, locale),
        back: label(Label::GoBack, locale),
        back_url,
    };
    match page.render() {
        Ok(body) => HttpResponse::build(StatusCode::UNPROCESSABLE_ENTITY)
            .content_type("text/html; charset=utf-8")
            .body(body),
        Err(e) => {
            tracing::error!(error = %e, "form page did not render");
            HttpResponse::InternalServerError().finish()
        }
    }
}
