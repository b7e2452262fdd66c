//! OOXML (docx, xlsx, pptx) and ODF (odt, ods): the document properties (`docProps/*.xml`,
//! `meta.xml`) are emptied in place, so the package's content types and relationships stay
//! consistent, and the authors and dates of comments and tracked changes are blanked in every
//! other XML part. Read with `zip`, rewritten with `quick-xml`; every part is written anew with
//! a fixed timestamp and no extra fields, since a zip entry's own metadata tells when it was
//! saved.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{Cursor, Read, Write};

use quick_xml::events::attributes::Attribute;
use quick_xml::events::{BytesStart, Event};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use super::revealed::{date, either, value};
use super::{Cleaning, FileError, Revealed};

/// A zip bomb stops here: more parts or more unpacked bytes than any real document has.
const MAX_PARTS: usize = 10_000;
const MAX_UNPACKED_BYTES: u64 = 256 * 1024 * 1024;

const EMPTY_CORE: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"></cp:coreProperties>"#;
const EMPTY_APP: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"></Properties>"#;
const EMPTY_CUSTOM: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"></Properties>"#;
const EMPTY_META: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" office:version="1.2"><office:meta/></office:document-meta>"#;

const ISO_DATES: [&str; 3] = ["%+", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S"];

struct Part {
    name: String,
    bytes: Vec<u8>,
    stored: bool,
    directory: bool,
}

pub(super) fn clean_ooxml(original: &[u8]) -> Result<Cleaning, FileError> {
    let mut parts = read_parts(original)?;
    let mut found = HashMap::new();
    for part in &mut parts {
        let replacement = match part.name.as_str() {
            "docProps/core.xml" => Some(EMPTY_CORE),
            "docProps/app.xml" => Some(EMPTY_APP),
            "docProps/custom.xml" => Some(EMPTY_CUSTOM),
            _ => None,
        };
        if let Some(replacement) = replacement {
            let wanted = [
                "creator",
                "lastModifiedBy",
                "created",
                "modified",
                "Company",
                "Application",
            ];
            found.extend(element_texts(&part.bytes, &wanted)?);
            part.bytes = replacement.as_bytes().to_vec();
        } else if is_xml(&part.name) {
            part.bytes = blank_authors(&part.bytes)?;
        }
    }
    let mut take = |key: &str| found.remove(key).and_then(|raw| value(&raw));
    let revealed = Revealed {
        author: either(take("creator"), take("lastModifiedBy")),
        organisation: take("Company"),
        software: take("Application"),
        created_at: take("created").and_then(|raw| date(&raw, &ISO_DATES)),
        modified_at: take("modified").and_then(|raw| date(&raw, &ISO_DATES)),
        ..Revealed::default()
    };
    Ok(Cleaning {
        revealed,
        copy: Some(write_parts(&parts)?),
    })
}

pub(super) fn clean_odf(original: &[u8]) -> Result<Cleaning, FileError> {
    let mut parts = read_parts(original)?;
    let mut found = HashMap::new();
    for part in &mut parts {
        if part.name == "meta.xml" {
            let wanted = [
                "initial-creator",
                "creator",
                "generator",
                "creation-date",
                "date",
            ];
            found.extend(element_texts(&part.bytes, &wanted)?);
            part.bytes = EMPTY_META.as_bytes().to_vec();
        } else if is_xml(&part.name) {
            part.bytes = blank_authors(&part.bytes)?;
        }
    }
    let mut take = |key: &str| found.remove(key).and_then(|raw| value(&raw));
    let revealed = Revealed {
        author: either(take("initial-creator"), take("creator")),
        software: take("generator"),
        created_at: take("creation-date").and_then(|raw| date(&raw, &ISO_DATES)),
        modified_at: take("date").and_then(|raw| date(&raw, &ISO_DATES)),
        ..Revealed::default()
    };
    Ok(Cleaning {
        revealed,
        copy: Some(write_parts(&parts)?),
    })
}

fn is_xml(name: &str) -> bool {
    name.ends_with(".xml") && name != "[Content_Types].xml"
}

fn read_parts(original: &[u8]) -> Result<Vec<Part>, FileError> {
    let mut archive = ZipArchive::new(Cursor::new(original)).map_err(FileError::malformed)?;
    if archive.len() > MAX_PARTS {
        return Err(FileError::TooLarge);
    }
    let mut left = MAX_UNPACKED_BYTES;
    let mut parts = Vec::with_capacity(archive.len());
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).map_err(FileError::malformed)?;
        if entry.encrypted() {
            return Err(FileError::Encrypted);
        }
        let name = entry.name().map_err(FileError::malformed)?.into_owned();
        let stored = entry.compression() == CompressionMethod::Stored;
        let directory = entry.is_dir();
        // What the entry says it unpacks to refuses an honest bomb at once; `take` below stops
        // one that lies about it.
        if entry.size() > left {
            return Err(FileError::TooLarge);
        }
        let mut bytes = Vec::new();
        (&mut entry)
            .take(left + 1)
            .read_to_end(&mut bytes)
            .map_err(FileError::malformed)?;
        left = left
            .checked_sub(bytes.len() as u64)
            .ok_or(FileError::TooLarge)?;
        parts.push(Part {
            name,
            bytes,
            stored,
            directory,
        });
    }
    Ok(parts)
}

fn write_parts(parts: &[Part]) -> Result<Vec<u8>, FileError> {
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    for part in parts {
        // ODF wants its `mimetype` first and stored: order and method are kept as found.
        let method = if part.stored {
            CompressionMethod::Stored
        } else {
            CompressionMethod::Deflated
        };
        let options = SimpleFileOptions::default()
            .compression_method(method)
            .last_modified_time(zip::DateTime::default());
        if part.directory {
            writer
                .add_directory(part.name.as_str(), options)
                .map_err(FileError::malformed)?;
            continue;
        }
        writer
            .start_file(part.name.as_str(), options)
            .map_err(FileError::malformed)?;
        writer
            .write_all(&part.bytes)
            .map_err(FileError::malformed)?;
    }
    let written = writer.finish().map_err(FileError::malformed)?;
    Ok(written.into_inner())
}

/// The text of the first element of each wanted local name (namespace prefixes ignored).
fn element_texts(xml: &[u8], wanted: &[&str]) -> Result<HashMap<String, String>, FileError> {
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut buffer = Vec::new();
    let mut found = HashMap::new();
    let mut current: Option<(String, String)> = None;
    loop {
        match reader
            .read_event_into(&mut buffer)
            .map_err(FileError::malformed)?
        {
            Event::Start(start) => {
                let local = start.local_name().as_ref().to_string();
                if wanted.contains(&local.as_str()) && !found.contains_key(&local) {
                    current = Some((local, String::new()));
                }
            }
            Event::Text(text) => {
                if let Some((_, raw)) = &mut current {
                    raw.push_str(&text);
                }
            }
            Event::GeneralRef(reference) => {
                if let Some((_, raw)) = &mut current {
                    raw.push('&');
                    raw.push_str(&reference);
                    raw.push(';');
                }
            }
            Event::End(_) => {
                if let Some((local, raw)) = current.take() {
                    let text = quick_xml::escape::unescape(&raw)
                        .map(|text| text.into_owned())
                        .unwrap_or(raw);
                    found.insert(local, text);
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buffer.clear();
    }
    Ok(found)
}

/// Words that must appear in a part for it to name a person; other parts are copied unchanged.
const PERSON_NEEDLES: [&[u8]; 10] = [
    b"author",
    b"Author",
    b"initials",
    b"creator",
    b"userId",
    b"providerId",
    b"w:date",
    b"dc:date",
    b"dateUtc",
    b"person",
];

/// The part with the authors, initials and dates of comments and tracked changes blanked:
/// attributes `author`, `initials`, `userId`, `providerId`, the `name`/`displayName` of a
/// comment author or person, WordprocessingML's `w:date`, and the text of `author`,
/// `dc:creator` and `dc:date` elements (spreadsheet comment authors, ODF annotations and
/// changes).
fn blank_authors(xml: &[u8]) -> Result<Vec<u8>, FileError> {
    if !PERSON_NEEDLES
        .iter()
        .any(|needle| xml.windows(needle.len()).any(|window| window == *needle))
    {
        return Ok(xml.to_vec());
    }
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut writer = quick_xml::Writer::new(Vec::with_capacity(xml.len()));
    let mut buffer = Vec::new();
    // Inside an element whose text names a person: its text is dropped until it ends.
    let mut silenced = 0usize;
    loop {
        let event = reader
            .read_event_into(&mut buffer)
            .map_err(FileError::malformed)?;
        let event = match event {
            Event::Eof => break,
            Event::Start(start) => {
                if silenced > 0 || names_person_in_text(&start) {
                    silenced += 1;
                }
                Event::Start(blank_attributes(&start)?)
            }
            Event::Empty(start) => Event::Empty(blank_attributes(&start)?),
            Event::End(end) => {
                silenced = silenced.saturating_sub(1);
                Event::End(end)
            }
            Event::Text(_) | Event::GeneralRef(_) | Event::CData(_) if silenced > 0 => {
                buffer.clear();
                continue;
            }
            other => other,
        };
        writer.write_event(event).map_err(FileError::malformed)?;
        buffer.clear();
    }
    Ok(writer.into_inner())
}

fn names_person_in_text(start: &BytesStart) -> bool {
    let local = start.local_name();
    let qualified = start.name();
    matches!(local.as_ref(), "author" | "creator") || qualified.as_ref() == "dc:date"
}

fn blank_attributes(start: &BytesStart) -> Result<BytesStart<'static>, FileError> {
    let element = start.local_name();
    let holds_person_name = matches!(element.as_ref(), "cmAuthor" | "author" | "person");
    let name = start.name().as_ref().to_string();
    let mut rewritten = BytesStart::new(name);
    for attribute in start.attributes() {
        let attribute = attribute.map_err(FileError::malformed)?;
        let key = attribute.key;
        let local = key.local_name();
        let blanked = matches!(
            local.as_ref(),
            "author" | "initials" | "userId" | "providerId"
        ) || (holds_person_name && matches!(local.as_ref(), "name" | "displayName"));
        if key.as_ref() == "w:date" || local.as_ref() == "dateUtc" {
            continue;
        }
        // The value is pushed raw (already escaped as found), or blank.
        let value = if blanked {
            Cow::Borrowed("")
        } else {
            attribute.value
        };
        rewritten.push_attribute(Attribute { key, value });
    }
    Ok(rewritten)
}
