//! JSON, flat (`{"resource/12/title": "…"}`) or nested as i18next writes it
//! (`{"resource": {"12": {"title": "…"}}}`). Values are the text to translate, with numbered
//! placeholders for inline codes; an `@chorus` object carries what tools should keep but not
//! translate: the locales and, per key, the source hash, the field's note and the current
//! translation. A file sent back is read either way (nested keys are joined with `/`); its values
//! are the translations.

use serde_json::{Map, Value, json};

use super::blocks::Segment;
use super::{ExportFile, FileUnit, Format, ParsedFile, UnitState};
use crate::error::{AppError, AppResult};

const META: &str = "@chorus";

pub fn write(file: &ExportFile, nested: bool) -> Vec<u8> {
    let mut root = Map::new();
    let mut units = Map::new();
    for u in file.units() {
        let mut meta = json!({ "sourceHash": u.hash, "note": u.note });
        if let Some(t) = &u.target {
            meta["target"] = Value::String(t.to_placeholders());
            meta["outdated"] = Value::Bool(u.outdated);
        }
        units.insert(u.key.clone(), meta);
        let value = Value::String(u.source.to_placeholders());
        if nested {
            let mut node = &mut root;
            let parts: Vec<&str> = u.key.split('/').collect();
            for p in &parts[..parts.len() - 1] {
                node = node
                    .entry(p.to_string())
                    .or_insert_with(|| Value::Object(Map::new()))
                    .as_object_mut()
                    .expect("keys are paths of objects");
            }
            node.insert(parts[parts.len() - 1].to_owned(), value);
        } else {
            root.insert(u.key.clone(), value);
        }
    }
    root.insert(
        META.into(),
        json!({ "sourceLocale": file.source_locale, "targetLocale": file.target_locale, "units": units }),
    );
    let mut out = serde_json::to_vec_pretty(&Value::Object(root)).expect("JSON values serialise");
    out.push(b'\n');
    out
}

fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) -> AppResult<()> {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}/{k}") };
                flatten(&key, v, out)?;
            }
            Ok(())
        }
        Value::String(s) => {
            out.push((prefix.to_owned(), s.clone()));
            Ok(())
        }
        Value::Null => Ok(()),
        _ => Err(AppError::MalformedFile(format!(
            "{}: values must be strings (or objects of them)",
            crate::error::echo_input(prefix, 80)
        ))),
    }
}

pub fn read(bytes: &[u8]) -> AppResult<ParsedFile> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| AppError::MalformedFile(format!("line {}: not UTF-8", super::line_of(bytes, e.valid_up_to()))))?;
    let mut root: Value = serde_json::from_str(text.trim_start_matches('\u{feff}'))
        .map_err(|e| AppError::MalformedFile(format!("line {}: {e}", e.line())))?;
    let Value::Object(obj) = &mut root else {
        return Err(AppError::MalformedFile("line 1: the file must be a JSON object".into()));
    };
    let meta = obj.remove(META).unwrap_or(Value::Null);
    let mut flat = Vec::new();
    flatten("", &Value::Object(std::mem::take(obj)), &mut flat)?;
    let target_locale = meta["targetLocale"].as_str().map(str::to_owned);
    // The line of each key: searched from the previous key on (keys usually come in file order).
    let mut from = 0;
    let mut lines = super::Lines::default();
    let units = flat
        .into_iter()
        .map(|(key, value)| {
            let last = key.rsplit('/').next().unwrap_or(&key);
            let found = [format!("\"{key}\""), format!("\"{last}\"")]
                .iter()
                .find_map(|needle| text[from..].find(needle.as_str()).map(|i| from + i))
                .or_else(|| text.find(&format!("\"{last}\"")));
            let line = match found {
                Some(at) if at >= from => {
                    from = at;
                    lines.at(bytes, at)
                }
                Some(at) => super::line_of(bytes, at),
                None => 0,
            };
            let m = &meta["units"][&key];
            let target = (!value.is_empty()).then(|| Segment::from_placeholders(&value));
            FileUnit {
                line,
                locale: target_locale.clone(),
                source: None,
                state: target.as_ref().map(|_| UnitState::Translated),
                target,
                hash: m["sourceHash"].as_str().map(str::to_owned),
                plural: false,
                key,
            }
        })
        .collect();
    Ok(ParsedFile { format: Format::Json, source_locale: meta["sourceLocale"].as_str().map(str::to_owned), units })
}
