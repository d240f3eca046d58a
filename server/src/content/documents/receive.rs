//! An upload as it arrives: written chunk by chunk to a staged file on local disk while its
//! SHA-256 is computed and its first bytes kept for type detection. Past the size limit it stops
//! at once (`TOO_LARGE`), keeping nothing; the staged file is removed when dropped, and files
//! left by a killed process are removed at the next start (`clear_stale`).

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use tempfile::TempPath;
use tokio::io::AsyncWriteExt;

use crate::error::{AppError, AppResult};

/// The bytes kept for detecting the type (ZIP-based formats name their parts near the start).
const HEAD_BYTES: usize = 64 * 1024;

/// The folder of staged uploads under the data directory.
pub fn staging_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("tmp").join("uploads")
}

/// Removes staged files older than an hour (left by a process that was killed mid-upload).
pub fn clear_stale(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| t.elapsed().is_ok_and(|age| age.as_secs() > 3600));
        if old {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// An upload being received.
pub struct Receiver {
    file: tokio::fs::File,
    path: TempPath,
    hasher: Sha256,
    size: u64,
    limit: u64,
    head: Vec<u8>,
}

/// A whole upload, staged on disk.
pub struct Received {
    pub path: TempPath,
    pub size: u64,
    /// Lowercase hex.
    pub sha256: String,
    pub head: Vec<u8>,
}

impl std::fmt::Debug for Received {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Received").field("size", &self.size).field("sha256", &self.sha256).finish_non_exhaustive()
    }
}

impl Receiver {
    pub async fn new(dir: &Path, limit: u64) -> AppResult<Receiver> {
        let staging = |e: std::io::Error| AppError::internal(format!("staging an upload in {}: {e}", dir.display()));
        tokio::fs::create_dir_all(dir).await.map_err(staging)?;
        let (file, path) = tempfile::Builder::new().prefix("upload-").tempfile_in(dir).map_err(staging)?.into_parts();
        Ok(Receiver {
            file: tokio::fs::File::from_std(file),
            path,
            hasher: Sha256::new(),
            size: 0,
            limit,
            head: Vec::new(),
        })
    }

    /// Takes the next chunk; refuses the upload as soon as it passes the limit.
    pub async fn push(&mut self, chunk: &[u8]) -> AppResult<()> {
        self.size += chunk.len() as u64;
        if self.size > self.limit {
            return Err(AppError::TooLarge(format!("the file is larger than {} bytes", self.limit)));
        }
        if self.head.len() < HEAD_BYTES {
            let take = (HEAD_BYTES - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
        self.hasher.update(chunk);
        self.file.write_all(chunk).await.map_err(|e| AppError::internal(format!("staging an upload: {e}")))
    }

    /// The whole upload, on disk.
    pub async fn finish(mut self) -> AppResult<Received> {
        if self.size == 0 {
            return Err(AppError::bad_input("the file is empty"));
        }
        self.file.flush().await.map_err(|e| AppError::internal(format!("staging an upload: {e}")))?;
        let digest = self.hasher.finalize();
        let sha256 = digest.iter().map(|b| format!("{b:02x}")).collect();
        Ok(Received { path: self.path, size: self.size, sha256, head: self.head })
    }
}

/// Receives a stream of chunks, within `deadline`.
pub async fn receive<S, E>(mut stream: S, dir: &Path, limit: u64, deadline: std::time::Duration) -> AppResult<Received>
where
    S: futures_util::Stream<Item = Result<bytes::Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    use futures_util::StreamExt;
    let mut r = Receiver::new(dir, limit).await?;
    let read = async {
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| AppError::bad_input(format!("could not read the upload: {e}")))?;
            r.push(&chunk).await?;
        }
        Ok::<_, AppError>(())
    };
    match tokio::time::timeout(deadline, read).await {
        Ok(result) => result?,
        Err(_) => {
            return Err(AppError::Timeout(format!("the upload did not arrive within {} seconds", deadline.as_secs())));
        }
    }
    r.finish().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_and_stops_at_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = Receiver::new(dir.path(), 10).await.unwrap();
        r.push(b"hello ").await.unwrap();
        r.push(b"world").await.unwrap_err();
        let mut r = Receiver::new(dir.path(), 11).await.unwrap();
        r.push(b"hello ").await.unwrap();
        r.push(b"world").await.unwrap();
        let got = r.finish().await.unwrap();
        assert_eq!(got.size, 11);
        assert_eq!(got.sha256, "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9");
        assert_eq!(std::fs::read(&got.path).unwrap(), b"hello world");
        let path = got.path.to_path_buf();
        drop(got);
        assert!(!path.exists(), "the staged file goes with the upload");
        let empty = Receiver::new(dir.path(), 11).await.unwrap();
        assert!(empty.finish().await.is_err());
    }
}
