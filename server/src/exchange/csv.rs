//! CSV in translate-toolkit's column order (`location, source, target, id, fuzzy, context,
//! translator_comments, developer_comments`), plus `source_hash` and `target_language`. The key
//! is in `location` and `id`; columns are found by their header names when read back, so a
//! spreadsheet may reorder or drop the ones it does not need.

use super::blocks::Segment;
use super::{ExportFile, FileUnit, Format, ParsedFile, UnitState};
use crate::error::{AppError, AppResult};

const HEADER: [&str; 10] = [
    "location",
    "source",
    "target",
    "id",
    "fuzzy",
    "context",
    "translator_comments",
    "developer_comments",
    "source_hash",
    "target_language",
];

pub fn write(file: &ExportFile) -> Vec<u8> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(HEADER);
    for u in file.units() {
        let target = u.target.as_ref().map(Segment::to_placeholders).unwrap_or_default();
        let fuzzy =
            if u.target.is_some() && (u.outdated || u.state == Some(UnitState::Draft)) { "True" } else { "False" };
        let _ = w.write_record([
            u.key.as_str(),
            &u.source.to_placeholders(),
            &target,
            &u.key,
            fuzzy,
            "",
            "",
            &u.note,
            &u.hash,
            &file.target_locale,
        ]);
    }
    w.into_inner().unwrap_or_default()
}

pub fn read(bytes: &[u8]) -> AppResult<ParsedFile> {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let mut r = ::csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let malformed = |e: ::csv::Error| {
        let line = e.position().map(|p| p.line()).unwrap_or(0);
        AppError::MalformedFile(format!("line {line}: {e}"))
    };
    let header: Vec<String> = r.headers().map_err(malformed)?.iter().map(|h| h.trim().to_ascii_lowercase()).collect();
    let col = |name: &str| header.iter().position(|h| h == name);
    let key_col = col("location").or(col("id"));
    let (Some(key_col), Some(target_col)) = (key_col, col("target")) else {
        return Err(AppError::MalformedFile(
            "line 1: the header needs `location` (or `id`) and `target` columns".into(),
        ));
    };
    let (source_col, fuzzy_col, hash_col, lang_col) =
        (col("source"), col("fuzzy"), col("source_hash"), col("target_language"));
    let mut units = Vec::new();
    for record in r.records() {
        let record = record.map_err(malformed)?;
        let line = record.position().map(|p| p.line() as u32).unwrap_or(0);
        let get = |c: Option<usize>| c.and_then(|c| record.get(c)).map(str::to_owned);
        let key = get(Some(key_col)).unwrap_or_default();
        if key.is_empty() && record.iter().all(str::is_empty) {
            continue;
        }
        let target = get(Some(target_col)).filter(|t| !t.is_empty());
        let fuzzy =
            get(fuzzy_col).is_some_and(|f| matches!(f.to_ascii_lowercase().as_str(), "true" | "1" | "yes" | "fuzzy"));
        units.push(FileUnit {
            key,
            line,
            locale: get(lang_col).filter(|l| !l.is_empty()),
            source: get(source_col).map(|s| Segment::from_placeholders(&s)),
            state: target.as_ref().map(|_| if fuzzy { UnitState::Draft } else { UnitState::Translated }),
            target: target.map(|t| Segment::from_placeholders(&t)),
            hash: get(hash_col).filter(|h| !h.is_empty()),
            plural: false,
        });
    }
    Ok(ParsedFile { format: Format::Csv, source_locale: None, units })
}
