//! Text from uploaded documents, for search: PDFs through `pdf-extract`; ODT, DOCX and EPUB
//! (ZIP containers of XML) through `zip` and `quick-xml`, no crate reading them whole being
//! both maintained and light (reading stops at 64 MiB unzipped). Runs in the
//! background (`run_pending`), never in the upload: each process takes pending documents one at
//! a time with a conditional update (a lease, so a job left by a killed process is taken again),
//! reads the object, extracts its text in a blocking task under `catch_unwind` and a timeout,
//! and stores the text through the one write path, whose change-log row re-indexes the item in
//! every process. A file that cannot be read is flagged `unreadable` with the reason; it stays
//! stored and downloadable.

use chorus_entities::{self as e, TextStatus};
use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::super::Services;
use crate::config::DocumentsConfig;
use crate::error::AppResult;
use crate::storage::Storage;
use crate::write::{Actor, Write};

/// How long a claimed extraction is someone's before another process may take it again.
const LEASE_SECONDS: i64 = 600;

const PDF: &str = "application/pdf";
const ODT: &str = "application/vnd.oasis.opendocument.text";
const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
const EPUB: &str = "application/epub+zip";

/// The most bytes read out of a ZIP container (a zip bomb stops there).
const MAX_UNZIPPED: u64 = 64 * 1024 * 1024;

/// Whether Chorus reads text from this type.
pub fn reads(mime: &str) -> bool {
    matches!(mime, PDF | ODT | DOCX | EPUB)
}

/// The text of a document and its page count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Extracted {
    pub text: String,
    pub pages: Option<i32>,
}

/// Whitespace runs become one space (a page break, a blank line), and the text is cut at
/// `max_chars`.
fn tidy(pages: &[String], max_chars: usize) -> String {
    let mut out = String::new();
    let mut chars = 0;
    'pages: for page in pages {
        for word in page.split_whitespace() {
            if !out.is_empty() {
                out.push(' ');
                chars += 1;
            }
            for c in word.chars() {
                if chars >= max_chars {
                    break 'pages;
                }
                out.push(c);
                chars += 1;
            }
        }
    }
    out
}

/// Extracts the text of a file (synchronous; run it off the async threads).
pub fn extract(mime: &str, bytes: &[u8], max_chars: usize) -> Result<Extracted, String> {
    match mime {
        PDF => pdf(bytes, max_chars),
        ODT | DOCX | EPUB => zipped(mime, bytes, max_chars),
        _ => Err(format!("no text is taken from {mime} files")),
    }
}

/// Elements that end a word: paragraphs, headings, cells, breaks and tabs of XHTML, ODF and
/// WordprocessingML (a DOCX run boundary may fall inside a word, so only these separate).
fn breaks(local: &[u8]) -> bool {
    matches!(
        local,
        b"p" | b"h"
            | b"h1"
            | b"h2"
            | b"h3"
            | b"h4"
            | b"h5"
            | b"h6"
            | b"div"
            | b"li"
            | b"br"
            | b"tr"
            | b"td"
            | b"th"
            | b"tab"
            | b"s"
            | b"line-break"
            | b"title"
            | b"section"
            | b"blockquote"
            | b"pre"
            | b"dt"
            | b"dd"
            | b"caption"
            | b"figcaption"
            | b"cr"
            | b"list-item"
    )
}

/// The text of an XML part (XHTML, ODF `content.xml`, DOCX `document.xml`), appended to `out`.
/// Entities other than XML's five become a space; DOCTYPEs are skipped, never expanded.
fn xml_text(xml: &[u8], out: &mut String) -> Result<(), String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut buf = Vec::new();
    let mut skip = 0usize;
    let local = |name: &[u8]| -> Vec<u8> {
        let n = name.rsplit(|b| *b == b':').next().unwrap_or(name);
        n.to_ascii_lowercase()
    };
    loop {
        match reader.read_event_into(&mut buf) {
            Err(e) => return Err(format!("a part is not well-formed XML: {e}")),
            Ok(Event::Eof) => return Ok(()),
            Ok(Event::Start(e)) => {
                let name = local(e.name().as_ref());
                if matches!(name.as_slice(), b"script" | b"style") {
                    skip += 1;
                }
                if breaks(&name) {
                    out.push(' ');
                }
            }
            Ok(Event::End(e)) => {
                let name = local(e.name().as_ref());
                if matches!(name.as_slice(), b"script" | b"style") {
                    skip = skip.saturating_sub(1);
                }
                if breaks(&name) {
                    out.push(' ');
                }
            }
            Ok(Event::Empty(e)) => {
                if breaks(&local(e.name().as_ref())) {
                    out.push(' ');
                }
            }
            Ok(Event::Text(t)) if skip == 0 => {
                out.push_str(&String::from_utf8_lossy(t.as_ref()));
            }
            Ok(Event::CData(t)) if skip == 0 => out.push_str(&String::from_utf8_lossy(t.as_ref())),
            Ok(Event::GeneralRef(r)) if skip == 0 => {
                let name = String::from_utf8_lossy(r.as_ref()).into_owned();
                let c = if r.is_char_ref() {
                    r.resolve_char_ref().ok().flatten()
                } else {
                    quick_xml::escape::resolve_predefined_entity(&name).and_then(|s| s.chars().next())
                };
                out.push(c.unwrap_or(' '));
            }
            Ok(_) => {}
        }
        buf.clear();
    }
}

/// The parts of an ODT, DOCX or EPUB holding its text, in reading order.
fn text_parts<R: std::io::Read + std::io::Seek>(
    mime: &str,
    archive: &mut zip::ZipArchive<R>,
    budget: &mut u64,
) -> Result<Vec<String>, String> {
    Ok(match mime {
        ODT => vec!["content.xml".to_owned()],
        DOCX => vec!["word/document.xml".to_owned()],
        _ => {
            // EPUB: the spine of the package document named by META-INF/container.xml; the
            // (X)HTML parts in archive order when that cannot be read.
            let spine = (|| {
                let container = read_part(archive, "META-INF/container.xml", budget).ok()?;
                let opf = attribute_values(&container, b"rootfile", b"full-path").into_iter().next()?;
                let package = read_part(archive, &opf, budget).ok()?;
                let base = opf.rsplit_once('/').map(|(d, _)| format!("{d}/")).unwrap_or_default();
                let ids = attribute_values(&package, b"item", b"id");
                let hrefs = attribute_values(&package, b"item", b"href");
                let order = attribute_values(&package, b"itemref", b"idref");
                let parts: Vec<String> = order
                    .iter()
                    .filter_map(|r| ids.iter().position(|i| i == r).and_then(|p| hrefs.get(p)))
                    .map(|h| format!("{base}{}", percent_decode(h)))
                    .collect();
                (!parts.is_empty()).then_some(parts)
            })();
            spine.unwrap_or_else(|| {
                archive
                    .file_names()
                    .filter_map(Result::ok)
                    .filter(|n| n.ends_with(".xhtml") || n.ends_with(".html") || n.ends_with(".htm"))
                    .map(|n| n.into_owned())
                    .collect()
            })
        }
    })
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(v) = s.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The values of one attribute on every element of one (local) name, in document order.
fn attribute_values(xml: &[u8], element: &[u8], attribute: &[u8]) -> Vec<String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut buf = Vec::new();
    let mut out = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) if e.local_name().as_ref() == element => {
                for a in e.attributes().flatten() {
                    if a.key.local_name().as_ref() == attribute {
                        out.push(String::from_utf8_lossy(&a.value).into_owned());
                    }
                }
            }
            Ok(Event::Eof) | Err(_) => return out,
            _ => {}
        }
        buf.clear();
    }
}

/// One part of the archive, within what is left of the budget of unzipped bytes.
fn read_part<R: std::io::Read + std::io::Seek>(
    archive: &mut zip::ZipArchive<R>,
    name: &str,
    budget: &mut u64,
) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let part = archive.by_name(name).map_err(|e| format!("{name}: {e}"))?;
    let mut data = Vec::new();
    part.take(*budget + 1).read_to_end(&mut data).map_err(|e| format!("{name}: {e}"))?;
    if data.len() as u64 > *budget {
        return Err(format!("more than {MAX_UNZIPPED} bytes once unzipped"));
    }
    *budget -= data.len() as u64;
    Ok(data)
}

fn zipped(mime: &str, bytes: &[u8], max_chars: usize) -> Result<Extracted, String> {
    let mut archive =
        zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| format!("the file cannot be opened: {e}"))?;
    if archive.len() > 20_000 {
        return Err("the file has too many parts".to_owned());
    }
    let mut budget = MAX_UNZIPPED;
    let names = text_parts(mime, &mut archive, &mut budget)?;
    let mut text = String::new();
    for name in names {
        let xml = read_part(&mut archive, &name, &mut budget)?;
        xml_text(&xml, &mut text)?;
        text.push(' ');
        if text.len() > max_chars.saturating_mul(4) {
            break;
        }
    }
    let text = tidy(&[text], max_chars);
    if text.is_empty() {
        return Err("the file holds no text".to_owned());
    }
    Ok(Extracted { text, pages: None })
}

fn pdf(bytes: &[u8], max_chars: usize) -> Result<Extracted, String> {
    let result = std::panic::catch_unwind(|| pdf_extract::extract_text_from_mem_by_pages(bytes));
    let pages = match result {
        Ok(Ok(pages)) => pages,
        Ok(Err(e)) => return Err(format!("the PDF cannot be read: {e}")),
        Err(_) => return Err("the PDF cannot be read (its structure or fonts are not understood)".to_owned()),
    };
    let text = tidy(&pages, max_chars);
    let count = i32::try_from(pages.len()).ok();
    if text.is_empty() {
        return Err("the PDF holds no text (scanned pages without a text layer?)".to_owned());
    }
    Ok(Extracted { text, pages: count })
}

/// Extracts the text of pending documents until none is left; returns how many were done.
pub async fn run_pending(state: &impl Services, storage: &Storage, config: &DocumentsConfig) -> AppResult<usize> {
    let mut done = 0;
    while let Some(doc) = claim(state).await? {
        let outcome = read_text(storage, config, &doc).await;
        store(state, &doc, outcome).await?;
        done += 1;
    }
    Ok(done)
}

/// Takes the oldest pending document whose lease is free, if any.
async fn claim(state: &impl Services) -> AppResult<Option<e::documents::Model>> {
    use e::documents::Column as C;
    let db = state.db();
    for _ in 0..5 {
        let now = Utc::now();
        let free = C::TextClaimedAt.is_null().or(C::TextClaimedAt.lt(now - chrono::Duration::seconds(LEASE_SECONDS)));
        let Some(doc) = e::documents::Entity::find()
            .filter(C::TextStatus.eq(TextStatus::Pending))
            .filter(free.clone())
            .order_by_asc(C::Id)
            .limit(1)
            .one(db)
            .await?
        else {
            return Ok(None);
        };
        let claimed = e::documents::Entity::update_many()
            .col_expr(C::TextClaimedAt, Expr::val(now))
            .filter(C::Id.eq(doc.id))
            .filter(C::TextStatus.eq(TextStatus::Pending))
            .filter(free)
            .exec(db)
            .await?;
        if claimed.rows_affected == 1 {
            return Ok(Some(doc));
        }
    }
    Ok(None)
}

async fn read_text(
    storage: &Storage,
    config: &DocumentsConfig,
    doc: &e::documents::Model,
) -> Result<Extracted, String> {
    if u64::try_from(doc.size).unwrap_or(u64::MAX) > config.max_extract_bytes {
        return Err(format!("larger than {} bytes, the most read for text", config.max_extract_bytes));
    }
    let bytes = storage.read_all(&doc.storage_key).await.map_err(|e| format!("the stored file cannot be read: {e}"))?;
    let mime = doc.mime_type.clone();
    let max = config.max_text_chars;
    let job = tokio::task::spawn_blocking(move || extract(&mime, &bytes, max));
    let deadline = std::time::Duration::from_secs(config.extract_timeout_seconds);
    match tokio::time::timeout(deadline, job).await {
        Ok(Ok(result)) => result,
        Ok(Err(_)) => Err("the PDF cannot be read".to_owned()),
        // The blocking task runs on; its result is dropped.
        Err(_) => Err(format!("reading its text took longer than {} seconds", deadline.as_secs())),
    }
}

async fn store(state: &impl Services, doc: &e::documents::Model, outcome: Result<Extracted, String>) -> AppResult<()> {
    use e::documents::Column as C;
    let (status, text, pages, error) = match outcome {
        Ok(x) => (TextStatus::Extracted, Some(x.text), x.pages, None),
        Err(why) => {
            tracing::warn!(document = doc.id, reason = %why, "document text not extracted");
            (TextStatus::Unreadable, None, None, Some(why.chars().take(500).collect::<String>()))
        }
    };
    let w = Write::begin(state.db(), Actor::system("document text"), state).await?;
    let updated = e::documents::Entity::update_many()
        .col_expr(C::TextStatus, Expr::val(status))
        .col_expr(C::Text, Expr::val(text))
        .col_expr(C::Pages, Expr::val(pages))
        .col_expr(C::TextError, Expr::val(error))
        .col_expr(C::TextClaimedAt, Expr::val(Option::<chrono::DateTime<Utc>>::None))
        .col_expr(C::UpdatedAt, Expr::val(Utc::now()))
        .filter(C::Id.eq(doc.id))
        .exec(w.txn())
        .await?;
    if updated.rows_affected == 0 {
        // Deleted meanwhile.
        return Ok(());
    }
    w.record("document.text", &doc.entity, doc.item_id, Some(&doc.locale), "updated").await?;
    w.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_tidied_and_bounded() {
        let pages = vec!["  Global   Fund\n\nguide ".to_owned(), "\u{c}второй  лист".to_owned()];
        assert_eq!(tidy(&pages, 1000), "Global Fund guide второй лист");
        assert_eq!(tidy(&pages, 8), "Global F");
    }

    #[test]
    fn text_and_pages_of_a_real_pdf() {
        // Printed by Chromium (Skia) with an embedded DejaVu subset: text through ToUnicode maps.
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/documents/brief-ru.pdf");
        let bytes = std::fs::read(path).unwrap();
        let got = extract("application/pdf", &bytes, 100_000).unwrap();
        assert_eq!(got.pages, Some(2));
        assert!(got.text.contains("тренинги по цифровой безопасности"), "{}", got.text);
        assert!(got.text.contains("Вторая страница"), "{}", got.text);
        let cut = extract("application/pdf", &bytes, 20).unwrap();
        assert_eq!(cut.text.chars().count(), 20);
    }

    /// A ZIP container as office suites write it: `mimetype` first and stored, then the parts.
    fn container(mimetype: Option<&str>, parts: &[(&str, &str)]) -> Vec<u8> {
        use std::io::Write;
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        let deflated = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        if let Some(m) = mimetype {
            w.start_file("mimetype", stored).unwrap();
            w.write_all(m.as_bytes()).unwrap();
        }
        for (name, content) in parts {
            w.start_file(*name, deflated).unwrap();
            w.write_all(content.as_bytes()).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn text_of_odt_docx_and_epub() {
        let odt = container(
            Some(ODT),
            &[(
                "content.xml",
                r#"<?xml version="1.0"?><office:document-content xmlns:office="o" xmlns:text="t"><office:body><office:text>
                <text:h>Guía</text:h><text:p>Derechos de las <text:span>trabajadoras</text:span> sexuales<text:line-break/>y salud &amp; seguridad.</text:p>
                </office:text></office:body></office:document-content>"#,
            )],
        );
        assert_eq!(super::super::kind::detect(&odt), Some(ODT));
        let got = extract(ODT, &odt, 1000).unwrap();
        assert_eq!(got.text, "Guía Derechos de las trabajadoras sexuales y salud & seguridad.");

        let docx = container(
            None,
            &[
                ("[Content_Types].xml", "<Types/>"),
                ("_rels/.rels", "<Relationships/>"),
                (
                    "word/document.xml",
                    r#"<w:document xmlns:w="w"><w:body><w:p><w:r><w:t>Glo</w:t></w:r><w:r><w:t>bal Fund</w:t></w:r></w:p><w:p><w:r><w:t xml:space="preserve">Smart </w:t></w:r><w:r><w:t>Guide</w:t><w:tab/><w:t>2026</w:t></w:r></w:p></w:body></w:document>"#,
                ),
            ],
        );
        // Parts in this order are a plain ZIP to the first bytes; the table of contents tells.
        assert_eq!(super::super::kind::detect(&docx), Some("application/zip"));
        let staged = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(staged.path(), &docx).unwrap();
        assert_eq!(super::super::kind::zip_kind(staged.path()), Some(DOCX));
        assert_eq!(extract(DOCX, &docx, 1000).unwrap().text, "Global Fund Smart Guide 2026");

        let epub = container(
            Some(EPUB),
            &[
                (
                    "META-INF/container.xml",
                    r#"<container><rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>"#,
                ),
                (
                    "OEBPS/content.opf",
                    r#"<package><manifest><item id="b" href="ch%202.xhtml"/><item id="a" href="ch1.xhtml"/></manifest><spine><itemref idref="a"/><itemref idref="b"/></spine></package>"#,
                ),
                ("OEBPS/ch 2.xhtml", "<!DOCTYPE html><html><body><p>第二章&nbsp;性工作者的权利</p></body></html>"),
                (
                    "OEBPS/ch1.xhtml",
                    "<html><head><style>p{}</style></head><body><h1>Chapter one</h1><p>Peer&#160;educators</p><script>x()</script></body></html>",
                ),
            ],
        );
        assert_eq!(super::super::kind::detect(&epub), Some(EPUB));
        assert_eq!(extract(EPUB, &epub, 1000).unwrap().text, "Chapter one Peer educators 第二章 性工作者的权利");
    }

    /// Files from real tools (see `tests/fixtures/documents/README.md`): typed from their
    /// bytes, their text read.
    #[test]
    fn files_from_real_tools() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/documents");
        for (name, mime, phrase) in [
            ("guide-ru.docx", DOCX, "Сеть провела в Бишкеке тренинги"),
            ("guia-es.odt", ODT, "Las trabajadoras sexuales de Bishkek compartieron"),
            ("guide-fr.epub", EPUB, "Sécurité numérique des pair·e·s éducateur·rice·s"),
            ("brief-en.pdf", PDF, "workshops on digital security"),
        ] {
            let path = dir.join(name);
            let bytes = std::fs::read(&path).unwrap();
            let detected = match super::super::kind::detect(&bytes) {
                Some("application/zip") => super::super::kind::zip_kind(&path),
                other => other,
            };
            assert_eq!(detected, Some(mime), "{name}");
            let got = extract(mime, &bytes, 100_000).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(got.text.contains(phrase), "{name}: {}", got.text);
        }
    }

    #[test]
    fn zip_bombs_and_broken_containers_stop() {
        let bomb = container(Some(ODT), &[("content.xml", &"<p>a</p>".repeat(10_000_000))]);
        assert!(bomb.len() < 1_000_000, "{}", bomb.len());
        assert!(extract(ODT, &bomb, 1000).unwrap_err().contains("unzipped"));
        assert!(extract(DOCX, b"PK\x03\x04 broken", 1000).is_err());
        let no_text = container(Some(ODT), &[("content.xml", "<doc><p/></doc>")]);
        assert!(extract(ODT, &no_text, 1000).is_err());
        let bad_xml = container(Some(ODT), &[("content.xml", "<doc><p>unclosed</doc>")]);
        assert!(extract(ODT, &bad_xml, 1000).is_err());
    }

    #[test]
    fn damaged_files_are_refused_not_fatal() {
        for bytes in [&b"%PDF-1.7\n garbage"[..], b"%PDF-", b"\x89PNG\r\n\x1a\n", &[0u8; 0]] {
            assert!(extract("application/pdf", bytes, 1000).is_err());
        }
        assert!(extract("image/png", b"\x89PNG", 1000).is_err());
    }
}
