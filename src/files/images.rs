//! JPEG, PNG and WebP: the metadata segments and chunks are dropped and the image data is
//! copied byte for byte (`img-parts`, no re-encoding); EXIF is read from the original with
//! `kamadak-exif`, which also reads it from HEIC.

use std::io::Cursor;

use exif::{In, Tag, Value};
use img_parts::{jpeg, png, webp, Bytes, ImageEXIF};

use super::revealed::{date, either, value};
use super::{Cleaning, FileError, Revealed};

/// APP1 (EXIF, XMP), APP3..APP13 (IPTC and Photoshop in APP13, vendor notes elsewhere), APP15,
/// and comments. Kept: APP0 (JFIF), APP2 (the ICC colour profile, which says nothing about a
/// person) and APP14 (Adobe's colour transform, needed to decode some files).
fn is_jpeg_metadata(marker: u8) -> bool {
    matches!(
        marker,
        jpeg::markers::APP1 | jpeg::markers::APP3..=jpeg::markers::APP13
    ) || marker == jpeg::markers::APP15
        || marker == jpeg::markers::COM
}

/// Text (tEXt, zTXt, iTXt, where XMP lives), EXIF and the last-modification time.
const PNG_METADATA: [[u8; 4]; 5] = [*b"tEXt", *b"zTXt", *b"iTXt", *b"eXIf", *b"tIME"];

pub(super) fn clean_jpeg(original: &[u8]) -> Result<Cleaning, FileError> {
    let mut image =
        jpeg::Jpeg::from_bytes(Bytes::copy_from_slice(original)).map_err(FileError::malformed)?;
    let revealed = exif_or_nothing(original);
    image
        .segments_mut()
        .retain(|segment| !is_jpeg_metadata(segment.marker()));
    Ok(Cleaning {
        revealed,
        copy: Some(image.encoder().bytes().to_vec()),
    })
}

pub(super) fn clean_png(original: &[u8]) -> Result<Cleaning, FileError> {
    let mut image =
        png::Png::from_bytes(Bytes::copy_from_slice(original)).map_err(FileError::malformed)?;
    let revealed = exif_or_nothing(original);
    image
        .chunks_mut()
        .retain(|chunk| !PNG_METADATA.contains(&chunk.kind()));
    Ok(Cleaning {
        revealed,
        copy: Some(image.encoder().bytes().to_vec()),
    })
}

pub(super) fn clean_webp(original: &[u8]) -> Result<Cleaning, FileError> {
    let mut image =
        webp::WebP::from_bytes(Bytes::copy_from_slice(original)).map_err(FileError::malformed)?;
    let revealed = exif_or_nothing(original);
    image.remove_chunks_by_id(*b"XMP ");
    // Removing EXIF this way also clears the VP8X flags that announce EXIF and XMP.
    image.set_exif(None);
    Ok(Cleaning {
        revealed,
        copy: Some(image.encoder().bytes().to_vec()),
    })
}

/// An EXIF block that cannot be read is removed all the same: the image itself is sound.
fn exif_or_nothing(original: &[u8]) -> Revealed {
    revealed_by_exif(original).unwrap_or_default()
}

/// What the EXIF block of a JPEG, PNG, WebP or HEIC says; nothing when it has none.
pub(super) fn revealed_by_exif(original: &[u8]) -> Result<Revealed, FileError> {
    let exif = match exif::Reader::new().read_from_container(&mut Cursor::new(original)) {
        Ok(exif) => exif,
        Err(exif::Error::NotFound(_)) | Err(exif::Error::BlankValue(_)) => {
            return Ok(Revealed::default())
        }
        Err(e) => return Err(FileError::malformed(e)),
    };
    let text = |tag: Tag| {
        exif.get_field(tag, In::PRIMARY)
            .and_then(|field| match &field.value {
                Value::Ascii(parts) => parts
                    .first()
                    .and_then(|part| value(&String::from_utf8_lossy(part))),
                _ => value(&field.display_value().to_string()),
            })
    };
    let device = match (text(Tag::Make), text(Tag::Model)) {
        (Some(make), Some(model)) if model.starts_with(&make) => Some(model),
        (Some(make), Some(model)) => value(&format!("{make} {model}")),
        (make, model) => either(make, model),
    };
    let exif_date = |tag: Tag| text(tag).and_then(|raw| date(&raw, &["%Y:%m:%d %H:%M:%S"]));
    Ok(Revealed {
        author: either(text(Tag::Artist), text(Tag::Copyright)),
        organisation: None,
        device,
        gps: gps(&exif),
        software: text(Tag::Software),
        created_at: either(
            exif_date(Tag::DateTimeOriginal),
            exif_date(Tag::DateTimeDigitized),
        ),
        modified_at: exif_date(Tag::DateTime),
    })
}

/// The position in signed degrees, when latitude and longitude are both there and make sense.
fn gps(exif: &exif::Exif) -> Option<(f64, f64)> {
    let degrees = |tag: Tag, reference: Tag, negative: u8| {
        let field = exif.get_field(tag, In::PRIMARY)?;
        let Value::Rational(parts) = &field.value else {
            return None;
        };
        let [d, m, s] = parts.as_slice() else {
            return None;
        };
        let value = d.to_f64() + m.to_f64() / 60.0 + s.to_f64() / 3600.0;
        let sign = match &exif.get_field(reference, In::PRIMARY)?.value {
            Value::Ascii(parts) if parts.first()?.first() == Some(&negative) => -1.0,
            _ => 1.0,
        };
        value.is_finite().then_some(sign * value)
    };
    let lat = degrees(Tag::GPSLatitude, Tag::GPSLatitudeRef, b'S')?;
    let lon = degrees(Tag::GPSLongitude, Tag::GPSLongitudeRef, b'W')?;
    ((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)).then_some((lat, lon))
}
