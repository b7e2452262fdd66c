//! What every response carries: security headers, a strict Content-Security-Policy on pages,
//! CORS for the public form routes only, for the site's own origins only (the staff API never
//! sends CORS headers), and error bodies in the language the request asks for.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse};

use crate::domain::Locale;
use crate::http::ApiError;

/// The origins allowed to post the forms from a browser, and the page policy built from them.
#[derive(Debug, Clone)]
pub struct WebPolicy {
    origins: Vec<String>,
    /// Built once: every page sends it.
    csp: HeaderValue,
}

/// The policy when no other origin may frame the pages.
const CSP_SELF: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
    form-action 'self'; base-uri 'none'; frame-ancestors 'self'";

/// The staff console's policy: its own scripts and nothing looser, and never framed. Its script
/// may fetch from the console itself (a saved reply's text, inserted in place).
const CSP_CONSOLE: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; \
    frame-ancestors 'none'";

fn is_console(path: &str) -> bool {
    path == "/staff" || path.starts_with("/staff/")
}

impl WebPolicy {
    pub fn new(origins: &[String]) -> WebPolicy {
        let text = format!("{CSP_SELF} {}", origins.join(" "));
        WebPolicy {
            origins: origins.to_vec(),
            // Configuration admits only bare origins, which are valid header text.
            csp: HeaderValue::from_str(text.trim_end())
                .unwrap_or_else(|_| HeaderValue::from_static(CSP_SELF)),
        }
    }

    /// The request's `Origin` when it is one of ours, compared exactly (`null` never is).
    fn allowed<'a>(&self, headers: &'a HeaderMap) -> Option<&'a HeaderValue> {
        let origin = headers.get(header::ORIGIN)?;
        let text = origin.to_str().ok()?;
        self.origins.iter().any(|o| o == text).then_some(origin)
    }
}

/// Headers beyond this, all together, are refused (431) before any handler reads them.
const MAX_HEADER_BYTES: usize = 16 * 1024;

fn is_form_route(path: &str) -> bool {
    path.starts_with("/v1/forms/")
}

pub async fn apply(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let policy = req.app_data::<web::Data<WebPolicy>>().cloned();
    let policy = policy.as_deref();
    let form_route = is_form_route(req.path());
    let console = is_console(req.path());
    let header_bytes: usize = req
        .headers()
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum();
    let origin = policy
        .as_ref()
        .filter(|_| form_route)
        .and_then(|p| p.allowed(req.headers()).cloned());
    let locale = crate::http::request_locale(req.headers());
    let mut res = if header_bytes > MAX_HEADER_BYTES {
        let refusal = ApiError::HeadersTooLarge.respond(locale, None);
        req.into_response(refusal).map_into_right_body()
    } else if form_route && req.method() == Method::OPTIONS {
        // A CORS preflight: answered here, with the grant only for our origins.
        let mut preflight = HttpResponse::NoContent();
        if origin.is_some() {
            preflight
                .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, "POST"))
                .insert_header((
                    header::ACCESS_CONTROL_ALLOW_HEADERS,
                    "content-type, accept-language, idempotency-key, x-request-id",
                ))
                .insert_header((header::ACCESS_CONTROL_MAX_AGE, "600"));
        }
        req.into_response(preflight.finish()).map_into_right_body()
    } else {
        // Handlers' and extractors' errors arrive here as responses; only a middleware's would
        // be an `Err`, and none inside this one fails on its own.
        let res = next.call(req).await?;
        match in_language(&res, locale) {
            Some(again) => res.into_response(again).map_into_right_body(),
            None => res.map_into_left_body(),
        }
    };
    let headers = res.headers_mut();
    if form_route {
        headers.insert(header::VARY, HeaderValue::from_static("Origin"));
        if let Some(origin) = origin {
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        }
    }
    // Defaults: a handler that set its own (the opt-out page's `no-referrer`, whose URL holds a
    // token) knows better, and keeps it.
    if !headers.contains_key(header::X_CONTENT_TYPE_OPTIONS) {
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
    }
    if !headers.contains_key(header::REFERRER_POLICY) {
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        );
    }
    let is_html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/html"));
    let own_csp = headers.contains_key(header::CONTENT_SECURITY_POLICY);
    if console {
        // Pages with a session's data and tokens: never stored, never framed.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if is_html && !own_csp {
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CSP_CONSOLE),
            );
        }
    } else if is_html && !own_csp {
        if let Some(policy) = policy {
            headers.insert(header::CONTENT_SECURITY_POLICY, policy.csp.clone());
        }
    }
    Ok(res)
}

/// An error a handler or an extractor answered (in French: actix gives `error_response` no
/// request), written again in the request's language; `None` for any other response.
fn in_language<B>(res: &ServiceResponse<B>, locale: Locale) -> Option<HttpResponse> {
    res.response()
        .error()
        .and_then(|e| e.as_error::<ApiError>())
        .map(|e| e.render(locale, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_exact_configured_origins_are_allowed() {
        let policy = WebPolicy::new(&["https://journal.example".into()]);
        let check = |origin: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::ORIGIN, HeaderValue::from_str(origin).unwrap());
            policy.allowed(&headers).is_some()
        };
        assert!(check("https://journal.example"));
        for other in [
            "null",
            "https://journal.example.evil",
            "http://journal.example",
            "https://JOURNAL.example/",
        ] {
            assert!(!check(other), "{other}");
        }
        assert!(policy
            .csp
            .to_str()
            .unwrap()
            .ends_with("frame-ancestors 'self' https://journal.example"));
        let alone = WebPolicy::new(&[]);
        assert_eq!(alone.csp.to_str().unwrap(), CSP_SELF);
    }
}
