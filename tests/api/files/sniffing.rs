//! The type is decided by the bytes: each type of the default list from a small real sample,
//! and what is not on the list (an ELF named facture.pdf) is unknown.

use courrier::files::{sniff, Kind};

use super::{package, samples};

fn ftyp(major: &[u8; 4], compatible: &[u8; 4]) -> Vec<u8> {
    let mut bytes = vec![0, 0, 0, 0x18];
    bytes.extend_from_slice(b"ftyp");
    bytes.extend_from_slice(major);
    bytes.extend_from_slice(&[0, 0, 0, 0]);
    bytes.extend_from_slice(b"mif1");
    bytes.extend_from_slice(compatible);
    bytes.extend_from_slice(&[0; 64]);
    bytes
}

pub fn docx() -> Vec<u8> {
    package(&[
        ("[Content_Types].xml", "<Types/>"),
        ("_rels/.rels", "<Relationships/>"),
        ("word/document.xml", "<w:document/>"),
    ])
}

fn odf(mime: &str) -> Vec<u8> {
    package(&[
        ("mimetype", mime),
        ("content.xml", "<office:document-content/>"),
    ])
}

#[test]
fn each_default_type_is_recognised_by_its_bytes() {
    let mut mp3 = b"ID3\x03\x00\x00\x00\x00\x00\x0a".to_vec();
    mp3.extend_from_slice(&[0; 64]);
    let mut ogg = b"OggS\x00\x02".to_vec();
    ogg.extend_from_slice(&[0; 64]);
    let mut wav = b"RIFF\x24\x00\x00\x00WAVEfmt ".to_vec();
    wav.extend_from_slice(&[0x10, 0, 0, 0, 1, 0, 1, 0]);
    let cases: Vec<(Vec<u8>, Kind)> = vec![
        (samples::JPEG.to_vec(), Kind::Jpeg),
        (samples::PNG.to_vec(), Kind::Png),
        (samples::WEBP.to_vec(), Kind::Webp),
        (samples::GIF.to_vec(), Kind::Gif),
        (ftyp(b"heic", b"heic"), Kind::Heic),
        (
            b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n".to_vec(),
            Kind::Pdf,
        ),
        (
            "Bonjour, voici ma lettre. Élise\n".as_bytes().to_vec(),
            Kind::Text,
        ),
        (docx(), Kind::Docx),
        (
            package(&[
                ("[Content_Types].xml", "<Types/>"),
                ("xl/workbook.xml", "<workbook/>"),
            ]),
            Kind::Xlsx,
        ),
        (
            package(&[
                ("[Content_Types].xml", "<Types/>"),
                ("ppt/presentation.xml", "<p/>"),
            ]),
            Kind::Pptx,
        ),
        (odf("application/vnd.oasis.opendocument.text"), Kind::Odt),
        (
            odf("application/vnd.oasis.opendocument.spreadsheet"),
            Kind::Ods,
        ),
        (mp3, Kind::Mp3),
        (ftyp(b"M4A ", b"isom"), Kind::M4a),
        (ogg, Kind::Ogg),
        (wav, Kind::Wav),
        (ftyp(b"isom", b"mp41"), Kind::Mp4),
    ];
    assert_eq!(cases.len(), Kind::ALL.len(), "every kind has a sample");
    for (bytes, kind) in cases {
        assert_eq!(sniff(&bytes), Some(kind), "{kind:?}");
        assert_eq!(Kind::from_mime(kind.mime()), Some(kind));
    }
}

#[test]
fn an_executable_named_like_a_pdf_is_unknown() {
    let mut elf = b"\x7fELF\x02\x01\x01\x00".to_vec();
    elf.extend_from_slice(&[0; 56]);
    // facture.pdf: the name plays no part, and ELF is not on the list.
    assert_eq!(sniff(&elf), None);
}

#[test]
fn what_is_not_on_the_list_is_unknown() {
    let zip = package(&[("notes/readme.txt", "hello")]);
    let cases: [(&str, &[u8]); 5] = [
        ("empty", b""),
        ("text with a NUL", b"hello\0world"),
        ("latin-1 text", b"caf\xe9 cr\xe8me"),
        (
            "windows executable",
            b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff",
        ),
        ("plain zip", &zip),
    ];
    for (what, bytes) in cases {
        assert_eq!(sniff(bytes), None, "{what}");
    }
}
