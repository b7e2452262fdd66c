//! Metadata on real samples written by exiftool: what the original revealed is read, the
//! cleaned copy carries none of it (exiftool finds no author, GPS, make or model), the original
//! still does, and a JPEG's image data is copied byte for byte.

use courrier::files::{clean, sniff, Kind};

use super::{exiftool_tags, exiftool_write, identifying_tags, package, samples, unpack};

fn tagged_jpeg() -> Vec<u8> {
    exiftool_write(
        samples::JPEG,
        "jpg",
        &[
            "-GPSLatitude=48.8566",
            "-GPSLatitudeRef=N",
            "-GPSLongitude=2.3522",
            "-GPSLongitudeRef=W",
            "-Make=Canon",
            "-Model=Canon EOS 5D",
            "-Artist=Jeanne Source",
            "-Software=Darktable 4.2",
            "-DateTimeOriginal=2026:03:14 09:26:53",
            "-XMP-dc:Creator=Jeanne Source",
            "-IPTC:By-line=Jeanne Source",
            "-Comment=shot from the balcony",
        ],
    )
}

/// The entropy-coded image data: everything from the first start-of-scan marker on.
fn image_data(jpeg: &[u8]) -> &[u8] {
    let at = jpeg.windows(2).position(|w| w == [0xFF, 0xDA]).unwrap();
    &jpeg[at..]
}

#[test]
fn a_jpeg_reveals_its_camera_author_and_position_and_its_copy_nothing() {
    let original = tagged_jpeg();
    assert_eq!(sniff(&original), Some(Kind::Jpeg));
    let cleaning = clean(Kind::Jpeg, &original).unwrap();
    let revealed = &cleaning.revealed;
    assert_eq!(revealed.author.as_deref(), Some("Jeanne Source"));
    assert_eq!(revealed.device.as_deref(), Some("Canon EOS 5D"));
    assert_eq!(revealed.software.as_deref(), Some("Darktable 4.2"));
    assert_eq!(revealed.created_at.as_deref(), Some("2026-03-14T09:26:53"));
    let (lat, lon) = revealed.gps.unwrap();
    assert!(
        (lat - 48.8566).abs() < 1e-4 && (lon + 2.3522).abs() < 1e-4,
        "{lat} {lon}"
    );
    assert!(cleaning.cleaned());

    let copy = cleaning.copy.unwrap();
    assert_eq!(
        identifying_tags(&exiftool_tags(&copy, "jpg")),
        Vec::<String>::new()
    );
    let before = identifying_tags(&exiftool_tags(&original, "jpg"));
    for tag in [
        "Artist",
        "Make",
        "Model",
        "GPSLatitude",
        "Creator",
        "Comment",
    ] {
        assert!(
            before.iter().any(|t| t == tag),
            "the original keeps {tag}: {before:?}"
        );
    }
    assert!(!copy.windows(6).any(|w| w == b"Jeanne"));
    // No re-encoding: the compressed pixels are the same bytes.
    assert_eq!(image_data(&copy), image_data(&original));
    assert_eq!(sniff(&copy), Some(Kind::Jpeg));
}

#[test]
fn png_and_webp_lose_their_exif_and_xmp() {
    for (sample, kind, extension) in [
        (samples::PNG, Kind::Png, "png"),
        (samples::WEBP, Kind::Webp, "webp"),
    ] {
        let original = exiftool_write(
            sample,
            extension,
            &[
                "-EXIF:Make=Apple",
                "-EXIF:Model=iPhone 15",
                "-PNG:Author=Jeanne Source",
                "-XMP-dc:Creator=Jeanne Source",
            ],
        );
        let cleaning = clean(kind, &original).unwrap();
        assert_eq!(
            cleaning.revealed.device.as_deref(),
            Some("Apple iPhone 15"),
            "{kind:?}"
        );
        assert!(!identifying_tags(&exiftool_tags(&original, extension)).is_empty());
        let copy = cleaning.copy.unwrap();
        let left = identifying_tags(&exiftool_tags(&copy, extension));
        assert_eq!(left, Vec::<String>::new(), "{kind:?}");
        assert_eq!(sniff(&copy), Some(kind));
    }
}

/// A one-page PDF written by lopdf.
fn pdf() -> Vec<u8> {
    use lopdf::{dictionary, Document, Object, Stream};
    let mut document = Document::with_version("1.5");
    let pages_id = document.new_object_id();
    let content = document.add_object(Stream::new(dictionary! {}, b"BT ET".to_vec()));
    let page = document.add_object(dictionary! {
        "Type" => "Page",
        "Parent" => pages_id,
        "Contents" => content,
        "MediaBox" => vec![0.into(), 0.into(), 200.into(), 200.into()],
    });
    document.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => vec![page.into()],
            "Count" => 1,
        }),
    );
    let catalog = document.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    document.trailer.set("Root", catalog);
    let mut bytes = Vec::new();
    document.save_to(&mut bytes).unwrap();
    bytes
}

#[test]
fn a_pdf_reveals_its_author_and_its_copy_nothing() {
    let original = exiftool_write(
        &pdf(),
        "pdf",
        &[
            "-PDF:Author=Jeanne Source",
            "-PDF:Creator=Microsoft Word",
            "-PDF:Producer=macOS Quartz PDFContext",
            "-PDF:CreateDate=2026:03:14 09:26:53+01:00",
            "-XMP-dc:Creator=Jeanne Source",
            "-XMP-pdf:Producer=macOS Quartz PDFContext",
        ],
    );
    assert_eq!(sniff(&original), Some(Kind::Pdf));
    let cleaning = clean(Kind::Pdf, &original).unwrap();
    let revealed = &cleaning.revealed;
    assert_eq!(revealed.author.as_deref(), Some("Jeanne Source"));
    assert_eq!(
        revealed.software.as_deref(),
        Some("Microsoft Word, macOS Quartz PDFContext")
    );
    assert_eq!(
        revealed.created_at.as_deref(),
        Some("2026-03-14T09:26:53+01:00")
    );
    let before = identifying_tags(&exiftool_tags(&original, "pdf"));
    assert!(before.iter().any(|t| t == "Author"), "{before:?}");
    let copy = cleaning.copy.unwrap();
    assert_eq!(
        identifying_tags(&exiftool_tags(&copy, "pdf")),
        Vec::<String>::new()
    );
    // Pruned: the removed Info and XMP objects are not written out, nor the earlier revision.
    assert!(!copy.windows(6).any(|w| w == b"Jeanne"));
    assert_eq!(sniff(&copy), Some(Kind::Pdf));
}

const CORE: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:creator>Jeanne Source</dc:creator><cp:lastModifiedBy>J. S.</cp:lastModifiedBy><dcterms:created xsi:type="dcterms:W3CDTF">2026-03-14T09:26:53Z</dcterms:created><dcterms:modified xsi:type="dcterms:W3CDTF">2026-03-15T10:00:00Z</dcterms:modified></cp:coreProperties>"#;
const APP: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Application>Microsoft Office Word</Application><Company>Ministère &amp; Cie</Company></Properties>"#;
const DOCUMENT: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:ins w:id="1" w:author="Jeanne Source" w:date="2026-03-14T09:30:00Z"><w:r><w:t>Le rapport &amp; ses annexes</w:t></w:r></w:ins></w:p></w:body></w:document>"#;
const COMMENTS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:comments xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:comment w:id="0" w:author="Jeanne Source" w:initials="JS" w:date="2026-03-14T09:31:00Z"><w:p><w:r><w:t>À vérifier</w:t></w:r></w:p></w:comment></w:comments>"#;
const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/comments.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.comments+xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/><Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/></Types>"#;
const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/></Relationships>"#;
const DOCUMENT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/comments" Target="comments.xml"/></Relationships>"#;

pub fn authored_docx() -> Vec<u8> {
    package(&[
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", RELS),
        ("word/document.xml", DOCUMENT),
        ("word/_rels/document.xml.rels", DOCUMENT_RELS),
        ("word/comments.xml", COMMENTS),
        ("docProps/core.xml", CORE),
        ("docProps/app.xml", APP),
    ])
}

#[test]
fn a_docx_reveals_its_author_and_company_and_its_copy_nothing() {
    let original = authored_docx();
    assert_eq!(sniff(&original), Some(Kind::Docx));
    let cleaning = clean(Kind::Docx, &original).unwrap();
    let revealed = &cleaning.revealed;
    assert_eq!(revealed.author.as_deref(), Some("Jeanne Source"));
    assert_eq!(revealed.organisation.as_deref(), Some("Ministère & Cie"));
    assert_eq!(revealed.software.as_deref(), Some("Microsoft Office Word"));
    assert_eq!(
        revealed.created_at.as_deref(),
        Some("2026-03-14T09:26:53+00:00")
    );
    assert_eq!(
        revealed.modified_at.as_deref(),
        Some("2026-03-15T10:00:00+00:00")
    );
    let before = identifying_tags(&exiftool_tags(&original, "docx"));
    assert!(before.iter().any(|t| t == "Creator") && before.iter().any(|t| t == "Company"));

    let copy = cleaning.copy.unwrap();
    assert_eq!(
        identifying_tags(&exiftool_tags(&copy, "docx")),
        Vec::<String>::new()
    );
    assert_eq!(sniff(&copy), Some(Kind::Docx));
    let parts = unpack(&copy);
    let names: Vec<&str> = parts.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names.len(),
        7,
        "every part is kept, so content types and rels agree: {names:?}"
    );
    for (name, text) in &parts {
        for secret in ["Jeanne", "JS", "J. S.", "2026-03-14", "Ministère"] {
            assert!(
                !text.contains(secret),
                "{name} still holds {secret}: {text}"
            );
        }
    }
    // The text itself is untouched, its escapes included.
    let document = &parts
        .iter()
        .find(|(name, _)| name == "word/document.xml")
        .unwrap()
        .1;
    assert!(
        document.contains("Le rapport &amp; ses annexes"),
        "{document}"
    );
    assert!(document.contains(r#"w:author="""#), "{document}");
}

const META: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/" office:version="1.3"><office:meta><meta:initial-creator>Jeanne Source</meta:initial-creator><dc:creator>J. S.</dc:creator><meta:generator>LibreOffice/7.4</meta:generator><meta:creation-date>2026-03-14T09:26:53.123</meta:creation-date><dc:date>2026-03-15T10:00:00</dc:date></office:meta></office:document-meta>"#;
const ODT_CONTENT: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><office:body><office:text><text:tracked-changes><text:changed-region text:id="c1"><text:insertion><office:change-info><dc:creator>Jeanne Source</dc:creator><dc:date>2026-03-14T09:30:00</dc:date></office:change-info></text:insertion></text:changed-region></text:tracked-changes><text:p>Texte<office:annotation><dc:creator>Jeanne Source</dc:creator><text:p>note</text:p></office:annotation></text:p></office:text></office:body></office:document-content>"#;

#[test]
fn an_odt_reveals_its_author_and_its_copy_nothing() {
    let original = package(&[
        ("mimetype", "application/vnd.oasis.opendocument.text"),
        ("META-INF/manifest.xml", "<manifest:manifest/>"),
        ("content.xml", ODT_CONTENT),
        ("meta.xml", META),
    ]);
    assert_eq!(sniff(&original), Some(Kind::Odt));
    let cleaning = clean(Kind::Odt, &original).unwrap();
    let revealed = &cleaning.revealed;
    assert_eq!(revealed.author.as_deref(), Some("Jeanne Source"));
    assert_eq!(revealed.software.as_deref(), Some("LibreOffice/7.4"));
    assert_eq!(revealed.created_at.as_deref(), Some("2026-03-14T09:26:53"));
    assert_eq!(revealed.modified_at.as_deref(), Some("2026-03-15T10:00:00"));
    let copy = cleaning.copy.unwrap();
    // The mimetype part stays first and stored, so the copy is still an ODF text.
    assert_eq!(sniff(&copy), Some(Kind::Odt));
    for (name, text) in unpack(&copy) {
        for secret in ["Jeanne", "J. S.", "LibreOffice", "2026-03"] {
            assert!(
                !text.contains(secret),
                "{name} still holds {secret}: {text}"
            );
        }
    }
}

#[test]
fn types_without_a_cleaner_are_served_as_they_are() {
    for kind in [
        Kind::Gif,
        Kind::Text,
        Kind::Mp3,
        Kind::M4a,
        Kind::Ogg,
        Kind::Wav,
        Kind::Mp4,
    ] {
        let cleaning = clean(kind, samples::GIF).unwrap();
        assert!(!cleaning.cleaned(), "{kind:?}");
        assert!(cleaning.revealed.is_empty());
    }
}
