//! What a file is, read from its bytes (the `infer` crate's signatures: magic numbers, and the
//! parts named inside ZIP containers for ODF, OOXML and EPUB), never from its name or the type a
//! client declares; and the names downloads are saved under.

/// The MIME type of a file from its first bytes, if recognised.
pub fn detect(head: &[u8]) -> Option<&'static str> {
    let t = infer::get(head)?;
    Some(match t.mime_type() {
        // Some MP3 files are recognised by their ID3 tag under this older name.
        "audio/x-mpeg" | "audio/mp3" => "audio/mpeg",
        m => m,
    })
}

/// The type of a ZIP container from its table of contents (the whole file is needed: ZIP keeps
/// it at the end), for files the first bytes leave as plain ZIP: a DOCX whose parts are not in
/// the order Word writes them, an ODT or EPUB without its `mimetype` first.
pub fn zip_kind(path: &std::path::Path) -> Option<&'static str> {
    let file = std::fs::File::open(path).ok()?;
    let mut archive = zip::ZipArchive::new(std::io::BufReader::new(file)).ok()?;
    if archive.index_for_name("word/document.xml").is_some() {
        return Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document");
    }
    let mut declared = String::new();
    {
        use std::io::Read;
        let part = archive.by_name("mimetype").ok()?;
        part.take(100).read_to_string(&mut declared).ok()?;
    }
    match declared.trim() {
        "application/vnd.oasis.opendocument.text" => Some("application/vnd.oasis.opendocument.text"),
        "application/epub+zip" => Some("application/epub+zip"),
        _ => None,
    }
}

/// Whether Chorus takes searchable text from files of this type.
pub fn has_text(mime: &str) -> bool {
    super::extract::reads(mime)
}

/// The usual extension of a type.
pub fn extension(mime: &str) -> &'static str {
    match mime {
        "application/pdf" => "pdf",
        "application/vnd.oasis.opendocument.text" => "odt",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => "docx",
        "application/epub+zip" => "epub",
        "image/png" => "png",
        "image/jpeg" => "jpg",
        "image/webp" => "webp",
        "audio/mpeg" => "mp3",
        "video/mp4" => "mp4",
        _ => "bin",
    }
}

/// An uploaded file's name kept as metadata: its last path component, without control
/// characters, bidirectional overrides or surrounding dots and spaces, at most `max` characters.
pub fn clean_file_name(raw: &str, max: usize) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| {
            !c.is_control() && !matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
        .take(max)
        .collect();
    let cleaned = cleaned.trim_matches(|c: char| c == '.' || c.is_whitespace()).to_owned();
    if cleaned.is_empty() { "document".to_owned() } else { cleaned }
}

/// The name a download is saved under: the stored name's stem with letters, digits, `-` and
/// `_` only (other characters become `-`, any script's letters are kept), and the extension of
/// the detected type, so that a `report.pdf.exe` upload of a PDF downloads as `report-pdf.pdf`.
pub fn safe_name(stored: &str, mime: &str) -> String {
    let stem = match stored.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && ext.len() <= 5 => stem,
        _ => stored,
    };
    let mut out = String::new();
    for c in stem.chars() {
        let c = if c.is_alphanumeric() || c == '-' || c == '_' { c } else { '-' };
        if c == '-' && (out.is_empty() || out.ends_with('-')) {
            continue;
        }
        out.push(c);
        if out.chars().count() >= 120 {
            break;
        }
    }
    let out = out.trim_end_matches('-');
    let stem = if out.is_empty() { "document" } else { out };
    format!("{stem}.{}", extension(mime))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_the_bytes() {
        assert_eq!(detect(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"), Some("application/pdf"));
        assert_eq!(detect(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Some("image/png"));
        assert_eq!(detect(b"\xff\xd8\xff\xe0\0\x10JFIF\0"), Some("image/jpeg"));
        assert_eq!(detect(b"RIFF\x24\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(detect(b"<html><script>alert(1)</script>"), Some("text/html"));
        assert_eq!(detect(b"just words"), None);
        assert_eq!(detect(b"MZ\x90\0\x03\0\0\0"), Some("application/vnd.microsoft.portable-executable"));
        assert_eq!(detect(b""), None);
    }

    #[test]
    fn names_are_made_safe() {
        assert_eq!(clean_file_name("C:\\Users\\me\\Отчёт 2025.pdf", 200), "Отчёт 2025.pdf");
        assert_eq!(clean_file_name("../../etc/passwd", 200), "passwd");
        assert_eq!(clean_file_name("a\u{202e}fdp.exe", 200), "afdp.exe");
        assert_eq!(clean_file_name(" .. ", 200), "document");
        assert_eq!(safe_name("Отчёт 2025.pdf", "application/pdf"), "Отчёт-2025.pdf");
        assert_eq!(safe_name("report.pdf.exe", "application/pdf"), "report-pdf.pdf");
        assert_eq!(safe_name("\"; filename=evil.html", "application/pdf"), "filename-evil.pdf");
        assert_eq!(safe_name("全球基金指南.docx", "application/epub+zip"), "全球基金指南.epub");
        assert_eq!(safe_name("...", "image/png"), "document.png");
    }
}
