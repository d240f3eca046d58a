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
    /// 413: the request body or query is larger than configured.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// 503: a dependency (the database) is not reachable.
    #[error("{0}")]
    Unavailable(String),
    /// 500: a database error; details are logged, never returned.
    #[error("database error")]
    Database(#[from] sea_orm::DbErr),
    /// 500: any other internal failure; details are logged, never returned.
    #[error("internal error: {0}")]
    Internal(String),
}

/// A stable machine-readable error code, shared by HTTP and GraphQL responses.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Code {
    BadUserInput,
    NotFound,
    Unauthenticated,
    Forbidden,
    RateLimited,
    PayloadTooLarge,
    Unavailable,
    Internal,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::BadUserInput => "BAD_USER_INPUT",
            Code::NotFound => "NOT_FOUND",
            Code::Unauthenticated => "UNAUTHENTICATED",
            Code::Forbidden => "FORBIDDEN",
            Code::RateLimited => "RATE_LIMITED",
            Code::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            Code::Unavailable => "SERVICE_UNAVAILABLE",
            Code::Internal => "INTERNAL_SERVER_ERROR",
        }
    }

    pub fn http_status(self) -> u16 {
        match self {
            Code::BadUserInput => 400,
            Code::NotFound => 404,
            Code::Unauthenticated => 401,
            Code::Forbidden => 403,
            Code::RateLimited => 429,
            Code::PayloadTooLarge => 413,
            Code::Unavailable => 503,
            Code::Internal => 500,
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
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
            AppError::PayloadTooLarge(_) => Code::PayloadTooLarge,
            AppError::Unavailable(_) => Code::Unavailable,
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
