//! The body time limit, on every route: a request body that has not all arrived within
//! `http.body_timeout_ms` fails to read (the handler or extractor answers 408), and a body left
//! unread never keeps its connection open.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{BodySize, BoxBody, EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::{header, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use actix_web::HttpMessage;
use futures_util::Stream;

use crate::http::state::AppState;
use crate::http::ApiError;

/// The body as the server receives it, shared by the stream a handler reads and the response.
type Body = Rc<RefCell<Payload>>;

pub async fn limit_body(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody, Holding>>, actix_web::Error> {
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
    let res = if late.get() && res.status() != StatusCode::REQUEST_TIMEOUT {
        cut_off(res)
    } else {
        res.map_into_boxed_body()
    };
    Ok(res
        .map_body(|_, answer| Holding {
            answer,
            _unread: body,
        })
        .map_into_right_body())
}

/// A late body whose reader did not say so (every reader here does: this is the safety net):
/// the answer becomes a 408 in the request's language, keeping the headers already set.
fn cut_off<B: MessageBody + 'static>(res: ServiceResponse<B>) -> ServiceResponse<BoxBody> {
    let locale = crate::http::request_locale(res.request().headers());
    let mut timeout = ApiError::Timeout.render(locale, None);
    for (name, value) in res.headers() {
        if name != header::CONTENT_TYPE && !timeout.headers().contains_key(name) {
            timeout.headers_mut().append(name.clone(), value.clone());
        }
    }
    res.into_response(timeout)
}

/// The answer, holding the request body until it is all written: actix then closes a
/// connection whose body is unfinished, where it would otherwise read and discard a chunked
/// body for as long as the client keeps sending it.
pub struct Holding {
    answer: BoxBody,
    _unread: Body,
}

impl MessageBody for Holding {
    type Error = <BoxBody as MessageBody>::Error;

    fn size(&self) -> BodySize {
        self.answer.size()
    }

    fn poll_next(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Pin::new(&mut self.answer).poll_next(cx)
    }
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
