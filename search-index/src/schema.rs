//! The index schema: one document per (item, locale) that readers may find.
//!
//! Facets (type, kind, regions, countries, topics, organisations, programme, year, locale) are
//! indexed strings or numbers with fast fields, so that they filter and count without touching
//! stored documents. Title, summary and body go to the fields of the locale's analyzer
//! (`title_fr`, `body_zh`...), each analysed its own way; `vocabulary` holds every word as
//! written (lowercased and folded) for typo tolerance, prefixes and "did you mean".

use std::collections::HashMap;

use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::{DateTime, TantivyDocument};

use crate::analysis::Analyzer;

/// Bumped whenever the schema or the analysis changes: an index of another version is rebuilt.
pub const SCHEMA_VERSION: u32 = 3;

/// The tokenizer name of the vocabulary field.
pub const VOCABULARY_TOKENIZER: &str = "chorus_vocabulary";

/// Which text field of an item.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum TextField {
    Title,
    Summary,
    Body,
    /// The text of the item's documents in the locale (its PDFs).
    Document,
}

impl TextField {
    pub const ALL: [TextField; 4] = [TextField::Title, TextField::Summary, TextField::Body, TextField::Document];

    /// BM25 weight of a match in this field: title over summary over body over documents.
    pub fn boost(self) -> f32 {
        match self {
            TextField::Title => 3.0,
            TextField::Summary => 1.5,
            TextField::Body => 1.0,
            TextField::Document => 0.8,
        }
    }

    fn name(self) -> &'static str {
        match self {
            TextField::Title => "title",
            TextField::Summary => "summary",
            TextField::Body => "body",
            TextField::Document => "document",
        }
    }
}

/// What the server gives the index for one published (item, locale).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IndexDoc {
    /// A number unique to the item across types, chosen by the caller; documents are replaced
    /// per item key.
    pub item_key: u64,
    /// `resource`, `good_practice`, `organization`, `programme`.
    pub item_type: String,
    pub item_id: i64,
    pub locale: String,
    /// Resource kind, organisation kind: whatever the type classifies by.
    pub kind: Option<String>,
    pub regions: Vec<String>,
    pub countries: Vec<String>,
    pub topics: Vec<String>,
    pub organizations: Vec<i64>,
    pub programme: Option<i64>,
    pub year: Option<i64>,
    /// Days since 1970-01-01 of the item's date (publication, start), for browsing by date.
    pub date: Option<i64>,
    pub title: String,
    pub summary: String,
    /// Plain text (the caller strips markup).
    pub body: String,
    /// The text of the item's documents in this locale (empty when none was read).
    pub document: String,
    /// Every locale the item can be read in (this one included).
    pub available_locales: Vec<String>,
}

/// The fields of the schema.
#[derive(Clone, Debug)]
pub struct Fields {
    pub item_key: Field,
    pub item_type: Field,
    pub item_id: Field,
    pub locale: Field,
    pub kind: Field,
    pub region: Field,
    pub country: Field,
    pub topic: Field,
    pub organization: Field,
    pub programme: Field,
    pub year: Field,
    pub date: Field,
    pub available: Field,
    pub vocabulary: Field,
    text: HashMap<(Analyzer, TextField), Field>,
}

impl Fields {
    pub fn text(&self, analyzer: Analyzer, field: TextField) -> Field {
        self.text[&(analyzer, field)]
    }

    pub fn from_schema(schema: &Schema) -> crate::Result<Fields> {
        let get = |name: &str| schema.get_field(name).map_err(|_| crate::Error::Invalid(format!("no field {name}")));
        let mut text = HashMap::new();
        for a in Analyzer::ALL {
            for f in TextField::ALL {
                text.insert((a, f), get(&format!("{}_{}", f.name(), a.code()))?);
            }
        }
        Ok(Fields {
            item_key: get("item_key")?,
            item_type: get("type")?,
            item_id: get("item_id")?,
            locale: get("locale")?,
            kind: get("kind")?,
            region: get("region")?,
            country: get("country")?,
            topic: get("topic")?,
            organization: get("organization")?,
            programme: get("programme")?,
            year: get("year")?,
            date: get("date")?,
            available: get("available")?,
            vocabulary: get("vocabulary")?,
            text,
        })
    }

    /// The tantivy document for an [`IndexDoc`].
    pub fn document(&self, doc: &IndexDoc) -> TantivyDocument {
        let mut d = TantivyDocument::default();
        d.add_u64(self.item_key, doc.item_key);
        d.add_text(self.item_type, &doc.item_type);
        d.add_i64(self.item_id, doc.item_id);
        d.add_text(self.locale, &doc.locale);
        if let Some(kind) = &doc.kind {
            d.add_text(self.kind, kind);
        }
        for r in &doc.regions {
            d.add_text(self.region, r);
        }
        for c in &doc.countries {
            d.add_text(self.country, c);
        }
        for t in &doc.topics {
            d.add_text(self.topic, t);
        }
        for o in &doc.organizations {
            d.add_i64(self.organization, *o);
        }
        if let Some(p) = doc.programme {
            d.add_i64(self.programme, p);
        }
        if let Some(y) = doc.year {
            d.add_i64(self.year, y);
        }
        d.add_date(self.date, DateTime::from_timestamp_secs(doc.date.unwrap_or(0).saturating_mul(86_400)));
        for l in &doc.available_locales {
            d.add_text(self.available, l);
        }
        let analyzer = Analyzer::for_locale(&doc.locale);
        d.add_text(self.text(analyzer, TextField::Title), &doc.title);
        d.add_text(self.text(analyzer, TextField::Summary), &doc.summary);
        d.add_text(self.text(analyzer, TextField::Body), &doc.body);
        if !doc.document.is_empty() {
            d.add_text(self.text(analyzer, TextField::Document), &doc.document);
        }
        for t in [&doc.title, &doc.summary, &doc.body, &doc.document] {
            d.add_text(self.vocabulary, t);
        }
        d
    }
}

/// The schema: fixed for every configuration (fields exist for every analyzer).
pub fn schema() -> Schema {
    let mut b = Schema::builder();
    b.add_u64_field("item_key", INDEXED | FAST | STORED);
    b.add_text_field("type", STRING | FAST | STORED);
    b.add_i64_field("item_id", FAST | STORED);
    b.add_text_field("locale", STRING | FAST | STORED);
    b.add_text_field("kind", STRING | FAST);
    b.add_text_field("region", STRING | FAST);
    b.add_text_field("country", STRING | FAST);
    b.add_text_field("topic", STRING | FAST);
    b.add_i64_field("organization", INDEXED | FAST);
    b.add_i64_field("programme", INDEXED | FAST);
    b.add_i64_field("year", INDEXED | FAST);
    b.add_date_field("date", FAST);
    b.add_text_field("available", STRING | STORED);
    let vocabulary = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default().set_tokenizer(VOCABULARY_TOKENIZER).set_index_option(IndexRecordOption::Basic),
    );
    b.add_text_field("vocabulary", vocabulary);
    for a in Analyzer::ALL {
        let options = TextOptions::default()
            .set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(&a.tokenizer_name())
                    .set_index_option(IndexRecordOption::WithFreqsAndPositions),
            )
            .set_stored();
        for f in TextField::ALL {
            b.add_text_field(&format!("{}_{}", f.name(), a.code()), options.clone());
        }
    }
    b.build()
}

/// Registers Chorus's analyzers on an index.
pub fn register_tokenizers(index: &tantivy::Index) {
    let manager = index.tokenizers();
    for a in Analyzer::ALL {
        manager.register(&a.tokenizer_name(), a.build());
    }
    manager.register(VOCABULARY_TOKENIZER, crate::analysis::vocabulary_analyzer());
}
