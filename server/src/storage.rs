//! The object store that holds uploaded documents' bytes, through `object_store`: a local folder
//! by default, any S3-compatible store by configuration. Objects are named by their content's
//! SHA-256 (`documents/sha256/ab/abcdef…`), so the same bytes are stored once and an object,
//! once written, never changes.
//!
//! Writes go through a staged file on local disk (`documents::receive`): an object is put only
//! when the whole upload has arrived, within its size limit, and its type was checked.

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use object_store::path::Path as Key;
use object_store::{MultipartUpload, ObjectStore, ObjectStoreExt, PutPayload};
use tokio::io::AsyncReadExt;

use crate::config::{DocumentsConfig, StorageBackend};
use crate::error::{AppError, AppResult};

/// Parts of a multipart upload (S3's minimum part is 5 MiB): one part is read from the staged
/// file, sent, and its buffer reused for the next, so an upload holds one part's memory.
const PART_BYTES: usize = 5 * 1024 * 1024;

/// Sends the file as parts of `PART_BYTES` (the last one shorter), one at a time, through one
/// buffer: once a part is sent, the store holds no reference to its bytes and the buffer is
/// filled again.
async fn send_parts(file: &mut tokio::fs::File, upload: &mut dyn MultipartUpload) -> AppResult<()> {
    let read_failed = |e: std::io::Error| AppError::internal(format!("staged upload: {e}"));
    let mut part = BytesMut::zeroed(PART_BYTES);
    loop {
        part.resize(PART_BYTES, 0);
        let mut filled = 0;
        while filled < PART_BYTES {
            let n = file.read(&mut part[filled..]).await.map_err(read_failed)?;
            if n == 0 {
                break;
            }
            filled += n;
        }
        if filled == 0 {
            return Ok(());
        }
        part.truncate(filled);
        let bytes = part.freeze();
        upload.put_part(PutPayload::from_bytes(bytes.clone())).await.map_err(unavailable)?;
        if filled < PART_BYTES {
            return Ok(());
        }
        part = bytes.try_into_mut().unwrap_or_else(|_| BytesMut::zeroed(PART_BYTES));
    }
}

/// The folder of document objects inside the store.
const PREFIX: &str = "documents/sha256";

/// The store, and a name for it in messages.
#[derive(Clone, Debug)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
    describe: String,
    /// The folder of the local store: a staged upload is moved into it (a rename, no copy).
    local_dir: Option<std::path::PathBuf>,
}

/// A stored object as listed: its key and when it was written.
#[derive(Clone, Debug)]
pub struct Listed {
    pub key: String,
    pub modified: DateTime<Utc>,
    pub size: u64,
}

fn unavailable(e: object_store::Error) -> AppError {
    match e {
        object_store::Error::NotFound { .. } => {
            AppError::NotFound("the file is missing from the document store".into())
        }
        e => {
            tracing::error!(error = %e, "document store");
            AppError::Unavailable("the document store is not reachable".into())
        }
    }
}

impl Storage {
    /// The configured store. The local folder is created if missing; an S3 store is only
    /// described here (a first request tells whether it answers: see `check`).
    pub fn from_config(config: &DocumentsConfig, data_dir: &Path) -> AppResult<Storage> {
        match config.storage {
            StorageBackend::Local => {
                let dir = config.dir(data_dir);
                std::fs::create_dir_all(&dir)
                    .map_err(|e| AppError::internal(format!("cannot create {}: {e}", dir.display())))?;
                let store = object_store::local::LocalFileSystem::new_with_prefix(&dir)
                    .map_err(|e| AppError::internal(format!("document folder {}: {e}", dir.display())))?;
                let describe = format!("local folder {}", dir.display());
                Ok(Storage { store: Arc::new(store), describe, local_dir: Some(dir) })
            }
            StorageBackend::S3 => {
                use object_store::aws::AmazonS3Builder;
                // The standard environment first (roles, web identity, container credentials),
                // then this configuration.
                let mut b = AmazonS3Builder::from_env()
                    .with_bucket_name(&config.s3_bucket)
                    .with_region(&config.s3_region)
                    .with_allow_http(config.s3_allow_http)
                    .with_virtual_hosted_style_request(config.s3_virtual_hosted);
                if !config.s3_endpoint.is_empty() {
                    b = b.with_endpoint(&config.s3_endpoint);
                }
                if let Some(c) = &config.s3_credentials {
                    b = b.with_access_key_id(&c.access_key_id).with_secret_access_key(&c.secret_access_key);
                    if let Some(t) = &c.session_token {
                        b = b.with_token(t);
                    }
                }
                let store = b.build().map_err(|e| AppError::internal(format!("S3 document store: {e}")))?;
                let store: Arc<dyn ObjectStore> = if config.s3_prefix.trim_matches('/').is_empty() {
                    Arc::new(store)
                } else {
                    Arc::new(object_store::prefix::PrefixStore::new(store, config.s3_prefix.trim_matches('/')))
                };
                let describe = format!("S3 bucket {}", config.s3_bucket);
                Ok(Storage { store, describe, local_dir: None })
            }
        }
    }

    /// Which store this is, for messages.
    pub fn describe(&self) -> &str {
        &self.describe
    }

    /// The key of the object holding bytes with this SHA-256 (lowercase hex).
    pub fn key_for(sha256: &str) -> String {
        format!("{PREFIX}/{}/{sha256}", &sha256[..2.min(sha256.len())])
    }

    /// Whether the store answers (a listing of one key).
    pub async fn check(&self) -> AppResult<()> {
        let mut list = self.store.list(Some(&Key::from(PREFIX)));
        match list.next().await {
            None | Some(Ok(_)) => Ok(()),
            Some(Err(e)) => Err(unavailable(e)),
        }
    }

    /// The object's size and time, or `None` when there is no such object.
    pub async fn head(&self, key: &str) -> AppResult<Option<(u64, DateTime<Utc>)>> {
        match self.store.head(&Key::from(key)).await {
            Ok(meta) => Ok(Some((meta.size, meta.last_modified))),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }

    /// Stores the staged file at `path` as the object `key` (the file is consumed). On the local
    /// store it is renamed into place; elsewhere it is read part by part (memory stays at a part
    /// or two whatever the file's size). The object appears whole or not at all.
    pub async fn put_file(&self, key: &str, path: &Path) -> AppResult<()> {
        if let Some(dir) = &self.local_dir {
            let target = dir.join(key);
            let (from, to) = (path.to_owned(), target.clone());
            let moved = tokio::task::spawn_blocking(move || {
                if let Some(parent) = to.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                std::fs::rename(&from, &to)
            })
            .await
            .map_err(AppError::internal)?;
            match moved {
                Ok(()) => return Ok(()),
                // Another file system (documents.dir elsewhere): copied through the store below.
                Err(e) if e.kind() == std::io::ErrorKind::CrossesDevices => {}
                Err(e) => return Err(AppError::internal(format!("storing {}: {e}", target.display()))),
            }
        }
        let key = Key::from(key);
        let mut file =
            tokio::fs::File::open(path).await.map_err(|e| AppError::internal(format!("staged upload: {e}")))?;
        let len = file.metadata().await.map_err(|e| AppError::internal(format!("staged upload: {e}")))?.len();
        if len <= PART_BYTES as u64 {
            let mut buf = Vec::with_capacity(len as usize);
            file.read_to_end(&mut buf).await.map_err(|e| AppError::internal(format!("staged upload: {e}")))?;
            self.store.put(&key, Bytes::from(buf).into()).await.map_err(unavailable)?;
            return Ok(());
        }
        let mut upload = self.store.put_multipart(&key).await.map_err(unavailable)?;
        let result = send_parts(&mut file, upload.as_mut()).await;
        match result {
            Ok(()) => {
                upload.complete().await.map_err(unavailable)?;
                Ok(())
            }
            Err(e) => {
                let _ = upload.abort().await;
                Err(e)
            }
        }
    }

    /// Writes small bytes as an object (tests and the demo).
    pub async fn put_bytes(&self, key: &str, bytes: Bytes) -> AppResult<()> {
        self.store.put(&Key::from(key), bytes.into()).await.map_err(unavailable)?;
        Ok(())
    }

    /// Streams the object, or the byte range of it, in chunks as the store sends them.
    pub async fn read(
        &self,
        key: &str,
        range: Option<Range<u64>>,
    ) -> AppResult<BoxStream<'static, Result<Bytes, std::io::Error>>> {
        let options = object_store::GetOptions { range: range.map(Into::into), ..Default::default() };
        let got = self.store.get_opts(&Key::from(key), options).await.map_err(unavailable)?;
        Ok(got.into_stream().map(|r| r.map_err(std::io::Error::other)).boxed())
    }

    /// Reads a whole object into memory (text extraction, bounded by the caller).
    pub async fn read_all(&self, key: &str) -> AppResult<Bytes> {
        let got = self.store.get(&Key::from(key)).await.map_err(unavailable)?;
        got.bytes().await.map_err(unavailable)
    }

    pub async fn delete(&self, key: &str) -> AppResult<()> {
        match self.store.delete(&Key::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(unavailable(e)),
        }
    }

    /// Every document object in the store.
    pub async fn list(&self) -> AppResult<Vec<Listed>> {
        let mut out = Vec::new();
        let mut list = self.store.list(Some(&Key::from(PREFIX)));
        while let Some(meta) = list.next().await {
            let meta = meta.map_err(unavailable)?;
            out.push(Listed { key: meta.location.to_string(), modified: meta.last_modified, size: meta.size });
        }
        Ok(out)
    }
}
