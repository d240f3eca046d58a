//! The index directory: tantivy's memory-mapped directory, except that the document store (the
//! stored fields: titles, summaries, bodies, read for the ten hits of a search) is read with
//! positioned reads.
//!
//! A search reads one small compressed block of the store per hit, anywhere in the file. Through
//! a memory map, the kernel maps the pages around every block it faults in (and reads ahead
//! when the file is not cached yet), so the store ends up in the process's resident memory
//! page by page until most of it is there: tens of megabytes for 100,000 documents, for blocks
//! read once. A positioned read copies just the block into a buffer that is freed after use;
//! the file stays in the kernel's page cache, shared and reclaimable, as any file does. The
//! rest of the index (term dictionaries, postings, positions, norms, fast fields) is read in
//! small pieces again and again by every search and stays memory-mapped.
//!
//! Large reads (merging segments copies whole stores) still go through the map.

use std::fs::File;
use std::io;
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tantivy::Directory;
use tantivy::HasLen;
use tantivy::directory::error::{DeleteError, LockError, OpenDirectoryError, OpenReadError, OpenWriteError};
use tantivy::directory::{
    DirectoryLock, FileHandle, Lock, MmapDirectory, OwnedBytes, WatchCallback, WatchHandle, WritePtr,
};

/// Reads up to this many bytes at once with a positioned read; more through the map.
const MAX_POSITIONED_READ: usize = 1 << 20;

#[derive(Clone, Debug)]
pub(crate) struct IndexDirectory {
    inner: MmapDirectory,
    root: PathBuf,
}

impl IndexDirectory {
    pub(crate) fn open(root: &Path) -> Result<IndexDirectory, OpenDirectoryError> {
        Ok(IndexDirectory { inner: MmapDirectory::open(root)?, root: root.to_owned() })
    }
}

/// A store file: positioned reads for blocks, the map for whole-file reads.
#[derive(Debug)]
struct StoreFile {
    file: File,
    len: usize,
    mapped: Arc<dyn FileHandle>,
}

impl HasLen for StoreFile {
    fn len(&self) -> usize {
        self.len
    }
}

impl FileHandle for StoreFile {
    fn read_bytes(&self, range: Range<usize>) -> io::Result<OwnedBytes> {
        if range.len() > MAX_POSITIONED_READ {
            return self.mapped.read_bytes(range);
        }
        let mut buf = vec![0u8; range.len()];
        self.file.read_exact_at(&mut buf, range.start as u64)?;
        Ok(OwnedBytes::new(buf))
    }
}

impl Directory for IndexDirectory {
    fn get_file_handle(&self, path: &Path) -> Result<Arc<dyn FileHandle>, OpenReadError> {
        let mapped = self.inner.get_file_handle(path)?;
        if path.extension().is_none_or(|e| e != "store") {
            return Ok(mapped);
        }
        let full = self.root.join(path);
        let file = File::open(&full).map_err(|e| OpenReadError::wrap_io_error(e, full.clone()))?;
        let len = mapped.len();
        Ok(Arc::new(StoreFile { file, len, mapped }))
    }

    fn delete(&self, path: &Path) -> Result<(), DeleteError> {
        self.inner.delete(path)
    }

    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        self.inner.exists(path)
    }

    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        self.inner.open_write(path)
    }

    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        self.inner.atomic_read(path)
    }

    fn atomic_write(&self, path: &Path, data: &[u8]) -> io::Result<()> {
        self.inner.atomic_write(path, data)
    }

    fn sync_directory(&self) -> io::Result<()> {
        self.inner.sync_directory()
    }

    fn acquire_lock(&self, lock: &Lock) -> Result<DirectoryLock, LockError> {
        self.inner.acquire_lock(lock)
    }

    fn watch(&self, watch_callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        self.inner.watch(watch_callback)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A store file reads the same bytes by positioned reads and, for large ranges, through the
    /// map; other files are the mapped directory's own.
    #[test]
    fn store_files_read_the_same_bytes_either_way() {
        let dir = tempfile::tempdir().unwrap();
        let bytes: Vec<u8> = (0..(2 * MAX_POSITIONED_READ + 12_345)).map(|i| (i * 31 % 251) as u8).collect();
        std::fs::write(dir.path().join("seg.store"), &bytes).unwrap();
        std::fs::write(dir.path().join("seg.idx"), &bytes[..1000]).unwrap();
        let directory = IndexDirectory::open(dir.path()).unwrap();
        let store = directory.get_file_handle(Path::new("seg.store")).unwrap();
        assert_eq!(store.len(), bytes.len());
        for range in [0..0, 0..10, 100..5_000, 1_000..1_000 + MAX_POSITIONED_READ, 7..bytes.len(), 0..bytes.len()] {
            assert_eq!(store.read_bytes(range.clone()).unwrap().as_slice(), &bytes[range.clone()], "{range:?}");
        }
        assert!(format!("{store:?}").contains("StoreFile"), "{store:?}");
        let other = directory.get_file_handle(Path::new("seg.idx")).unwrap();
        assert!(!format!("{other:?}").contains("StoreFile"));
        assert_eq!(other.read_bytes(0..1000).unwrap().as_slice(), &bytes[..1000]);
        // Past the end: an error, not a panic.
        assert!(store.read_bytes(bytes.len() - 1..bytes.len() + 10).is_err());
    }
}
