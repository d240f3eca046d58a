//! Documents over REST:
//! - `POST /v1/documents?item=<id>&locale=ru[&title=…][&name=report.pdf]` takes the file as the
//!   body, or as the file part of `multipart/form-data` (whose text parts may carry `item`,
//!   `locale` and `title` instead), streamed to disk within `documents.max_file_bytes`; answers
//!   `201` with the document (`200` when the same bytes were already there). Needs
//!   `Authorization: Bearer <token>`.
//! - `GET /v1/documents/{id}/{name}` downloads it, streamed from the store: `Range`, `ETag`,
//!   `Content-Disposition: attachment` with a safe name, `nosniff` and a CSP that runs nothing.
//!   Public documents to anyone; others only with a token that may read drafts.
//! - `DELETE /v1/documents/{id}` removes it.
//!
//! These routes are served without response compression: files are sent as stored, so that
//! byte ranges mean what they say.

use std::ops::Range;

use futures_util::StreamExt;
use poem::http::{HeaderValue, StatusCode, header};
use poem::{Body, IntoResponse, Request, Response};
use serde::Deserialize;

use super::graphql::{authenticate, signed_in};
use super::{HttpState, refuse};
use crate::content::documents::{self, Document, Upload, receive};
use crate::content::{ContentType, Visibility};
use crate::error::{AppError, Code};

fn error(e: &AppError) -> Response {
    e.log_if_internal();
    let resp = refuse(e.code(), &e.public_message());
    if matches!(e, AppError::TooLarge(_) | AppError::Timeout(_)) {
        // The rest of the body is not read: the connection cannot be reused.
        return resp.with_header(header::CONNECTION, "close").into_response();
    }
    resp
}

#[derive(Deserialize, Default)]
struct UploadParams {
    item: Option<String>,
    locale: Option<String>,
    title: Option<String>,
    name: Option<String>,
}

/// An item named by its GraphQL id or as `type/id` (`resource/12`).
fn item(raw: &str) -> Result<(ContentType, i32), AppError> {
    if let Some((ty, id)) = raw.split_once('/') {
        let ty = ContentType::from_entity(ty)
            .ok_or_else(|| AppError::bad_input("item: resource, good_practice, organization or programme, then /id"))?;
        let id = id.parse().map_err(|_| AppError::bad_input("item: type/number, or an id returned by the API"))?;
        return Ok((ty, id));
    }
    let (node, id) = crate::graphql::ids::decode(raw)?;
    let ty = node
        .content_type()
        .ok_or_else(|| AppError::bad_input("item: not a resource, good practice, organisation or programme"))?;
    Ok((ty, id))
}

pub async fn upload(req: &Request, body: Body, state: &HttpState) -> Response {
    let who = match signed_in(req, state).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let mut params: UploadParams = match serde_urlencoded::from_str(req.uri().query().unwrap_or_default()) {
        Ok(p) => p,
        Err(e) => return refuse(Code::BadUserInput, &format!("parameters: {e}")),
    };
    let config = &state.app.config.documents;
    let content_type = req.header(header::CONTENT_TYPE).unwrap_or("").to_owned();
    let multipart = content_type.to_ascii_lowercase().starts_with("multipart/form-data");
    // Multipart framing and text parts add a little to the file.
    let limit = if multipart { config.max_file_bytes.saturating_add(64 * 1024) } else { config.max_file_bytes };
    match req.header(header::CONTENT_LENGTH).map(|v| v.trim().parse::<u64>()) {
        Some(Ok(n)) if n > limit => {
            let deadline = std::time::Duration::from_secs(config.upload_timeout_seconds);
            super::discard_refused(req, body, n, deadline).await;
            return error(&AppError::TooLarge(format!("the file is larger than {} bytes", config.max_file_bytes)));
        }
        Some(Err(_)) => return refuse(Code::BadRequest, "malformed Content-Length"),
        _ => {}
    }
    let dir = receive::staging_dir(&state.app.config.server.data_dir);
    let deadline = std::time::Duration::from_secs(config.upload_timeout_seconds);
    let received = if multipart {
        receive_multipart(&content_type, body, &dir, config.max_file_bytes, deadline, &mut params).await
    } else {
        receive::receive(body.into_bytes_stream(), &dir, config.max_file_bytes, deadline).await
    };
    let received = match received {
        Ok(r) => r,
        Err(e) => return error(&e),
    };
    let input = (|| {
        let (ty, item_id) = item(params.item.as_deref().ok_or_else(|| AppError::bad_input("item: required"))?)?;
        let locale = params.locale.clone().ok_or_else(|| AppError::bad_input("locale: required"))?;
        Ok::<_, AppError>(Upload {
            ty,
            item_id,
            locale,
            title: params.title.clone(),
            file_name: params.name.clone().unwrap_or_else(|| "document".into()),
        })
    })();
    let input = match input {
        Ok(i) => i,
        Err(e) => return error(&e),
    };
    match documents::upload(&state.app, &state.app.storage, config, &who, input, received).await {
        Ok(up) => {
            state.app.documents_wake.notify_one();
            let status = if up.created { StatusCode::CREATED } else { StatusCode::OK };
            Response::builder()
                .status(status)
                .content_type("application/json")
                .header(header::CACHE_CONTROL, "private, no-store")
                .body(
                    serde_json::json!({ "document": to_json(&up.document, state), "created": up.created }).to_string(),
                )
        }
        Err(e) => error(&e),
    }
}

/// The file part of a multipart body, streamed to disk; text parts before it fill `params`.
async fn receive_multipart(
    content_type: &str,
    body: Body,
    dir: &std::path::Path,
    limit: u64,
    deadline: std::time::Duration,
    params: &mut UploadParams,
) -> Result<receive::Received, AppError> {
    let bad = |e: multer::Error| AppError::bad_input(format!("multipart body: {e}"));
    let boundary = multer::parse_boundary(content_type).map_err(bad)?;
    let constraints = multer::Constraints::new()
        .size_limit(multer::SizeLimit::new().whole_stream(limit.saturating_add(64 * 1024)).per_field(limit));
    let mut form = multer::Multipart::with_constraints(body.into_bytes_stream(), boundary, constraints);
    let work = async {
        while let Some(mut field) = form.next_field().await.map_err(too_large_or(bad))? {
            if field.file_name().is_none() {
                let name = field.name().unwrap_or_default().to_owned();
                let value = field.text().await.map_err(too_large_or(bad))?;
                match name.as_str() {
                    "item" => params.item = Some(value),
                    "locale" => params.locale = Some(value),
                    "title" => params.title = Some(value),
                    _ => {}
                }
                continue;
            }
            if params.name.is_none() {
                params.name = field.file_name().map(str::to_owned);
            }
            let mut r = receive::Receiver::new(dir, limit).await?;
            while let Some(chunk) = field.chunk().await.map_err(too_large_or(bad))? {
                r.push(&chunk).await?;
            }
            return r.finish().await;
        }
        Err(AppError::bad_input("multipart body: no file part (a part with a filename)"))
    };
    match tokio::time::timeout(deadline, work).await {
        Ok(result) => result,
        Err(_) => Err(AppError::Timeout(format!("the upload did not arrive within {} seconds", deadline.as_secs()))),
    }
}

pub(super) fn too_large_or(other: impl Fn(multer::Error) -> AppError) -> impl Fn(multer::Error) -> AppError {
    move |e| match e {
        multer::Error::StreamSizeExceeded { .. } | multer::Error::FieldSizeExceeded { .. } => {
            AppError::TooLarge("the file is larger than the limit".into())
        }
        e => other(e),
    }
}

/// A document as REST answers it (the GraphQL `Document`'s fields).
pub fn to_json(d: &Document, state: &HttpState) -> serde_json::Value {
    serde_json::json!({
        "id": crate::graphql::ids::encode(crate::graphql::ids::NodeType::Document, d.id).0,
        "locale": d.locale,
        "title": d.title,
        "fileName": d.file_name,
        "url": d.url(&state.app.config.documents),
        "mimeType": d.mime_type,
        "size": d.size,
        "sha256": d.sha256,
        "pages": d.pages,
        "textStatus": format!("{:?}", d.text_status).to_ascii_uppercase(),
    })
}

/// A document id in a path: the number, or its GraphQL id.
fn document_id(raw: &str) -> Option<i32> {
    raw.parse().ok().or_else(|| crate::graphql::ids::decode_as(raw, crate::graphql::ids::NodeType::Document).ok())
}

/// The single byte range a `Range` header asks for (`None`: the whole file). Several ranges
/// are answered with the whole file, as RFC 9110 allows.
fn range(header: Option<&str>, size: u64) -> Result<Option<Range<u64>>, AppError> {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else { return Ok(None) };
    if spec.contains(',') {
        return Ok(None);
    }
    let unsatisfiable = || AppError::RangeNotSatisfiable(format!("the file has {size} bytes"));
    let (start, end) = spec.split_once('-').ok_or_else(unsatisfiable)?;
    let (start, end) = (start.trim(), end.trim());
    let r = if start.is_empty() {
        // The last n bytes.
        let n: u64 = end.parse().map_err(|_| unsatisfiable())?;
        if n == 0 {
            return Err(unsatisfiable());
        }
        size.saturating_sub(n)..size
    } else {
        let start: u64 = start.parse().map_err(|_| unsatisfiable())?;
        let end =
            if end.is_empty() { size } else { end.parse::<u64>().map_err(|_| unsatisfiable())?.saturating_add(1) };
        start..end.min(size)
    };
    if r.start >= size || r.start >= r.end {
        return Err(unsatisfiable());
    }
    Ok(Some(r))
}

/// `attachment` with an ASCII fallback name and the UTF-8 name (RFC 6266).
fn disposition(name: &str) -> String {
    let ascii: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c } else { '_' }).collect();
    let encoded: String = name
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            b => format!("%{b:02X}"),
        })
        .collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

pub async fn download(req: &Request, id: &str, state: &HttpState) -> Response {
    let who = match authenticate(req, state).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Some(id) = document_id(id) else {
        return refuse(Code::NotFound, "no such document");
    };
    let (doc, visibility) = match documents::for_download(&state.app.db, who.as_ref(), id).await {
        Ok(d) => d,
        Err(e) => return error(&e),
    };
    let size = u64::try_from(doc.size).unwrap_or(0);
    let etag = format!("\"{}\"", doc.sha256);
    let cache = if visibility == Visibility::Public && who.is_none() {
        // Short: a document taken offline must stop being served soon.
        "public, max-age=60"
    } else {
        "private, no-store"
    };
    let common = |b: poem::ResponseBuilder| {
        b.header(header::ETAG, etag.clone())
            .header(header::CACHE_CONTROL, cache)
            .header(header::ACCEPT_RANGES, "bytes")
            .header("x-content-type-options", "nosniff")
            .header("content-security-policy", "default-src 'none'; sandbox")
            .header("cross-origin-resource-policy", "cross-origin")
    };
    let matches = |h: &str| h.split(',').map(str::trim).any(|c| c == "*" || c.trim_start_matches("W/") == etag);
    if req.header(header::IF_NONE_MATCH).is_some_and(matches) {
        return common(Response::builder().status(StatusCode::NOT_MODIFIED)).finish();
    }
    // A range applies only to the representation the client already holds part of.
    let range_header = match req.header(header::IF_RANGE) {
        Some(v) if v.trim() != etag => None,
        _ => req.header(header::RANGE),
    };
    let wanted = match range(range_header, size) {
        Ok(r) => r,
        Err(e) => {
            return common(Response::builder().status(StatusCode::RANGE_NOT_SATISFIABLE))
                .header(header::CONTENT_RANGE, format!("bytes */{size}"))
                .content_type("application/json")
                .body(super::error_body(e.code(), &e.public_message()));
        }
    };
    let stream = match state.app.storage.read(&doc.storage_key, wanted.clone()).await {
        Ok(s) => s,
        Err(e) => return error(&e),
    };
    let mut b = common(Response::builder())
        .content_type(doc.mime_type.clone())
        .header(header::CONTENT_DISPOSITION, disposition(&doc.download_name()));
    b = match &wanted {
        Some(r) => b
            .status(StatusCode::PARTIAL_CONTENT)
            .header(header::CONTENT_RANGE, format!("bytes {}-{}/{size}", r.start, r.end - 1))
            .header(header::CONTENT_LENGTH, (r.end - r.start).to_string()),
        None => b.status(StatusCode::OK).header(header::CONTENT_LENGTH, size.to_string()),
    };
    let mut resp = b.body(Body::from_bytes_stream(stream.map(|c| c.map_err(std::io::Error::other))));
    if let Ok(v) = HeaderValue::from_str(&doc.mime_type) {
        resp.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    resp
}

pub async fn delete(req: &Request, id: &str, state: &HttpState) -> Response {
    let who = match signed_in(req, state).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Some(id) = document_id(id) else {
        return refuse(Code::NotFound, "no such document");
    };
    match documents::delete(&state.app, &who, id).await {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => error(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_read_as_rfc_9110_says() {
        assert_eq!(range(None, 100).unwrap(), None);
        assert_eq!(range(Some("bytes=0-9"), 100).unwrap(), Some(0..10));
        assert_eq!(range(Some("bytes=90-"), 100).unwrap(), Some(90..100));
        assert_eq!(range(Some("bytes=-10"), 100).unwrap(), Some(90..100));
        assert_eq!(range(Some("bytes=-1000"), 100).unwrap(), Some(0..100));
        assert_eq!(range(Some("bytes=95-200"), 100).unwrap(), Some(95..100));
        assert_eq!(range(Some("bytes=0-1,5-6"), 100).unwrap(), None);
        assert_eq!(range(Some("items=0-1"), 100).unwrap(), None);
        for bad in ["bytes=100-", "bytes=5-2", "bytes=-0", "bytes=x-", "bytes=", "bytes=1-y"] {
            assert!(range(Some(bad), 100).is_err(), "{bad}");
        }
    }

    #[test]
    fn download_names_cannot_break_the_header() {
        assert_eq!(
            disposition("Отчёт-2025.pdf"),
            "attachment; filename=\"_____-2025.pdf\"; filename*=UTF-8''%D0%9E%D1%82%D1%87%D1%91%D1%82-2025.pdf"
        );
        assert_eq!(disposition("a\"b.pdf"), "attachment; filename=\"a_b.pdf\"; filename*=UTF-8''a%22b.pdf");
    }
}
