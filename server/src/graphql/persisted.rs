//! Persisted documents: Apollo's automatic persisted queries (a client sends a query's SHA-256
//! once with its text, then the hash alone) and trusted documents (a manifest of the operations a
//! site sends, which can be sent by id and, with `graphql.trusted_documents_only`, are the only
//! operations accepted).

use std::collections::{HashMap, HashSet};
use std::num::NonZeroUsize;
use std::path::Path;
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

use crate::config::GraphqlConfig;
use crate::error::Code;

/// The lowercase hex SHA-256 of a document's text, as Apollo and GraphQL Code Generator hash it.
pub fn sha256_hex(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A manifest of trusted documents.
#[derive(Debug, Default)]
pub struct Manifest {
    /// The documents as the manifest lists them, by its ids.
    documents: Vec<(String, Arc<str>)>,
    /// Document text by the manifest's id and by its SHA-256.
    by_id: HashMap<String, Arc<str>>,
    /// The SHA-256 of every document.
    hashes: HashSet<String>,
}

impl Manifest {
    /// Reads a manifest as GraphQL Code Generator (`{"<sha256>": "query …"}`), Relay
    /// (`{"<id>": "query …"}`) or Apollo (`{"format": "apollo-persisted-query-manifest",
    /// "operations": [{"id", "body", …}]}`) write it.
    pub fn parse(json: &str) -> Result<Manifest, String> {
        let value: serde_json::Value = serde_json::from_str(json).map_err(|e| format!("not JSON: {e}"))?;
        let serde_json::Value::Object(map) = value else {
            return Err("expected a JSON object of documents by id".into());
        };
        let mut entries: Vec<(String, String)> = Vec::new();
        if map.get("format").and_then(|f| f.as_str()) == Some("apollo-persisted-query-manifest") {
            let ops =
                map.get("operations").and_then(|o| o.as_array()).ok_or("an Apollo manifest without `operations`")?;
            for (i, op) in ops.iter().enumerate() {
                let field = |name: &str| op.get(name).and_then(|v| v.as_str()).map(str::to_owned);
                match (field("id"), field("body")) {
                    (Some(id), Some(body)) => entries.push((id, body)),
                    _ => return Err(format!("operation {i} has no string `id` and `body`")),
                }
            }
        } else {
            for (id, body) in map {
                match body {
                    serde_json::Value::String(body) => entries.push((id, body)),
                    _ => return Err(format!("the document `{id}` is not a string")),
                }
            }
        }
        let mut manifest = Manifest::default();
        for (id, body) in entries {
            let body: Arc<str> = Arc::from(body);
            let hash = sha256_hex(&body);
            manifest.by_id.insert(id.clone(), body.clone());
            manifest.by_id.insert(hash.clone(), body.clone());
            manifest.documents.push((id, body));
            manifest.hashes.insert(hash);
        }
        Ok(manifest)
    }

    pub fn load(path: &Path) -> Result<Manifest, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Manifest::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Refuses a manifest holding a document that could never run: over the query size limit,
    /// or not GraphQL.
    pub fn check(&self, max_query_bytes: usize) -> Result<(), String> {
        for (id, body) in &self.documents {
            if body.len() > max_query_bytes {
                return Err(format!("the document `{id}` is longer than graphql.max_query_bytes ({max_query_bytes})"));
            }
            if let Err(e) = async_graphql::parser::parse_query(body.as_ref()) {
                return Err(format!("the document `{id}` is not GraphQL: {e}"));
            }
        }
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    fn get(&self, id: &str) -> Option<Arc<str>> {
        let id = id.strip_prefix("sha256:").unwrap_or(id);
        self.by_id.get(id).cloned()
    }

    fn trusts(&self, text: &str) -> bool {
        self.hashes.contains(&sha256_hex(text))
    }
}

/// What a request names its document by, besides its text.
#[derive(Debug, Default, Clone)]
pub struct DocumentRef {
    /// `documentId` (GraphQL over HTTP) or `doc_id` (Relay).
    pub document_id: Option<String>,
    /// Apollo's `extensions.persistedQuery.sha256Hash`.
    pub apollo_hash: Option<String>,
}

/// How a request's document was found.
#[derive(Debug)]
pub enum Resolved {
    /// The request carried its text (nothing to look up).
    Sent,
    /// Its text was sent with an Apollo hash that matches it: store it once it is known valid.
    SentToPersist(String),
    /// Its text was found by id or hash.
    Found(Arc<str>),
}

/// A refusal: a code and a message for the GraphQL error.
pub type Refusal = (Code, String);

/// The persisted-document store of one process.
pub struct Persisted {
    /// Query texts by hash, least recently used first out; `None` when APQ is off.
    apq: Option<Mutex<lru::LruCache<String, Arc<str>>>>,
    manifest: Option<Manifest>,
    only_trusted: bool,
}

impl Persisted {
    /// The store the configuration asks for (the manifest read now, relative to the working
    /// directory).
    pub fn from_config(g: &GraphqlConfig) -> Result<Persisted, String> {
        let manifest = match g.trusted_documents.as_str() {
            "" => None,
            path => {
                let m = Manifest::load(Path::new(path))?;
                m.check(g.max_query_bytes).map_err(|e| format!("{path}: {e}"))?;
                Some(m)
            }
        };
        Ok(Persisted::new(g.persisted_queries, manifest, g.trusted_documents_only))
    }

    pub fn new(apq_capacity: usize, manifest: Option<Manifest>, only_trusted: bool) -> Persisted {
        let apq = NonZeroUsize::new(apq_capacity).map(|n| Mutex::new(lru::LruCache::new(n)));
        Persisted { apq, manifest, only_trusted }
    }

    pub fn manifest_len(&self) -> Option<usize> {
        self.manifest.as_ref().map(Manifest::len)
    }

    /// Finds the text of a request's document, checking an Apollo hash against the text sent
    /// with it and, in trusted-only mode, that the document is in the manifest.
    pub fn resolve(&self, query: &str, reference: &DocumentRef) -> Result<Resolved, Refusal> {
        let resolved = self.find(query, reference)?;
        if self.only_trusted {
            let trusted = match (&resolved, &self.manifest) {
                (Resolved::Found(text), Some(m)) => m.trusts(text),
                (_, Some(m)) => m.trusts(query),
                (_, None) => false,
            };
            if !trusted {
                return Err((
                    Code::PersistedQueryNotInList,
                    "this server runs only the operations of its trusted-documents manifest".into(),
                ));
            }
        }
        Ok(resolved)
    }

    fn find(&self, query: &str, reference: &DocumentRef) -> Result<Resolved, Refusal> {
        if !query.is_empty() {
            return match &reference.apollo_hash {
                Some(hash) if !hash.eq_ignore_ascii_case(&sha256_hex(query)) => Err((
                    Code::PersistedQueryHashMismatch,
                    "extensions.persistedQuery.sha256Hash is not the SHA-256 of the query sent with it".into(),
                )),
                // A new query is remembered only where it could be run by hash later.
                Some(hash) if self.apq.is_some() && !self.only_trusted => {
                    Ok(Resolved::SentToPersist(hash.to_ascii_lowercase()))
                }
                _ => Ok(Resolved::Sent),
            };
        }
        if let Some(id) = &reference.document_id {
            return match self.manifest.as_ref().and_then(|m| m.get(id)) {
                Some(text) => Ok(Resolved::Found(text)),
                None => {
                    let id = crate::error::echo_input(id, 80);
                    Err((Code::PersistedQueryNotFound, format!("no trusted document has the id `{id}`")))
                }
            };
        }
        let Some(hash) = &reference.apollo_hash else { return Ok(Resolved::Sent) };
        let hash = hash.to_ascii_lowercase();
        if let Some(text) = self.manifest.as_ref().and_then(|m| m.get(&hash)) {
            return Ok(Resolved::Found(text));
        }
        let Some(apq) = &self.apq else {
            // Apollo Client then stops sending hashes alone.
            return Err((Code::PersistedQueryNotSupported, "PersistedQueryNotSupported".into()));
        };
        match apq.lock().unwrap_or_else(|e| e.into_inner()).get(&hash) {
            Some(text) => Ok(Resolved::Found(text.clone())),
            // The message is the one Apollo Client looks for before sending the text.
            None => Err((Code::PersistedQueryNotFound, "PersistedQueryNotFound".into())),
        }
    }

    /// Remembers a query text under its hash (after it parsed and passed the limits).
    pub fn persist(&self, hash: String, text: &str) {
        if let Some(apq) = &self.apq {
            apq.lock().unwrap_or_else(|e| e.into_inner()).put(hash, Arc::from(text));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const Q: &str = "{ locales { code } }";

    fn apollo(hash: &str) -> DocumentRef {
        DocumentRef { apollo_hash: Some(hash.into()), ..Default::default() }
    }

    #[test]
    fn the_hash_is_apollos() {
        // printf '%s' '{ locales { code } }' | sha256sum
        assert_eq!(sha256_hex(Q), "e256591f743432a2c4884497bca01c267484af03be74601bf2f9e96bb8b77fd5");
        assert_eq!(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }

    #[test]
    fn automatic_persisted_queries_round_trip() {
        let p = Persisted::new(2, None, false);
        let hash = sha256_hex(Q);
        assert!(matches!(p.resolve("", &apollo(&hash)), Err((Code::PersistedQueryNotFound, _))));
        let Ok(Resolved::SentToPersist(h)) = p.resolve(Q, &apollo(&hash)) else { panic!() };
        p.persist(h, Q);
        assert!(matches!(p.resolve("", &apollo(&hash.to_uppercase())), Ok(Resolved::Found(t)) if &*t == Q));
        assert!(matches!(p.resolve(Q, &apollo(&"0".repeat(64))), Err((Code::PersistedQueryHashMismatch, _))));
        // Bounded: the least recently used goes.
        for q in ["{ a }", "{ b }"] {
            p.persist(sha256_hex(q), q);
        }
        assert!(p.resolve("", &apollo(&hash)).is_err());
        let off = Persisted::new(0, None, false);
        assert!(matches!(off.resolve("", &apollo(&hash)), Err((Code::PersistedQueryNotSupported, _))));
        assert!(matches!(off.resolve(Q, &apollo(&hash)), Ok(Resolved::Sent)));
    }

    #[test]
    fn manifests_of_every_tool_are_read() {
        let codegen = format!(r#"{{"{}": "{Q}"}}"#, sha256_hex(Q));
        let relay = format!(r#"{{"3f2b9c": "{Q}"}}"#);
        let apollo_manifest = format!(
            r#"{{"format": "apollo-persisted-query-manifest", "version": 1,
                "operations": [{{"id": "{}", "name": "L", "type": "query", "body": "{Q}"}}]}}"#,
            sha256_hex(Q)
        );
        for json in [codegen, relay.clone(), apollo_manifest] {
            let m = Manifest::parse(&json).unwrap();
            assert_eq!(m.len(), 1);
            assert!(m.trusts(Q) && !m.trusts("{ x }"));
        }
        let p = Persisted::new(10, Some(Manifest::parse(&relay).unwrap()), true);
        let by_id = DocumentRef { document_id: Some("3f2b9c".into()), ..Default::default() };
        assert!(matches!(p.resolve("", &by_id), Ok(Resolved::Found(_))));
        assert!(matches!(p.resolve("", &apollo(&sha256_hex(Q))), Ok(Resolved::Found(_))));
        assert!(matches!(p.resolve(Q, &DocumentRef::default()), Ok(Resolved::Sent)));
        let other = "{ regions { code } }";
        assert!(matches!(p.resolve(other, &DocumentRef::default()), Err((Code::PersistedQueryNotInList, _))));
        // Not even registered by APQ in trusted-only mode.
        assert!(matches!(p.resolve(other, &apollo(&sha256_hex(other))), Err((Code::PersistedQueryNotInList, _))));
        let unknown = DocumentRef { document_id: Some("nope".into()), ..Default::default() };
        assert!(matches!(p.resolve("", &unknown), Err((Code::PersistedQueryNotFound, _))));
        for bad in ["[]", r#"{"a": 1}"#, r#"{"format": "apollo-persisted-query-manifest"}"#, "not json"] {
            assert!(Manifest::parse(bad).is_err(), "{bad}");
        }
        assert!(Manifest::parse(r#"{"a": "{ locales { code "}"#).unwrap().check(1000).unwrap_err().contains("`a`"));
        assert!(Manifest::parse(&relay).unwrap().check(5).unwrap_err().contains("max_query_bytes"));
        assert!(Manifest::parse(&relay).unwrap().check(1000).is_ok());
        let long_id = DocumentRef { document_id: Some(format!("<b>{}", "x".repeat(500))), ..Default::default() };
        let Err((_, msg)) = p.resolve("", &long_id) else { panic!() };
        assert!(msg.len() < 200 && !msg.contains('<'), "{msg}");
    }
}
