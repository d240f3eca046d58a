//! Configuration: `config.toml`, overridden by `CHORUS_SECTION__KEY` environment variables,
//! overridden by command-line flags.
//!
//! Loading is a pure function of (file text, environment map), so it is tested without touching
//! the process environment. Unknown keys and bad values are errors that name the key.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::locale::{LocaleError, Locales};

/// Environment variables with this prefix and a `__` separator override file keys.
pub const ENV_PREFIX: &str = "CHORUS_";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("config file is not valid TOML: {0}")]
    Syntax(String),
    #[error("config key `{key}`: {message}")]
    Key { key: String, message: String },
    #[error("environment variable {var}: {message}")]
    Env { var: String, message: String },
}

/// The whole configuration, as documented in the root `config.toml`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub locales: LocalesConfig,
    pub graphql: GraphqlConfig,
    pub http: HttpConfig,
    pub auth: AuthConfig,
    pub webhooks: WebhooksConfig,
    pub search: SearchConfig,
    pub translations: TranslationsConfig,
    pub documents: DocumentsConfig,
    pub embed: EmbedConfig,
    pub log: LogConfig,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct TranslationsConfig {
    /// The largest translation file accepted for import (bytes); larger uploads get 413.
    pub max_file_bytes: usize,
    /// The most units one file may hold.
    pub max_units: usize,
    /// Reading XLIFF: the deepest element nesting and the most attributes on one element.
    pub max_xml_depth: usize,
    pub max_xml_attributes: usize,
    /// Upload time allowed for a translation file (seconds).
    pub upload_timeout_seconds: u64,
}

impl Default for TranslationsConfig {
    fn default() -> Self {
        TranslationsConfig {
            max_file_bytes: 64 * 1024 * 1024,
            max_units: 500_000,
            max_xml_depth: 64,
            max_xml_attributes: 64,
            upload_timeout_seconds: 300,
        }
    }
}

/// Where uploaded documents are stored.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StorageBackend {
    /// A folder on this machine (`documents.dir`).
    Local,
    /// An S3-compatible object store (`documents.s3_*`; credentials from the environment).
    S3,
}

/// S3 credentials: read from `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and
/// `AWS_SESSION_TOKEN` in the environment, never from `config.toml`. Without them the store
/// uses the rest of the standard AWS chain (web identity, container or instance credentials).
#[derive(Clone, PartialEq, Eq)]
pub struct S3Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl std::fmt::Debug for S3Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Credentials").field("access_key_id", &self.access_key_id).finish_non_exhaustive()
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct DocumentsConfig {
    /// The address readers reach Chorus at (`https://api.example.org`): download URLs start
    /// with it. Empty: download URLs are paths (`/v1/documents/12/report.pdf`).
    pub public_url: String,
    pub storage: StorageBackend,
    /// The folder of the local store; empty means `<data_dir>/files`.
    pub dir: PathBuf,
    pub s3_bucket: String,
    /// The store's URL for S3-compatible services (MinIO, Garage, Ceph...); empty for AWS.
    pub s3_endpoint: String,
    pub s3_region: String,
    /// A key prefix inside the bucket (`chorus/`...).
    pub s3_prefix: String,
    /// Allow a plain-HTTP endpoint (a store on the same private network).
    pub s3_allow_http: bool,
    /// Address buckets as `bucket.host` rather than `host/bucket`.
    pub s3_virtual_hosted: bool,
    #[serde(skip)]
    pub s3_credentials: Option<S3Credentials>,
    /// The largest file accepted (bytes); a larger upload is refused with 413 as soon as it
    /// passes the limit, before anything is stored.
    pub max_file_bytes: u64,
    /// The types accepted, as detected from the bytes (never from the name).
    pub allowed_types: Vec<String>,
    /// Seconds an upload may take to arrive.
    pub upload_timeout_seconds: u64,
    /// Stored objects no document refers to are removed after this many minutes.
    pub sweep_grace_minutes: u64,
    /// How often each process looks for such objects (minutes; 0: never, `chorus documents
    /// sweep` only).
    pub sweep_interval_minutes: u64,
    /// Text kept from one document for search (characters).
    pub max_text_chars: usize,
    /// Files larger than this are stored but their text is not extracted (bytes).
    pub max_extract_bytes: u64,
    /// Seconds one extraction may take before the document is flagged unreadable.
    pub extract_timeout_seconds: u64,
    /// How often each process looks for documents waiting for their text (uploaded through
    /// another process, or left by one that stopped), in ms; 0: only after its own uploads.
    pub text_poll_ms: u64,
}

/// The types accepted by default: documents, images, audio and video people publish.
pub const DEFAULT_DOCUMENT_TYPES: &[&str] = &[
    "application/pdf",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/epub+zip",
    "image/png",
    "image/jpeg",
    "image/webp",
    "audio/mpeg",
    "video/mp4",
];

impl Default for DocumentsConfig {
    fn default() -> Self {
        DocumentsConfig {
            public_url: String::new(),
            storage: StorageBackend::Local,
            dir: PathBuf::new(),
            s3_bucket: String::new(),
            s3_endpoint: String::new(),
            s3_region: "us-east-1".to_owned(),
            s3_prefix: String::new(),
            s3_allow_http: false,
            s3_virtual_hosted: false,
            s3_credentials: None,
            max_file_bytes: 256 * 1024 * 1024,
            allowed_types: DEFAULT_DOCUMENT_TYPES.iter().map(|s| (*s).to_owned()).collect(),
            upload_timeout_seconds: 900,
            sweep_grace_minutes: 60,
            sweep_interval_minutes: 60,
            max_text_chars: 2_000_000,
            max_extract_bytes: 64 * 1024 * 1024,
            extract_timeout_seconds: 120,
            text_poll_ms: 5000,
        }
    }
}

impl DocumentsConfig {
    /// The local store's folder.
    pub fn dir(&self, data_dir: &Path) -> PathBuf {
        if self.dir.as_os_str().is_empty() { data_dir.join("files") } else { self.dir.clone() }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SearchConfig {
    /// Where the indexes live; empty means `<data_dir>/search`.
    pub dir: PathBuf,
    /// How often each process reads the change log into its index when nothing woke it (ms);
    /// 0 turns the indexer off (searches then answer SERVICE_UNAVAILABLE until it runs).
    pub refresh_interval_ms: u64,
    /// Indexing threads of a full rebuild.
    pub rebuild_threads: usize,
    /// Default and largest number of hits per page.
    pub default_page_size: u64,
    pub max_page_size: u64,
    /// Results beyond this position are not served (as Algolia's `paginationLimitedTo`).
    pub max_results: u64,
    /// Characters of a hit's snippet.
    pub snippet_chars: usize,
    /// Recent results kept per index until it changes (0 turns this off), and for at most
    /// `result_cache_seconds`.
    pub result_cache_entries: usize,
    pub result_cache_seconds: u64,
    /// Searches computed at once (0: one per CPU core); more wait their turn. Running more
    /// than the cores can serve only adds switching and memory (each search has its buffers).
    pub max_concurrent_searches: usize,
}

impl Default for SearchConfig {
    fn default() -> Self {
        SearchConfig {
            dir: PathBuf::new(),
            refresh_interval_ms: 200,
            rebuild_threads: 2,
            default_page_size: 10,
            max_page_size: 50,
            max_results: 1000,
            snippet_chars: 160,
            result_cache_entries: 1000,
            result_cache_seconds: 60,
            max_concurrent_searches: 0,
        }
    }
}

impl SearchConfig {
    pub fn result_cache(&self) -> chorus_search_index::CacheSettings {
        chorus_search_index::CacheSettings {
            entries: self.result_cache_entries,
            max_age: std::time::Duration::from_secs(self.result_cache_seconds),
        }
    }

    /// Searches computed at once.
    pub fn concurrent_searches(&self) -> usize {
        match self.max_concurrent_searches {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => n,
        }
    }

    /// The index folder.
    pub fn dir(&self, data_dir: &Path) -> PathBuf {
        if self.dir.as_os_str().is_empty() { data_dir.join("search") } else { self.dir.clone() }
    }
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebhooksConfig {
    /// Allow targets on loopback, private and link-local networks (SSRF protection off).
    pub allow_private_targets: bool,
}

/// The public search endpoint (`/v1/search`), the widget and the frame partner sites embed.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct EmbedConfig {
    /// Where a hit links to on the network's own site: `{locale}`, `{type}` (resources,
    /// good-practices, organizations, programmes), `{slug}` and `{id}` are filled in. Empty: hits
    /// link to their first document, if any.
    pub item_url: String,
    /// The rate and burst new partner keys get unless told otherwise.
    pub default_rate_per_minute: u32,
    pub default_burst: u32,
    /// Seconds a process keeps a key it has read before reading it again: a key changed or
    /// revoked through another process takes effect within this (at once in the same process).
    pub key_refresh_seconds: u64,
    /// Seconds between two additions of the usage counts kept in memory to the database.
    pub usage_flush_seconds: u64,
    /// `Cache-Control: max-age` of search answers (browsers and shared caches may keep them).
    pub cache_seconds: u32,
    /// The largest `per_page` a search may ask for.
    pub max_per_page: u32,
}

impl Default for EmbedConfig {
    fn default() -> Self {
        EmbedConfig {
            item_url: String::new(),
            default_rate_per_minute: 120,
            default_burst: 30,
            key_refresh_seconds: 10,
            usage_flush_seconds: 60,
            cache_seconds: 30,
            max_per_page: 50,
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// Hours a login session lasts.
    pub session_ttl_hours: u32,
    /// Failed logins allowed per account within `login_window_minutes`.
    pub login_max_failures: u32,
    pub login_window_minutes: u32,
    /// Password checks one process runs at once (each takes a core for tens of milliseconds);
    /// further sign-ins wait, and after 10 s are told to come back. 0: the number of cores.
    pub max_concurrent_password_checks: usize,
}

impl AuthConfig {
    /// `max_concurrent_password_checks`, with 0 resolved to the number of cores.
    pub fn password_checks(&self) -> usize {
        match self.max_concurrent_password_checks {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => n,
        }
    }
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            session_ttl_hours: 12,
            login_max_failures: 5,
            login_window_minutes: 15,
            max_concurrent_password_checks: 0,
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// `IP:PORT`, `[IPv6]:PORT` or `localhost:PORT`.
    #[serde(deserialize_with = "de_bind")]
    pub bind: SocketAddr,
    pub data_dir: PathBuf,
    pub shutdown_grace_seconds: u64,
    /// How often this process looks for scheduled publications that are due; 0 turns it off.
    pub scheduler_interval_ms: u64,
    /// Seconds a client has to send a request's headers (and an idle keep-alive connection
    /// stays open); then the connection is closed.
    pub header_read_timeout_seconds: u64,
    /// Seconds a client has to send a request's body; then it gets 408 `REQUEST_TIMEOUT`.
    pub body_read_timeout_seconds: u64,
    /// Connections served at once; further ones wait to be accepted.
    pub max_connections: usize,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum MigrateOnStart {
    /// Apply migrations only when the database has none applied yet.
    Empty,
    /// Apply pending migrations at every start.
    Always,
    /// Never: `chorus migrate up` is required.
    Never,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `sqlite://PATH` or `postgres://...`; empty means `sqlite://<data_dir>/chorus.db`.
    pub url: String,
    /// Size of the connection pool; 0 chooses by database (see [`Config::pool_size`]).
    pub max_connections: u32,
    /// Prepared statements each connection keeps (its least recently used is dropped past it); 0
    /// chooses by database (see [`Config::statement_cache`]).
    pub statement_cache: usize,
    /// SQLite's page cache per connection, in KiB (`PRAGMA cache_size`; 1,024 by default, SQLite's own
    /// 2,000).
    pub sqlite_cache_kib: u32,
    /// SQLite only: how much of the database file is read through a memory map, in MiB
    /// (`PRAGMA mmap_size`; 0, the default, reads pages with system calls).
    pub sqlite_mmap_mib: u32,
    pub migrate_on_start: MigrateOnStart,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct LocalesConfig {
    pub available: Vec<String>,
    pub default: String,
    /// Explicit fallback chains, e.g. `"fr-CA" = ["fr", "en"]`.
    pub fallbacks: BTreeMap<String, Vec<String>>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct GraphqlConfig {
    pub graphiql: bool,
    pub introspection: bool,
    pub max_depth: usize,
    pub max_complexity: usize,
    pub max_aliases: usize,
    pub max_directives: usize,
    pub max_recursive_depth: usize,
    pub max_batch: usize,
    pub max_query_bytes: usize,
    pub max_body_bytes: usize,
    pub default_page_size: u32,
    pub max_page_size: u32,
    /// Largest page of the admins' logs (audit log, webhook deliveries).
    pub max_log_page_size: u32,
    /// How long identical public query responses are served from memory; 0 turns caching off.
    pub cache_ttl_ms: u64,
    pub cache_max_entries: usize,
    /// Bytes the cached responses may take (keys and bodies); the oldest go first.
    pub cache_max_bytes: usize,
    /// How often (milliseconds) the change log is read for other processes' changes to terms,
    /// organisations and programmes, which every process keeps in memory; 0 never (a single
    /// process sees its own changes at once either way).
    pub reference_refresh_ms: u64,
    /// Most query texts kept for Apollo's automatic persisted queries (per process); 0 turns
    /// them off.
    pub persisted_queries: usize,
    /// Most parsed documents kept by their text (per process), so that a document sent again
    /// with other variables is not parsed again; 0 parses every request.
    pub parsed_documents: usize,
    /// A manifest of trusted documents (JSON, as GraphQL Code Generator, Relay or Apollo write
    /// it); empty for none.
    pub trusted_documents: String,
    /// Refuse every operation that is not in the manifest.
    pub trusted_documents_only: bool,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// Origins allowed to call the API from a browser (`https://example.org`), or `*`.
    pub cors_origins: Vec<String>,
    pub compression: bool,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// A `tracing` filter such as `info` or `chorus=debug,info`.
    pub level: String,
    pub format: LogFormat,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("./data"),
            shutdown_grace_seconds: 10,
            scheduler_interval_ms: 1000,
            header_read_timeout_seconds: 15,
            body_read_timeout_seconds: 30,
            max_connections: 1024,
        }
    }
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            url: String::new(),
            max_connections: 0,
            statement_cache: 0,
            sqlite_cache_kib: 1024,
            sqlite_mmap_mib: 0,
            migrate_on_start: MigrateOnStart::Empty,
        }
    }
}

impl Default for LocalesConfig {
    fn default() -> Self {
        LocalesConfig {
            available: ["en", "fr", "es", "ru", "zh-Hans"].map(String::from).to_vec(),
            default: "en".to_owned(),
            fallbacks: BTreeMap::new(),
        }
    }
}

impl Default for GraphqlConfig {
    fn default() -> Self {
        GraphqlConfig {
            graphiql: true,
            introspection: true,
            max_depth: 12,
            max_complexity: 5000,
            max_aliases: 30,
            max_directives: 5,
            max_recursive_depth: 32,
            max_batch: 10,
            max_query_bytes: 16 * 1024,
            max_body_bytes: 64 * 1024,
            default_page_size: 20,
            max_page_size: 100,
            max_log_page_size: 200,
            cache_ttl_ms: 1000,
            cache_max_entries: 1000,
            cache_max_bytes: 32 * 1024 * 1024,
            reference_refresh_ms: 1000,
            persisted_queries: 1000,
            parsed_documents: 128,
            trusted_documents: String::new(),
            trusted_documents_only: false,
        }
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig { cors_origins: Vec::new(), compression: true }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig { level: "info".to_owned(), format: LogFormat::Text }
    }
}

impl Config {
    /// Reads `path` (if given; else `./config.toml` when it exists, else defaults) and applies the
    /// environment overrides.
    pub fn load(path: Option<&Path>, env: &HashMap<String, String>) -> Result<Config, ConfigError> {
        let text = match path {
            Some(path) => {
                std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_owned(), source })?
            }
            None => match std::fs::read_to_string("config.toml") {
                Ok(text) => text,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
                Err(source) => return Err(ConfigError::Read { path: "config.toml".into(), source }),
            },
        };
        Config::from_sources(&text, env)
    }

    /// The pure core of loading: file text plus environment map.
    pub fn from_sources(text: &str, env: &HashMap<String, String>) -> Result<Config, ConfigError> {
        let mut table: toml::Table = text.parse().map_err(|e: toml::de::Error| ConfigError::Syntax(e.to_string()))?;
        let mut overrides: Vec<(&String, &String)> =
            env.iter().filter(|(k, _)| k.starts_with(ENV_PREFIX) && k.contains("__")).collect();
        overrides.sort();
        for (var, value) in overrides {
            let path = var[ENV_PREFIX.len()..].to_ascii_lowercase();
            let Some((section, key)) = path.split_once("__") else { continue };
            if section.is_empty() || key.is_empty() || key.contains("__") {
                return Err(ConfigError::Env { var: var.clone(), message: "expected CHORUS_SECTION__KEY".into() });
            }
            let entry = table.entry(section.to_owned()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
            let toml::Value::Table(section_table) = entry else {
                return Err(ConfigError::Env { var: var.clone(), message: format!("`{section}` is not a section") });
            };
            section_table.insert(key.to_owned(), env_value(value));
        }
        let mut config: Config = serde_path_to_error::deserialize(toml::Value::Table(table))
            .map_err(|e| ConfigError::Key { key: e.path().to_string(), message: e.inner().to_string() })?;
        let var = |name: &str| env.get(name).filter(|v| !v.is_empty()).cloned();
        if let (Some(access_key_id), Some(secret_access_key)) = (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY"))
        {
            config.documents.s3_credentials =
                Some(S3Credentials { access_key_id, secret_access_key, session_token: var("AWS_SESSION_TOKEN") });
        }
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let key_err = |key: &str, message: String| ConfigError::Key { key: key.to_owned(), message };
        self.locales().map_err(|e| key_err("locales", e.to_string()))?;
        let url = &self.database.url;
        if !url.is_empty()
            && !url.starts_with("sqlite:")
            && !url.starts_with("postgres://")
            && !url.starts_with("postgresql://")
        {
            return Err(key_err("database.url", "must start with sqlite: or postgres://".into()));
        }
        let g = &self.graphql;
        if g.max_page_size == 0 || g.default_page_size == 0 || g.default_page_size > g.max_page_size {
            return Err(key_err("graphql.default_page_size", "must be between 1 and graphql.max_page_size".into()));
        }
        if g.max_log_page_size < 50 {
            return Err(key_err("graphql.max_log_page_size", "must be at least 50, the logs' default page".into()));
        }
        let s = &self.search;
        if s.max_page_size == 0 || s.default_page_size == 0 || s.default_page_size > s.max_page_size {
            return Err(key_err("search.default_page_size", "must be between 1 and search.max_page_size".into()));
        }
        if s.rebuild_threads == 0 || s.rebuild_threads > 16 {
            return Err(key_err("search.rebuild_threads", "must be between 1 and 16".into()));
        }
        if s.max_results == 0 || !(40..=10_000).contains(&s.snippet_chars) {
            return Err(key_err(
                "search.snippet_chars",
                "must be between 40 and 10000 (and max_results at least 1)".into(),
            ));
        }
        let e = &self.embed;
        for (key, value) in [
            ("embed.default_rate_per_minute", u64::from(e.default_rate_per_minute)),
            ("embed.default_burst", u64::from(e.default_burst)),
            ("embed.key_refresh_seconds", e.key_refresh_seconds),
            ("embed.usage_flush_seconds", e.usage_flush_seconds),
            ("embed.max_per_page", u64::from(e.max_per_page)),
        ] {
            if value == 0 {
                return Err(key_err(key, "must be at least 1".into()));
            }
        }
        if !(e.item_url.is_empty() || e.item_url.starts_with("https://") || e.item_url.starts_with("http://")) {
            return Err(key_err("embed.item_url", "must be empty or an http(s) URL template".into()));
        }
        let t = &self.translations;
        for (key, value) in [
            ("translations.max_file_bytes", t.max_file_bytes as u64),
            ("translations.max_units", t.max_units as u64),
            ("translations.max_xml_depth", t.max_xml_depth as u64),
            ("translations.max_xml_attributes", t.max_xml_attributes as u64),
            ("translations.upload_timeout_seconds", t.upload_timeout_seconds),
        ] {
            if value == 0 {
                return Err(key_err(key, "must be at least 1".into()));
            }
        }
        let d = &self.documents;
        for (key, value) in [
            ("documents.max_file_bytes", d.max_file_bytes),
            ("documents.upload_timeout_seconds", d.upload_timeout_seconds),
            ("documents.max_text_chars", d.max_text_chars as u64),
            ("documents.extract_timeout_seconds", d.extract_timeout_seconds),
        ] {
            if value == 0 {
                return Err(key_err(key, "must be at least 1".into()));
            }
        }
        if d.storage == StorageBackend::S3 && d.s3_bucket.is_empty() {
            return Err(key_err("documents.s3_bucket", "is needed when documents.storage = \"s3\"".into()));
        }
        if d.allowed_types.is_empty() {
            return Err(key_err("documents.allowed_types", "must list at least one type".into()));
        }
        let sv = &self.server;
        for (key, value) in [
            ("server.header_read_timeout_seconds", sv.header_read_timeout_seconds),
            ("server.body_read_timeout_seconds", sv.body_read_timeout_seconds),
            ("server.max_connections", sv.max_connections as u64),
        ] {
            if value == 0 {
                return Err(key_err(key, "must be at least 1".into()));
            }
        }
        let a = &self.auth;
        for (key, value) in [
            ("auth.session_ttl_hours", a.session_ttl_hours),
            ("auth.login_max_failures", a.login_max_failures),
            ("auth.login_window_minutes", a.login_window_minutes),
        ] {
            if value == 0 {
                return Err(key_err(key, "must be at least 1".into()));
            }
        }
        for (key, value) in [
            ("graphql.max_depth", g.max_depth),
            ("graphql.max_complexity", g.max_complexity),
            ("graphql.max_batch", g.max_batch),
            ("graphql.max_query_bytes", g.max_query_bytes),
            ("graphql.max_body_bytes", g.max_body_bytes),
        ] {
            if value == 0 {
                return Err(key_err(key, "must be at least 1".into()));
            }
        }
        if g.trusted_documents_only && g.trusted_documents.is_empty() {
            return Err(key_err(
                "graphql.trusted_documents_only",
                "needs `graphql.trusted_documents`, the manifest of the operations to accept".into(),
            ));
        }
        for origin in &self.http.cors_origins {
            if origin != "*" && parse_origin(origin).is_none() {
                return Err(key_err(
                    "http.cors_origins",
                    format!("`{origin}` is not an origin like https://example.org"),
                ));
            }
        }
        tracing_subscriber::EnvFilter::try_new(&self.log.level).map_err(|e| key_err("log.level", e.to_string()))?;
        Ok(())
    }

    /// The configured locales with their fallback chains.
    pub fn locales(&self) -> Result<Locales, LocaleError> {
        Locales::new(&self.locales.available, &self.locales.default, &self.locales.fallbacks)
    }

    /// The configuration as TOML, secrets replaced by `***`, for `chorus config check`.
    pub fn redacted_toml(&self) -> String {
        let mut shown = self.clone();
        shown.database.url = redact_url(&self.database.url);
        toml::to_string_pretty(&shown).unwrap_or_else(|e| format!("# cannot show the configuration: {e}\n"))
    }

    /// The connection pool's size: `database.max_connections`, or when it is 0, 8 for PostgreSQL
    /// and for SQLite twice the cores, at least 4 and at most 8. A SQLite connection runs its
    /// statements on a thread of its own in this process and keeps its own page cache and
    /// prepared statements: on two cores 8 of them read no faster than 4 and held 35-40 MB more
    /// (`docs/BENCHMARKS.md`).
    pub fn pool_size(&self) -> u32 {
        match self.database.max_connections {
            0 if self.database_url().starts_with("sqlite:") => {
                let cores = std::thread::available_parallelism().map_or(2, |n| n.get()) as u32;
                (2 * cores).clamp(4, 8)
            }
            0 => 8,
            n => n,
        }
    }

    /// Prepared statements kept per connection: `database.statement_cache`, or when it is 0, 100
    /// for PostgreSQL (sqlx's default) and 32 for SQLite, whose statements live in this process
    /// (tens of kilobytes each for a list's): 32 held 10-15 MB less than 100 over four
    /// connections, reading as fast (`docs/BENCHMARKS.md`).
    pub fn statement_cache(&self) -> usize {
        match self.database.statement_cache {
            0 if self.database_url().starts_with("sqlite:") => 32,
            0 => 100,
            n => n,
        }
    }

    /// The database URL, defaulting to a SQLite file in the data directory.
    pub fn database_url(&self) -> String {
        if self.database.url.is_empty() {
            let path = self.server.data_dir.join("chorus.db");
            format!("sqlite://{}?mode=rwc", path.display())
        } else {
            self.database.url.clone()
        }
    }
}

/// A listening address: `IP:PORT`, `[IPv6]:PORT` or `localhost:PORT` (the IPv4 loopback).
pub fn parse_bind(raw: &str) -> Result<SocketAddr, String> {
    let raw = raw.trim();
    if let Ok(addr) = raw.parse::<SocketAddr>() {
        return Ok(addr);
    }
    if let Some(port) = raw.strip_prefix("localhost:") {
        let port: u16 = port.parse().map_err(|_| format!("`{raw}`: the port must be a number from 0 to 65535"))?;
        return Ok(SocketAddr::from(([127, 0, 0, 1], port)));
    }
    Err(format!(
        "`{raw}` is not an address to listen on; write 127.0.0.1:8080, localhost:8080, 0.0.0.0:8080 or [::1]:8080"
    ))
}

fn de_bind<'de, D: serde::Deserializer<'de>>(d: D) -> Result<SocketAddr, D::Error> {
    let raw = String::deserialize(d)?;
    parse_bind(&raw).map_err(serde::de::Error::custom)
}

/// Where a URL's password and host are, as byte ranges. The userinfo is taken to end at the
/// URL's last `@`, so that a password holding `/`, `?` or `#` unencoded (base64 passwords do) is
/// still found: a `@` later in the URL can only make more of it hidden, never less.
struct UrlParts {
    password: Option<std::ops::Range<usize>>,
    host: std::ops::Range<usize>,
}

fn url_parts(url: &str) -> Option<UrlParts> {
    let start = url.find("://")? + 3;
    let (password, host_start) = match url[start..].rfind('@') {
        Some(at) => {
            let at = start + at;
            let password = url[start..at].find(':').map(|c| start + c + 1..at);
            (password, at + 1)
        }
        None => (None, start),
    };
    let host_end = url[host_start..].find(['/', '?', '#']).map_or(url.len(), |i| host_start + i);
    Some(UrlParts { password, host: host_start..host_end })
}

/// The password in a URL's userinfo, if any.
pub fn url_password(url: &str) -> Option<&str> {
    url_parts(url)?.password.map(|r| &url[r])
}

/// A database URL with its password (in the userinfo or a `password=` parameter) replaced by
/// `***`, fit for logs and messages.
pub fn redact_url(url: &str) -> String {
    let mut out = url.to_owned();
    if let Some(range) = url_parts(url).and_then(|p| p.password) {
        out.replace_range(range, "***");
    }
    if let Some(q) = out.find('?') {
        let (head, query) = out.split_at(q + 1);
        let query: Vec<String> = query
            .split('&')
            .map(|kv| match kv.split_once('=') {
                Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                _ => kv.to_owned(),
            })
            .collect();
        out = format!("{head}{}", query.join("&"));
    }
    out
}

/// The host (and port) a database URL names, for messages: never its user or password.
pub fn database_host(url: &str) -> String {
    if url.starts_with("sqlite:") {
        return url
            .trim_start_matches("sqlite://")
            .trim_start_matches("sqlite:")
            .split('?')
            .next()
            .unwrap_or("")
            .to_owned();
    }
    let Some(parts) = url_parts(url) else { return "(unparsable URL)".into() };
    let host = &url[parts.host];
    if host.is_empty() { "localhost (default socket)".into() } else { host.to_owned() }
}

/// An environment value is read as a TOML value when it parses as one (`true`, `12`, `["en"]`),
/// else as a plain string, so `CHORUS_DATABASE__URL=postgres://...` needs no quoting.
fn env_value(raw: &str) -> toml::Value {
    let doc = format!("v = {raw}");
    match doc.parse::<toml::Table>() {
        Ok(mut t) => t.remove("v").unwrap_or_else(|| toml::Value::String(raw.to_owned())),
        Err(_) => toml::Value::String(raw.to_owned()),
    }
}

/// Normalises an origin (`scheme://host[:port]`, http or https, no path); `None` if malformed.
pub fn parse_origin(raw: &str) -> Option<String> {
    if raw.len() > 253 || !raw.is_ascii() {
        return None;
    }
    let lower = raw.to_ascii_lowercase();
    let rest = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://"))?;
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) if !h.is_empty() && !h.ends_with(']') || h.starts_with('[') => (h, Some(p)),
        _ => (rest, None),
    };
    let host_ok = !host.is_empty()
        && (host.starts_with('[') && host.ends_with(']')
            || host.split('.').all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')));
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
    (host_ok && port_ok).then_some(lower)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_parsed_strictly() {
        assert_eq!(parse_origin("https://Example.org").as_deref(), Some("https://example.org"));
        assert_eq!(parse_origin("http://localhost:3000").as_deref(), Some("http://localhost:3000"));
        assert_eq!(parse_origin("http://[::1]:8080").as_deref(), Some("http://[::1]:8080"));
        for bad in [
            "example.org",
            "ftp://x.org",
            "https://",
            "https://a.org/path",
            "https://a.org:99999x",
            "https://é.org",
            "null",
        ] {
            assert!(parse_origin(bad).is_none(), "{bad}");
        }
    }

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_without_file() {
        let c = Config::from_sources("", &HashMap::new()).unwrap();
        assert_eq!(c.server.bind.port(), 8080);
        assert_eq!(c.locales.available.len(), 5);
        assert!(c.database_url().starts_with("sqlite://"));
    }

    #[test]
    fn the_pool_size_is_chosen_by_database_unless_set() {
        let mut c = Config::default();
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get()) as u32;
        assert_eq!(c.pool_size(), (2 * cores).clamp(4, 8), "SQLite by default");
        c.database.url = "postgres://u@h/db".into();
        assert_eq!(c.pool_size(), 8);
        c.database.max_connections = 3;
        assert_eq!(c.pool_size(), 3);
        c.database.url = "sqlite://x.db".into();
        assert_eq!(c.pool_size(), 3);
    }

    #[test]
    fn the_statement_cache_is_chosen_by_database_unless_set() {
        let mut c = Config::default();
        assert_eq!(c.statement_cache(), 32, "SQLite by default");
        c.database.url = "postgres://u@h/db".into();
        assert_eq!(c.statement_cache(), 100);
        c.database.statement_cache = 7;
        assert_eq!(c.statement_cache(), 7);
        c.database.url = "sqlite://x.db".into();
        assert_eq!(c.statement_cache(), 7);
    }

    #[test]
    fn the_shipped_config_file_is_the_defaults() {
        let text = include_str!("../../config.toml");
        let c = Config::from_sources(text, &HashMap::new()).unwrap();
        let d = Config::default();
        assert_eq!(format!("{c:?}"), format!("{d:?}"));
    }

    #[test]
    fn the_production_example_parses_with_developer_tools_off() {
        let c = Config::from_sources(include_str!("../../docs/config.production.toml"), &HashMap::new()).unwrap();
        assert!(!c.graphql.graphiql && !c.graphql.introspection);
        assert!(c.database.url.starts_with("postgres://"));
        assert_eq!(c.database.migrate_on_start, MigrateOnStart::Never);
    }

    #[test]
    fn secrets_are_redacted_and_hosts_named() {
        assert_eq!(
            redact_url("postgres://chorus:s3cr%40t@db.internal:5432/chorus"),
            "postgres://chorus:***@db.internal:5432/chorus"
        );
        assert_eq!(
            redact_url("postgres://db/chorus?user=u&password=p&sslmode=require"),
            "postgres://db/chorus?user=u&password=***&sslmode=require"
        );
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        // Base64 passwords hold `/` and `+` unencoded.
        let b64 = "postgres://chorus:Ab3/xYz+Q@db:5432/chorus";
        assert_eq!(redact_url(b64), "postgres://chorus:***@db:5432/chorus");
        assert_eq!(database_host(b64), "db:5432");
        assert_eq!(url_password(b64), Some("Ab3/xYz+Q"));
        assert_eq!(database_host("postgres://chorus:pw@db.internal:5432/chorus"), "db.internal:5432");
        assert_eq!(database_host("postgres:///chorus"), "localhost (default socket)");
        let mut c = Config::default();
        c.database.url = "postgres://chorus:hunter2@db:5432/chorus".into();
        let shown = c.redacted_toml();
        assert!(!shown.contains("hunter2") && shown.contains("chorus:***@db:5432"), "{shown}");
        // What is shown reads back as a configuration.
        let back = Config::from_sources(&shown, &HashMap::new()).unwrap();
        assert_eq!(back.server.bind, c.server.bind);
    }

    #[test]
    fn bind_addresses_as_people_write_them() {
        assert_eq!(parse_bind("localhost:8080").unwrap(), "127.0.0.1:8080".parse().unwrap());
        assert_eq!(parse_bind("0.0.0.0:80").unwrap(), "0.0.0.0:80".parse().unwrap());
        assert_eq!(parse_bind("[::1]:8080").unwrap(), "[::1]:8080".parse().unwrap());
        assert!(parse_bind("localhost:http").unwrap_err().contains("port"));
        assert!(parse_bind("example.org:80").unwrap_err().contains("localhost:8080"));
        let c = Config::from_sources("[server]\nbind = \"localhost:9000\"\n", &HashMap::new()).unwrap();
        assert_eq!(c.server.bind.port(), 9000);
    }

    #[test]
    fn environment_overrides_file() {
        let c = Config::from_sources(
            "[database]\nurl = \"sqlite://a.db\"\n",
            &env(&[
                ("CHORUS_DATABASE__URL", "postgres://u@h/db"),
                ("CHORUS_GRAPHQL__MAX_DEPTH", "7"),
                ("CHORUS_LOCALES__AVAILABLE", "[\"en\", \"pt\"]"),
                ("CHORUS_TEST_POSTGRES_URL", "ignored: no separator"),
            ]),
        )
        .unwrap();
        assert_eq!(c.database.url, "postgres://u@h/db");
        assert_eq!(c.graphql.max_depth, 7);
        assert_eq!(c.locales.available, vec!["en", "pt"]);
    }

    #[test]
    fn unknown_keys_are_named() {
        let e = Config::from_sources("[graphql]\nmax_dept = 3\n", &HashMap::new()).unwrap_err();
        assert!(e.to_string().contains("graphql.max_dept"), "{e}");
        let e = Config::from_sources("", &env(&[("CHORUS_SERVER__PORTT", "1")])).unwrap_err();
        assert!(e.to_string().contains("server.portt"), "{e}");
        let e = Config::from_sources("[nope]\n", &HashMap::new()).unwrap_err();
        assert!(e.to_string().contains("nope"), "{e}");
    }

    #[test]
    fn bad_values_are_named() {
        let e = Config::from_sources("[server]\nbind = \"localhost\"\n", &HashMap::new()).unwrap_err();
        assert!(e.to_string().contains("server.bind"), "{e}");
        let e = Config::from_sources("[locales]\navailable = [\"en\", \"fr_!!\"]\n", &HashMap::new()).unwrap_err();
        assert!(e.to_string().contains("fr_!!"), "{e}");
        let e = Config::from_sources("[locales]\ndefault = \"de\"\n", &HashMap::new()).unwrap_err();
        assert!(e.to_string().contains("de"), "{e}");
        let e = Config::from_sources("[database]\nurl = \"mysql://x\"\n", &HashMap::new()).unwrap_err();
        assert!(e.to_string().contains("database.url"), "{e}");
        let e = Config::from_sources("[http]\ncors_origins = [\"example.org\"]\n", &HashMap::new()).unwrap_err();
        assert!(e.to_string().contains("http.cors_origins"), "{e}");
        let e = Config::from_sources("[database]\nmigrate_on_start = \"sometimes\"\n", &HashMap::new()).unwrap_err();
        assert!(e.to_string().contains("database.migrate_on_start"), "{e}");
    }
}
