//! A request id on every log line, and one line per request: method, route, status, latency.
//! The route is the pattern (`/v1/submissions/{key}`), never the path, so no reference, token or
//! address from a URL reaches the log. Whatever the client chose is bounded before it is logged
//! or counted: the method is a label from a fixed set, and its text is cut short and cleaned.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use tracing::Instrument;

use crate::http::state::AppState;
use crate::instruments::method_label;

/// The route label of a request no route matched: one word, whatever the path.
const UNMATCHED: &str = "unmatched";

/// At most this many characters of a method no label names go into the log.
const ODD_METHOD_MAX_CHARS: usize = 16;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// An incoming id is kept when it is short and plain; otherwise one is made.
fn request_id(req: &ServiceRequest) -> String {
    req.headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
        })
        .map_or_else(|| uuid::Uuid::now_v7().simple().to_string(), str::to_owned)
}

pub async fn log_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = request_id(&req);
    let method = method_label(req.method().as_str());
    // Only when the label hides it: enough of the method to recognise a scanner, no more.
    let odd_method = (method == "other").then(|| loggable(req.method().as_str()));
    let route = req.match_pattern().unwrap_or_else(|| UNMATCHED.to_owned());
    let span = tracing::info_span!("request", request_id = %id);
    let instruments = req
        .app_data::<actix_web::web::Data<AppState>>()
        .map(|state| state.instruments.clone());
    let started = Instant::now();
    let result = next.call(req).instrument(span.clone()).await;
    let elapsed = started.elapsed().as_secs_f64();
    let latency_ms = elapsed * 1000.0;
    let _entered = span.enter();
    let status = match &result {
        Ok(res) => res.status().as_u16(),
        Err(e) => e.as_response_error().status_code().as_u16(),
    };
    if let Some(instruments) = instruments {
        instruments.http_request(method, &route, status, elapsed);
    }
    match odd_method {
        None => tracing::info!(method, %route, status, latency_ms, "request"),
        Some(sent) => {
            tracing::info!(method, method_sent = %sent, %route, status, latency_ms, "request")
        }
    }
    result.map(|mut res| {
        if let Ok(value) = HeaderValue::from_str(&id) {
            res.headers_mut().insert(REQUEST_ID, value);
        }
        res
    })
}

/// A client's text as the log may carry it: no control character, at most a few characters.
fn loggable(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .take(ODD_METHOD_MAX_CHARS)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clients_text_is_cut_short_and_cleaned_for_the_log() {
        assert_eq!(loggable("QWERTY"), "QWERTY");
        assert_eq!(loggable(&"A".repeat(8_000)).len(), ODD_METHOD_MAX_CHARS);
        assert_eq!(loggable("A\u{1b}[31mB\r\nC"), "A[31mBC");
    }
}
