//! From the bytes of a post to a checked submission: the encoding, the body read within its
//! bounds, every field once, the extra fields the spam checks read set aside.

use actix_web::http::header;
use actix_web::web::{self, Bytes, BytesMut};
use actix_web::HttpRequest;
use futures_util::StreamExt;
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use crate::desk::screening::Clues;
use crate::domain::TOKEN_FIELD;
use crate::domain::{FieldError, FieldErrors, FormKind, Locale, Msg, NewSubmission};
use crate::http::ApiError;

/// Largest body accepted on a public form.
pub const MAX_BODY: usize = 64 * 1024;

/// How a form body is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Json,
    Form,
}

/// The names of the fields a post may carry besides the form's own.
#[derive(Debug, Clone, Copy)]
pub struct ExtraFields<'a> {
    pub honeypot: &'a str,
    pub captcha: &'a str,
}

impl Default for ExtraFields<'_> {
    fn default() -> Self {
        ExtraFields {
            honeypot: "website",
            captcha: "captcha_response",
        }
    }
}

/// Decodes and checks a form body with the default extra fields: everything between the bytes
/// read and the submission stored. The error comes with the language to answer in.
pub fn parse_submission(
    form: FormKind,
    bytes: &[u8],
    encoding: Encoding,
    fallback: Locale,
) -> Result<NewSubmission, (ApiError, Locale)> {
    parse_post(form, bytes, encoding, fallback, ExtraFields::default()).map(|(s, _)| s)
}

/// Decodes and checks a form body, and sets aside what the spam checks read.
pub fn parse_post(
    form: FormKind,
    bytes: &[u8],
    encoding: Encoding,
    fallback: Locale,
    extra: ExtraFields<'_>,
) -> Result<(NewSubmission, Clues), (ApiError, Locale)> {
    let fail = |e| (e, fallback);
    let mut fields = fields(bytes, encoding).map_err(fail)?;
    let mut take = |name: &str| match fields.remove(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err((
            ApiError::Malformed(format!("{name}: a text or null")),
            fallback,
        )),
    };
    let clues = Clues {
        honeypot: take(extra.honeypot)?,
        form_token: take(TOKEN_FIELD)?,
        captcha: take(extra.captcha)?,
    };
    let boxes = read_checkboxes(form, &mut fields);
    let raw = Value::Object(fields);
    let malformed = |e: serde_json::Error| (ApiError::Malformed(e.to_string()), fallback);
    let checked = match form {
        FormKind::Newsroom => {
            NewSubmission::from_newsroom(serde_json::from_value(raw).map_err(malformed)?, fallback)
        }
        FormKind::Sales => {
            NewSubmission::from_sales(serde_json::from_value(raw).map_err(malformed)?, fallback)
        }
    };
    // A box with a value of its own is reported as that, not as a box left unticked.
    match checked {
        Ok(s) if boxes.is_empty() => Ok((s, clues)),
        Ok(s) => Err((ApiError::Validation(boxes), s.locale)),
        Err((locale, mut errors)) => {
            errors.extend(boxes);
            Err((ApiError::Validation(errors), locale))
        }
    }
}

/// The form's checkboxes.
fn checkboxes(form: FormKind) -> &'static [&'static str] {
    match form {
        FormKind::Newsroom => &["consent"],
        FormKind::Sales => &["consent", "marketing_opt_in"],
    }
}

/// Turns each checkbox's value into a JSON boolean, and takes out any value a box cannot have,
/// reporting it under the box's name (a 422 that names the field, not a malformed body).
fn read_checkboxes(form: FormKind, fields: &mut Map<String, Value>) -> FieldErrors {
    let mut errors = FieldErrors::new();
    for &name in checkboxes(form) {
        let Some(value) = fields.get_mut(name) else {
            continue;
        };
        let ticked = match &*value {
            Value::Null => continue,
            Value::Bool(b) => Some(*b),
            Value::String(text) => crate::domain::checkbox_value(text),
            _ => None,
        };
        match ticked {
            Some(b) => *value = Value::Bool(b),
            None => {
                fields.remove(name);
                errors.insert(name, vec![FieldError::new(Msg::InvalidCheckbox)]);
            }
        }
    }
    errors
}

/// The body's top-level fields, each once: a repeated field is refused, whichever encoding.
fn fields(bytes: &[u8], encoding: Encoding) -> Result<Map<String, Value>, ApiError> {
    let duplicate = |name: &str| ApiError::Malformed(format!("duplicate field `{name}`"));
    match encoding {
        Encoding::Json => {
            let Fields(map) =
                serde_json::from_slice(bytes).map_err(|e| ApiError::Malformed(e.to_string()))?;
            Ok(map)
        }
        Encoding::Form => {
            // Decoding would quietly replace invalid UTF-8; refuse it instead.
            if std::str::from_utf8(bytes).is_err()
                || percent_encoding::percent_decode(bytes)
                    .decode_utf8()
                    .is_err()
            {
                return Err(ApiError::Malformed("the form is not valid UTF-8".into()));
            }
            let mut map = Map::new();
            for (k, v) in url::form_urlencoded::parse(bytes) {
                if map
                    .insert(k.clone().into_owned(), Value::String(v.into_owned()))
                    .is_some()
                {
                    return Err(duplicate(&k));
                }
            }
            Ok(map)
        }
    }
}

/// A JSON object read field by field, refusing a field that comes twice (plain maps keep the
/// last one silently).
struct Fields(Map<String, Value>);

impl<'de> Deserialize<'de> for Fields {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Fields;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> Result<Fields, A::Error> {
                let mut map = Map::new();
                while let Some(key) = a.next_key::<String>()? {
                    let value = a.next_value::<Value>()?;
                    if map.contains_key(&key) {
                        return Err(serde::de::Error::custom(format!("duplicate field `{key}`")));
                    }
                    map.insert(key, value);
                }
                Ok(Fields(map))
            }
        }
        d.deserialize_map(Visitor)
    }
}

/// The body's format from `Content-Type`; `None` for anything we do not take.
pub fn encoding(req: &HttpRequest) -> Option<Encoding> {
    let value = req.headers().get(header::CONTENT_TYPE)?.to_str().ok()?;
    let mut parts = value.split(';').map(str::trim);
    let essence = parts.next()?.to_ascii_lowercase();
    let charset_ok = parts.all(|p| {
        p.split_once('=').is_none_or(|(k, v)| {
            !k.trim().eq_ignore_ascii_case("charset")
                || v.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
        })
    });
    match essence.as_str() {
        _ if !charset_ok => None,
        "application/json" => Some(Encoding::Json),
        "application/x-www-form-urlencoded" => Some(Encoding::Form),
        _ => None,
    }
}

/// Reads at most `MAX_BODY` bytes, so an endless body cannot hold a worker; a slow one is cut
/// off by the body time limit every route has (`http::deadline`).
pub async fn read_body(req: &HttpRequest, mut body: web::Payload) -> Result<Bytes, ApiError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > MAX_BODY) {
        return Err(ApiError::TooLarge);
    }
    let mut buf = BytesMut::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| match e {
            e if crate::http::deadline::is_timeout(&e) => ApiError::Timeout,
            e => ApiError::Malformed(e.to_string()),
        })?;
        if buf.len() + chunk.len() > MAX_BODY {
            return Err(ApiError::TooLarge);
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}
