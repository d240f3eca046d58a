//! Translation files: content exported for translation tools and their files imported back.
//!
//! `export` gathers the units of the chosen items (title, summary and each block of the body,
//! `blocks`), one file per target locale; the writers and readers of each format live in
//! `xliff`, `po`, `json` and `csv`, all over the plain types below; `import` checks every unit
//! of a file against the current content and the uploader's rights, writes through the one write
//! path and keeps a report (`report`). Nothing here knows of HTTP or GraphQL.

pub mod blocks;
pub mod csv;
pub mod export;
pub mod import;
pub mod json;
pub mod po;
pub mod report;
pub mod xliff;

use blocks::{InlineCode, Segment};

use crate::error::{AppError, AppResult};

/// A file format for translation exchange.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    Xliff12,
    Xliff20,
    /// gettext PO (with a POT template when exported).
    Po,
    /// Flat JSON: `{"resource/12/title": "…"}`.
    Json,
    /// Nested JSON as i18next writes it: `{"resource": {"12": {"title": "…"}}}`.
    JsonNested,
    /// translate-toolkit's CSV columns.
    Csv,
}

impl Format {
    pub const ALL: [Format; 6] =
        [Format::Xliff12, Format::Xliff20, Format::Po, Format::Json, Format::JsonNested, Format::Csv];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Xliff12 => "xliff-1.2",
            Format::Xliff20 => "xliff-2.0",
            Format::Po => "po",
            Format::Json => "json",
            Format::JsonNested => "json-nested",
            Format::Csv => "csv",
        }
    }

    pub fn parse(s: &str) -> AppResult<Format> {
        let s = s.to_ascii_lowercase().replace('_', "-");
        Format::ALL.into_iter().find(|f| f.as_str() == s || (s == "xliff" && *f == Format::Xliff12)).ok_or_else(|| {
            let names: Vec<&str> = Format::ALL.iter().map(|f| f.as_str()).collect();
            AppError::bad_input(format!("format: one of {}", names.join(", ")))
        })
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Xliff12 | Format::Xliff20 => "xlf",
            Format::Po => "po",
            Format::Json | Format::JsonNested => "json",
            Format::Csv => "csv",
        }
    }

    pub fn mime_type(self) -> &'static str {
        match self {
            Format::Xliff12 | Format::Xliff20 => "application/xliff+xml",
            Format::Po => "text/x-gettext-translation",
            Format::Json | Format::JsonNested => "application/json",
            Format::Csv => "text/csv",
        }
    }

    /// Which format a file is, from its first bytes (never from its name).
    pub fn detect(bytes: &[u8]) -> AppResult<Format> {
        let head = &bytes[..bytes.len().min(4096)];
        if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
            return Err(AppError::MalformedFile("the file is UTF-16; translation files must be UTF-8".into()));
        }
        let text = String::from_utf8_lossy(head);
        let text = text.trim_start_matches('\u{feff}').trim_start();
        if text.starts_with('<') {
            let flat = text.replace('\'', "\"");
            if flat.contains("urn:oasis:names:tc:xliff:document:2.") || flat.contains("version=\"2.") {
                return Ok(Format::Xliff20);
            }
            if flat.contains("<xliff") {
                return Ok(Format::Xliff12);
            }
            return Err(AppError::UnsupportedFileFormat("an XML file that is not XLIFF".into()));
        }
        if text.starts_with('{') {
            return Ok(Format::Json);
        }
        let first_line = text.lines().next().unwrap_or("");
        let po_like = text.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with('#'));
        if po_like.is_some_and(|l| l.starts_with("msgid") || l.starts_with("msgctxt")) || first_line.starts_with("#") {
            return Ok(Format::Po);
        }
        let header = first_line.to_ascii_lowercase();
        if header.contains("source") && header.contains(',') {
            return Ok(Format::Csv);
        }
        Err(AppError::UnsupportedFileFormat(
            "not XLIFF 1.2 or 2.0, PO, JSON or CSV with a header row (location,source,target,…)".into(),
        ))
    }
}

/// Which field of an item a unit translates.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum UnitField {
    Title,
    Summary,
    /// A block of the body, by its id.
    Body(String),
}

impl UnitField {
    pub fn path(&self) -> String {
        match self {
            UnitField::Title => "title".into(),
            UnitField::Summary => "summary".into(),
            UnitField::Body(id) => format!("body/{id}"),
        }
    }
}

/// How far a unit's translation has come, as the files say it.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum UnitState {
    /// Not translated yet, or marked for rework (XLIFF `new`/`needs-*`/`initial`, PO fuzzy).
    Draft,
    /// Translated, to be reviewed (XLIFF 1.2 `translated`, 2.0 `translated`/`reviewed`, PO).
    Translated,
    /// Approved (XLIFF 1.2 `approved="yes"`, `signed-off`, `final`; 2.0 `final`).
    Final,
}

/// One unit to translate, as exported.
#[derive(Clone, Debug)]
pub struct ExportUnit {
    /// `resource/12/title`, `resource/12/body/3fa2c1d0`.
    pub key: String,
    pub source: Segment,
    pub target: Option<Segment>,
    pub state: Option<UnitState>,
    /// The target was made from another source text (it needs review).
    pub outdated: bool,
    /// The hash of the source text this unit carries.
    pub hash: String,
    /// The field's label and limit, for the translator.
    pub note: String,
    pub max_chars: Option<usize>,
    /// The markup behind the source's inline codes.
    pub codes: Vec<InlineCode>,
}

/// The units of one item.
#[derive(Clone, Debug)]
pub struct ExportItem {
    /// `resource/12`.
    pub key: String,
    /// The source title, to name the item in files.
    pub title: String,
    pub units: Vec<ExportUnit>,
}

/// What one export file holds: the items' units from one source locale into one target locale.
#[derive(Clone, Debug)]
pub struct ExportFile {
    pub source_locale: String,
    pub target_locale: String,
    pub items: Vec<ExportItem>,
}

impl ExportFile {
    pub fn units(&self) -> impl Iterator<Item = &ExportUnit> {
        self.items.iter().flat_map(|i| i.units.iter())
    }

    /// The file in a format. A POT (a template: no targets) is the PO form with `template`.
    pub fn write(&self, format: Format) -> Vec<u8> {
        match format {
            Format::Xliff12 => xliff::write_12(self),
            Format::Xliff20 => xliff::write_20(self),
            Format::Po => po::write(self, false),
            Format::Json => json::write(self, false),
            Format::JsonNested => json::write(self, true),
            Format::Csv => csv::write(self),
        }
    }
}

/// One unit read from a file.
#[derive(Clone, Debug, Default)]
pub struct FileUnit {
    pub key: String,
    /// The 1-based line it starts on (0 when the format does not tell).
    pub line: u32,
    /// The target locale the file gives for it.
    pub locale: Option<String>,
    pub source: Option<Segment>,
    pub target: Option<Segment>,
    pub state: Option<UnitState>,
    pub hash: Option<String>,
    /// A PO entry with plural forms (Chorus content has none).
    pub plural: bool,
}

/// A file read.
#[derive(Clone, Debug)]
pub struct ParsedFile {
    pub format: Format,
    pub source_locale: Option<String>,
    pub units: Vec<FileUnit>,
}

/// Limits of the readers, against hostile files.
#[derive(Copy, Clone, Debug)]
pub struct ReadLimits {
    pub max_depth: usize,
    pub max_attributes: usize,
    pub max_units: usize,
}

impl Default for ReadLimits {
    fn default() -> Self {
        ReadLimits { max_depth: 64, max_attributes: 64, max_units: 1_000_000 }
    }
}

impl From<&crate::config::TranslationsConfig> for ReadLimits {
    fn from(c: &crate::config::TranslationsConfig) -> Self {
        ReadLimits { max_depth: c.max_xml_depth, max_attributes: c.max_xml_attributes, max_units: c.max_units }
    }
}

/// Reads a file of any supported format, detected from its content.
pub fn read(bytes: &[u8], limits: ReadLimits) -> AppResult<ParsedFile> {
    if let Some(pos) = bytes.iter().position(|b| *b == 0) {
        let line = bytes[..pos].iter().filter(|b| **b == b'\n').count() + 1;
        return Err(AppError::MalformedFile(format!("line {line}: a NUL byte; translation files are UTF-8 text")));
    }
    let format = Format::detect(bytes)?;
    let parsed = match format {
        Format::Xliff12 | Format::Xliff20 => xliff::read(bytes, limits)?,
        Format::Po => po::read(bytes)?,
        Format::Json | Format::JsonNested => json::read(bytes)?,
        Format::Csv => csv::read(bytes)?,
    };
    if parsed.units.len() > limits.max_units {
        return Err(AppError::MalformedFile(format!("more than {} units", limits.max_units)));
    }
    Ok(parsed)
}

/// Reads a translation file staged on disk. XLIFF, the format of large files, is read as it
/// streams from the disk (only its units are kept); the other formats are read whole.
pub fn read_file(mut file: std::fs::File, limits: ReadLimits) -> AppResult<ParsedFile> {
    use std::io::{Read, Seek};
    let io = |e: std::io::Error| AppError::internal(format!("reading a staged file: {e}"));
    let mut head = Vec::with_capacity(4096);
    file.rewind().map_err(io)?;
    (&mut file).take(4096).read_to_end(&mut head).map_err(io)?;
    file.rewind().map_err(io)?;
    let format = if head.contains(&0) { None } else { Some(Format::detect(&head)?) };
    let parsed = match format {
        Some(Format::Xliff12 | Format::Xliff20) => {
            xliff::read(std::io::BufReader::with_capacity(64 * 1024, file), limits)?
        }
        _ => {
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes).map_err(io)?;
            return read(&bytes, limits);
        }
    };
    if parsed.units.len() > limits.max_units {
        return Err(AppError::MalformedFile(format!("more than {} units", limits.max_units)));
    }
    Ok(parsed)
}

/// The 1-based line of byte `offset` in `bytes`.
pub(crate) fn line_of(bytes: &[u8], offset: usize) -> u32 {
    bytes[..offset.min(bytes.len())].iter().filter(|b| **b == b'\n').count() as u32 + 1
}

/// Lines of increasing offsets, counted once over the file (readers report a line per unit).
#[derive(Default)]
pub(crate) struct Lines {
    offset: usize,
    line: u32,
}

impl Lines {
    /// The line of `offset`, which must not be before the last one asked.
    pub fn at(&mut self, bytes: &[u8], offset: usize) -> u32 {
        let offset = offset.min(bytes.len());
        if offset < self.offset {
            return line_of(bytes, offset);
        }
        self.line += bytes[self.offset..offset].iter().filter(|b| **b == b'\n').count() as u32;
        self.offset = offset;
        self.line + 1
    }
}

#[cfg(test)]
mod tests {
    use super::blocks::{Part, Split};
    use super::*;

    /// Random text from characters that break naive writers: XML specials, PO escapes, RTL,
    /// CJK, emoji, combining marks, newlines, placeholder look-alikes.
    fn random_texts(n: usize) -> Vec<String> {
        let pool: Vec<char> =
            "aZ 09<>&\"'\\\n\t{}/#%;,=:ٱلعربيةשלום中文字日本語🙂👩🏽‍💻é\u{301}ñ€\u{a0}\u{200f}".chars().collect();
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        (0..n)
            .map(|_| {
                let len = (next() % 40) as usize + 1;
                let s: String = (0..len).map(|_| pool[(next() % pool.len() as u64) as usize]).collect();
                // Leading/trailing whitespace is not significant in a field; keep it out.
                let t = s.trim().to_owned();
                if t.is_empty() { "x".into() } else { t }
            })
            .collect()
    }

    #[test]
    fn every_format_round_trips_any_text() {
        let texts = random_texts(300);
        let split = Split::of("<p>Read <a href=\"https://x\">the <em>guide</em></a>.<br>Now.</p>");
        let block = &split.blocks[0];
        let mut units: Vec<ExportUnit> = texts
            .iter()
            .enumerate()
            .map(|(i, t)| ExportUnit {
                key: format!("resource/{}/title", i + 1),
                source: Segment::text(&format!("source {i}")),
                target: Some(Segment::text(t)),
                state: Some(UnitState::Translated),
                outdated: false,
                hash: format!("{i:032x}"),
                note: "Title, at most 500 characters".into(),
                max_chars: Some(500),
                codes: vec![],
            })
            .collect();
        let translated = Segment(vec![
            Part::Text("Lisez <b> & \"".into()),
            Part::Open(1),
            Part::Text("le ".into()),
            Part::Open(2),
            Part::Text("guide ✓".into()),
            Part::Close(2),
            Part::Close(1),
            Part::Empty(3),
            Part::Text("Maintenant.".into()),
        ]);
        units.push(ExportUnit {
            key: format!("resource/999/body/{}", block.id),
            source: block.segment.clone(),
            target: Some(translated.clone()),
            state: Some(UnitState::Final),
            outdated: false,
            hash: "h".into(),
            note: "Body".into(),
            max_chars: None,
            codes: block.codes.clone(),
        });
        let file = ExportFile {
            source_locale: "en".into(),
            target_locale: "fr".into(),
            items: vec![ExportItem { key: "resource/1".into(), title: "A & B".into(), units: units.clone() }],
        };
        for format in Format::ALL {
            let mut file = file.clone();
            if matches!(format, Format::Json | Format::JsonNested) {
                // A JSON file is sent back with the translations as its values.
                for u in &mut file.items[0].units {
                    u.source = u.target.clone().unwrap_or_default();
                }
            }
            let bytes = file.write(format);
            let parsed = read(&bytes, ReadLimits::default()).unwrap_or_else(|e| panic!("{format:?}: {e}"));
            assert_eq!(parsed.units.len(), units.len(), "{format:?}");
            let mut got_units = parsed.units.clone();
            got_units.sort_by(|a, b| a.key.cmp(&b.key));
            let mut want_units = file.items[0].units.clone();
            want_units.sort_by(|a, b| a.key.cmp(&b.key));
            for (want, got) in want_units.iter().zip(&got_units) {
                let want = ExportUnit {
                    target: units.iter().find(|u| u.key == want.key).and_then(|u| u.target.clone()),
                    ..want.clone()
                };
                assert_eq!(got.key, want.key, "{format:?}");
                assert_eq!(
                    got.target.as_ref().map(Segment::to_placeholders),
                    want.target.as_ref().map(Segment::to_placeholders),
                    "{format:?} {}",
                    want.key
                );
                assert_eq!(got.hash.as_deref(), Some(want.hash.as_str()), "{format:?}");
                assert_eq!(got.locale.as_deref(), Some("fr"), "{format:?}");
            }
        }
    }
}

#[cfg(test)]
mod demo_tests {
    use super::blocks::Split;
    use super::*;

    fn bodies(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, v) in m {
                    match (k.as_str(), v) {
                        ("body", serde_json::Value::String(s)) => out.push(s.clone()),
                        _ => bodies(v, out),
                    }
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|v| bodies(v, out)),
            _ => {}
        }
    }

    /// Every block of every demo body, sent out in each format and read back as its own
    /// translation, keeps its codes.
    #[test]
    fn demo_bodies_round_trip_in_every_format() {
        let demo: serde_json::Value = serde_json::from_str(include_str!("../../demo/demo.json")).expect("demo.json");
        let mut all = Vec::new();
        bodies(&demo, &mut all);
        assert!(all.len() > 10);
        let mut units = Vec::new();
        for (i, body) in all.iter().enumerate() {
            let html = crate::content::text::sanitize_html(body);
            let split = Split::of(&html);
            assert_eq!(split.render(|_| None), html, "a body renders back as it was");
            for b in &split.blocks {
                units.push(ExportUnit {
                    key: format!("resource/{}/body/{}", i + 1, b.id),
                    source: b.segment.clone(),
                    target: Some(b.segment.clone()),
                    state: Some(UnitState::Translated),
                    outdated: false,
                    hash: "h".into(),
                    note: "Body".into(),
                    max_chars: None,
                    codes: b.codes.clone(),
                });
            }
        }
        let file = ExportFile {
            source_locale: "en".into(),
            target_locale: "fr".into(),
            items: vec![ExportItem { key: "resource/1".into(), title: "t".into(), units: units.clone() }],
        };
        for format in Format::ALL {
            let parsed = read(&file.write(format), ReadLimits::default()).unwrap();
            for u in &parsed.units {
                let want = units.iter().find(|w| w.key == u.key).unwrap();
                let got = u.target.as_ref().unwrap();
                got.check_codes(&want.source).unwrap_or_else(|e| {
                    panic!(
                        "{format:?} {}: {} vs {}: {e:?}",
                        u.key,
                        got.to_placeholders(),
                        want.source.to_placeholders()
                    )
                });
            }
        }
    }
}
