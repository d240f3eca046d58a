//! The one error type of the server, with stable, transport-neutral codes.
//!
//! `code()` is mapped once to an HTTP status (`http_status`) and once to the GraphQL
//! `extensions.code` (`graphql::error`). Internal causes are logged in full where they are turned
//! into a response and reach the client only as a generic message.

use std::fmt;

/// Everything that can go wrong while serving a request or running a command.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 400: the caller sent something malformed (a bad locale tag, cursor, id or argument).
    #[error("{0}")]
    BadUserInput(String),
    /// 404: the addressed thing does not exist (or is not public).
    #[error("{0}")]
    NotFound(String),
    /// 401: no valid credentials.
    #[error("{0}")]
    Unauthenticated(String),
    /// 403: the caller may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// 429: too many attempts; try again later.
    #[error("{0}")]
    RateLimited(String),
    /// 400: an uploaded translation file cannot be read (syntax, encoding, NUL bytes).
    #[error("{0}")]
    MalformedFile(String),
    /// 400: an uploaded file carries what a parser must never act on (DTDs, entity
    /// declarations, floods of attributes, nesting too deep).
    #[error("{0}")]
    UnsafeFile(String),
    /// 415: an uploaded file is of no format Chorus reads there.
    #[error("{0}")]
    UnsupportedFileFormat(String),
    /// 413: an upload passed its size limit (nothing of it was kept).
    #[error("{0}")]
    TooLarge(String),
    /// 408: an upload did not arrive in time.
    #[error("{0}")]
    Timeout(String),
    /// 416: a download asked for a byte range outside the file.
    #[error("{0}")]
    RangeNotSatisfiable(String),
    /// 503: a dependency (the database, the document store) is not reachable.
    #[error("{0}")]
    Unavailable(String),
    /// 500: a database error; details are logged, never returned.
    #[error("database error")]
    Database(#[from] sea_orm::DbErr),
    /// 500: any other internal failure; details are logged, never returned.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Declares [`Code`] from one table: variant, wire code, HTTP status, one-line meaning.
macro_rules! codes {
    ($($(#[$doc:meta])* $variant:ident => ($code:literal, $status:literal, $meaning:literal),)+) => {
        /// A stable machine-readable error code, shared by HTTP and GraphQL responses. This table
        /// is the only place a code is spelled; `docs/ERRORS.md` is checked against it.
        #[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
        pub enum Code {
            $($(#[$doc])* $variant,)+
        }

        impl Code {
            /// Every code, in the order of the table.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)+];

            /// The code as clients see it in `extensions.code`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $code,)+
                }
            }

            /// The HTTP status of a response refused with this code. 200 for the codes GraphQL
            /// itself reports (GraphQL over HTTP answers `application/json` requests with 200);
            /// any error inside a GraphQL response also travels with 200.
            pub fn http_status(self) -> u16 {
                match self {
                    $(Code::$variant => $status,)+
                }
            }

            /// What the code means, in one line, for the documentation.
            pub fn meaning(self) -> &'static str {
                match self {
                    $(Code::$variant => $meaning,)+
                }
            }
        }
    };
}

codes! {
    // Request refused by the HTTP layer before GraphQL runs.
    BadRequest => ("BAD_REQUEST", 400,
        "The HTTP request is not a GraphQL request: no `query`, a body that is not JSON, a malformed `Content-Length`."),
    BatchTooLarge => ("BATCH_TOO_LARGE", 400,
        "A batch is empty or holds more operations than `graphql.max_batch`."),
    ForbiddenOrigin => ("FORBIDDEN_ORIGIN", 403,
        "A CORS preflight came from an origin not listed in `http.cors_origins` (other requests from it get no CORS headers); or a partner search came from a site its key does not list, or with no `Origin` header."),
    MethodNotAllowed => ("METHOD_NOT_ALLOWED", 405,
        "A mutation was sent by GET; mutations must be sent by POST."),
    RequestTimeout => ("REQUEST_TIMEOUT", 408,
        "The request body did not arrive within `server.body_read_timeout_seconds` (an upload: within its section's `upload_timeout_seconds`)."),
    PayloadTooLarge => ("PAYLOAD_TOO_LARGE", 413,
        "The request body is larger than `graphql.max_body_bytes`."),
    UriTooLong => ("URI_TOO_LONG", 414,
        "A GET request's query string is longer than `graphql.max_body_bytes` (when under 64 KiB); send the query by POST."),
    UnsupportedMediaType => ("UNSUPPORTED_MEDIA_TYPE", 415,
        "A POST request without `Content-Type: application/json` (or a `multipart/form-data` upload without an `Authorization` or `Apollo-Require-Preflight` header)."),
    // Request refused by GraphQL before execution: no `data`, HTTP 200.
    QueryTooLarge => ("QUERY_TOO_LARGE", 200,
        "The query text is longer than `graphql.max_query_bytes`."),
    ParseFailed => ("GRAPHQL_PARSE_FAILED", 200,
        "The query is not valid GraphQL syntax; `locations` points at the error."),
    ValidationFailed => ("GRAPHQL_VALIDATION_FAILED", 200,
        "The query does not match the schema (an unknown field, a missing argument, a wrong type)."),
    QueryTooDeep => ("QUERY_TOO_DEEP", 200,
        "The query nests fields deeper than `graphql.max_depth`."),
    QueryTooComplex => ("QUERY_TOO_COMPLEX", 200,
        "The query's cost (fields times page sizes) is over `graphql.max_complexity`."),
    TooManyAliases => ("TOO_MANY_ALIASES", 200,
        "The query uses more aliases than `graphql.max_aliases`."),
    TooManyDirectives => ("TOO_MANY_DIRECTIVES", 200,
        "A field carries more directives than `graphql.max_directives`."),
    RecursionTooDeep => ("RECURSION_TOO_DEEP", 200,
        "Fragments, brackets or input values nest deeper than `graphql.max_recursive_depth`."),
    PersistedQueryNotFound => ("PERSISTED_QUERY_NOT_FOUND", 200,
        "A query sent by hash or document id that this server does not know; send its text with the hash (Apollo's automatic persisted queries)."),
    PersistedQueryNotSupported => ("PERSISTED_QUERY_NOT_SUPPORTED", 200,
        "A query sent by hash alone while `graphql.persisted_queries` is 0; send its text."),
    PersistedQueryHashMismatch => ("PERSISTED_QUERY_HASH_MISMATCH", 200,
        "`extensions.persistedQuery.sha256Hash` is not the SHA-256 of the query text sent with it."),
    PersistedQueryNotInList => ("PERSISTED_QUERY_NOT_IN_LIST", 200,
        "An operation that is not in the trusted-documents manifest, while `graphql.trusted_documents_only` is on."),
    // Raised by the services, in a GraphQL response (HTTP 200) or refusing a request.
    BadUserInput => ("BAD_USER_INPUT", 400,
        "An argument is malformed or out of range: a locale tag, cursor, id, date, slug or value."),
    Unauthenticated => ("UNAUTHENTICATED", 401,
        "No valid credentials: sign in, or the token (or the partner key of a search) is missing, malformed, expired or revoked."),
    Forbidden => ("FORBIDDEN", 403,
        "The caller's role, locales or token scopes do not allow this action."),
    NotFound => ("NOT_FOUND", 404,
        "The item, term, account or webhook does not exist, or the caller may not see it."),
    RateLimited => ("RATE_LIMITED", 429,
        "Too many sign-in attempts for the account, a second password check in one request, or a partner key's searches over its rate (`Retry-After` says when to try again)."),
    Internal => ("INTERNAL_SERVER_ERROR", 500,
        "An unexpected failure; details are in the server log under the request id, never in the response."),
    MalformedFile => ("MALFORMED_FILE", 400,
        "An uploaded translation file cannot be read: bad syntax (the message gives the line), not UTF-8, NUL bytes, an unterminated PO string, a malformed `Plural-Forms`."),
    UnsafeFile => ("UNSAFE_FILE", 400,
        "An uploaded file carries what Chorus never parses: a DOCTYPE or entity declaration (XXE, billion laughs), too many attributes on an element, nesting too deep."),
    UnsupportedFileFormat => ("UNSUPPORTED_FILE_FORMAT", 415,
        "An uploaded file is of no type Chorus accepts there: translation files are XLIFF 1.2 or 2.0, PO, JSON or CSV; documents one of `documents.allowed_types` (either read from the content, never the name)."),
    RangeNotSatisfiable => ("RANGE_NOT_SATISFIABLE", 416,
        "A download's `Range` starts past the end of the file (the response's `Content-Range` gives its size)."),
    NotImplemented => ("NOT_IMPLEMENTED", 501,
        "oEmbed asked for in a format other than JSON (`format=xml`)."),
    Unavailable => ("SERVICE_UNAVAILABLE", 503,
        "A dependency (the database, the search index) is not available yet; try again."),
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The table of codes as Markdown, as `docs/ERRORS.md` holds it.
pub fn codes_markdown() -> String {
    let mut out = String::from("| Code | HTTP status | Meaning |\n| --- | --- | --- |\n");
    for code in Code::ALL {
        out.push_str(&format!("| `{}` | {} | {} |\n", code.as_str(), code.http_status(), code.meaning()));
    }
    out
}

impl AppError {
    pub fn bad_input(msg: impl Into<String>) -> Self {
        AppError::BadUserInput(msg.into())
    }

    pub fn internal(msg: impl fmt::Display) -> Self {
        AppError::Internal(msg.to_string())
    }

    pub fn code(&self) -> Code {
        match self {
            AppError::BadUserInput(_) => Code::BadUserInput,
            AppError::NotFound(_) => Code::NotFound,
            AppError::Unauthenticated(_) => Code::Unauthenticated,
            AppError::Forbidden(_) => Code::Forbidden,
            AppError::RateLimited(_) => Code::RateLimited,
            AppError::Unavailable(_) => Code::Unavailable,
            AppError::MalformedFile(_) => Code::MalformedFile,
            AppError::UnsafeFile(_) => Code::UnsafeFile,
            AppError::UnsupportedFileFormat(_) => Code::UnsupportedFileFormat,
            AppError::TooLarge(_) => Code::PayloadTooLarge,
            AppError::Timeout(_) => Code::RequestTimeout,
            AppError::RangeNotSatisfiable(_) => Code::RangeNotSatisfiable,
            AppError::Database(_) | AppError::Internal(_) => Code::Internal,
        }
    }

    /// The message a client may see: internal causes are replaced by a generic sentence.
    pub fn public_message(&self) -> String {
        match self.code() {
            Code::Internal => "internal server error".to_owned(),
            _ => self.to_string(),
        }
    }

    /// Logs internal causes with their whole chain; client errors are not worth a log line.
    pub fn log_if_internal(&self) {
        if self.code() == Code::Internal {
            tracing::error!(error = ?self, "internal error");
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;

/// Echoes a value a client sent in an error message as it was sent (up to `max_chars`
/// characters, then `…`), except that markup, quotes, spaces and control characters are shown as
/// escapes (`\u{3c}` for `<`): unambiguous, and nothing a careless page could render as HTML.
pub fn echo_input(raw: &str, max_chars: usize) -> String {
    let mut out = String::new();
    for c in raw.chars().take(max_chars) {
        let plain = c.is_alphanumeric()
            || (c.is_ascii_punctuation() && !matches!(c, '<' | '>' | '&' | '"' | '\'' | '`' | '\\'));
        if plain {
            out.push(c);
        } else {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        }
    }
    if raw.chars().count() > max_chars {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn codes_are_unique_and_upper_snake_case() {
        let mut seen = HashSet::new();
        for code in Code::ALL {
            let s = code.as_str();
            assert!(seen.insert(s), "{s} twice");
            assert!(s.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'), "{s}");
            assert!(matches!(code.http_status(), 200 | 400..=599), "{s}");
            assert!(!code.meaning().is_empty() && !code.meaning().contains('|'), "{s}");
        }
    }

    /// `docs/ERRORS.md` holds the table as `codes_markdown` renders it (`CHORUS_BLESS=1` rewrites it).
    #[test]
    fn the_documented_table_is_this_one() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/ERRORS.md");
        let doc = std::fs::read_to_string(&path).expect("docs/ERRORS.md");
        let (begin, end) = ("<!-- codes:begin -->\n", "<!-- codes:end -->");
        let start = doc.find(begin).expect("begin marker") + begin.len();
        let stop = doc.find(end).expect("end marker");
        let table = codes_markdown();
        if doc[start..stop] != table {
            if std::env::var_os("CHORUS_BLESS").is_some() {
                std::fs::write(&path, format!("{}{table}{}", &doc[..start], &doc[stop..])).unwrap();
            } else {
                panic!("docs/ERRORS.md differs from error::Code; run with CHORUS_BLESS=1 to rewrite its table");
            }
        }
    }
}
