//! gettext PO (and POT), one file per target locale. Each unit is one entry: `msgctxt` is the
//! unit's key (so equal source texts stay separate entries), `msgid` the source with numbered
//! placeholders for inline codes, `msgstr` the translation; `#.` comments carry the field's label
//! and the source hash, `#, fuzzy` marks a translation to review.
//!
//! The reader is Chorus's own, not polib: polib parses from a path and reports no line numbers,
//! and an import report must give the line of every unit it flags. It follows the PO grammar
//! (gettext manual, "The Format of PO Files"): string continuations, C escapes, plural entries
//! (refused for this content), obsolete `#~` entries (skipped). `Plural-Forms` is parsed for its
//! shape and never evaluated.

use std::fmt::Write as _;

use super::blocks::Segment;
use super::{ExportFile, FileUnit, Format, ParsedFile, UnitState};
use crate::error::{AppError, AppResult};

fn quote(s: &str, out: &mut String) {
    // Long or multi-line strings are written as continuation lines, as gettext does.
    let escaped: String = s
        .chars()
        .map(|c| match c {
            '\\' => "\\\\".to_owned(),
            '"' => "\\\"".to_owned(),
            '\n' => "\\n".to_owned(),
            '\t' => "\\t".to_owned(),
            '\r' => "\\r".to_owned(),
            c if (c as u32) < 0x20 => String::new(),
            c => c.to_string(),
        })
        .collect();
    if !escaped.contains("\\n") || escaped.ends_with("\\n") && escaped.matches("\\n").count() == 1 {
        let _ = writeln!(out, "\"{escaped}\"");
        return;
    }
    out.push_str("\"\"\n");
    let mut rest = escaped.as_str();
    while let Some(i) = rest.find("\\n") {
        let _ = writeln!(out, "\"{}\"", &rest[..i + 2]);
        rest = &rest[i + 2..];
    }
    if !rest.is_empty() {
        let _ = writeln!(out, "\"{rest}\"");
    }
}

/// The PO file of an export (`template`: the POT, with empty translations).
pub fn write(file: &ExportFile, template: bool) -> Vec<u8> {
    let mut out = String::with_capacity(4096);
    let now = chrono::Utc::now().format("%Y-%m-%d %H:%M+0000");
    out.push_str("# Chorus translation file.\n# Keep msgctxt and the placeholders <1>…</1>, <2/> as they are.\n");
    out.push_str("msgid \"\"\nmsgstr \"\"\n");
    let language = if template { String::new() } else { file.target_locale.clone() };
    for line in [
        "Project-Id-Version: Chorus\\n".to_owned(),
        format!("POT-Creation-Date: {now}\\n"),
        format!("PO-Revision-Date: {now}\\n"),
        "Last-Translator: \\n".to_owned(),
        "Language-Team: \\n".to_owned(),
        format!("Language: {language}\\n"),
        "MIME-Version: 1.0\\n".to_owned(),
        "Content-Type: text/plain; charset=UTF-8\\n".to_owned(),
        "Content-Transfer-Encoding: 8bit\\n".to_owned(),
        format!("X-Chorus-Source-Language: {}\\n", file.source_locale),
    ] {
        let _ = writeln!(out, "\"{line}\"");
    }
    for u in file.units() {
        out.push('\n');
        let _ = writeln!(out, "#. {}", u.note.replace('\n', " "));
        let _ = writeln!(out, "#. source-hash: {}", u.hash);
        let _ = writeln!(out, "#: {}", u.key);
        let fuzzy = !template && u.target.is_some() && (u.outdated || u.state == Some(UnitState::Draft));
        if fuzzy {
            out.push_str("#, fuzzy\n");
        }
        out.push_str("msgctxt ");
        quote(&u.key, &mut out);
        out.push_str("msgid ");
        quote(&u.source.to_placeholders(), &mut out);
        out.push_str("msgstr ");
        let target =
            if template { String::new() } else { u.target.as_ref().map(Segment::to_placeholders).unwrap_or_default() };
        quote(&target, &mut out);
    }
    out.into_bytes()
}

#[derive(Default)]
struct Entry {
    line: u32,
    ctxt: Option<String>,
    id: Option<String>,
    plural: Option<String>,
    strs: Vec<(Option<usize>, String)>,
    fuzzy: bool,
    hash: Option<String>,
    /// `#:` references: Chorus writes the key there too, and tools that drop `msgctxt`
    /// (translate-toolkit's xliff2po) keep it.
    references: Vec<String>,
    obsolete: bool,
}

#[derive(Copy, Clone, PartialEq)]
enum Field {
    Ctxt,
    Id,
    Plural,
    Str(Option<usize>),
}

fn malformed(line: u32, msg: impl std::fmt::Display) -> AppError {
    AppError::MalformedFile(format!("line {line}: {msg}"))
}

/// A quoted PO string (`"…"`) with its escapes resolved.
fn unquote(s: &str, line: u32) -> AppResult<String> {
    let s = s.trim();
    let inner = s
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .filter(|_| s.len() >= 2)
        .ok_or_else(|| malformed(line, "an unterminated or unquoted string"))?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some('"') => out.push('"'),
                Some('\\') => out.push('\\'),
                Some('a') => out.push('\u{7}'),
                Some('b') => out.push('\u{8}'),
                Some('f') => out.push('\u{c}'),
                Some('v') => out.push('\u{b}'),
                Some(other) => return Err(malformed(line, format!("unknown escape \\{other}"))),
                None => return Err(malformed(line, "an unterminated string")),
            },
            '"' => return Err(malformed(line, "an unescaped quote inside a string")),
            c => out.push(c),
        }
    }
    Ok(out)
}

/// Checks a `Plural-Forms` header for its shape (`nplurals=N; plural=EXPR;`), never running it.
fn check_plural_forms(value: &str, line: u32) -> AppResult<()> {
    let bad = || malformed(line, "Plural-Forms: expected `nplurals=N; plural=EXPRESSION;`");
    let mut n = None;
    let mut expr = None;
    for part in value.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, v) = part.split_once('=').ok_or_else(bad)?;
        match k.trim() {
            "nplurals" => n = Some(v.trim().parse::<u32>().map_err(|_| bad())?),
            "plural" => expr = Some(v.trim().to_owned()),
            _ => return Err(bad()),
        }
    }
    let (Some(n), Some(expr)) = (n, expr) else { return Err(bad()) };
    if !(1..=6).contains(&n) {
        return Err(malformed(line, "Plural-Forms: nplurals must be between 1 and 6"));
    }
    let allowed = |c: char| c.is_ascii_digit() || c == 'n' || c.is_whitespace() || "()?:%<>=!&|+-*/".contains(c);
    if expr.len() > 200 || !expr.chars().all(allowed) || expr.matches('(').count() != expr.matches(')').count() {
        return Err(malformed(line, "Plural-Forms: the plural expression is not a C expression of n"));
    }
    Ok(())
}

/// Reads a PO file.
pub fn read(bytes: &[u8]) -> AppResult<ParsedFile> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = super::line_of(bytes, e.valid_up_to());
        AppError::MalformedFile(format!("line {line}: not UTF-8 (PO files from Chorus are UTF-8)"))
    })?;
    let text = text.trim_start_matches('\u{feff}');
    let mut entries: Vec<Entry> = Vec::new();
    let mut cur = Entry::default();
    let mut field: Option<Field> = None;
    let mut started = false;
    let flush = |cur: &mut Entry, entries: &mut Vec<Entry>, started: &mut bool| {
        if *started {
            entries.push(std::mem::take(cur));
        }
        *started = false;
    };
    for (i, raw) in text.lines().enumerate() {
        let line = i as u32 + 1;
        let l = raw.trim();
        if l.is_empty() {
            flush(&mut cur, &mut entries, &mut started);
            field = None;
            continue;
        }
        if let Some(rest) = l.strip_prefix("#~") {
            // Obsolete entries are skipped, whatever they hold.
            let _ = rest;
            if !started {
                cur.line = line;
                started = true;
            }
            cur.obsolete = true;
            continue;
        }
        if l.starts_with('#') {
            if started && field.is_some_and(|f| f != Field::Ctxt) && cur.id.is_some() {
                flush(&mut cur, &mut entries, &mut started);
                field = None;
            }
            if !started {
                cur.line = line;
                started = true;
            }
            if let Some(refs) = l.strip_prefix("#:") {
                cur.references.extend(refs.split_whitespace().map(str::to_owned));
            } else if let Some(flags) = l.strip_prefix("#,") {
                cur.fuzzy |= flags.split(',').any(|f| f.trim() == "fuzzy");
            } else if let Some(c) = l.strip_prefix("#.")
                && let Some(h) = c.trim().strip_prefix("source-hash:")
            {
                cur.hash = Some(h.trim().to_owned());
            }
            continue;
        }
        if l.starts_with('"') {
            let s = unquote(l, line)?;
            let slot = match field {
                Some(Field::Ctxt) => cur.ctxt.as_mut(),
                Some(Field::Id) => cur.id.as_mut(),
                Some(Field::Plural) => cur.plural.as_mut(),
                Some(Field::Str(_)) => cur.strs.last_mut().map(|(_, s)| s),
                None => None,
            };
            slot.ok_or_else(|| malformed(line, "a string continues no keyword"))?.push_str(&s);
            continue;
        }
        let (kw, rest) =
            l.split_once(|c: char| c.is_whitespace()).ok_or_else(|| malformed(line, "a keyword without a string"))?;
        let value = unquote(rest, line)?;
        // A new msgctxt or msgid after a msgstr begins the next entry.
        if matches!(kw, "msgctxt" | "msgid") && !cur.strs.is_empty() {
            flush(&mut cur, &mut entries, &mut started);
        }
        if !started {
            cur.line = line;
            started = true;
        }
        field = Some(match kw {
            "msgctxt" => {
                cur.ctxt = Some(value);
                Field::Ctxt
            }
            "msgid" => {
                cur.id = Some(value);
                Field::Id
            }
            "msgid_plural" => {
                cur.plural = Some(value);
                Field::Plural
            }
            "msgstr" => {
                cur.strs.push((None, value));
                Field::Str(None)
            }
            k if k.starts_with("msgstr[") && k.ends_with(']') => {
                let n: usize =
                    k[7..k.len() - 1].parse().map_err(|_| malformed(line, format!("a bad plural index in {k}")))?;
                cur.strs.push((Some(n), value));
                Field::Str(Some(n))
            }
            other => return Err(malformed(line, format!("unknown keyword {}", crate::error::echo_input(other, 20)))),
        });
    }
    flush(&mut cur, &mut entries, &mut started);

    let mut units = Vec::new();
    let mut language = None;
    let mut source_locale = None;
    for e in entries {
        if e.obsolete {
            continue;
        }
        let Some(id) = e.id else {
            if e.ctxt.is_some() || !e.strs.is_empty() {
                return Err(malformed(e.line, "an entry without msgid"));
            }
            continue;
        };
        if e.strs.is_empty() {
            return Err(malformed(e.line, "an entry without msgstr"));
        }
        if id.is_empty() && e.ctxt.is_none() {
            // The header.
            let header = &e.strs[0].1;
            for (k, v) in header.lines().filter_map(|l| l.split_once(':')) {
                let v = v.trim();
                match k.trim() {
                    "Language" if !v.is_empty() => language = Some(v.replace('_', "-")),
                    "X-Chorus-Source-Language" if !v.is_empty() => source_locale = Some(v.to_owned()),
                    "Plural-Forms" => check_plural_forms(v, e.line)?,
                    "Content-Type" => {
                        let charset = v.split("charset=").nth(1).map(|c| c.trim().to_ascii_lowercase());
                        if charset.as_deref().is_some_and(|c| c != "utf-8" && c != "charset") {
                            return Err(malformed(e.line, "Content-Type: the charset must be UTF-8"));
                        }
                    }
                    _ => {}
                }
            }
            continue;
        }
        let plural = e.plural.is_some() || e.strs.iter().any(|(n, _)| n.is_some());
        let target = e.strs.first().map(|(_, s)| s.clone()).filter(|s| !s.is_empty());
        let key = match e.ctxt {
            Some(c) => c,
            None => e
                .references
                .iter()
                .find(|r| super::export::parse_key(r).is_some())
                .cloned()
                .unwrap_or_else(|| e.references.first().cloned().unwrap_or_default()),
        };
        units.push(FileUnit {
            key,
            line: e.line,
            locale: None,
            source: Some(Segment::from_placeholders(&id)),
            state: target.as_ref().map(|_| if e.fuzzy { UnitState::Draft } else { UnitState::Translated }),
            target: target.map(|t| Segment::from_placeholders(&t)),
            hash: e.hash,
            plural,
        });
    }
    for u in &mut units {
        u.locale = language.clone();
    }
    Ok(ParsedFile { format: Format::Po, source_locale, units })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_entries_with_lines_flags_and_continuations() {
        let po = "msgid \"\"\nmsgstr \"\"\n\"Language: pt_BR\\n\"\n\"Plural-Forms: nplurals=2; plural=(n > 1);\\n\"\n\n#. source-hash: abc\n#, fuzzy\nmsgctxt \"resource/1/title\"\nmsgid \"Title\"\nmsgstr \"\"\n\"Tí\\\"tu\\n\"\n\"lo\"\n\n#~ msgid \"old\"\n#~ msgstr \"velho\"\n\nmsgctxt \"resource/1/summary\"\nmsgid \"A\"\nmsgstr \"\"\n";
        let p = read(po.as_bytes()).unwrap();
        assert_eq!(p.units.len(), 2);
        let u = &p.units[0];
        assert_eq!(
            (u.key.as_str(), u.line, u.locale.as_deref(), u.hash.as_deref()),
            ("resource/1/title", 6, Some("pt-BR"), Some("abc"))
        );
        assert_eq!((u.target.as_ref().unwrap().plain(), u.state), ("Tí\"tu\nlo".to_owned(), Some(UnitState::Draft)));
        assert!(p.units[1].target.is_none());
    }

    #[test]
    fn malformed_files_name_their_line() {
        for (po, line, what) in [
            ("msgid \"a\nmsgstr \"b\"\n", 1, "unterminated"),
            ("msgid \"a\"\nmsgstr \"b\\q\"\n", 2, "escape"),
            ("msgid \"\"\nmsgstr \"Plural-Forms: nplurals=2; plural=system(1);\\n\"\n", 1, "Plural-Forms"),
            ("msgid \"\"\nmsgstr \"Plural-Forms: nplurals=99; plural=n;\\n\"\n", 1, "nplurals"),
            ("msgid \"\"\nmsgstr \"Content-Type: text/plain; charset=ISO-8859-1\\n\"\n", 1, "UTF-8"),
            ("\n\nmsgid \"a\"\n", 3, "without msgstr"),
            ("msgid \"a\"\nmsgfoo \"b\"\n", 2, "unknown keyword"),
        ] {
            let err = read(po.as_bytes()).unwrap_err().to_string();
            assert!(err.contains(&format!("line {line}:")) && err.contains(what), "{po:?}: {err}");
        }
        let err = read(b"msgid \"\xff\"\nmsgstr \"\"\n").unwrap_err();
        assert_eq!(err.code().as_str(), "MALFORMED_FILE");
    }
}
