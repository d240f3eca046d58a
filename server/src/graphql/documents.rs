//! Documents over GraphQL: the `Document` type (listed by every item's `documents` field) and
//! the upload and delete mutations (a GraphQL multipart upload, as for translation files).

use async_graphql::{Context, Enum, ID, Object, SimpleObject, Upload};
use chrono::{DateTime, Utc};

use super::auth::principal;
use super::error::IntoGql;
use super::ids::{self, NodeType};
use super::state;
use crate::content::documents::{self, Upload as NewUpload, receive};
use crate::error::AppError;

/// Whether a document's text is searchable.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum DocumentTextStatus {
    /// Waiting to be read (a few seconds after the upload).
    Pending,
    /// Read and searchable in the document's language.
    Extracted,
    /// Stored and downloadable, but its text could not be read (damaged, encrypted, scanned).
    Unreadable,
    /// A type no text is taken from (images, audio, video).
    None,
}

impl From<chorus_entities::TextStatus> for DocumentTextStatus {
    fn from(s: chorus_entities::TextStatus) -> Self {
        match s {
            chorus_entities::TextStatus::Pending => DocumentTextStatus::Pending,
            chorus_entities::TextStatus::Extracted => DocumentTextStatus::Extracted,
            chorus_entities::TextStatus::Unreadable => DocumentTextStatus::Unreadable,
            chorus_entities::TextStatus::None => DocumentTextStatus::None,
        }
    }
}

/// A file of one language of an item: the PDF of a briefing paper in Russian, an EPUB, a
/// recording.
pub struct Document(pub documents::Document);

#[Object]
impl Document {
    async fn id(&self) -> ID {
        ids::encode(NodeType::Document, self.0.id)
    }

    /// The document's language.
    async fn locale(&self) -> &str {
        &self.0.locale
    }

    async fn title(&self) -> Option<&str> {
        self.0.title.as_deref()
    }

    /// The name it was uploaded with.
    async fn file_name(&self) -> &str {
        &self.0.file_name
    }

    /// Where to download it (`documents.public_url` followed by `/v1/documents/{id}/{name}`).
    async fn url(&self, ctx: &Context<'_>) -> String {
        self.0.url(&state(ctx).config.documents)
    }

    /// Detected from the file's bytes.
    async fn mime_type(&self) -> &str {
        &self.0.mime_type
    }

    /// In bytes.
    async fn size(&self) -> f64 {
        self.0.size as f64
    }

    /// Lowercase hex: the download's `ETag`, and a check on a downloaded copy.
    async fn sha256(&self) -> &str {
        &self.0.sha256
    }

    /// Pages of a PDF, once its text is read.
    async fn pages(&self) -> Option<i32> {
        self.0.pages
    }

    async fn text_status(&self) -> DocumentTextStatus {
        self.0.text_status.into()
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// The outcome of an upload.
#[derive(SimpleObject)]
pub struct UploadDocumentPayload {
    document: Document,
    /// False when the same file was already there for the item and language (nothing stored).
    created: bool,
}

#[derive(Default)]
pub struct DocumentMutation;

#[Object]
impl DocumentMutation {
    /// Attaches a file (a GraphQL multipart upload) to one language of an item. Its type is read
    /// from its bytes and must be one of `documents.allowed_types`; it is public when the item's
    /// version in that language is (or, with no version in it, when the source version is).
    async fn upload_document(
        &self,
        ctx: &Context<'_>,
        item: ID,
        locale: String,
        file: Upload,
        title: Option<String>,
    ) -> async_graphql::Result<UploadDocumentPayload> {
        let who = principal(ctx).gql()?;
        let (ty, item_id) = super::translate::item(&item).gql()?;
        let app = state(ctx);
        let config = &app.config.documents;
        let upload = file.value(ctx).map_err(|e| AppError::bad_input(format!("file: {e}"))).gql()?;
        let size = upload.size().map_err(AppError::internal).gql()?;
        if size > config.max_file_bytes {
            return Err(AppError::TooLarge(format!("the file is larger than {} bytes", config.max_file_bytes))).gql();
        }
        let dir = receive::staging_dir(&app.config.server.data_dir);
        let file_name = upload.filename.clone();
        let mut content = tokio::fs::File::from_std(upload.content);
        let mut r = receive::Receiver::new(&dir, config.max_file_bytes).await.gql()?;
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = tokio::io::AsyncReadExt::read(&mut content, &mut buf).await.map_err(AppError::internal).gql()?;
            if n == 0 {
                break;
            }
            r.push(&buf[..n]).await.gql()?;
        }
        let received = r.finish().await.gql()?;
        let input = NewUpload { ty, item_id, locale, title, file_name };
        let up = documents::upload(app, &app.storage, config, who, input, received).await.gql()?;
        app.documents_wake.notify_one();
        Ok(UploadDocumentPayload { document: Document(up.document), created: up.created })
    }

    /// Removes a document; returns its id. Its file is removed from the store by the sweeper
    /// once no document uses it (after `documents.sweep_grace_minutes`).
    async fn delete_document(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<ID> {
        let who = principal(ctx).gql()?;
        let n = ids::decode_as(&id, NodeType::Document).gql()?;
        documents::delete(state(ctx), who, n).await.gql()?;
        Ok(id)
    }
}
