//! Handing an editorial submission over to the commercial desk.

use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::desk::handover::{self, HandoverError};
use crate::desk::Caller;
use crate::domain::Msg;
use crate::http::openapi::{ErrorBody, SignedIn};
use crate::http::state::AppState;
use crate::http::ApiError;

/// The commercial submission made from the editorial one.
#[derive(Debug, Serialize, ToSchema)]
pub struct HandedOver {
    pub id: String,
    pub reference: String,
    pub queue: String,
}

impl From<HandoverError> for ApiError {
    fn from(e: HandoverError) -> Self {
        match e {
            HandoverError::Triage(e) => e.into(),
            HandoverError::NotEditorial => ApiError::Conflict {
                code: Msg::NotEditorial,
                detail: None,
            },
            HandoverError::AlreadyHandedOver => ApiError::Conflict {
                code: Msg::AlreadyHandedOver,
                detail: None,
            },
        }
    }
}

/// Hands a sales enquiry sent through the newsroom form over to the commercial desk: a new
/// commercial submission with the reader's contact details and message only (no notes, replies
/// or history), linked to this one, which stays editorial. Audited on both; once per submission.
#[utoipa::path(post, path = "/v1/submissions/{key}/handover", tag = "triage", security(("bearer" = [])),
    params(("key" = String, Path, description = "The editorial submission's id or reference")),
    responses(
        (status = 201, description = "The new commercial submission", body = HandedOver),
        (status = 404, description = "No such submission, or one on another desk", body = ErrorBody),
        (status = 409, description = "Not an editorial submission, or already handed over", body = ErrorBody),
        SignedIn,
    ))]
pub async fn hand_over(
    state: web::Data<AppState>,
    who: Caller,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let copy = handover::hand_over(&state, &who, &key).await?;
    Ok(HttpResponse::Created().json(HandedOver {
        id: copy.id,
        reference: copy.reference,
        queue: copy.queue.as_str().to_owned(),
    }))
}
