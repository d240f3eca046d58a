//! Rich text as translatable blocks: a body's HTML is split into segments (the text of each
//! paragraph, heading, list item, table cell...) and a skeleton (everything else). Inline markup
//! inside a segment (links, emphasis, line breaks) becomes numbered codes, so a translator moves
//! or keeps them but can never write HTML: on import the codes are put back from the source
//! block, never from the file.
//!
//! Bodies are sanitised HTML5 (not XML), so they are read with html5ever's tokenizer, the
//! parser ammonia already uses.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt::Write as _;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::{
    BufferQueue, CharacterTokens, EndTag, NullCharacterToken, StartTag, Tag, TagToken, Token, TokenSink,
    TokenSinkResult, Tokenizer, TokenizerOpts,
};

/// One piece of a segment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Part {
    Text(String),
    /// The start of the paired code `n` (`<strong>`, `<a href=…>`).
    Open(u32),
    /// The end of the paired code `n`.
    Close(u32),
    /// A code with no content (`<br>`, `<img …>`, or a tag whose partner lies outside the block).
    Empty(u32),
}

/// Translatable text with its inline codes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Segment(pub Vec<Part>);

/// The markup behind an inline code, kept by Chorus and never sent for translation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InlineCode {
    pub id: u32,
    /// The tag name (`a`, `strong`, `br`), shown to translation tools as the code's type.
    pub name: String,
    pub open: String,
    /// Empty for a code with no content.
    pub close: String,
    pub paired: bool,
}

/// One translatable block of a body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// Stable across edits of other blocks: derived from the block's own text (and its
    /// occurrence, when the same text appears twice).
    pub id: String,
    pub segment: Segment,
    pub codes: Vec<InlineCode>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    Html(String),
    Block(usize),
}

/// A body split into its skeleton and its blocks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Split {
    pieces: Vec<Piece>,
    pub blocks: Vec<Block>,
}

/// Elements whose start or end begins a new block; every other element is inline.
const BLOCK_TAGS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "caption",
    "dd",
    "details",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hgroup",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
];
/// Elements that never have content.
const VOID_TAGS: &[&str] = &["area", "br", "col", "embed", "img", "source", "track", "wbr"];

pub(crate) fn escape_text(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\u{a0}' => out.push_str("&nbsp;"),
            c => out.push(c),
        }
    }
}

fn tag_html(tag: &Tag) -> String {
    let mut s = String::new();
    match tag.kind {
        EndTag => {
            let _ = write!(s, "</{}>", &*tag.name);
        }
        StartTag => {
            let _ = write!(s, "<{}", &*tag.name);
            for a in &tag.attrs {
                let _ = write!(s, " {}=\"", &*a.name.local);
                for c in a.value.chars() {
                    match c {
                        '&' => s.push_str("&amp;"),
                        '"' => s.push_str("&quot;"),
                        '\u{a0}' => s.push_str("&nbsp;"),
                        c => s.push(c),
                    }
                }
                s.push('"');
            }
            s.push('>');
        }
    }
    s
}

/// What the tokenizer saw, in order.
enum Event {
    Text(String),
    BlockTag(String),
    Inline { name: String, html: String, start: bool },
}

#[derive(Default)]
struct Collect(RefCell<Vec<Event>>);

impl TokenSink for Collect {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let mut events = self.0.borrow_mut();
        match token {
            CharacterTokens(t) => match events.last_mut() {
                Some(Event::Text(s)) => s.push_str(&t),
                _ => events.push(Event::Text(t.to_string())),
            },
            NullCharacterToken => {}
            TagToken(tag) => {
                let name = tag.name.to_string();
                let html = tag_html(&tag);
                if BLOCK_TAGS.contains(&name.as_str()) {
                    events.push(Event::BlockTag(html));
                } else {
                    events.push(Event::Inline { start: tag.kind == StartTag, name, html });
                }
            }
            // Comments are stripped by the sanitiser; doctypes and errors carry no text.
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

/// The block being gathered: its parts, its codes and the open paired codes.
#[derive(Default)]
struct Gather {
    parts: Vec<Part>,
    codes: Vec<InlineCode>,
    open: Vec<(String, usize)>,
}

impl Split {
    /// Splits a (sanitised) HTML body.
    pub fn of(html: &str) -> Split {
        let sink = Collect::default();
        let tokenizer = Tokenizer::new(sink, TokenizerOpts::default());
        let input = BufferQueue::default();
        input.push_back(StrTendril::from_slice(html));
        let _ = tokenizer.feed(&input);
        tokenizer.end();
        let events = tokenizer.sink.0.into_inner();
        let mut split = Split::default();
        let mut g = Gather::default();
        for event in events {
            match event {
                Event::Text(t) => g.parts.push(Part::Text(t)),
                Event::BlockTag(html) => {
                    split.finish(std::mem::take(&mut g));
                    split.html(&html);
                }
                Event::Inline { name, html, start } => {
                    let id = g.codes.len() as u32 + 1;
                    if start && !VOID_TAGS.contains(&name.as_str()) {
                        g.open.push((name.clone(), g.codes.len()));
                        g.codes.push(InlineCode { id, name, open: html, close: String::new(), paired: true });
                        g.parts.push(Part::Open(id));
                    } else if !start && let Some(pos) = g.open.iter().rposition(|(n, _)| *n == name) {
                        let (_, index) = g.open.remove(pos);
                        g.codes[index].close = html;
                        g.parts.push(Part::Close(g.codes[index].id));
                    } else {
                        g.codes.push(InlineCode { id, name, open: html, close: String::new(), paired: false });
                        g.parts.push(Part::Empty(id));
                    }
                }
            }
        }
        split.finish(g);
        split.assign_ids();
        split
    }

    fn html(&mut self, html: &str) {
        match self.pieces.last_mut() {
            Some(Piece::Html(s)) => s.push_str(html),
            _ => self.pieces.push(Piece::Html(html.to_owned())),
        }
    }

    /// Ends the block being gathered: a block with text becomes a segment; one without (only
    /// whitespace and codes) stays in the skeleton. Leading and trailing whitespace and codes
    /// at the edges that have no text inside stay in the skeleton too.
    fn finish(&mut self, mut g: Gather) {
        // A paired code whose end lies beyond this block is a code with no content.
        for (_, index) in g.open.drain(..) {
            g.codes[index].paired = false;
            let id = g.codes[index].id;
            if let Some(p) = g.parts.iter_mut().find(|p| **p == Part::Open(id)) {
                *p = Part::Empty(id);
            }
        }
        let has_text = g.parts.iter().any(|p| matches!(p, Part::Text(t) if !t.trim().is_empty()));
        if !has_text {
            let html = render_parts(&g.parts, &g.codes);
            self.html(&html);
            return;
        }
        // Peel whitespace and standalone codes off both ends.
        let mut parts = g.parts;
        let mut lead = Vec::new();
        while let Some(first) = parts.first() {
            match first {
                Part::Text(t) if t.trim().is_empty() => lead.push(parts.remove(0)),
                Part::Text(t) => {
                    let trimmed = t.trim_start().to_owned();
                    let ws = t[..t.len() - trimmed.len()].to_owned();
                    if !ws.is_empty() {
                        lead.push(Part::Text(ws));
                        parts[0] = Part::Text(trimmed);
                    }
                    break;
                }
                Part::Empty(_) => lead.push(parts.remove(0)),
                _ => break,
            }
        }
        let mut trail = Vec::new();
        while let Some(last) = parts.last() {
            match last {
                Part::Text(t) if t.trim().is_empty() => trail.insert(0, parts.pop().expect("non-empty")),
                Part::Text(t) => {
                    let trimmed = t.trim_end().to_owned();
                    let ws = t[trimmed.len()..].to_owned();
                    if !ws.is_empty() {
                        trail.insert(0, Part::Text(ws));
                        let n = parts.len() - 1;
                        parts[n] = Part::Text(trimmed);
                    }
                    break;
                }
                Part::Empty(_) => trail.insert(0, parts.pop().expect("non-empty")),
                _ => break,
            }
        }
        let lead_html = render_parts(&lead, &g.codes);
        self.html(&lead_html);
        // Renumber the codes the segment keeps from 1, in order of appearance.
        let mut map: HashMap<u32, u32> = HashMap::new();
        let mut codes = Vec::new();
        for p in &mut parts {
            if let Part::Open(id) | Part::Empty(id) = p {
                let new = codes.len() as u32 + 1;
                map.insert(*id, new);
                let mut c = g.codes[*id as usize - 1].clone();
                c.id = new;
                codes.push(c);
            }
            match p {
                Part::Open(id) | Part::Close(id) | Part::Empty(id) => *id = map[id],
                Part::Text(_) => {}
            }
        }
        self.pieces.push(Piece::Block(self.blocks.len()));
        self.blocks.push(Block { id: String::new(), segment: Segment(parts), codes });
        let trail_html = render_parts(&trail, &g.codes);
        self.html(&trail_html);
    }

    fn assign_ids(&mut self) {
        let mut seen: HashMap<String, u32> = HashMap::new();
        for b in &mut self.blocks {
            let base = crate::content::text::field_hash(&b.segment.to_placeholders())[..8].to_owned();
            let n = seen.entry(base.clone()).or_insert(0);
            *n += 1;
            b.id = if *n == 1 { base } else { format!("{base}-{n}") };
        }
    }

    /// The block with an id.
    pub fn block(&self, id: &str) -> Option<(usize, &Block)> {
        self.blocks.iter().enumerate().find(|(_, b)| b.id == id)
    }

    /// The HTML with block `i`'s segment replaced by `with(i)` (its codes are the source
    /// block's; `None` keeps the block as it is).
    pub fn render(&self, with: impl Fn(usize) -> Option<Segment>) -> String {
        let mut out = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Html(h) => out.push_str(h),
                Piece::Block(i) => {
                    let b = &self.blocks[*i];
                    match with(*i) {
                        Some(seg) => out.push_str(&render_parts(&seg.0, &b.codes)),
                        None => out.push_str(&render_parts(&b.segment.0, &b.codes)),
                    }
                }
            }
        }
        out
    }
}

fn render_parts(parts: &[Part], codes: &[InlineCode]) -> String {
    let mut out = String::new();
    let code = |id: &u32| codes.iter().find(|c| c.id == *id);
    for p in parts {
        match p {
            Part::Text(t) => escape_text(t, &mut out),
            Part::Open(id) | Part::Empty(id) => {
                if let Some(c) = code(id) {
                    out.push_str(&c.open);
                }
            }
            Part::Close(id) => {
                if let Some(c) = code(id) {
                    out.push_str(&c.close);
                }
            }
        }
    }
    out
}

/// Why a translated segment's codes do not fit its source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeMismatch(pub String);

impl Segment {
    /// Plain text, a whole field (title, summary) as one segment.
    pub fn text(s: &str) -> Segment {
        if s.is_empty() { Segment(vec![]) } else { Segment(vec![Part::Text(s.to_owned())]) }
    }

    /// The text alone, codes dropped.
    pub fn plain(&self) -> String {
        self.0
            .iter()
            .filter_map(|p| match p {
                Part::Text(t) => Some(t.as_str()),
                _ => None,
            })
            .collect()
    }

    pub fn is_blank(&self) -> bool {
        self.plain().trim().is_empty()
    }

    /// The form PO, JSON and CSV files carry: numbered tags `<1>…</1>` and `<2/>`, as i18next's
    /// `Trans` component writes them.
    pub fn to_placeholders(&self) -> String {
        let mut out = String::new();
        for p in &self.0 {
            match p {
                Part::Text(t) => out.push_str(t),
                Part::Open(id) => {
                    let _ = write!(out, "<{id}>");
                }
                Part::Close(id) => {
                    let _ = write!(out, "</{id}>");
                }
                Part::Empty(id) => {
                    let _ = write!(out, "<{id}/>");
                }
            }
        }
        out
    }

    /// Reads the placeholder form back; anything that is not a numbered tag is text.
    pub fn from_placeholders(s: &str) -> Segment {
        let mut parts: Vec<Part> = Vec::new();
        let mut text = String::new();
        let mut rest = s;
        while let Some(lt) = rest.find('<') {
            text.push_str(&rest[..lt]);
            let after = &rest[lt + 1..];
            let parsed = (|| {
                let gt = after.find('>')?;
                let inner = &after[..gt];
                let (close, inner) = match inner.strip_prefix('/') {
                    Some(i) => (true, i),
                    None => (false, inner),
                };
                let (empty, inner) = match inner.strip_suffix('/') {
                    Some(i) => (true, i),
                    None => (false, inner),
                };
                if inner.is_empty() || inner.len() > 4 || !inner.bytes().all(|b| b.is_ascii_digit()) || (close && empty)
                {
                    return None;
                }
                let id: u32 = inner.parse().ok()?;
                let part = if close {
                    Part::Close(id)
                } else if empty {
                    Part::Empty(id)
                } else {
                    Part::Open(id)
                };
                Some((part, gt + 2))
            })();
            match parsed {
                Some((part, len)) => {
                    if !text.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut text)));
                    }
                    parts.push(part);
                    rest = &rest[lt + len..];
                }
                None => {
                    text.push('<');
                    rest = after;
                }
            }
        }
        text.push_str(rest);
        if !text.is_empty() {
            parts.push(Part::Text(text));
        }
        Segment(parts)
    }

    /// Checks that a translation uses exactly the source's codes: every paired code opened
    /// once and closed after it, properly nested, every empty code once.
    pub fn check_codes(&self, source: &Segment) -> Result<(), CodeMismatch> {
        let want = |p: fn(&Part) -> Option<u32>, s: &Segment| {
            let mut v: Vec<u32> = s.0.iter().filter_map(p).collect();
            v.sort_unstable();
            v
        };
        let opens = |p: &Part| if let Part::Open(i) = p { Some(*i) } else { None };
        let empties = |p: &Part| if let Part::Empty(i) = p { Some(*i) } else { None };
        let (src_open, got_open) = (want(opens, source), want(opens, self));
        let (src_empty, got_empty) = (want(empties, source), want(empties, self));
        let names = |v: &[u32]| v.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(", ");
        for id in src_open.iter().chain(&src_empty) {
            if !got_open.contains(id) && !got_empty.contains(id) {
                return Err(CodeMismatch(format!("inline code {id} of the source is missing")));
            }
        }
        if got_open != src_open || got_empty != src_empty {
            return Err(CodeMismatch(format!(
                "inline codes differ from the source's (source: paired {}, empty {}; translation: paired {}, empty {})",
                names(&src_open),
                names(&src_empty),
                names(&got_open),
                names(&got_empty)
            )));
        }
        let mut stack = Vec::new();
        for p in &self.0 {
            match p {
                Part::Open(i) => stack.push(*i),
                Part::Close(i) if stack.pop() != Some(*i) => {
                    return Err(CodeMismatch(format!("inline code {i} is closed out of order")));
                }
                _ => {}
            }
        }
        if let Some(i) = stack.pop() {
            return Err(CodeMismatch(format!("inline code {i} is not closed")));
        }
        let closes = self.0.iter().filter(|p| matches!(p, Part::Close(_))).count();
        if closes != got_open.len() {
            return Err(CodeMismatch("an inline code is closed twice".into()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = "<h2>Why it matters</h2>\n<p>Sex workers' <strong>rights</strong> are <a href=\"https://nswp.org/?a=1&amp;b=2\" rel=\"noopener noreferrer\">human rights</a>.<br>Read on.</p><ul><li>One &amp; two</li><li><em>Three</em></li></ul><p><img src=\"x.png\" alt=\"\"></p>";

    #[test]
    fn splits_blocks_with_inline_codes_and_renders_back_unchanged() {
        let split = Split::of(BODY);
        let texts: Vec<String> = split.blocks.iter().map(|b| b.segment.to_placeholders()).collect();
        assert_eq!(
            texts,
            [
                "Why it matters",
                "Sex workers' <1>rights</1> are <2>human rights</2>.<3/>Read on.",
                "One & two",
                "<1>Three</1>"
            ]
        );
        assert_eq!(split.render(|_| None), BODY);
        let p = &split.blocks[1];
        assert_eq!(p.codes[1].open, "<a href=\"https://nswp.org/?a=1&amp;b=2\" rel=\"noopener noreferrer\">");
        assert!(!p.codes[2].paired);
    }

    #[test]
    fn ids_are_stable_when_other_blocks_change() {
        let a = Split::of("<p>One</p><p>Two</p><p>Two</p>");
        let b = Split::of("<p>New first</p><p>One</p><p>Two</p><p>Two</p>");
        let ids = |s: &Split| s.blocks.iter().map(|b| b.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&a)[..], ids(&b)[1..]);
        assert!(ids(&a)[2].ends_with("-2"));
    }

    #[test]
    fn translation_is_rendered_with_the_sources_codes() {
        let split = Split::of(BODY);
        let fr = Segment::from_placeholders(
            "Les <2>droits humains</2> incluent les <1>droits</1> <3/>des travailleurSEs & <script>.",
        );
        fr.check_codes(&split.blocks[1].segment).unwrap();
        let html = split.render(|i| (i == 1).then(|| fr.clone()));
        assert!(html.contains("<p>Les <a href=\"https://nswp.org/?a=1&amp;b=2\" rel=\"noopener noreferrer\">droits humains</a> incluent les <strong>droits</strong> <br>des travailleurSEs &amp; &lt;script&gt;.</p>"), "{html}");
    }

    #[test]
    fn code_mismatches_are_named() {
        let src = Segment::from_placeholders("a <1>b</1> <2/> c");
        for (bad, why) in [
            ("a b <2/> c", "missing"),
            ("a <1>b <2/> c", "not closed"),
            ("a </1>b<1> <2/>", "out of order"),
            ("a <1>b</1> <2/> <3/>", "differ"),
            ("<1>a</1> <1>b</1> <2/>", "differ"),
        ] {
            let err = Segment::from_placeholders(bad).check_codes(&src).unwrap_err();
            assert!(err.0.contains(why), "{bad}: {}", err.0);
        }
        Segment::from_placeholders("<2/> c <1>b</1> a").check_codes(&src).unwrap();
        assert_eq!(Segment::from_placeholders("x < 3 <b> <12345>").0, vec![Part::Text("x < 3 <b> <12345>".into())]);
    }
}
