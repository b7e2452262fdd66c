//! PDF: the document Info dictionary and every XMP metadata stream (the catalog's, and those of
//! pages and images) are removed, then the objects nothing points to any more are pruned so the
//! removed values are not written out; the rewrite also drops earlier incremental revisions.

use lopdf::{Document, Object};

use super::revealed::{date, either, value};
use super::{Cleaning, FileError, Revealed};

/// PDF dates: `D:YYYYMMDDHHmmSS` with an optional `+HH'mm'` or `Z`.
const PDF_DATE_FORMATS: [&str; 3] = ["D:%Y%m%d%H%M%S%#z", "D:%Y%m%d%H%M%S", "D:%Y%m%d%H%M"];

pub(super) fn clean(original: &[u8]) -> Result<Cleaning, FileError> {
    let mut document = Document::load_mem(original).map_err(FileError::malformed)?;
    if document.is_encrypted() || document.trailer.has(b"Encrypt") {
        return Err(FileError::Encrypted);
    }
    let revealed = revealed(&document);
    document.trailer.remove(b"Info");
    for object in document.objects.values_mut() {
        let dictionary = match object {
            Object::Dictionary(dictionary) => dictionary,
            Object::Stream(stream) => &mut stream.dict,
            _ => continue,
        };
        // `Metadata` holds XMP wherever it appears; `PieceInfo` holds an application's private
        // data (Illustrator, Photoshop), often with names and paths.
        dictionary.remove(b"Metadata");
        dictionary.remove(b"PieceInfo");
    }
    document.prune_objects();
    let mut copy = Vec::with_capacity(original.len());
    document.save_to(&mut copy).map_err(FileError::malformed)?;
    Ok(Cleaning {
        revealed,
        copy: Some(copy),
    })
}

fn revealed(document: &Document) -> Revealed {
    let info = document
        .trailer
        .get(b"Info")
        .ok()
        .and_then(|info| match info {
            Object::Reference(id) => document.get_dictionary(*id).ok(),
            Object::Dictionary(dictionary) => Some(dictionary),
            _ => None,
        });
    let Some(info) = info else {
        return Revealed::default();
    };
    let text = |key: &[u8]| {
        let object = info.get(key).ok()?;
        let object = match object {
            Object::Reference(id) => document.get_object(*id).ok()?,
            direct => direct,
        };
        lopdf::decode_text_string(object)
            .ok()
            .and_then(|raw| value(&raw))
    };
    let pdf_date =
        |key: &[u8]| text(key).and_then(|raw| date(&raw.replace('\'', ""), &PDF_DATE_FORMATS));
    Revealed {
        author: text(b"Author"),
        organisation: text(b"Company"),
        device: None,
        gps: None,
        // Creator names the program that made the document, Producer the one that wrote the PDF.
        software: match (text(b"Creator"), text(b"Producer")) {
            (Some(creator), Some(producer)) if creator != producer => {
                value(&format!("{creator}, {producer}"))
            }
            (creator, producer) => either(creator, producer),
        },
        created_at: pdf_date(b"CreationDate"),
        modified_at: pdf_date(b"ModDate"),
    }
}
