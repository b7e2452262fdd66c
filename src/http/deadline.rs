//! The body time limit, on every route: a request body that has not all arrived within
//! `http.body_timeout_ms` is answered 408, whichever handler or extractor reads it, and a body
//! left unread never keeps its connection open.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use actix_web::{HttpMessage, HttpResponse};
use futures_util::Stream;

use crate::http::startup::AppState;
use crate::http::ApiError;

/// The body as the server receives it, shared between the stream a handler reads and the
/// response, which holds it until its head is written (see `limit_body`).
type Body = Rc<RefCell<Payload>>;

/// Holds the request body while the response head is written: actix then closes a connection
/// whose body is unfinished, where it would otherwise read and discard a chunked body for as
/// long as the client keeps sending it.
struct Unread(#[allow(dead_code)] Body);

pub async fn limit_body(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let limit = req
        .app_data::<web::Data<AppState>>()
        .map(|state| Duration::from_millis(state.settings.http.body_timeout_ms));
    let payload = req.take_payload();
    let (Some(limit), false) = (limit, matches!(payload, Payload::None)) else {
        req.set_payload(payload);
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    };
    let body: Body = Rc::new(RefCell::new(payload));
    let late = Rc::new(Cell::new(false));
    let timed: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>> = Box::pin(Timed {
        body: body.clone(),
        timer: Box::pin(tokio::time::sleep(limit)),
        late: late.clone(),
    });
    req.set_payload(Payload::from(timed));
    let res = next.call(req).await?;
    // Whatever the handler made of the failed read (a 400, most often), the answer is 408; a
    // handler that answered 408 itself (the forms' HTML page) keeps its answer.
    let mut res = if late.get() && res.status() != StatusCode::REQUEST_TIMEOUT {
        res.into_response(HttpResponse::from_error(ApiError::Timeout))
            .map_into_right_body()
    } else {
        res.map_into_left_body()
    };
    res.response_mut().extensions_mut().insert(Unread(body));
    Ok(res)
}

/// The body, cut off with an error once the time limit has passed.
struct Timed {
    body: Body,
    timer: Pin<Box<tokio::time::Sleep>>,
    late: Rc<Cell<bool>>,
}

impl Stream for Timed {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.late.get() {
            return Poll::Ready(None);
        }
        let next = Pin::new(&mut *self.body.borrow_mut()).poll_next(cx);
        if let Poll::Ready(item) = next {
            return Poll::Ready(item);
        }
        if self.timer.as_mut().poll(cx).is_ready() {
            self.late.set(true);
            return Poll::Ready(Some(Err(timed_out())));
        }
        Poll::Pending
    }
}

fn timed_out() -> PayloadError {
    PayloadError::Io(std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        "the request body did not arrive in time",
    ))
}

/// Whether a body read failed because its time ran out.
pub fn is_timeout(e: &PayloadError) -> bool {
    matches!(e, PayloadError::Io(io) if io.kind() == std::io::ErrorKind::TimedOut)
}
