//! The attachments' file layer on real bytes: sniffing, stored names, metadata read and removed
//! (checked with Debian's exiftool), hostile inputs, and Debian's clamd started by the test.

mod cleaning;
mod hostile;
mod names;
mod samples;
mod scanning;
mod sniffing;

use std::io::{Cursor, Write};
use std::path::Path;
use std::process::Command;

use serde_json::{Map, Value};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

/// A zip package of `(name, content)` parts, in that order; `mimetype` is stored, as ODF wants.
pub fn package(parts: &[(&str, &str)]) -> Vec<u8> {
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, content) in parts {
        let method = if *name == "mimetype" {
            CompressionMethod::Stored
        } else {
            CompressionMethod::Deflated
        };
        let options = SimpleFileOptions::default().compression_method(method);
        writer.start_file(*name, options).unwrap();
        writer.write_all(content.as_bytes()).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

/// Every part of a zip package, by name.
pub fn unpack(bytes: &[u8]) -> Vec<(String, String)> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut entry = archive.by_index(i).unwrap();
            let mut text = String::new();
            std::io::Read::read_to_string(&mut entry, &mut text).unwrap();
            (entry.name().unwrap().into_owned(), text)
        })
        .collect()
}

/// Runs exiftool with `args` on a copy of `bytes` named `file.<extension>`, returning the file
/// as exiftool left it.
pub fn exiftool_write(bytes: &[u8], extension: &str, args: &[&str]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("file.{extension}"));
    std::fs::write(&path, bytes).unwrap();
    let status = Command::new("exiftool")
        .arg("-q")
        .arg("-overwrite_original")
        .args(args)
        .arg(&path)
        .status()
        .expect("exiftool (Debian's libimage-exiftool-perl) is installed");
    assert!(status.success(), "exiftool {args:?} failed");
    std::fs::read(&path).unwrap()
}

/// What exiftool reads from `bytes`: tag name (without group) to value.
pub fn exiftool_tags(bytes: &[u8], extension: &str) -> Map<String, Value> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("file.{extension}"));
    std::fs::write(&path, bytes).unwrap();
    exiftool_tags_of(&path)
}

fn exiftool_tags_of(path: &Path) -> Map<String, Value> {
    let output = Command::new("exiftool")
        .args(["-j", "-a", "-n"])
        .arg(path)
        .output()
        .expect("exiftool (Debian's libimage-exiftool-perl) is installed");
    let parsed: Value = serde_json::from_slice(&output.stdout).unwrap();
    parsed[0].as_object().unwrap().clone()
}

/// The tags that identify a source; none may be left in a cleaned copy.
pub const IDENTIFYING: [&str; 12] = [
    "Author",
    "Creator",
    "Artist",
    "Make",
    "Model",
    "GPSLatitude",
    "GPSLongitude",
    "GPSPosition",
    "LastModifiedBy",
    "Company",
    "Comment",
    "Producer",
];

pub fn identifying_tags(tags: &Map<String, Value>) -> Vec<String> {
    tags.keys()
        .filter(|key| IDENTIFYING.contains(&key.as_str()))
        .cloned()
        .collect()
}
