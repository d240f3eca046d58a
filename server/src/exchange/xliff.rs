//! XLIFF 1.2 and 2.0, written by hand and read with quick-xml (no maintained XLIFF crate
//! exists). The reader refuses what a parser must never act on (DOCTYPE and entity declarations,
//! floods of attributes, deep nesting) and knows only XML's predefined entities.
//!
//! Inline codes: 1.2 `<g>` (paired) and `<x/>` (empty), also reading `<bx/>`/`<ex/>`,
//! `<bpt>`/`<ept>` and `<ph>`; 2.0 `<pc>` and `<ph/>`, also reading `<sc/>`/`<ec/>`. Their markup
//! stays in Chorus; a file only ever carries their numbers and a display hint.

use std::borrow::Cow;
use std::fmt::Write as _;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::blocks::{InlineCode, Part, Segment};
use super::{ExportFile, ExportUnit, FileUnit, Format, ParsedFile, ReadLimits, UnitState};
use crate::error::{AppError, AppResult};

/// The XLIFF 1.2 context type (a user-defined `x-` value) that carries a unit's source hash.
/// Files exported before it carry the hash as a `chorus:source-hash` attribute, still read.
const HASH_CONTEXT: &str = "x-chorus-source-hash";
/// XLIFF 2.0's metadata module, for the source hash.
const MDA_NS: &str = "urn:oasis:names:tc:xliff:metadata:2.0";

/// Text XML 1.0 can carry: control characters other than tab and line ends are left out.
fn xml_chars(s: &str) -> Cow<'_, str> {
    let bad = |c: char| (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r');
    if s.chars().any(bad) { Cow::Owned(s.chars().filter(|c| !bad(*c)).collect()) } else { Cow::Borrowed(s) }
}

/// `xml_chars`, then escaped by `escaper` (borrowing when nothing changes).
fn escaped<'a>(s: &'a str, escaper: fn(&str) -> Cow<'_, str>) -> Cow<'a, str> {
    let clean = xml_chars(s);
    match escaper(clean.as_ref()) {
        Cow::Borrowed(_) => clean,
        Cow::Owned(o) => Cow::Owned(o),
    }
}

/// Text escaped for XML content (`&`, `<`, `>`; quotes stay as they are, as translators read
/// them).
fn text_esc(s: &str) -> Cow<'_, str> {
    escaped(s, |t| quick_xml::escape::partial_escape(t))
}

/// Text escaped for XML attributes (quotes too).
fn esc(s: &str) -> Cow<'_, str> {
    escaped(s, |t| quick_xml::escape::escape(t))
}

fn ctype_12(code: &InlineCode) -> String {
    match code.name.as_str() {
        "strong" | "" => "bold".into(),
        "em" | "i" => "italic".into(),
        "u" => "underlined".into(),
        "a" => "link".into(),
        "img" => "image".into(),
        "br" => "l".into(),
        other => format!("x-html-{other}"),
    }
}

fn code_of(unit: &ExportUnit, id: u32) -> Option<&InlineCode> {
    unit.codes.iter().find(|c| c.id == id)
}

fn segment_12(unit: &ExportUnit, seg: &Segment, out: &mut String) {
    for p in &seg.0 {
        match p {
            Part::Text(t) => out.push_str(&text_esc(t)),
            Part::Open(id) => {
                let ctype = code_of(unit, *id).map(ctype_12).unwrap_or_else(|| "x-html".into());
                let _ = write!(out, "<g id=\"{id}\" ctype=\"{ctype}\">");
            }
            Part::Close(_) => out.push_str("</g>"),
            Part::Empty(id) => {
                let ctype = code_of(unit, *id).map(ctype_12).unwrap_or_else(|| "x-html".into());
                let _ = write!(out, "<x id=\"{id}\" ctype=\"{ctype}\"/>");
            }
        }
    }
}

fn disp(code: Option<&InlineCode>, close: bool) -> String {
    let name = code.map(|c| c.name.as_str()).unwrap_or("x");
    esc(&if close { format!("</{name}>") } else { format!("<{name}>") }).into_owned()
}

fn segment_20(unit: &ExportUnit, seg: &Segment, out: &mut String) {
    for p in &seg.0 {
        match p {
            Part::Text(t) => out.push_str(&text_esc(t)),
            Part::Open(id) => {
                let c = code_of(unit, *id);
                let ty = if c.is_some_and(|c| c.name == "a") { "link" } else { "fmt" };
                let _ = write!(
                    out,
                    "<pc id=\"{id}\" type=\"{ty}\" canDelete=\"no\" dispStart=\"{}\" dispEnd=\"{}\">",
                    disp(c, false),
                    disp(c, true)
                );
            }
            Part::Close(_) => out.push_str("</pc>"),
            Part::Empty(id) => {
                let c = code_of(unit, *id);
                let ty = if c.is_some_and(|c| c.name == "img") { "image" } else { "fmt" };
                let _ = write!(out, "<ph id=\"{id}\" type=\"{ty}\" canDelete=\"no\" disp=\"{}\"/>", disp(c, false));
            }
        }
    }
}

/// An XLIFF 1.2 document: one `<file>` per item, one `<trans-unit>` per unit.
pub fn write_12(file: &ExportFile) -> Vec<u8> {
    let mut out = String::with_capacity(4096);
    let _ = write!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<xliff version=\"1.2\" xmlns=\"urn:oasis:names:tc:xliff:document:1.2\">\n"
    );
    let (src, trg) = (esc(&file.source_locale), esc(&file.target_locale));
    for item in &file.items {
        let _ = write!(
            out,
            " <file original=\"{}\" source-language=\"{src}\" target-language=\"{trg}\" datatype=\"html\">\n  <header>\n   <tool tool-id=\"chorus\" tool-name=\"Chorus\"/>\n   <note>{}</note>\n  </header>\n  <body>\n",
            esc(&item.key),
            esc(&item.title)
        );
        for u in &item.units {
            let _ =
                write!(out, "   <trans-unit id=\"{}\" resname=\"{}\" xml:space=\"preserve\"", esc(&u.key), esc(&u.key));
            if let Some(max) = u.max_chars {
                let _ = write!(out, " maxwidth=\"{max}\" size-unit=\"char\"");
            }
            if u.state == Some(UnitState::Final) && !u.outdated {
                out.push_str(" approved=\"yes\"");
            }
            out.push_str(">\n    <source>");
            segment_12(u, &u.source, &mut out);
            out.push_str("</source>\n");
            if let Some(t) = &u.target {
                let state = match (u.outdated, u.state) {
                    (true, _) => "needs-review-translation",
                    (false, Some(UnitState::Final)) => "final",
                    (false, Some(UnitState::Draft)) => "needs-translation",
                    _ => "translated",
                };
                let _ = write!(out, "    <target state=\"{state}\">");
                segment_12(u, t, &mut out);
                out.push_str("</target>\n");
            }
            // The key as the unit's location, the hash as a context of its own (XLIFF 1.2 strict
            // allows no attributes of another namespace without their schema) and in a developer
            // note as well: tools that convert XLIFF to PO (translate-toolkit's xliff2po) keep
            // the location and the note as `#:` and `#.`.
            let _ = writeln!(
                out,
                "    <context-group purpose=\"location\"><context context-type=\"sourcefile\">{}</context><context context-type=\"{HASH_CONTEXT}\">{}</context></context-group>\n    <note from=\"developer\">{}\nsource-hash: {}</note>\n   </trans-unit>",
                text_esc(&u.key),
                text_esc(&u.hash),
                text_esc(&u.note),
                text_esc(&u.hash)
            );
        }
        out.push_str("  </body>\n </file>\n");
    }
    out.push_str("</xliff>\n");
    out.into_bytes()
}

/// An XLIFF 2.0 document: one `<file>` per item, one `<unit>` (one segment) per unit. Unit ids
/// are NMTOKENs there, so the key (with its slashes) is the unit's `name`.
pub fn write_20(file: &ExportFile) -> Vec<u8> {
    let mut out = String::with_capacity(4096);
    let _ = write!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<xliff xmlns=\"urn:oasis:names:tc:xliff:document:2.0\" xmlns:mda=\"{MDA_NS}\" version=\"2.0\" srcLang=\"{}\" trgLang=\"{}\">\n",
        esc(&file.source_locale),
        esc(&file.target_locale)
    );
    for item in &file.items {
        let _ = write!(
            out,
            " <file id=\"{}\" original=\"{}\">\n  <notes><note category=\"title\">{}</note></notes>\n",
            esc(&item.key.replace('/', ".")),
            esc(&item.key),
            esc(&item.title)
        );
        for u in &item.units {
            let _ = write!(
                out,
                "  <unit id=\"{}\" name=\"{}\">\n   <mda:metadata><mda:metaGroup category=\"chorus\"><mda:meta type=\"source-hash\">{}</mda:meta></mda:metaGroup></mda:metadata>\n   <notes><note category=\"field\">{}</note></notes>\n",
                esc(&u.key.replace('/', ".")),
                esc(&u.key),
                esc(&u.hash),
                esc(&u.note)
            );
            let state = match (&u.target, u.outdated, u.state) {
                (None, ..) | (_, true, _) => "initial",
                (_, false, Some(UnitState::Final)) => "final",
                (_, false, Some(UnitState::Draft)) => "initial",
                _ => "translated",
            };
            let _ = write!(out, "   <segment state=\"{state}\">\n    <source xml:space=\"preserve\">");
            segment_20(u, &u.source, &mut out);
            out.push_str("</source>\n");
            if let Some(t) = &u.target {
                out.push_str("    <target xml:space=\"preserve\">");
                segment_20(u, t, &mut out);
                out.push_str("</target>\n");
            }
            out.push_str("   </segment>\n  </unit>\n");
        }
        out.push_str(" </file>\n");
    }
    out.push_str("</xliff>\n");
    out.into_bytes()
}

/// Where the reader is.
#[derive(Default)]
struct State {
    version: Option<Format>,
    /// 2.0's `trgLang`, or 1.2's current `<file target-language>`.
    target_lang: Option<String>,
    source_lang: Option<String>,
    unit: Option<FileUnit>,
    /// 2.0: the unit's segments' states (the lowest counts).
    segment_state: Option<UnitState>,
    /// Inside `<source>` or `<target>`: the parts gathered and the open paired codes.
    capture: Option<(bool, Vec<Part>, Vec<u32>)>,
    /// Inside an element whose content is native code (1.2 `<bpt>`, `<ph>`...), to skip.
    skip: usize,
    in_hash: bool,
    hash_text: String,
    /// Inside a unit's `<context>` or `<note>`: what translation tools keep there (the key
    /// as a `sourcefile` context, the hash in a note, when a file went through translate-toolkit).
    aside: Option<(bool, String)>,
    sourcefile: Option<String>,
    notes: String,
}

fn utf8(bytes: &[u8], line: u32) -> AppResult<&str> {
    std::str::from_utf8(bytes).map_err(|_| AppError::MalformedFile(format!("line {line}: not UTF-8")))
}

fn local(name: &str) -> &str {
    match name.rfind(':') {
        Some(i) => &name[i + 1..],
        None => name,
    }
}

fn attrs(e: &BytesStart, limits: &ReadLimits, line: u32) -> AppResult<Vec<(String, String)>> {
    let mut out = Vec::new();
    for a in e.attributes().with_checks(true) {
        if out.len() >= limits.max_attributes {
            return Err(AppError::UnsafeFile(format!(
                "line {line}: more than {} attributes on one element",
                limits.max_attributes
            )));
        }
        let a = a.map_err(|err| AppError::MalformedFile(format!("line {line}: {err}")))?;
        let key = utf8(a.key.as_ref(), line)?.to_owned();
        let value = a
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|err| AppError::MalformedFile(format!("line {line}: attribute {key}: {err}")))?
            .into_owned();
        out.push((key, value));
    }
    Ok(out)
}

fn attr<'a>(attrs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn code_id(attrs: &[(String, String)], name: &str) -> u32 {
    // A code id that is not a number Chorus wrote can match nothing: the unit is then refused
    // for its codes, never guessed at.
    attr(attrs, name).and_then(|v| v.parse().ok()).unwrap_or(u32::MAX)
}

fn state_12(target_state: Option<&str>, approved: bool) -> UnitState {
    if approved {
        return UnitState::Final;
    }
    match target_state {
        Some("final" | "signed-off") => UnitState::Final,
        Some("translated") | None => UnitState::Translated,
        // new, needs-translation, needs-adaptation, needs-l10n, needs-review-*.
        Some(_) => UnitState::Draft,
    }
}

fn state_20(s: Option<&str>) -> UnitState {
    match s {
        Some("final") => UnitState::Final,
        Some("translated" | "reviewed") => UnitState::Translated,
        Some(_) => UnitState::Draft,
        // The default state of a segment is `initial`.
        None => UnitState::Draft,
    }
}

/// A reader that counts the lines of what is consumed, keeps the bytes consumed since the
/// start of the current event (for the line of an error inside it), and refuses NUL bytes.
struct Counted<R> {
    inner: R,
    consumed: usize,
    newlines: u32,
    mark_offset: usize,
    mark_line: u32,
    since_mark: Vec<u8>,
    /// The line of a NUL byte met.
    nul: Option<u32>,
    /// Bytes looked at for NUL so far.
    scanned: usize,
}

impl<R: std::io::BufRead> Counted<R> {
    fn new(inner: R) -> Self {
        Counted {
            inner,
            consumed: 0,
            newlines: 0,
            mark_offset: 0,
            mark_line: 1,
            since_mark: Vec::new(),
            nul: None,
            scanned: 0,
        }
    }

    /// An event starts at `offset` (everything before it is consumed).
    fn mark(&mut self, offset: usize) {
        self.mark_offset = offset.min(self.consumed);
        self.mark_line = self.newlines + 1;
        self.since_mark.clear();
    }

    /// The 1-based line of `offset`, at or after the current event's start.
    fn line_at(&self, offset: usize) -> u32 {
        match offset.checked_sub(self.mark_offset) {
            Some(d) if d <= self.since_mark.len() => {
                self.mark_line + self.since_mark[..d].iter().filter(|b| **b == b'\n').count() as u32
            }
            _ => self.newlines + 1,
        }
    }
}

impl<R: std::io::BufRead> std::io::Read for Counted<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        use std::io::BufRead;
        let n = {
            let buf = self.fill_buf()?;
            let n = buf.len().min(out.len());
            out[..n].copy_from_slice(&buf[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl<R: std::io::BufRead> std::io::BufRead for Counted<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        let buf = self.inner.fill_buf()?;
        // Each byte is looked at once (a slice's buffer is the whole rest of the file).
        let from = self.scanned.saturating_sub(self.consumed).min(buf.len());
        if let Some(p) = buf[from..].iter().position(|b| *b == 0) {
            let p = from + p;
            self.nul = Some(self.newlines + buf[..p].iter().filter(|b| **b == b'\n').count() as u32 + 1);
            return Err(std::io::Error::other("a NUL byte"));
        }
        self.scanned = self.consumed + buf.len();
        Ok(buf)
    }

    fn consume(&mut self, amt: usize) {
        if amt == 0 {
            return;
        }
        if let Ok(buf) = self.inner.fill_buf() {
            let taken = &buf[..amt.min(buf.len())];
            self.newlines += taken.iter().filter(|b| **b == b'\n').count() as u32;
            self.since_mark.extend_from_slice(taken);
        }
        self.consumed += amt;
        self.inner.consume(amt);
    }
}

/// Reads an XLIFF 1.2 or 2.0 document from bytes in memory or as it streams from a file (a
/// staged upload): what is kept is the units, never the file.
pub fn read<R: std::io::BufRead>(input: R, limits: ReadLimits) -> AppResult<ParsedFile> {
    let mut reader = Reader::from_reader(Counted::new(input));
    let mut buf = Vec::new();
    let mut st = State::default();
    let mut units = Vec::new();
    let mut depth = 0usize;
    let mut seen_root = false;
    loop {
        let before = reader.buffer_position() as usize;
        reader.get_mut().mark(before);
        let event = reader.read_event_into(&mut buf);
        let line = reader.get_ref().line_at(before);
        let event = match event {
            Ok(e) => e,
            Err(err) => {
                if let Some(at) = reader.get_ref().nul {
                    return Err(AppError::MalformedFile(format!(
                        "line {at}: a NUL byte; translation files are UTF-8 text"
                    )));
                }
                let at = reader.get_ref().line_at(reader.error_position() as usize);
                return Err(AppError::MalformedFile(format!("line {at}: {err}")));
            }
        };
        match event {
            Event::DocType(_) => {
                return Err(AppError::UnsafeFile(format!(
                    "line {line}: DOCTYPE declarations are not accepted (entities could be declared in them)"
                )));
            }
            Event::Decl(d) => {
                if let Some(Ok(enc)) = d.encoding() {
                    let enc = String::from_utf8_lossy(&enc).to_ascii_lowercase();
                    if enc != "utf-8" && enc != "utf8" {
                        return Err(AppError::MalformedFile(format!(
                            "line {line}: encoding {enc}: translation files must be UTF-8"
                        )));
                    }
                }
            }
            Event::Start(e) => {
                depth += 1;
                if depth > limits.max_depth {
                    return Err(AppError::UnsafeFile(format!(
                        "line {line}: elements nested deeper than {}",
                        limits.max_depth
                    )));
                }
                let a = attrs(&e, &limits, line)?;
                let name = local(utf8(e.name().as_ref(), line)?).to_owned();
                if !seen_root {
                    seen_root = true;
                    if name != "xliff" {
                        return Err(AppError::UnsupportedFileFormat("the root element is not <xliff>".into()));
                    }
                }
                start(&mut st, &name, &a, line, false)?;
            }
            Event::Empty(e) => {
                let a = attrs(&e, &limits, line)?;
                let name = local(utf8(e.name().as_ref(), line)?).to_owned();
                start(&mut st, &name, &a, line, true)?;
                end(&mut st, &name, &mut units, true);
            }
            Event::End(e) => {
                depth = depth.saturating_sub(1);
                let name = local(utf8(e.name().as_ref(), line)?).to_owned();
                end(&mut st, &name, &mut units, false);
            }
            Event::Text(t) => {
                let s = t.xml10_content().map_err(|err| AppError::MalformedFile(format!("line {line}: {err}")))?;
                text(&mut st, &s);
            }
            Event::CData(t) => {
                let s = t.xml10_content().map_err(|err| AppError::MalformedFile(format!("line {line}: {err}")))?;
                text(&mut st, &s);
            }
            Event::GeneralRef(r) => {
                let name = utf8(&r, line)?;
                let c = if r.is_char_ref() {
                    r.resolve_char_ref()
                        .map_err(|err| AppError::MalformedFile(format!("line {line}: &{name};: {err}")))?
                        .map(String::from)
                } else {
                    quick_xml::escape::resolve_predefined_entity(name).map(str::to_owned)
                };
                let Some(c) = c else {
                    return Err(AppError::MalformedFile(format!(
                        "line {line}: &{};: only XML's predefined entities are known",
                        crate::error::echo_input(name, 40)
                    )));
                };
                text(&mut st, &c);
            }
            Event::Eof => break,
            Event::Comment(_) | Event::PI(_) => {}
        }
        buf.clear();
        if units.len() > limits.max_units {
            return Err(AppError::MalformedFile(format!("more than {} units", limits.max_units)));
        }
    }
    let format = st.version.ok_or_else(|| AppError::UnsupportedFileFormat("no <xliff> element".into()))?;
    Ok(ParsedFile { format, source_locale: st.source_lang, units })
}

fn text(st: &mut State, s: &str) {
    if st.skip > 0 {
        return;
    }
    if let Some((_, t)) = &mut st.aside {
        t.push_str(s);
    }
    if st.in_hash {
        st.hash_text.push_str(s);
    }
    if let Some((_, parts, _)) = &mut st.capture {
        match parts.last_mut() {
            Some(Part::Text(t)) => t.push_str(s),
            _ => parts.push(Part::Text(s.to_owned())),
        }
    }
}

fn start(st: &mut State, name: &str, a: &[(String, String)], line: u32, empty: bool) -> AppResult<()> {
    if st.skip > 0 {
        if !empty {
            st.skip += 1;
        }
        return Ok(());
    }
    let v20 = st.version == Some(Format::Xliff20);
    if let Some((_, parts, open)) = &mut st.capture {
        match (v20, name) {
            (false, "g") | (true, "pc") => {
                let id = code_id(a, "id");
                parts.push(Part::Open(id));
                if empty {
                    parts.push(Part::Close(id));
                } else {
                    open.push(id);
                }
            }
            (false, "bx") | (true, "sc") => parts.push(Part::Open(code_id(a, "id"))),
            (false, "ex") => parts.push(Part::Close(code_id(a, "rid"))),
            (true, "ec") => parts.push(Part::Close(code_id(a, "startRef"))),
            (false, "x") | (true, "ph") => parts.push(Part::Empty(code_id(a, "id"))),
            (false, "bpt") => {
                parts.push(Part::Open(code_id(a, "id")));
                st.skip = usize::from(!empty);
            }
            (false, "ept") => {
                let id = attr(a, "rid").or(attr(a, "id")).and_then(|v| v.parse().ok()).unwrap_or(u32::MAX);
                parts.push(Part::Close(id));
                st.skip = usize::from(!empty);
            }
            (false, "ph" | "it") => {
                parts.push(Part::Empty(code_id(a, "id")));
                st.skip = usize::from(!empty);
            }
            (true, "cp") => {
                let c = attr(a, "hex").and_then(|h| u32::from_str_radix(h, 16).ok()).and_then(char::from_u32);
                if let Some(c) = c {
                    text(st, &c.to_string());
                }
            }
            // `<mrk>`, `<sm/>`, `<em/>` and anything else: annotations around text, kept out.
            _ => {}
        }
        return Ok(());
    }
    match name {
        "xliff" => {
            let version = attr(a, "version").unwrap_or("");
            st.version = Some(if version.starts_with('2') {
                st.source_lang = attr(a, "srcLang").map(str::to_owned);
                st.target_lang = attr(a, "trgLang").map(str::to_owned);
                Format::Xliff20
            } else if version.starts_with("1.") || version.is_empty() {
                Format::Xliff12
            } else {
                return Err(AppError::UnsupportedFileFormat(format!(
                    "XLIFF version {}: Chorus reads 1.x and 2.x",
                    crate::error::echo_input(version, 10)
                )));
            });
        }
        "file" if !v20 => {
            if let Some(s) = attr(a, "source-language") {
                st.source_lang = Some(s.to_owned());
            }
            st.target_lang = attr(a, "target-language").map(str::to_owned);
        }
        "context" if st.unit.is_some() && !v20 && attr(a, "context-type") == Some(HASH_CONTEXT) => {
            st.in_hash = !empty;
            st.hash_text.clear();
        }
        "context" | "note" if st.unit.is_some() && !v20 => {
            let sourcefile = name == "context" && attr(a, "context-type") == Some("sourcefile");
            st.aside = (!empty).then(|| (sourcefile, String::new()));
        }
        "trans-unit" if !v20 => {
            // translate-toolkit's po2xliff writes the PO header as a unit of its own.
            if attr(a, "restype") == Some("x-gettext-domain-header") {
                st.skip = usize::from(!empty);
                return Ok(());
            }
            st.sourcefile = None;
            st.notes.clear();
            let key = attr(a, "resname").or(attr(a, "id")).unwrap_or("").to_owned();
            let approved = attr(a, "approved") == Some("yes");
            st.unit = Some(FileUnit {
                key,
                line,
                locale: st.target_lang.clone(),
                hash: attr(a, "chorus:source-hash").map(str::to_owned),
                state: approved.then_some(UnitState::Final),
                ..Default::default()
            });
        }
        "unit" if v20 => {
            let key = match attr(a, "name") {
                Some(n) => n.to_owned(),
                None => attr(a, "id").unwrap_or("").replace('.', "/"),
            };
            st.unit = Some(FileUnit { key, line, locale: st.target_lang.clone(), ..Default::default() });
            st.segment_state = None;
        }
        "segment" if v20 => {
            let s = state_20(attr(a, "state"));
            st.segment_state = Some(st.segment_state.map_or(s, |old| old.min(s)));
        }
        "meta" if v20 && attr(a, "type") == Some("source-hash") => {
            st.in_hash = !empty;
            st.hash_text.clear();
        }
        // The source text is Chorus's own: an import never reads it back (less to hold for a
        // large file).
        "source" if st.unit.is_some() => st.skip = usize::from(!empty),
        "target" if st.unit.is_some() => {
            if !v20 {
                let approved = st.unit.as_ref().and_then(|u| u.state) == Some(UnitState::Final);
                if let Some(u) = &mut st.unit {
                    u.state = Some(state_12(attr(a, "state"), approved));
                }
            }
            st.capture = Some((true, Vec::new(), Vec::new()));
        }
        _ => {}
    }
    Ok(())
}

fn end(st: &mut State, name: &str, units: &mut Vec<FileUnit>, empty: bool) {
    if st.skip > 0 {
        if !empty {
            st.skip -= 1;
        }
        return;
    }
    let v20 = st.version == Some(Format::Xliff20);
    if let Some((is_target, parts, open)) = &mut st.capture {
        match name {
            "source" | "target" => {
                // Numbered placeholders in the text (`<1>…</1>`, as PO carries them) are codes
                // too: a PO file converted to XLIFF by a tool (po2xliff) has them as text.
                let seg = Segment(
                    std::mem::take(parts)
                        .into_iter()
                        .flat_map(|p| match p {
                            Part::Text(t) if t.contains('<') => Segment::from_placeholders(&t).0,
                            p => vec![p],
                        })
                        .collect(),
                );
                let is_target = *is_target;
                st.capture = None;
                if let Some(u) = &mut st.unit {
                    let slot = if is_target { &mut u.target } else { &mut u.source };
                    // 2.0 units with several segments: their texts follow each other. A 1.2 unit
                    // has one target; should a file carry more, the last one counts.
                    match slot {
                        Some(existing) if v20 => existing.0.extend(seg.0),
                        _ => *slot = Some(seg),
                    }
                }
            }
            "g" | "pc" if !empty => {
                if let Some(id) = open.pop() {
                    parts.push(Part::Close(id));
                }
            }
            _ => {}
        }
        return;
    }
    match name {
        "context" | "note" if st.aside.is_some() => {
            if let Some((sourcefile, t)) = st.aside.take() {
                if sourcefile {
                    st.sourcefile = Some(t.trim().to_owned());
                } else {
                    st.notes.push_str(&t);
                    st.notes.push('\n');
                }
            }
        }
        "meta" | "context" if st.in_hash => {
            st.in_hash = false;
            if let Some(u) = &mut st.unit {
                u.hash = Some(st.hash_text.trim().to_owned());
            }
        }
        "trans-unit" | "unit" => {
            if let Some(mut u) = st.unit.take() {
                // A file that went through translate-toolkit keeps the key as the unit's source
                // file and the hash in a note.
                if super::export::parse_key(&u.key).is_none()
                    && let Some(key) = st.sourcefile.take().filter(|k| super::export::parse_key(k).is_some())
                {
                    u.key = key;
                }
                if u.hash.is_none() {
                    u.hash = st
                        .notes
                        .lines()
                        .find_map(|l| l.trim().strip_prefix("source-hash:"))
                        .map(|h| h.trim().to_owned());
                }
                if v20 {
                    u.state = st.segment_state.take();
                }
                if u.target.is_some() && u.state.is_none() {
                    u.state = Some(UnitState::Translated);
                }
                units.push(u);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_documents_are_refused_with_their_reason() {
        let limits = ReadLimits::default();
        let cases: Vec<(String, &str)> = vec![
            (
                "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;&a;\">]><xliff version=\"1.2\"><file><body><trans-unit id=\"k\"><source>&b;</source></trans-unit></body></file></xliff>".into(),
                "UNSAFE_FILE",
            ),
            (
                "<?xml version=\"1.0\"?><!DOCTYPE x SYSTEM \"file:///etc/passwd\"><xliff version=\"1.2\"/>".into(),
                "UNSAFE_FILE",
            ),
            ("<xliff version=\"1.2\"><file><body><trans-unit id=\"k\"><source>&xxe;</source></trans-unit></body></file></xliff>".into(), "MALFORMED_FILE"),
            (format!("<xliff version=\"1.2\">{}</xliff>", "<g>".repeat(100)), "UNSAFE_FILE"),
            (format!("<xliff version=\"1.2\" {}/>", (0..100).map(|i| format!("a{i}=\"x\"")).collect::<Vec<_>>().join(" ")), "UNSAFE_FILE"),
            ("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><xliff version=\"1.2\"/>".into(), "MALFORMED_FILE"),
            ("<xliff version=\"1.2\"><file><body><trans-unit id=\"k\"><source>a</target></trans-unit></body></file></xliff>".into(), "MALFORMED_FILE"),
            ("<xliff version=\"1.2\" a=\"1\" a=\"2\"/>".into(), "MALFORMED_FILE"),
            ("<xliff version=\"3.0\"/>".into(), "UNSUPPORTED_FILE_FORMAT"),
        ];
        for (doc, code) in cases {
            let err = read(doc.as_bytes(), limits).unwrap_err();
            assert_eq!(err.code().as_str(), code, "{doc}: {err}");
        }
    }

    #[test]
    fn reads_inline_codes_of_both_versions() {
        let v12 = r#"<xliff version="1.2"><file target-language="fr"><body><trans-unit id="x" resname="resource/1/body/a"><source>a</source><target state="signed-off">Les <g id="1">droits</g> <x id="2"/> <bpt id="3">&lt;b&gt;</bpt>x<ept id="3">&lt;/b&gt;</ept> &amp; &#x263A;</target></trans-unit></body></file></xliff>"#;
        let p = read(v12.as_bytes(), ReadLimits::default()).unwrap();
        let u = &p.units[0];
        assert_eq!(
            (u.key.as_str(), u.locale.as_deref(), u.state),
            ("resource/1/body/a", Some("fr"), Some(UnitState::Final))
        );
        assert_eq!(u.target.as_ref().unwrap().to_placeholders(), "Les <1>droits</1> <2/> <3>x</3> & \u{263a}");
        let v20 = r#"<xliff xmlns="urn:oasis:names:tc:xliff:document:2.0" version="2.0" srcLang="en" trgLang="ru"><file id="f"><unit id="u1" name="resource/1/title"><mda:metadata xmlns:mda="urn:oasis:names:tc:xliff:metadata:2.0"><mda:metaGroup><mda:meta type="source-hash">abc</mda:meta></mda:metaGroup></mda:metadata><segment state="reviewed"><source>A</source><target>Б <pc id="1">в</pc><ph id="2"/><sc id="3"/>г<ec startRef="3"/><cp hex="263A"/></target></segment></unit></file></xliff>"#;
        let p = read(v20.as_bytes(), ReadLimits::default()).unwrap();
        let u = &p.units[0];
        assert_eq!(
            (u.hash.as_deref(), u.state, u.locale.as_deref()),
            (Some("abc"), Some(UnitState::Translated), Some("ru"))
        );
        assert_eq!(u.target.as_ref().unwrap().to_placeholders(), "Б <1>в</1><2/><3>г</3>\u{263a}");
    }

    /// Read as it streams through a tiny buffer (every boundary falls inside a tag, a
    /// character or a line): the same units, lines and errors as from memory.
    #[test]
    fn streamed_reading_matches_reading_from_memory() {
        let doc = "<?xml version=\"1.0\"?>\n<xliff version=\"1.2\">\n<file target-language=\"ru\"><body>\n\
            <trans-unit id=\"a\" resname=\"resource/1/title\">\n<source>A</source>\n<target>Права <g id=\"1\">секс</g>-работников</target>\n</trans-unit>\n\
            <trans-unit id=\"b\" resname=\"resource/1/summary\"><source>B</source>\n\n<target>性工作者 🙂</target></trans-unit>\n</body></file></xliff>\n";
        let limits = ReadLimits::default();
        let whole = read(doc.as_bytes(), limits).unwrap();
        for capacity in [1, 3, 7, 64] {
            let streamed = read(std::io::BufReader::with_capacity(capacity, doc.as_bytes()), limits).unwrap();
            let view = |p: &ParsedFile| {
                p.units
                    .iter()
                    .map(|u| (u.key.clone(), u.line, u.target.as_ref().map(|t| t.to_placeholders())))
                    .collect::<Vec<_>>()
            };
            assert_eq!(view(&streamed), view(&whole), "capacity {capacity}");
        }
        assert_eq!(whole.units.iter().map(|u| u.line).collect::<Vec<_>>(), [4, 8]);
        let broken = doc.replace("<source>B</source>", "<source>B</sourc>");
        let nul = doc.replace("секс", "се\0кс");
        for capacity in [1, 5, 4096] {
            let err = read(std::io::BufReader::with_capacity(capacity, broken.as_bytes()), limits).unwrap_err();
            assert!(err.to_string().starts_with("line 8:"), "{err}");
            let err = read(std::io::BufReader::with_capacity(capacity, nul.as_bytes()), limits).unwrap_err();
            assert!(err.to_string().starts_with("line 6: a NUL byte"), "{err}");
        }
    }
}
