//! Per-language documents of items: one PDF per language, an EPUB, a recording.
//!
//! An upload is received to a staged file (`receive`), its type read from its bytes (`kind`),
//! then stored in the object store under its content hash (`storage::Storage`), and only then
//! is its row written, through the one write path: a process killed at any point leaves no row
//! without its object (an object without a row is removed by the sweeper after a grace period).
//! The same bytes are stored once, whichever items and languages use them.
//!
//! A document is public when the item's version in its language is (published and live); in a
//! language the item has no version in, it follows the source-locale version. So the documents
//! of a locale follow its publication status, and a PDF-only language needs no text version.
//! Text is taken from documents in the background (`extract`) and indexed under the document's
//! language.

pub mod extract;
pub mod kind;
pub mod receive;

use std::collections::HashMap;

use chorus_entities::{self as e, TextStatus};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect,
    Set,
};

use super::translate::source_locale;
use super::{ContentType, Services, Visibility};
use crate::auth::policy::{Action, Field, Principal, allows};
use crate::config::DocumentsConfig;
use crate::error::{AppError, AppResult};
use crate::storage::Storage;
use crate::write::Write;
use receive::Received;

/// The longest title and file name kept.
const MAX_TITLE: usize = 500;
const MAX_FILE_NAME: usize = 200;

/// A document as the API shows it (its text is not loaded).
#[derive(Clone, Debug, FromQueryResult)]
pub struct Document {
    pub id: i32,
    pub entity: String,
    pub item_id: i32,
    pub locale: String,
    pub title: Option<String>,
    pub file_name: String,
    pub mime_type: String,
    pub size: i64,
    pub sha256: String,
    pub storage_key: String,
    pub pages: Option<i32>,
    pub text_status: TextStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Document {
    /// The name a download is saved under: the uploaded name's stem, made safe, with the
    /// extension of the detected type.
    pub fn download_name(&self) -> String {
        kind::safe_name(&self.file_name, &self.mime_type)
    }

    /// The download's address (`documents.public_url` + path).
    pub fn url(&self, config: &DocumentsConfig) -> String {
        let base = config.public_url.trim_end_matches('/');
        let name: String = self
            .download_name()
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
                b => format!("%{b:02X}"),
            })
            .collect();
        format!("{base}/v1/documents/{}/{name}", self.id)
    }

    pub fn content_type(&self) -> Option<ContentType> {
        ContentType::from_entity(&self.entity)
    }
}

fn selected() -> sea_orm::Select<e::documents::Entity> {
    use e::documents::Column as C;
    e::documents::Entity::find().select_only().columns([
        C::Id,
        C::Entity,
        C::ItemId,
        C::Locale,
        C::Title,
        C::FileName,
        C::MimeType,
        C::Size,
        C::Sha256,
        C::StorageKey,
        C::Pages,
        C::TextStatus,
        C::CreatedAt,
        C::UpdatedAt,
    ])
}

fn a(name: &str) -> Alias {
    Alias::new(name)
}

fn col(table: &str, column: &str) -> Expr {
    Expr::col((a(table), a(column)))
}

/// Whether the row of `documents` in the enclosing query is visible (see the module's rule),
/// for a document of type `ty`.
pub fn visible(ty: ContentType, visibility: Visibility) -> Expr {
    let tt = ty.translation_table();
    let same_locale = |alias: &str| {
        Query::select()
            .expr(Expr::val(1))
            .from_as(a(tt), a(alias))
            .and_where(col(alias, "item_id").equals(("documents", "item_id")))
            .and_where(col(alias, "locale").equals(("documents", "locale")))
            .to_owned()
    };
    let shown = same_locale("dv").and_where(visibility.condition("dv")).to_owned();
    let any_version = same_locale("dw").and_where(col("dw", "version").eq(e::TranslationVersion::Working)).to_owned();
    let is_source = Query::select()
        .expr(Expr::val(1))
        .from_as(a(ty.base_table()), a("db"))
        .and_where(col("db", "id").equals(("ds", "item_id")))
        .and_where(col("db", "source_locale").equals(("ds", "locale")))
        .to_owned();
    let source_shown = Query::select()
        .expr(Expr::val(1))
        .from_as(a(tt), a("ds"))
        .and_where(col("ds", "item_id").equals(("documents", "item_id")))
        .and_where(Expr::exists(is_source))
        .and_where(visibility.condition("ds"))
        .to_owned();
    Expr::exists(shown).or(Expr::exists(any_version).not().and(Expr::exists(source_shown)))
}

/// Whether the item of `base` (the outer query's base table of `ty`) has a visible document in
/// one of `locales`: the document half of the `availableIn` filter.
pub fn exists_in(ty: ContentType, locales: &[String], visibility: Visibility) -> Expr {
    Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(a("documents"))
            .and_where(col("documents", "entity").eq(ty.entity()))
            .and_where(col("documents", "item_id").equals((ty.base_table(), "id")))
            .and_where(col("documents", "locale").is_in(crate::content::query::padded(locales)))
            .and_where(visible(ty, visibility))
            .to_owned(),
    )
}

/// The visible documents of items of one type, by item, in locale then upload order.
pub async fn for_items<C: ConnectionTrait>(
    db: &C,
    ty: ContentType,
    ids: &[i32],
    visibility: Visibility,
) -> AppResult<HashMap<i32, Vec<Document>>> {
    use e::documents::Column as C;
    let mut out: HashMap<i32, Vec<Document>> = HashMap::new();
    for chunk in ids.chunks(500) {
        let rows = selected()
            .filter(C::Entity.eq(ty.entity()))
            .filter(C::ItemId.is_in(chunk.iter().copied()))
            .filter(visible(ty, visibility))
            .order_by_asc(C::Locale)
            .order_by_asc(C::Id)
            .into_model::<Document>()
            .all(db)
            .await?;
        for d in rows {
            out.entry(d.item_id).or_default().push(d);
        }
    }
    Ok(out)
}

/// The text read from an item's visible documents, for search.
#[derive(Clone, Debug)]
pub struct DocumentText {
    pub locale: String,
    pub text: String,
    /// The item's source locale (a language with documents and no version is shown with it).
    pub source_locale: String,
}

/// The extracted text of the visible documents of items of one type, by item.
pub async fn texts_for_items<C: ConnectionTrait>(
    db: &C,
    ty: ContentType,
    ids: &[i32],
    visibility: Visibility,
) -> AppResult<HashMap<i32, Vec<DocumentText>>> {
    #[derive(FromQueryResult)]
    struct Row {
        item_id: i32,
        locale: String,
        text: Option<String>,
        source_locale: String,
    }
    let mut out: HashMap<i32, Vec<DocumentText>> = HashMap::new();
    for chunk in ids.chunks(500) {
        let source = Query::select()
            .column((a("ib"), a("source_locale")))
            .from_as(a(ty.base_table()), a("ib"))
            .and_where(col("ib", "id").equals(("documents", "item_id")))
            .to_owned();
        let source: Expr = source.into();
        let q = Query::select()
            .columns([(a("documents"), a("item_id")), (a("documents"), a("locale")), (a("documents"), a("text"))])
            .expr_as(source, a("source_locale"))
            .from(a("documents"))
            .and_where(col("documents", "entity").eq(ty.entity()))
            .and_where(col("documents", "item_id").is_in(chunk.iter().copied()))
            .and_where(col("documents", "text_status").eq(TextStatus::Extracted))
            .and_where(visible(ty, visibility))
            .order_by((a("documents"), a("id")), sea_orm::Order::Asc)
            .to_owned();
        let rows = Row::find_by_statement(db.get_database_backend().build(&q)).all(db).await?;
        for r in rows {
            let Some(text) = r.text else { continue };
            out.entry(r.item_id).or_default().push(DocumentText {
                locale: r.locale,
                text,
                source_locale: r.source_locale,
            });
        }
    }
    Ok(out)
}

/// A document for download: public ones to anyone, the others to callers who may read drafts
/// (and only while the item's version in its language is not archived). Anything else is
/// `NOT_FOUND`, whether or not it exists. Says which rule let the caller see it.
pub async fn for_download<C: ConnectionTrait>(
    db: &C,
    who: Option<&Principal>,
    id: i32,
) -> AppResult<(Document, Visibility)> {
    use e::documents::Column as C;
    let row = selected().filter(C::Id.eq(id)).into_model::<Document>().one(db).await?;
    let not_found = || AppError::NotFound("no such document".into());
    let doc = row.ok_or_else(not_found)?;
    let ty = doc.content_type().ok_or_else(not_found)?;
    let mut allowed = vec![Visibility::Public];
    if who.is_some_and(|p| allows(p, &Action::ReadDrafts)) {
        allowed.push(Visibility::Preview);
    }
    for visibility in allowed {
        let seen = e::documents::Entity::find()
            .select_only()
            .column(C::Id)
            .filter(C::Id.eq(id))
            .filter(visible(ty, visibility))
            .into_tuple::<i32>()
            .one(db)
            .await?;
        if seen.is_some() {
            return Ok((doc, visibility));
        }
    }
    Err(not_found())
}

/// What an upload is for.
#[derive(Clone, Debug)]
pub struct Upload {
    pub ty: ContentType,
    pub item_id: i32,
    pub locale: String,
    pub title: Option<String>,
    /// As sent by the client (kept as metadata only; made safe for downloads).
    pub file_name: String,
}

/// The stored document, and whether this upload created it (`false`: the same bytes were
/// already there for the item and language).
#[derive(Clone, Debug)]
pub struct Uploaded {
    pub document: Document,
    pub created: bool,
}

/// Checks the caller may attach documents to the item in `locale`: as editing its text there,
/// and, in a language the item has no version in (where the document goes live with the
/// source version), as publishing there.
async fn check_rights<C: ConnectionTrait>(
    conn: &C,
    who: &Principal,
    ty: ContentType,
    item_id: i32,
    locale: &str,
) -> AppResult<String> {
    let source = source_locale(conn, ty, item_id).await?;
    let forbidden = |why: &str| AppError::Forbidden(why.to_owned());
    if !allows(who, &Action::EditText { locale, source_locale: &source, field: Field::Document }) {
        return Err(forbidden("your role does not allow documents in this language of this item"));
    }
    let has_version = conn
        .query_one(
            &Query::select()
                .expr(Expr::val(1))
                .from(a(ty.translation_table()))
                .and_where(Expr::col(a("item_id")).eq(item_id))
                .and_where(Expr::col(a("locale")).eq(locale))
                .to_owned(),
        )
        .await?
        .is_some();
    let publishes = Action::SetStatus { locale, source_locale: &source, to: e::PublicationStatus::Published };
    if !has_version && !allows(who, &publishes) {
        return Err(forbidden(
            "the item has no version in this language, so its document would be published with the source version: \
             that needs the right to publish in this language",
        ));
    }
    Ok(source)
}

fn clean_title(title: Option<String>) -> AppResult<Option<String>> {
    let title = title.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
    if title.as_ref().is_some_and(|t| t.chars().count() > MAX_TITLE || t.chars().any(char::is_control)) {
        return Err(AppError::bad_input(format!("title: at most {MAX_TITLE} characters, no control characters")));
    }
    Ok(title)
}

/// Stores an uploaded file as the document of (item, locale).
pub async fn upload(
    state: &impl Services,
    storage: &Storage,
    config: &DocumentsConfig,
    who: &Principal,
    input: Upload,
    file: Received,
) -> AppResult<Uploaded> {
    use e::documents::Column as C;
    let locale = state
        .locales()
        .configured_code(&input.locale)
        .map_err(|e| AppError::bad_input(format!("locale: {e}")))?
        .to_owned();
    let title = clean_title(input.title)?;
    check_rights(state.db(), who, input.ty, input.item_id, &locale).await?;
    let detected = match kind::detect(&file.head) {
        Some("application/zip") => kind::zip_kind(&file.path).or(Some("application/zip")),
        other => other,
    };
    let mime = detected.filter(|m| config.allowed_types.iter().any(|t| t == m));
    let Some(mime) = mime else {
        let found = detected.unwrap_or("of no type Chorus recognises");
        return Err(AppError::UnsupportedFileFormat(format!(
            "the file is {found}; accepted here: {}",
            config.allowed_types.join(", ")
        )));
    };
    let file_name = kind::clean_file_name(&input.file_name, MAX_FILE_NAME);
    let same = |db| {
        selected()
            .filter(C::Entity.eq(input.ty.entity()))
            .filter(C::ItemId.eq(input.item_id))
            .filter(C::Locale.eq(locale.clone()))
            .filter(C::Sha256.eq(file.sha256.clone()))
            .into_model::<Document>()
            .one(db)
    };
    if let Some(existing) = same(state.db()).await? {
        return Ok(Uploaded { document: existing, created: false });
    }

    // The object first: a row is never written without it. Written even when the same bytes
    // are stored already (same key, same content): that renews its time, so the sweeper, which
    // spares recent objects, cannot remove it before the row below refers to it.
    let key = Storage::key_for(&file.sha256);
    storage.put_file(&key, &file.path).await?;

    let w = Write::begin(state.db(), who.into(), state).await?;
    // Rights again inside the write (a role or the item may have changed meanwhile).
    check_rights(w.txn(), who, input.ty, input.item_id, &locale).await?;
    let now = Utc::now();
    let text_status = if kind::has_text(mime) { TextStatus::Pending } else { TextStatus::None };
    let inserted = e::documents::ActiveModel {
        id: sea_orm::NotSet,
        entity: Set(input.ty.entity().to_owned()),
        item_id: Set(input.item_id),
        locale: Set(locale.clone()),
        title: Set(title),
        file_name: Set(file_name),
        mime_type: Set(mime.to_owned()),
        size: Set(i64::try_from(file.size).unwrap_or(i64::MAX)),
        sha256: Set(file.sha256.clone()),
        storage_key: Set(key),
        pages: Set(None),
        text_status: Set(text_status),
        text: Set(None),
        text_error: Set(None),
        text_claimed_at: Set(None),
        uploaded_by: Set((who.user_id != 0).then_some(who.user_id)),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(w.txn())
    .await;
    let model = match inserted {
        Ok(m) => m,
        Err(err) => {
            drop(w);
            // The same bytes uploaded at the same moment by another request.
            if let Some(existing) = same(state.db()).await? {
                return Ok(Uploaded { document: existing, created: false });
            }
            return Err(err.into());
        }
    };
    w.record("document.upload", input.ty.entity(), input.item_id, Some(&locale), "updated").await?;
    w.commit().await?;
    let document = selected()
        .filter(C::Id.eq(model.id))
        .into_model::<Document>()
        .one(state.db())
        .await?
        .ok_or_else(|| AppError::internal("the document just stored is gone"))?;
    Ok(Uploaded { document, created: true })
}

/// Removes a document. Its object stays until the sweeper finds no document using it.
pub async fn delete(state: &impl Services, who: &Principal, id: i32) -> AppResult<Document> {
    use e::documents::Column as C;
    let w = Write::begin(state.db(), who.into(), state).await?;
    let doc = selected()
        .filter(C::Id.eq(id))
        .into_model::<Document>()
        .one(w.txn())
        .await?
        .ok_or_else(|| AppError::NotFound("no such document".into()))?;
    let ty = doc.content_type().ok_or_else(|| AppError::NotFound("no such document".into()))?;
    check_rights(w.txn(), who, ty, doc.item_id, &doc.locale).await?;
    e::documents::Entity::delete_by_id(id).exec(w.txn()).await?;
    w.record("document.delete", ty.entity(), doc.item_id, Some(&doc.locale), "updated").await?;
    w.commit().await?;
    Ok(doc)
}

/// Removes the documents of a deleted item (inside its deletion's write).
pub async fn delete_for_item<C: ConnectionTrait>(conn: &C, ty: ContentType, item_id: i32) -> AppResult<()> {
    use e::documents::Column as C;
    e::documents::Entity::delete_many()
        .filter(C::Entity.eq(ty.entity()))
        .filter(C::ItemId.eq(item_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// What `chorus documents check` found.
#[derive(Clone, Debug, Default)]
pub struct CheckReport {
    pub rows: usize,
    pub objects: usize,
    /// Documents whose object is missing or of another size: (id, key).
    pub missing: Vec<(i32, String)>,
    /// Objects no document refers to (the sweeper removes them after the grace period).
    pub unreferenced: Vec<String>,
}

/// Compares the rows with the store.
pub async fn check<C: ConnectionTrait>(db: &C, storage: &Storage) -> AppResult<CheckReport> {
    use e::documents::Column as C;
    let rows: Vec<(i32, String, i64)> = e::documents::Entity::find()
        .select_only()
        .columns([C::Id, C::StorageKey, C::Size])
        .order_by_asc(C::Id)
        .into_tuple()
        .all(db)
        .await?;
    let objects = storage.list().await?;
    let sizes: HashMap<&str, u64> = objects.iter().map(|o| (o.key.as_str(), o.size)).collect();
    let mut report = CheckReport { rows: rows.len(), objects: objects.len(), ..Default::default() };
    for (id, key, size) in &rows {
        if sizes.get(key.as_str()).is_none_or(|s| i64::try_from(*s).ok() != Some(*size)) {
            report.missing.push((*id, key.clone()));
        }
    }
    let used: std::collections::HashSet<&str> = rows.iter().map(|(_, k, _)| k.as_str()).collect();
    report.unreferenced = objects.iter().filter(|o| !used.contains(o.key.as_str())).map(|o| o.key.clone()).collect();
    Ok(report)
}

/// Removes objects that no document refers to and that are older than `grace` (younger ones
/// may belong to an upload whose row is being written). Returns the keys removed.
pub async fn sweep<C: ConnectionTrait>(db: &C, storage: &Storage, grace: chrono::Duration) -> AppResult<Vec<String>> {
    use e::documents::Column as C;
    let cutoff = Utc::now() - grace;
    let mut removed = Vec::new();
    for object in storage.list().await? {
        if object.modified > cutoff {
            continue;
        }
        // Read per object, just before removing it: an upload may have reused the bytes.
        let used = e::documents::Entity::find()
            .select_only()
            .column(C::Id)
            .filter(C::StorageKey.eq(object.key.clone()))
            .into_tuple::<i32>()
            .one(db)
            .await?
            .is_some();
        // Written again since it was listed (an upload of the same bytes): spared.
        let renewed = storage.head(&object.key).await?.is_none_or(|(_, modified)| modified > cutoff);
        if !used && !renewed {
            storage.delete(&object.key).await?;
            removed.push(object.key);
        }
    }
    Ok(removed)
}

/// The documents' background work in every process: text of new documents as soon as they
/// are uploaded (woken by `wake`) or found pending (another process's upload, a job left by a
/// killed process), and objects no document uses removed every `sweep_interval_minutes`.
pub async fn run(
    state: impl Services,
    storage: Storage,
    config: std::sync::Arc<crate::config::Config>,
    wake: std::sync::Arc<tokio::sync::Notify>,
) {
    let d = &config.documents;
    let poll = (d.text_poll_ms > 0).then(|| std::time::Duration::from_millis(d.text_poll_ms));
    if poll.is_none() {
        // Only this process's uploads wake the job (tests that count statements).
        wake.notified().await;
    }
    let sweep_every = std::time::Duration::from_secs(d.sweep_interval_minutes.saturating_mul(60));
    let grace = chrono::Duration::minutes(i64::try_from(d.sweep_grace_minutes).unwrap_or(i64::MAX / 120_000));
    let mut last_sweep = std::time::Instant::now();
    loop {
        if let Err(e) = extract::run_pending(&state, &storage, d).await {
            e.log_if_internal();
            if e.code() != crate::error::Code::Internal {
                tracing::warn!(error = %e, "document text job");
            }
        }
        if !sweep_every.is_zero() && last_sweep.elapsed() >= sweep_every {
            last_sweep = std::time::Instant::now();
            match sweep(state.db(), &storage, grace).await {
                Ok(removed) if !removed.is_empty() => {
                    tracing::info!(removed = removed.len(), "unused document objects removed")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "document sweep"),
            }
        }
        match poll {
            Some(poll) => {
                let _ = tokio::time::timeout(poll, wake.notified()).await;
            }
            None => wake.notified().await,
        }
    }
}
