//! What a file is, decided by its bytes only (magic numbers), never by the declared type or the
//! name: the kinds Courrier accepts by default, each with its MIME type and extension.

/// The types of the default list. Anything else (an executable, an archive, HTML with
/// a NUL) is not a `Kind`: `sniff` answers `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Jpeg,
    Png,
    Webp,
    Gif,
    Heic,
    Pdf,
    Text,
    Docx,
    Xlsx,
    Pptx,
    Odt,
    Ods,
    Mp3,
    M4a,
    Ogg,
    Wav,
    Mp4,
}

impl Kind {
    pub const ALL: [Kind; 17] = [
        Kind::Jpeg,
        Kind::Png,
        Kind::Webp,
        Kind::Gif,
        Kind::Heic,
        Kind::Pdf,
        Kind::Text,
        Kind::Docx,
        Kind::Xlsx,
        Kind::Pptx,
        Kind::Odt,
        Kind::Ods,
        Kind::Mp3,
        Kind::M4a,
        Kind::Ogg,
        Kind::Wav,
        Kind::Mp4,
    ];

    pub fn mime(self) -> &'static str {
        match self {
            Kind::Jpeg => "image/jpeg",
            Kind::Png => "image/png",
            Kind::Webp => "image/webp",
            Kind::Gif => "image/gif",
            Kind::Heic => "image/heic",
            Kind::Pdf => "application/pdf",
            Kind::Text => "text/plain",
            Kind::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            Kind::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Kind::Pptx => {
                "application/vnd.openxmlformats-officedocument.presentationml.presentation"
            }
            Kind::Odt => "application/vnd.oasis.opendocument.text",
            Kind::Ods => "application/vnd.oasis.opendocument.spreadsheet",
            Kind::Mp3 => "audio/mpeg",
            Kind::M4a => "audio/mp4",
            Kind::Ogg => "audio/ogg",
            Kind::Wav => "audio/wav",
            Kind::Mp4 => "video/mp4",
        }
    }

    /// The kind a MIME type of the list names (for the `types` setting), if any.
    pub fn from_mime(mime: &str) -> Option<Kind> {
        Kind::ALL
            .into_iter()
            .find(|kind| kind.mime().eq_ignore_ascii_case(mime.trim()))
    }

    /// The extension a stored name gets when the one sent contradicts the content.
    pub fn extension(self) -> &'static str {
        self.extensions()[0]
    }

    /// Every extension that agrees with the content, the canonical one first.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            Kind::Jpeg => &["jpg", "jpeg", "jpe", "jfif"],
            Kind::Png => &["png"],
            Kind::Webp => &["webp"],
            Kind::Gif => &["gif"],
            Kind::Heic => &["heic", "heif"],
            Kind::Pdf => &["pdf"],
            Kind::Text => &["txt", "text", "md", "csv", "log"],
            Kind::Docx => &["docx"],
            Kind::Xlsx => &["xlsx"],
            Kind::Pptx => &["pptx"],
            Kind::Odt => &["odt"],
            Kind::Ods => &["ods"],
            Kind::Mp3 => &["mp3"],
            Kind::M4a => &["m4a"],
            Kind::Ogg => &["ogg", "oga", "opus"],
            Kind::Wav => &["wav"],
            Kind::Mp4 => &["mp4", "m4v"],
        }
    }
}

/// One of `infer`'s magic-number checks.
type Matcher = fn(&[u8]) -> bool;

/// The kind the content's own bytes show: `infer`'s matchers for the binary formats, then plain
/// UTF-8 text without NUL. Give it the whole file, or at least its first 8 KiB when only a
/// prefix is at hand (the text check then judges that prefix, a cut multi-byte character at
/// its end excepted).
pub fn sniff(bytes: &[u8]) -> Option<Kind> {
    use infer::{archive, audio, doc, image, odf, video};
    // Most specific first: M4A is an MP4 container with its own brand.
    let matchers: [(Matcher, Kind); 16] = [
        (image::is_jpeg, Kind::Jpeg),
        (image::is_png, Kind::Png),
        (image::is_webp, Kind::Webp),
        (image::is_gif, Kind::Gif),
        (image::is_heif, Kind::Heic),
        (archive::is_pdf, Kind::Pdf),
        (doc::is_docx, Kind::Docx),
        (doc::is_xlsx, Kind::Xlsx),
        (doc::is_pptx, Kind::Pptx),
        (odf::is_odt, Kind::Odt),
        (odf::is_ods, Kind::Ods),
        (audio::is_m4a, Kind::M4a),
        (audio::is_mp3, Kind::Mp3),
        (audio::is_ogg, Kind::Ogg),
        (audio::is_wav, Kind::Wav),
        (video::is_mp4, Kind::Mp4),
    ];
    if let Some((_, kind)) = matchers.iter().find(|(matches, _)| matches(bytes)) {
        return Some(*kind);
    }
    if let Some(kind) = ooxml_by_parts(bytes) {
        return Some(kind);
    }
    // Something `infer` knows and the list does not (an ELF, a zip, an exe) is not text, even
    // when its first bytes happen to be valid UTF-8.
    if infer::get(bytes).is_some_and(|found| found.matcher_type() != infer::MatcherType::Text) {
        return None;
    }
    is_plain_text(bytes).then_some(Kind::Text)
}

/// `infer` tells OOXML's kind from the order of the first zip entries, which varies between
/// writers; when it cannot tell, the package's own parts do: a zip with `[Content_Types].xml`
/// and the main part of a document, workbook or presentation. Needs the whole file.
fn ooxml_by_parts(bytes: &[u8]) -> Option<Kind> {
    if !bytes.starts_with(b"PK\x03\x04") {
        return None;
    }
    let archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).ok()?;
    archive.index_for_name("[Content_Types].xml")?;
    [
        ("word/document.xml", Kind::Docx),
        ("xl/workbook.xml", Kind::Xlsx),
        ("ppt/presentation.xml", Kind::Pptx),
    ]
    .into_iter()
    .find(|(part, _)| archive.index_for_name(part).is_some())
    .map(|(_, kind)| kind)
}

/// Non-empty UTF-8 without NUL. A multi-byte character cut by the end of a prefix is accepted.
fn is_plain_text(bytes: &[u8]) -> bool {
    if bytes.is_empty() || bytes.contains(&0) {
        return false;
    }
    match std::str::from_utf8(bytes) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && bytes.len() - e.valid_up_to() < 4,
    }
}
