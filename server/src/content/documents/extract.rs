//! Text from uploaded documents, for search: PDFs through `pdf-extract`. Runs in the
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

/// Whether Chorus reads text from this type.
pub fn reads(mime: &str) -> bool {
    mime == "application/pdf"
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
    if mime != "application/pdf" {
        return Err(format!("no text is taken from {mime} files"));
    }
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

    #[test]
    fn damaged_files_are_refused_not_fatal() {
        for bytes in [&b"%PDF-1.7\n garbage"[..], b"%PDF-", b"\x89PNG\r\n\x1a\n", &[0u8; 0]] {
            assert!(extract("application/pdf", bytes, 1000).is_err());
        }
        assert!(extract("image/png", b"\x89PNG", 1000).is_err());
    }
}
