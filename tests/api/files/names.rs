//! The stored name: no path, no control or bidirectional characters, at most 120 characters
//! with the extension kept, the content's own extension when the sent one contradicts it.

use courrier::files::{stored_name, Kind, MAX_NAME_CHARS};

#[test]
fn paths_are_removed_whichever_separator() {
    assert_eq!(
        stored_name("../../etc/passwd.txt", Some(Kind::Text)),
        "passwd.txt"
    );
    assert_eq!(
        stored_name(r"C:\Users\jeanne\Desktop\photo.jpg", Some(Kind::Jpeg)),
        "photo.jpg"
    );
    assert_eq!(stored_name("..", Some(Kind::Pdf)), "attachment.pdf");
    assert_eq!(stored_name(".bashrc", Some(Kind::Text)), "bashrc.txt");
    assert_eq!(stored_name(" . .x.pdf. ", Some(Kind::Pdf)), "x.pdf");
}

#[test]
fn control_and_bidirectional_characters_are_removed() {
    assert_eq!(
        stored_name("rap\u{0}port\r\n.pdf", Some(Kind::Pdf)),
        "rapport.pdf"
    );
    // U+202E would show "invoice\u{202E}fdp.exe" as "invoiceexe.pdf".
    assert_eq!(
        stored_name("invoice\u{202E}fdp.exe", None),
        "invoicefdp.exe"
    );
    assert_eq!(
        stored_name("a\u{2066}b\u{2069}c\u{200F}d\u{061C}.txt", Some(Kind::Text)),
        "abcd.txt"
    );
}

#[test]
fn long_names_are_cut_keeping_the_extension() {
    let long = format!("{}.docx", "é".repeat(300));
    let name = stored_name(&long, Some(Kind::Docx));
    assert_eq!(name.chars().count(), MAX_NAME_CHARS);
    assert!(name.ends_with("é.docx"), "{name}");
    let unknown = "x".repeat(500);
    assert_eq!(stored_name(&unknown, None).chars().count(), MAX_NAME_CHARS);
}

#[test]
fn a_contradicting_extension_is_replaced_by_the_contents_own() {
    assert_eq!(stored_name("facture.pdf", Some(Kind::Jpeg)), "facture.jpg");
    assert_eq!(stored_name("photo.JPEG", Some(Kind::Jpeg)), "photo.jpeg");
    assert_eq!(stored_name("lettre.html", Some(Kind::Text)), "lettre.txt");
    assert_eq!(stored_name("scan", Some(Kind::Pdf)), "scan.pdf");
    assert_eq!(
        stored_name("archive.tar.gz", Some(Kind::Odt)),
        "archive.tar.odt"
    );
}

#[test]
fn a_name_with_nothing_left_falls_back() {
    assert_eq!(stored_name("", Some(Kind::Png)), "attachment.png");
    assert_eq!(stored_name("/", None), "attachment");
    assert_eq!(
        stored_name("\u{202E}\u{0007}", Some(Kind::Mp3)),
        "attachment.mp3"
    );
    assert_eq!(stored_name("   .pdf", Some(Kind::Pdf)), "pdf.pdf");
}
