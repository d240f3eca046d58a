//! Translation files over REST, for curl and scripts:
//! - `GET /v1/translations/export?locale=fr&format=xliff-1.2[&type=resource][&ids=12,13]
//!   [&since=2026-01-01][&sourceLocale=en][&kind=report,guide][&region=…][&country=…][&topic=…]
//!   [&availableIn=es]` answers the file as a download (`format=pot` for the
//!   PO template; `locale=fr,ru,zh-Hans` a ZIP with a file per language);
//! - `POST /v1/translations/import[?locale=fr&dryRun=true&perItem=true&publish=true]` takes the
//!   file as the body, or files as `multipart/form-data`, and answers the reports;
//! - `GET /v1/translations/reports/{id}` answers a stored report.
//!
//! Every call needs `Authorization: Bearer <token>`.

use poem::http::{StatusCode, header};
use poem::{Body, IntoResponse, Request, Response};
use serde::Deserialize;

use super::documents::too_large_or;
use super::graphql::signed_in;
use super::{HttpState, refuse};
use crate::auth::Principal;
use crate::content::ContentType;
use crate::content::documents::receive;
use crate::error::{AppError, Code};
use crate::exchange::export::{self, Selection, file_name, one_file};
use crate::exchange::import::{self, ImportOptions};
use crate::exchange::{Format, ReadLimits, report};

fn error(e: &AppError) -> Response {
    e.log_if_internal();
    refuse(e.code(), &e.public_message())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExportParams {
    locale: String,
    format: Option<String>,
    #[serde(rename = "type")]
    ty: Option<String>,
    ids: Option<String>,
    since: Option<String>,
    source_locale: Option<String>,
    /// List filters (comma-separated codes), with `type`.
    kind: Option<String>,
    region: Option<String>,
    country: Option<String>,
    topic: Option<String>,
    available_in: Option<String>,
}

fn since(raw: &str) -> Result<chrono::DateTime<chrono::Utc>, AppError> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(raw) {
        return Ok(t.with_timezone(&chrono::Utc));
    }
    chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
        .ok_or_else(|| AppError::bad_input("since: a date (2026-01-31) or an RFC 3339 time"))
}

fn selection(p: &ExportParams, locales: &crate::locale::Locales) -> Result<Selection, AppError> {
    let ty = match &p.ty {
        Some(t) => Some(
            ContentType::from_entity(t)
                .ok_or_else(|| AppError::bad_input("type: resource, good_practice, organization or programme"))?,
        ),
        None => None,
    };
    let mut ids = Vec::new();
    for raw in p.ids.as_deref().unwrap_or("").split(',').map(str::trim).filter(|s| !s.is_empty()) {
        ids.push(raw.parse::<i32>().map_err(|_| AppError::bad_input("ids: numbers separated by commas"))?);
    }
    if !ids.is_empty() && ty.is_none() {
        return Err(AppError::bad_input("ids: give the type of the items too"));
    }
    let list = |v: &Option<String>| -> Vec<String> {
        v.as_deref().unwrap_or("").split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
    };
    let filters = export::SimpleFilters {
        kinds: list(&p.kind),
        regions: list(&p.region),
        countries: list(&p.country),
        topics: list(&p.topic),
        available_in: list(&p.available_in),
    }
    .filters(locales)?;
    if !filters.is_empty() && ty.is_none() {
        return Err(AppError::bad_input("kind, region, country, topic and availableIn need the type of the items"));
    }
    Ok(Selection {
        ty,
        ids,
        changed_since: p.since.as_deref().map(since).transpose()?,
        source_locale: p.source_locale.clone(),
        filters,
    })
}

pub async fn export(req: &Request, state: &HttpState) -> Response {
    let who = match signed_in(req, state).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let params: ExportParams = match serde_urlencoded::from_str(req.uri().query().unwrap_or_default()) {
        Ok(p) => p,
        Err(e) => return refuse(Code::BadUserInput, &format!("parameters: {e}")),
    };
    let raw_format = params.format.clone().unwrap_or_else(|| "xliff-1.2".into());
    let template = raw_format.eq_ignore_ascii_case("pot");
    let format = if template {
        Format::Po
    } else {
        match Format::parse(&raw_format) {
            Ok(f) => f,
            Err(e) => return error(&e),
        }
    };
    let sel = match selection(&params, &state.app.locales) {
        Ok(s) => s,
        Err(e) => return error(&e),
    };
    let locales: Vec<&str> = params.locale.split(',').map(str::trim).filter(|l| !l.is_empty()).collect();
    if locales.len() > 1 {
        return export_zip(state, &who, &sel, &locales, format, template || raw_format.eq_ignore_ascii_case("po"))
            .await;
    }
    let files = match export::export(&state.app, &who, &sel, &params.locale).await {
        Ok(f) => f,
        Err(e) => return error(&e),
    };
    let target = state.app.locales.configured_code(&params.locale).unwrap_or(&params.locale).to_owned();
    let file = match one_file(files, &target, params.source_locale.as_deref()) {
        Ok(f) => f,
        Err(e) => return error(&e),
    };
    let bytes = if template { crate::exchange::po::write(&file, true) } else { file.write(format) };
    let name = file_name(&file, format, template);
    Response::builder()
        .content_type(format!("{}; charset=utf-8", format.mime_type()))
        .header(header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\""))
        .header("x-content-type-options", "nosniff")
        .header(header::CACHE_CONTROL, "private, no-store")
        .header("x-chorus-units", file.units().count().to_string())
        .body(bytes)
}

/// Several target languages at once: a ZIP with one file per language (and, for PO, the
/// template once).
async fn export_zip(
    state: &HttpState,
    who: &Principal,
    sel: &Selection,
    locales: &[&str],
    format: Format,
    with_template: bool,
) -> Response {
    use std::io::Write;
    if locales.len() > 20 {
        return refuse(Code::BadUserInput, "locale: at most 20 languages at once");
    }
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let mut units = 0usize;
    let mut template_written = false;
    for locale in locales {
        let files = match export::export(&state.app, who, sel, locale).await {
            Ok(f) => f,
            Err(e) => return error(&e),
        };
        let target = state.app.locales.configured_code(locale).unwrap_or(locale).to_owned();
        let file = match one_file(files, &target, sel.source_locale.as_deref()) {
            Ok(f) => f,
            Err(e) => return error(&e),
        };
        units += file.units().count();
        let mut entries = vec![(file_name(&file, format, false), file.write(format))];
        if with_template && !template_written {
            entries.push((file_name(&file, Format::Po, true), crate::exchange::po::write(&file, true)));
            template_written = true;
        }
        for (name, bytes) in entries {
            let written =
                zip.start_file(name, options).map_err(std::io::Error::other).and_then(|()| zip.write_all(&bytes));
            if let Err(e) = written {
                return error(&AppError::internal(e));
            }
        }
    }
    let bytes = match zip.finish() {
        Ok(c) => c.into_inner(),
        Err(e) => return error(&AppError::internal(e)),
    };
    Response::builder()
        .content_type("application/zip")
        .header(header::CONTENT_DISPOSITION, "attachment; filename=\"chorus-translations.zip\"")
        .header("x-content-type-options", "nosniff")
        .header(header::CACHE_CONTROL, "private, no-store")
        .header("x-chorus-units", units.to_string())
        .body(bytes)
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ImportParams {
    locale: Option<String>,
    #[serde(default)]
    dry_run: bool,
    #[serde(default)]
    per_item: bool,
    #[serde(default)]
    publish: bool,
    /// The file's name when it is sent as the body.
    name: Option<String>,
}

/// The file parts of a multipart body (at most 20), each staged on disk as it arrives: the
/// files together within `limit`, each within `per_file`; text parts are ignored.
async fn staged_parts(
    content_type: &str,
    body: Body,
    dir: &std::path::Path,
    limit: u64,
    per_file: u64,
    deadline: std::time::Duration,
) -> Result<Vec<(String, receive::Received)>, AppError> {
    let bad = |e: multer::Error| AppError::bad_input(format!("multipart body: {e}"));
    let boundary = multer::parse_boundary(content_type).map_err(bad)?;
    let constraints =
        multer::Constraints::new().size_limit(multer::SizeLimit::new().whole_stream(limit).per_field(per_file));
    let mut form = multer::Multipart::with_constraints(body.into_bytes_stream(), boundary, constraints);
    let work = async {
        let mut files = Vec::new();
        while let Some(mut field) = form.next_field().await.map_err(too_large_or(bad))? {
            let Some(name) = field.file_name().map(str::to_owned) else { continue };
            if files.len() == 20 {
                return Err(AppError::bad_input("multipart body: at most 20 files at once"));
            }
            let mut r = receive::Receiver::new(dir, per_file).await?;
            while let Some(chunk) = field.chunk().await.map_err(too_large_or(bad))? {
                r.push(&chunk).await?;
            }
            files.push((name, r.finish().await?));
        }
        if files.is_empty() {
            return Err(AppError::bad_input("multipart body: no file part (a part with a filename)"));
        }
        Ok(files)
    };
    match tokio::time::timeout(deadline, work).await {
        Ok(result) => result,
        Err(_) => Err(AppError::Timeout(format!("the upload did not arrive within {} seconds", deadline.as_secs()))),
    }
}

/// A file sent as the body: staged on disk as it arrives (within the size limit), then read
/// from there, so that a large XLIFF file is never held in memory whole.
async fn import_staged(
    req: &Request,
    body: Body,
    state: &HttpState,
    who: &Principal,
    params: &ImportParams,
) -> Response {
    let t = &state.app.config.translations;
    let limit = t.max_file_bytes as u64;
    let deadline = std::time::Duration::from_secs(t.upload_timeout_seconds);
    match req.header(header::CONTENT_LENGTH).map(|v| v.trim().parse::<u64>()) {
        Some(Ok(n)) if n > limit => {
            super::discard_refused(req, body, n, deadline).await;
            return refuse(Code::PayloadTooLarge, &format!("request body exceeds {limit} bytes"))
                .with_header(header::CONNECTION, "close")
                .into_response();
        }
        Some(Err(_)) => return refuse(Code::BadRequest, "malformed Content-Length"),
        _ => {}
    }
    let dir = receive::staging_dir(&state.app.config.server.data_dir);
    let staged = match receive::receive(body.into_bytes_stream(), &dir, limit, deadline).await {
        Ok(r) => r,
        Err(e) => return upload_error(&e),
    };
    let opts = ImportOptions {
        file_name: params.name.clone().unwrap_or_else(|| "upload".into()),
        dry_run: params.dry_run,
        per_item: params.per_item,
        publish: params.publish,
        locale: params.locale.clone(),
    };
    let file = match std::fs::File::open(&staged.path) {
        Ok(f) => f,
        Err(e) => return error(&AppError::internal(format!("staged upload: {e}"))),
    };
    match import::import_file(&state.app, who, file, &opts, ReadLimits::from(t)).await {
        Ok(r) => Response::builder()
            .status(StatusCode::OK)
            .content_type("application/json")
            .header(header::CACHE_CONTROL, "private, no-store")
            .body(serde_json::json!({ "reports": [r.to_json()] }).to_string()),
        Err(e) => error(&e),
    }
}

/// An upload refused while it arrives: too large or too slow also close the connection (the
/// rest of the body is not read).
fn upload_error(e: &AppError) -> Response {
    let resp = error(e);
    if matches!(e, AppError::TooLarge(_) | AppError::Timeout(_)) {
        resp.with_header(header::CONNECTION, "close").into_response()
    } else {
        resp
    }
}

pub async fn import(req: &Request, body: Body, state: &HttpState) -> Response {
    let who = match signed_in(req, state).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let params: ImportParams = match serde_urlencoded::from_str(req.uri().query().unwrap_or_default()) {
        Ok(p) => p,
        Err(e) => return refuse(Code::BadUserInput, &format!("parameters: {e}")),
    };
    let t = &state.app.config.translations;
    let deadline = std::time::Duration::from_secs(t.upload_timeout_seconds);
    let content_type = req.header(header::CONTENT_TYPE).unwrap_or("").to_owned();
    let multipart = content_type.to_ascii_lowercase().starts_with("multipart/form-data");
    if !multipart {
        return import_staged(req, body, state, &who, &params).await;
    }
    // Every file part is staged on disk as it arrives, as a file sent as the body is; the files
    // together within the limit (multipart framing adds a little).
    let per_file = t.max_file_bytes as u64;
    let limit = per_file.saturating_add(64 * 1024);
    match req.header(header::CONTENT_LENGTH).map(|v| v.trim().parse::<u64>()) {
        Some(Ok(n)) if n > limit => {
            super::discard_refused(req, body, n, deadline).await;
            return upload_error(&AppError::TooLarge(format!("request body exceeds {limit} bytes")));
        }
        Some(Err(_)) => return refuse(Code::BadRequest, "malformed Content-Length"),
        _ => {}
    }
    let dir = receive::staging_dir(&state.app.config.server.data_dir);
    let files = match staged_parts(&content_type, body, &dir, limit, per_file, deadline).await {
        Ok(f) => f,
        Err(e) => return upload_error(&e),
    };
    let limits = ReadLimits::from(t);
    let mut reports = Vec::new();
    let single = files.len() == 1;
    for (name, staged) in files {
        let opts = ImportOptions {
            file_name: name.clone(),
            dry_run: params.dry_run,
            per_item: params.per_item,
            publish: params.publish,
            locale: params.locale.clone(),
        };
        let imported = match std::fs::File::open(&staged.path) {
            Ok(file) => import::import_file(&state.app, &who, file, &opts, limits).await,
            Err(e) => Err(AppError::internal(format!("staged upload: {e}"))),
        };
        drop(staged);
        match imported {
            Ok(r) => reports.push(r.to_json()),
            // One file: the request fails with the file's error; several: each says its own.
            Err(e) if single => return error(&e),
            Err(e) => {
                e.log_if_internal();
                reports.push(serde_json::json!({
                    "fileName": name,
                    "error": { "code": e.code().as_str(), "message": e.public_message() },
                }));
            }
        }
    }
    Response::builder()
        .status(StatusCode::OK)
        .content_type("application/json")
        .header(header::CACHE_CONTROL, "private, no-store")
        .body(serde_json::json!({ "reports": reports }).to_string())
}

pub async fn report(req: &Request, id: &str, state: &HttpState) -> Response {
    let who = match signed_in(req, state).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Ok(id) = id.parse::<i32>() else {
        return refuse(Code::NotFound, "no such import report");
    };
    match report::get(&state.app.db, &who, id).await {
        Ok(r) => Response::builder()
            .content_type("application/json")
            .header(header::CACHE_CONTROL, "private, no-store")
            .body(r.to_json().to_string()),
        Err(e) => error(&e),
    }
}
