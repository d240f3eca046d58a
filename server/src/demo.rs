//! Demo content: the networks, programmes and tools of the Sex Worker Networks Consortium, plus
//! items built from the UN SDG texts, loaded idempotently in one transaction.
//!
//! The data lives in `server/demo/demo.json` (see `server/demo/README.md` for its origin). An
//! item is recognised as already loaded by its source-locale slug, a term by (taxonomy, code),
//! so `chorus demo load` can run any number of times.

use std::collections::{BTreeMap, HashMap};

use chorus_entities as e;
use chrono::{NaiveDate, Utc};
use e::{OrganizationKind, OrganizationRole, PublicationStatus, ResourceKind, Taxonomy, TranslationVersion};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use serde::Deserialize;

use crate::content::text::{sanitize_html, slugify, sort_key, source_hashes};
use crate::error::{AppError, AppResult};

const DEMO_JSON: &str = include_str!("../demo/demo.json");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Demo {
    terms: Vec<DemoTerm>,
    organizations: Vec<DemoOrganization>,
    programmes: Vec<DemoProgramme>,
    resources: Vec<DemoResource>,
    good_practices: Vec<DemoGoodPractice>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoTerm {
    taxonomy: Taxonomy,
    code: String,
    parent: Option<String>,
    labels: BTreeMap<String, String>,
}

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct DemoText {
    status: PublicationStatus,
    title: String,
    summary: String,
    body: String,
    slug: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoOrganization {
    key: String,
    kind: OrganizationKind,
    acronym: Option<String>,
    website: Option<String>,
    region: Option<String>,
    parent: Option<String>,
    source_locale: String,
    translations: BTreeMap<String, DemoText>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoProgramme {
    key: String,
    start_year: i32,
    end_year: Option<i32>,
    funders: Vec<String>,
    source_locale: String,
    translations: BTreeMap<String, DemoText>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoLink {
    key: String,
    role: OrganizationRole,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoResource {
    /// Names the item in `demo.json`; resources are not referred to by key.
    #[allow(dead_code)]
    key: String,
    kind: ResourceKind,
    published_on: NaiveDate,
    regions: Vec<String>,
    countries: Vec<String>,
    topics: Vec<String>,
    organizations: Vec<DemoLink>,
    programme: Option<String>,
    source_locale: String,
    translations: BTreeMap<String, DemoText>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoGoodPractice {
    /// Names the item in `demo.json`.
    #[allow(dead_code)]
    key: String,
    year: i32,
    country: Option<String>,
    region: Option<String>,
    organization: Option<String>,
    topics: Vec<String>,
    source_locale: String,
    translations: BTreeMap<String, DemoText>,
}

/// What a load did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct DemoReport {
    pub created: usize,
    pub existing: usize,
}

/// Loads the demo content; items already present are left alone.
pub async fn load(db: &DatabaseConnection) -> AppResult<DemoReport> {
    let demo: Demo = serde_json::from_str(DEMO_JSON).map_err(|e| AppError::internal(format!("demo.json: {e}")))?;
    let txn = crate::db::begin_write(db).await?;
    let mut report = DemoReport::default();
    let mut loader = Loader { db: &txn, terms: HashMap::new(), orgs: HashMap::new(), programmes: HashMap::new() };
    loader.terms(&demo.terms, &mut report).await?;
    for o in &demo.organizations {
        loader.organization(o, &mut report).await?;
    }
    for p in &demo.programmes {
        loader.programme(p, &mut report).await?;
    }
    for r in &demo.resources {
        loader.resource(r, &mut report).await?;
    }
    for g in &demo.good_practices {
        loader.good_practice(g, &mut report).await?;
    }
    txn.commit().await?;
    Ok(report)
}

struct Loader<'a, C> {
    db: &'a C,
    terms: HashMap<(Taxonomy, String), i32>,
    orgs: HashMap<String, i32>,
    programmes: HashMap<String, i32>,
}

/// Inserts the translations of a new item: slugs made unique per locale, HTML sanitised, source
/// hashes taken from the source-locale text; a working row each, and a live row for each
/// published one.
macro_rules! insert_translations {
    ($db:expr, $module:ident, $item_id:expr, $source_locale:expr, $translations:expr) => {{
        use e::$module as t;
        let now = Utc::now();
        let source = $translations
            .get($source_locale)
            .ok_or_else(|| AppError::internal(format!("demo item without its source locale {}", $source_locale)))?;
        let body = sanitize_html(&source.body);
        let hashes = source_hashes(&source.title, &source.summary, &body);
        for (locale, text) in $translations {
            let mut slug = text.slug.clone().unwrap_or_else(|| slugify(&text.title));
            let base = slug.clone();
            let mut n = 2;
            while t::Entity::find()
                .filter(t::Column::Locale.eq(locale.as_str()))
                .filter(t::Column::Slug.eq(slug.as_str()))
                .filter(t::Column::Version.eq(TranslationVersion::Working))
                .one($db)
                .await?
                .is_some()
            {
                slug = format!("{base}-{n}");
                n += 1;
            }
            let row = |version: TranslationVersion| t::ActiveModel {
                item_id: Set($item_id),
                locale: Set(locale.clone()),
                status: Set(text.status),
                title: Set(text.title.clone()),
                summary: Set(text.summary.clone()),
                body: Set(sanitize_html(&text.body)),
                slug: Set(slug.clone()),
                sort_key: Set(sort_key(locale, &text.title)),
                source_hashes: Set(hashes.clone()),
                created_at: Set(now),
                updated_at: Set(now),
                published_at: Set((text.status == PublicationStatus::Published).then_some(now)),
                version: Set(version),
                ..Default::default()
            };
            row(TranslationVersion::Working).insert($db).await?;
            if text.status == PublicationStatus::Published {
                row(TranslationVersion::Live).insert($db).await?;
            }
        }
    }};
}

/// The id of an item whose source-locale translation has the slug its title generates.
macro_rules! existing {
    ($db:expr, $module:ident, $source_locale:expr, $translations:expr) => {{
        use e::$module as t;
        match $translations.get($source_locale) {
            Some(text) => {
                let slug = text.slug.clone().unwrap_or_else(|| slugify(&text.title));
                t::Entity::find()
                    .filter(t::Column::Locale.eq($source_locale))
                    .filter(t::Column::Slug.eq(slug))
                    .filter(t::Column::Version.eq(TranslationVersion::Working))
                    .one($db)
                    .await?
                    .map(|m| m.item_id)
            }
            None => None,
        }
    }};
}

impl<C: ConnectionTrait> Loader<'_, C> {
    fn term(&self, taxonomy: Taxonomy, code: &str) -> AppResult<i32> {
        self.terms
            .get(&(taxonomy, code.to_owned()))
            .copied()
            .ok_or_else(|| AppError::internal(format!("demo refers to unknown {taxonomy:?} `{code}`")))
    }

    fn org(&self, key: &str) -> AppResult<i32> {
        self.orgs
            .get(key)
            .copied()
            .ok_or_else(|| AppError::internal(format!("demo refers to unknown organisation `{key}`")))
    }

    async fn terms(&mut self, terms: &[DemoTerm], report: &mut DemoReport) -> AppResult<()> {
        for (position, term) in terms.iter().enumerate() {
            let found = e::terms::Entity::find()
                .filter(e::terms::Column::Taxonomy.eq(term.taxonomy))
                .filter(e::terms::Column::Code.eq(term.code.as_str()))
                .one(self.db)
                .await?;
            let id = match found {
                Some(t) => {
                    report.existing += 1;
                    t.id
                }
                None => {
                    let parent_id = match &term.parent {
                        Some(code) => Some(self.term(Taxonomy::Region, code)?),
                        None => None,
                    };
                    let t = e::terms::ActiveModel {
                        taxonomy: Set(term.taxonomy),
                        code: Set(term.code.clone()),
                        parent_id: Set(parent_id),
                        position: Set(position as i32),
                        ..Default::default()
                    }
                    .insert(self.db)
                    .await?;
                    for (locale, label) in &term.labels {
                        e::term_labels::ActiveModel {
                            term_id: Set(t.id),
                            locale: Set(locale.clone()),
                            label: Set(label.clone()),
                            sort_key: Set(sort_key(locale, label)),
                            ..Default::default()
                        }
                        .insert(self.db)
                        .await?;
                    }
                    report.created += 1;
                    t.id
                }
            };
            self.terms.insert((term.taxonomy, term.code.clone()), id);
        }
        Ok(())
    }

    async fn organization(&mut self, o: &DemoOrganization, report: &mut DemoReport) -> AppResult<()> {
        if let Some(id) = existing!(self.db, organization_translations, &o.source_locale, &o.translations) {
            report.existing += 1;
            self.orgs.insert(o.key.clone(), id);
            return Ok(());
        }
        let now = Utc::now();
        let m = e::organizations::ActiveModel {
            kind: Set(o.kind),
            acronym: Set(o.acronym.clone()),
            website: Set(o.website.clone()),
            region_id: Set(o.region.as_deref().map(|c| self.term(Taxonomy::Region, c)).transpose()?),
            parent_id: Set(o.parent.as_deref().map(|k| self.org(k)).transpose()?),
            source_locale: Set(o.source_locale.clone()),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(self.db)
        .await?;
        insert_translations!(self.db, organization_translations, m.id, &o.source_locale, &o.translations);
        self.orgs.insert(o.key.clone(), m.id);
        report.created += 1;
        Ok(())
    }

    async fn programme(&mut self, p: &DemoProgramme, report: &mut DemoReport) -> AppResult<()> {
        if let Some(id) = existing!(self.db, programme_translations, &p.source_locale, &p.translations) {
            report.existing += 1;
            self.programmes.insert(p.key.clone(), id);
            return Ok(());
        }
        let now = Utc::now();
        let m = e::programmes::ActiveModel {
            start_year: Set(p.start_year),
            end_year: Set(p.end_year),
            source_locale: Set(p.source_locale.clone()),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(self.db)
        .await?;
        insert_translations!(self.db, programme_translations, m.id, &p.source_locale, &p.translations);
        for f in &p.funders {
            e::programme_funders::ActiveModel { programme_id: Set(m.id), organization_id: Set(self.org(f)?) }
                .insert(self.db)
                .await?;
        }
        self.programmes.insert(p.key.clone(), m.id);
        report.created += 1;
        Ok(())
    }

    async fn resource(&mut self, r: &DemoResource, report: &mut DemoReport) -> AppResult<()> {
        if existing!(self.db, resource_translations, &r.source_locale, &r.translations).is_some() {
            report.existing += 1;
            return Ok(());
        }
        let now = Utc::now();
        let programme_id = match &r.programme {
            Some(k) => Some(
                *self
                    .programmes
                    .get(k)
                    .ok_or_else(|| AppError::internal(format!("demo refers to unknown programme `{k}`")))?,
            ),
            None => None,
        };
        let m = e::resources::ActiveModel {
            kind: Set(r.kind),
            published_on: Set(r.published_on),
            programme_id: Set(programme_id),
            source_locale: Set(r.source_locale.clone()),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(self.db)
        .await?;
        insert_translations!(self.db, resource_translations, m.id, &r.source_locale, &r.translations);
        let mut term_ids = Vec::new();
        for (taxonomy, codes) in
            [(Taxonomy::Region, &r.regions), (Taxonomy::Country, &r.countries), (Taxonomy::Topic, &r.topics)]
        {
            for code in codes {
                let id = self.term(taxonomy, code)?;
                if !term_ids.contains(&id) {
                    term_ids.push(id);
                }
            }
        }
        for term_id in term_ids {
            e::resource_terms::ActiveModel { resource_id: Set(m.id), term_id: Set(term_id) }.insert(self.db).await?;
        }
        for link in &r.organizations {
            e::resource_organizations::ActiveModel {
                resource_id: Set(m.id),
                organization_id: Set(self.org(&link.key)?),
                role: Set(link.role),
            }
            .insert(self.db)
            .await?;
        }
        report.created += 1;
        Ok(())
    }

    async fn good_practice(&mut self, g: &DemoGoodPractice, report: &mut DemoReport) -> AppResult<()> {
        if existing!(self.db, good_practice_translations, &g.source_locale, &g.translations).is_some() {
            report.existing += 1;
            return Ok(());
        }
        let now = Utc::now();
        let m = e::good_practices::ActiveModel {
            year: Set(g.year),
            country_id: Set(g.country.as_deref().map(|c| self.term(Taxonomy::Country, c)).transpose()?),
            region_id: Set(g.region.as_deref().map(|c| self.term(Taxonomy::Region, c)).transpose()?),
            organization_id: Set(g.organization.as_deref().map(|k| self.org(k)).transpose()?),
            source_locale: Set(g.source_locale.clone()),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(self.db)
        .await?;
        insert_translations!(self.db, good_practice_translations, m.id, &g.source_locale, &g.translations);
        let mut topics: Vec<i32> = Vec::new();
        for code in &g.topics {
            let id = self.term(Taxonomy::Topic, code)?;
            if !topics.contains(&id) {
                topics.push(id);
            }
        }
        for term_id in topics {
            e::good_practice_topics::ActiveModel { good_practice_id: Set(m.id), term_id: Set(term_id) }
                .insert(self.db)
                .await?;
        }
        report.created += 1;
        Ok(())
    }
}

/// The demo's per-language documents: a programme manager's checklist for the SWIT in four
/// languages (PDFs printed by Chromium; their text is found by search in each language).
const DEMO_DOCUMENTS: &[(&str, &[u8])] = &[
    ("en", include_bytes!("../demo/documents/swit-en.pdf")),
    ("fr", include_bytes!("../demo/documents/swit-fr.pdf")),
    ("es", include_bytes!("../demo/documents/swit-es.pdf")),
    ("ru", include_bytes!("../demo/documents/swit-ru.pdf")),
];

/// Attaches the demo documents to the SWIT (idempotent: the same file is not stored twice).
/// Returns how many were new.
pub async fn load_documents(
    services: &impl crate::content::Services,
    storage: &crate::storage::Storage,
    config: &crate::config::Config,
) -> AppResult<usize> {
    use crate::content::documents::{self, Upload, receive};
    let slug = slugify("Sex Worker Implementation Tool (SWIT)");
    let Some(row) = e::resource_translations::Entity::find()
        .filter(e::resource_translations::Column::Slug.eq(slug))
        .filter(e::resource_translations::Column::Locale.eq("en"))
        .one(services.db())
        .await?
    else {
        return Ok(0);
    };
    let operator = crate::auth::Principal {
        user_id: 0,
        display_name: "system (demo)".into(),
        role: e::Role::Admin,
        locales: vec![],
        scopes: None,
        session_id: None,
    };
    let mut created = 0;
    for (locale, bytes) in DEMO_DOCUMENTS {
        if services.locales().configured_code(locale).is_err() {
            continue;
        }
        let chunks = futures_util::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from_static(bytes))]);
        let dir = receive::staging_dir(&config.server.data_dir);
        let received =
            receive::receive(chunks, &dir, config.documents.max_file_bytes, std::time::Duration::from_secs(60)).await?;
        let input = Upload {
            ty: crate::content::ContentType::Resource,
            item_id: row.item_id,
            locale: (*locale).to_owned(),
            title: Some("SWIT checklist for programme managers".into()),
            file_name: format!("swit-checklist-{locale}.pdf"),
        };
        if documents::upload(services, storage, &config.documents, &operator, input, received).await?.created {
            created += 1;
        }
    }
    Ok(created)
}
