//! Mapping errors to GraphQL: every error leaves with `extensions.code`.

use async_graphql::{ErrorExtensions, ServerError};

use crate::error::{AppError, Code};

/// Converts a service error into a GraphQL error with its stable code; internal causes are
/// logged here and replaced by a generic message.
pub fn gql(err: AppError) -> async_graphql::Error {
    err.log_if_internal();
    let code = err.code();
    async_graphql::Error::new(err.public_message()).extend_with(|_, e| e.set("code", code.as_str()))
}

/// `.gql()?` in resolvers: the only sanctioned way from a service result to a GraphQL one.
pub trait IntoGql<T> {
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T> IntoGql<T> for Result<T, AppError> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(gql)
    }
}

/// Gives a code to an error that has none. Errors without a path come from parsing or validation
/// and keep their message; errors with a path that carry no code did not come from our services
/// and are treated as internal: logged, and replaced by a generic message.
pub fn ensure_code(err: &mut ServerError) {
    let has_code = err.extensions.as_ref().is_some_and(|ext| ext.get("code").is_some());
    if has_code {
        return;
    }
    let msg = err.message.as_str();
    let code = if msg.starts_with("Query is nested too deep") {
        Code::QueryTooDeep
    } else if msg.starts_with("Query is too complex") {
        Code::QueryTooComplex
    } else if msg.starts_with("The number of directives") {
        Code::TooManyDirectives
    } else if msg.starts_with("The recursion depth") || msg.contains("recursion limit exceeded") {
        Code::RecursionTooDeep
    } else if msg.starts_with("Failed to parse") || msg.starts_with("Invalid value for argument") {
        Code::BadUserInput
    } else if err.path.is_empty() {
        Code::ValidationFailed
    } else {
        tracing::error!(message = %err.message, "uncoded resolver error");
        err.message = "internal server error".to_owned();
        Code::Internal
    };
    let mut ext = err.extensions.take().unwrap_or_default();
    ext.set("code", code.as_str());
    err.extensions = Some(ext);
}

/// A request-level error (before execution), shaped like any GraphQL error.
pub fn request_error(message: impl Into<String>, code: Code) -> ServerError {
    let mut err = ServerError::new(message, None);
    let mut ext = async_graphql::ErrorExtensionValues::default();
    ext.set("code", code.as_str());
    err.extensions = Some(ext);
    err
}
