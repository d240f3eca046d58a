//! Translation files over GraphQL: export (the file in the response), import (a multipart
//! upload) and the stored import reports.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject, Upload};
use chrono::{DateTime, Utc};

use super::auth::principal;
use super::error::IntoGql;
use super::search::SearchType;
use super::state;
use super::translate::item;
use crate::error::AppError;
use crate::exchange::export::{self, Selection, file_name, one_file};
use crate::exchange::import::{self, ImportOptions};
use crate::exchange::report::{self, EntryStatus, Report};
use crate::exchange::{Format, ReadLimits};

/// A translation file format.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum TranslationFormat {
    #[graphql(name = "XLIFF_1_2")]
    Xliff12,
    #[graphql(name = "XLIFF_2_0")]
    Xliff20,
    /// gettext PO, for the target language.
    Po,
    /// The PO template: the source texts, no translations.
    Pot,
    /// Flat JSON keys (`resource/12/title`).
    Json,
    /// Nested JSON, as i18next writes it.
    JsonNested,
    /// translate-toolkit's CSV columns.
    Csv,
}

impl TranslationFormat {
    fn format(self) -> Format {
        match self {
            TranslationFormat::Xliff12 => Format::Xliff12,
            TranslationFormat::Xliff20 => Format::Xliff20,
            TranslationFormat::Po | TranslationFormat::Pot => Format::Po,
            TranslationFormat::Json => Format::Json,
            TranslationFormat::JsonNested => Format::JsonNested,
            TranslationFormat::Csv => Format::Csv,
        }
    }
}

/// Which items to export (all, when empty).
#[derive(InputObject, Default)]
pub struct TranslationExportFilter {
    /// Only items of this type.
    #[graphql(name = "type")]
    ty: Option<SearchType>,
    /// Only these items (their ids, of one type).
    items: Option<Vec<ID>>,
    /// Only items changed since.
    changed_since: Option<DateTime<Utc>>,
    /// Only items written in this language (needed when the chosen items have several).
    source_locale: Option<String>,
    /// Only the resources a `resources(filter:)` list with this filter shows (drafts and
    /// versions in review included). One of the four list filters at most.
    resources: Option<super::resources::ResourceFilter>,
    good_practices: Option<super::good_practices::GoodPracticeFilter>,
    organizations: Option<super::organizations::OrganizationFilter>,
    programmes: Option<super::programmes::ProgrammeFilter>,
}

/// One file of an export.
async fn export_one(
    ctx: &Context<'_>,
    sel: &Selection,
    locale: &str,
    format: TranslationFormat,
) -> async_graphql::Result<TranslationFile> {
    let who = principal(ctx).gql()?;
    let files = export::export(state(ctx), who, sel, locale).await.gql()?;
    let target = state(ctx).locales.configured_code(locale).unwrap_or(locale).to_owned();
    let file = one_file(files, &target, sel.source_locale.as_deref()).gql()?;
    let template = format == TranslationFormat::Pot;
    let bytes = if template { crate::exchange::po::write(&file, true) } else { file.write(format.format()) };
    Ok(TranslationFile {
        file_name: file_name(&file, format.format(), template),
        mime_type: format.format().mime_type().to_owned(),
        content: String::from_utf8(bytes).map_err(AppError::internal).gql()?,
        items: file.items.len() as i32,
        units: file.units().count() as i32,
        source_locale: file.source_locale,
        target_locale: file.target_locale,
    })
}

impl TranslationExportFilter {
    /// The selection this filter makes.
    fn selection(&mut self, ctx: &Context<'_>) -> Result<Selection, AppError> {
        let mut sel = Selection {
            ty: self.ty.map(SearchType::content_type),
            changed_since: self.changed_since,
            source_locale: self.source_locale.clone(),
            ..Default::default()
        };
        if let Some((ty, filters)) = self.list(ctx)? {
            if sel.ty.is_some_and(|t| t != ty) {
                return Err(AppError::bad_input("filter: the list filter is of another type"));
            }
            sel.ty = Some(ty);
            sel.filters = filters;
        }
        for id in self.items.take().unwrap_or_default() {
            let (ty, n) = item(&id)?;
            if sel.ty.is_some_and(|t| t != ty) {
                return Err(AppError::bad_input("filter.items: items of one type at a time"));
            }
            sel.ty = Some(ty);
            sel.ids.push(n);
        }
        Ok(sel)
    }

    /// The content type and service filters of the list filter given, if any.
    fn list(
        &mut self,
        ctx: &Context<'_>,
    ) -> Result<Option<(crate::content::ContentType, Vec<crate::content::query::Filter>)>, AppError> {
        use super::connection::{Item, Listed};
        let mut found = Vec::new();
        if let Some(f) = self.resources.take() {
            found.push((super::resources::Resource::TYPE, super::resources::Resource::filters(ctx, f)?));
        }
        if let Some(f) = self.good_practices.take() {
            found.push((
                super::good_practices::GoodPractice::TYPE,
                super::good_practices::GoodPractice::filters(ctx, f)?,
            ));
        }
        if let Some(f) = self.organizations.take() {
            found
                .push((super::organizations::Organization::TYPE, super::organizations::Organization::filters(ctx, f)?));
        }
        if let Some(f) = self.programmes.take() {
            found.push((super::programmes::Programme::TYPE, super::programmes::Programme::filters(ctx, f)?));
        }
        if found.len() > 1 {
            return Err(AppError::bad_input("filter: one of resources, goodPractices, organizations or programmes"));
        }
        Ok(found.pop())
    }
}

/// A translation file, in the response.
#[derive(SimpleObject)]
pub struct TranslationFile {
    file_name: String,
    mime_type: String,
    /// The file's text (UTF-8).
    content: String,
    source_locale: String,
    target_locale: String,
    items: i32,
    units: i32,
}

/// A unit an import flagged or refused.
#[derive(SimpleObject)]
pub struct ImportEntry {
    key: String,
    /// The line of the file it starts on (0 when the format does not tell).
    line: i32,
    /// `NEEDS_REVIEW` (saved, never published by the import) or `REJECTED`.
    status: String,
    /// A unit code (`docs/ERRORS.md`): `SOURCE_CHANGED`, `PLACEHOLDER_MISMATCH`...
    code: String,
    message: String,
}

/// What an import did.
#[derive(SimpleObject)]
pub struct ImportReport {
    id: i32,
    created_at: DateTime<Utc>,
    /// Who uploaded.
    by: String,
    file_name: String,
    format: String,
    dry_run: bool,
    /// `applied`, `dry_run`, or `rejected` (nothing written).
    outcome: String,
    in_file: i32,
    accepted: i32,
    unchanged: i32,
    needs_review: i32,
    rejected: i32,
    /// Units in the file without a translation.
    missing: i32,
    entries: Vec<ImportEntry>,
}

impl From<Report> for ImportReport {
    fn from(r: Report) -> Self {
        ImportReport {
            id: r.id,
            created_at: r.created_at,
            by: r.display_name,
            file_name: r.file_name,
            format: r.format,
            dry_run: r.dry_run,
            outcome: r.outcome,
            in_file: r.counts.in_file,
            accepted: r.counts.accepted,
            unchanged: r.counts.unchanged,
            needs_review: r.counts.needs_review,
            rejected: r.counts.rejected,
            missing: r.counts.missing,
            entries: r
                .entries
                .into_iter()
                .map(|e| ImportEntry {
                    key: e.key,
                    line: e.line as i32,
                    status: match e.status {
                        EntryStatus::NeedsReview => "NEEDS_REVIEW".into(),
                        EntryStatus::Rejected => "REJECTED".into(),
                    },
                    code: e.code.as_str().into(),
                    message: e.message,
                })
                .collect(),
        }
    }
}

#[derive(Default)]
pub struct ExchangeQuery;

#[Object]
impl ExchangeQuery {
    /// The units of the chosen items to translate into `locale`, as a file for translation
    /// tools: titles, summaries and body blocks with inline codes protected, the current
    /// translation and its state, the field's note and the source hash. Editors and translators.
    async fn export_translations(
        &self,
        ctx: &Context<'_>,
        locale: String,
        #[graphql(default_with = "TranslationFormat::Xliff12")] format: TranslationFormat,
        #[graphql(default)] mut filter: TranslationExportFilter,
    ) -> async_graphql::Result<TranslationFile> {
        let sel = filter.selection(ctx).gql()?;
        export_one(ctx, &sel, &locale, format).await
    }

    /// `exportTranslations` for several target languages at once: one file per language, in
    /// the order asked (with `PO`, the template too, once).
    async fn export_translation_files(
        &self,
        ctx: &Context<'_>,
        #[graphql(validator(min_items = 1, max_items = 20))] locales: Vec<String>,
        #[graphql(default_with = "TranslationFormat::Xliff12")] format: TranslationFormat,
        #[graphql(default)] mut filter: TranslationExportFilter,
    ) -> async_graphql::Result<Vec<TranslationFile>> {
        let sel = filter.selection(ctx).gql()?;
        let mut out = Vec::new();
        for locale in &locales {
            out.push(export_one(ctx, &sel, locale, format).await?);
        }
        if format == TranslationFormat::Po
            && let Some(first) = locales.first()
        {
            out.push(export_one(ctx, &sel, first, TranslationFormat::Pot).await?);
        }
        Ok(out)
    }

    /// A stored import report.
    async fn import_report(&self, ctx: &Context<'_>, id: i32) -> async_graphql::Result<ImportReport> {
        let who = principal(ctx).gql()?;
        Ok(report::get(&state(ctx).db, who, id).await.gql()?.into())
    }

    /// The reports of imports that touched an item, newest first.
    async fn import_reports(
        &self,
        ctx: &Context<'_>,
        item: ID,
        #[graphql(default = 20, validator(minimum = 1, maximum = 100))] first: i32,
    ) -> async_graphql::Result<Vec<ImportReport>> {
        let who = principal(ctx).gql()?;
        let (ty, id) = self::item(&item).gql()?;
        let reports = report::for_item(&state(ctx).db, who, ty, id, first as u64).await.gql()?;
        Ok(reports.into_iter().map(Into::into).collect())
    }
}

#[derive(Default)]
pub struct ExchangeMutation;

#[Object]
impl ExchangeMutation {
    /// Imports a translation file (XLIFF 1.2 or 2.0, PO, JSON or CSV, detected from its
    /// content), sent as a GraphQL multipart upload. Each unit is checked; the translations go to
    /// the working copies (never published unless `publish` and the uploader may); the report is
    /// stored. `dryRun` checks and reports without writing; `perItem` writes each item on its
    /// own (by default the file is written whole or not at all).
    async fn import_translations(
        &self,
        ctx: &Context<'_>,
        file: Upload,
        #[graphql(desc = "The language of the translations; units in another are refused.")] locale: Option<String>,
        #[graphql(default)] dry_run: bool,
        #[graphql(default)] per_item: bool,
        #[graphql(default)] publish: bool,
    ) -> async_graphql::Result<ImportReport> {
        let who = principal(ctx).gql()?;
        let upload = file.value(ctx).map_err(|e| AppError::bad_input(format!("file: {e}"))).gql()?;
        let app = state(ctx);
        let max = app.config.translations.max_file_bytes;
        let size = upload.size().map_err(AppError::internal).gql()?;
        if size > max as u64 {
            return Err(AppError::TooLarge(format!("the file is larger than {max} bytes"))).gql();
        }
        // Read from the upload's temporary file (an XLIFF file as it streams from it).
        let opts = ImportOptions { file_name: upload.filename.clone(), dry_run, per_item, publish, locale };
        let limits = ReadLimits::from(&app.config.translations);
        Ok(import::import_file(app, who, upload.content, &opts, limits).await.gql()?.into())
    }
}
