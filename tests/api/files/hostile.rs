//! Hostile input: truncated and corrupted files of every cleanable type return an error or a
//! result, never a panic; the clearly broken ones return an error.

use courrier::files::{clean, FileError, Kind};

use super::{cleaning::authored_docx, package, samples};

fn samples_by_kind() -> Vec<(Kind, Vec<u8>)> {
    vec![
        (Kind::Jpeg, samples::JPEG.to_vec()),
        (Kind::Png, samples::PNG.to_vec()),
        (Kind::Webp, samples::WEBP.to_vec()),
        (Kind::Docx, authored_docx()),
        (
            Kind::Odt,
            package(&[
                ("mimetype", "application/vnd.oasis.opendocument.text"),
                (
                    "meta.xml",
                    "<office:document-meta><office:meta/></office:document-meta>",
                ),
            ]),
        ),
        (
            Kind::Pdf,
            b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
                .to_vec(),
        ),
        (
            Kind::Heic,
            b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic".to_vec(),
        ),
    ]
}

#[test]
fn truncated_and_corrupted_files_never_panic() {
    for (kind, sample) in samples_by_kind() {
        let step = (sample.len() / 64).max(1);
        for cut in (0..sample.len()).step_by(step) {
            let _ = clean(kind, &sample[..cut]);
        }
        for at in (0..sample.len()).step_by(step) {
            for flip in [0x00, 0xFF, 0x80] {
                let mut corrupted = sample.clone();
                corrupted[at] = flip;
                let _ = clean(kind, &corrupted);
            }
        }
    }
}

#[test]
fn clearly_broken_files_are_errors() {
    for (kind, sample) in samples_by_kind() {
        if kind == Kind::Heic {
            continue;
        }
        assert!(
            clean(kind, &sample[..sample.len() / 2]).is_err(),
            "{kind:?} cut in half"
        );
        assert!(
            clean(kind, &sample[..3]).is_err(),
            "{kind:?} cut after 3 bytes"
        );
        assert!(clean(kind, b"").is_err(), "{kind:?} empty");
    }
    // A document whose content is XML that does not close is refused, not half-cleaned.
    let broken = package(&[
        ("[Content_Types].xml", "<Types/>"),
        (
            "word/document.xml",
            r#"<w:document w:author="x"><w:body></w:document>"#,
        ),
    ]);
    assert!(matches!(
        clean(Kind::Docx, &broken),
        Err(FileError::Malformed(_))
    ));
}

#[test]
fn a_document_that_unpacks_past_the_limit_is_refused() {
    let mut bomb = authored_docx();
    // The central directory's first entry claims 2 GiB once unpacked (offset 24: its size).
    let directory = bomb.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
    bomb[directory + 24..directory + 28].copy_from_slice(&0x7FFF_FFFFu32.to_le_bytes());
    assert!(matches!(clean(Kind::Docx, &bomb), Err(FileError::TooLarge)));
}
