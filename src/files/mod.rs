//! Files as readers and staff send them, apart from where they are kept: what a file is (decided
//! by its bytes), the name it is stored under, what it says about its source, a copy without
//! that, and the virus scanner's verdict. Storage, routes and mail use this; it uses nothing but
//! the standard library and the format crates, so every rule here is testable on bytes alone.

pub mod clamd;
mod images;
mod name;
mod office;
mod pdf;
mod revealed;
mod sniff;

pub use name::{stored_name, MAX_NAME_CHARS};
pub use revealed::Revealed;
pub use sniff::{sniff, Kind};

/// Why a file that its bytes call a given type could not be read or cleaned. Each variant is the
/// file's fault, never the server's: the caller refuses or keeps the original, and says why.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("the file is damaged or is not what its first bytes say: {0}")]
    Malformed(String),
    #[error("the file is encrypted, so what it holds cannot be read or removed")]
    Encrypted,
    #[error("the file expands past the limit a document may reach once unpacked")]
    TooLarge,
}

impl FileError {
    pub(crate) fn malformed(what: impl std::fmt::Display) -> Self {
        Self::Malformed(what.to_string())
    }
}

/// What the original revealed, and the copy to serve instead when one could be made.
#[derive(Debug, Clone, PartialEq)]
pub struct Cleaning {
    pub revealed: Revealed,
    /// The cleaned copy; `None` when the type has no cleaner (HEIC, GIF, audio, video, text),
    /// so the original is served.
    pub copy: Option<Vec<u8>>,
}

impl Cleaning {
    /// Whether the default download is a cleaned copy (the detail's `cleaned`).
    pub fn cleaned(&self) -> bool {
        self.copy.is_some()
    }
}

/// Reads what `original` (of the sniffed `kind`) reveals and makes a copy without it, when the
/// type has a cleaner. CPU-bound and synchronous: callers run it on the blocking pool.
pub fn clean(kind: Kind, original: &[u8]) -> Result<Cleaning, FileError> {
    match kind {
        Kind::Jpeg => images::clean_jpeg(original),
        Kind::Png => images::clean_png(original),
        Kind::Webp => images::clean_webp(original),
        Kind::Heic => Ok(Cleaning {
            revealed: images::revealed_by_exif(original)?,
            copy: None,
        }),
        Kind::Pdf => pdf::clean(original),
        Kind::Docx | Kind::Xlsx | Kind::Pptx => office::clean_ooxml(original),
        Kind::Odt | Kind::Ods => office::clean_odf(original),
        Kind::Gif | Kind::Text | Kind::Mp3 | Kind::M4a | Kind::Ogg | Kind::Wav | Kind::Mp4 => {
            Ok(Cleaning {
                revealed: Revealed::default(),
                copy: None,
            })
        }
    }
}
