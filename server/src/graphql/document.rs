//! What the endpoint reads off a request's document before and after running it: its nesting,
//! depth and aliases (the limits), whether it writes, and the order its response must follow.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, FragmentDefinition, OperationType, Selection, SelectionSet,
};
use async_graphql::{Name, Positioned, Value};

/// The deepest nesting of `{`, `[` and `(` in a GraphQL text, outside strings and comments.
pub fn text_nesting(query: &str) -> usize {
    let bytes = query.as_bytes();
    let (mut depth, mut max, mut i) = (0usize, 0usize, 0usize);
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                i += 3;
                while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 2;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' | b'[' | b'(' => {
                depth += 1;
                max = max.max(depth);
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    max
}

/// The deepest nesting of lists and objects in the variables, walked without recursion.
pub fn variables_nesting(variables: &async_graphql::Variables) -> usize {
    let mut stack: Vec<(&Value, usize)> = variables.values().map(|v| (v, 1)).collect();
    let mut max = 0;
    while let Some((v, d)) = stack.pop() {
        max = max.max(d);
        match v {
            Value::List(items) => stack.extend(items.iter().map(|i| (i, d + 1))),
            Value::Object(map) => stack.extend(map.values().map(|i| (i, d + 1))),
            _ => {}
        }
    }
    max
}

/// Aliased fields anywhere in the document (operations and fragments).
pub fn count_aliases(doc: &ExecutableDocument) -> usize {
    fn walk(set: &SelectionSet) -> usize {
        set.items
            .iter()
            .map(|s| match &s.node {
                Selection::Field(f) => usize::from(f.node.alias.is_some()) + walk(&f.node.selection_set.node),
                Selection::InlineFragment(i) => walk(&i.node.selection_set.node),
                Selection::FragmentSpread(_) => 0,
            })
            .sum()
    }
    let ops: usize = doc.operations.iter().map(|(_, op)| walk(&op.node.selection_set.node)).sum();
    let frags: usize = doc.fragments.values().map(|f| walk(&f.node.selection_set.node)).sum();
    ops + frags
}

/// Whether the operation a GET would run is a mutation (or any operation is, when ambiguous).
pub fn selects_mutation(doc: &ExecutableDocument, name: Option<&str>) -> bool {
    let is_write = |ty: OperationType| ty != OperationType::Query;
    match (&doc.operations, name) {
        (DocumentOperations::Single(op), _) => is_write(op.node.ty),
        (DocumentOperations::Multiple(ops), Some(name)) => match ops.get(name) {
            Some(op) => is_write(op.node.ty),
            None => ops.values().any(|op| is_write(op.node.ty)),
        },
        (DocumentOperations::Multiple(ops), None) => ops.values().any(|op| is_write(op.node.ty)),
    }
}

/// How deep a document's fields nest, or `None` when its fragments spread each other deeper
/// than `max_spreads` (or in a cycle, which validation refuses anyway).
///
/// Every field is one level, with one exception: a chain of `ofType` fields (the wrappers of one
/// type reference, `[String!]!` and the like, as every introspection client asks for them nine
/// deep) counts as one level. Walking such a chain costs one step a wrapper and cannot fan out,
/// so counting it once protects as much and lets the standard introspection queries through.
pub fn depth(doc: &ExecutableDocument, max_spreads: usize) -> Option<usize> {
    let mut walk = DepthWalk { fragments: &doc.fragments, memo: HashMap::new(), spreads: Vec::new(), max_spreads };
    let mut deepest = 0;
    for (_, op) in doc.operations.iter() {
        deepest = deepest.max(walk.set(&op.node.selection_set.node, false)?);
    }
    Some(deepest)
}

struct DepthWalk<'a> {
    fragments: &'a HashMap<Name, Positioned<FragmentDefinition>>,
    /// The depth of a fragment's selection, by (fragment, whether it sits in an `ofType` chain):
    /// fragments spread many times are walked once.
    memo: HashMap<(&'a str, bool), usize>,
    spreads: Vec<&'a str>,
    max_spreads: usize,
}

impl<'a> DepthWalk<'a> {
    fn set(&mut self, set: &'a SelectionSet, in_of_type: bool) -> Option<usize> {
        let mut deepest = 0;
        for selection in &set.items {
            let d = match &selection.node {
                Selection::Field(f) => {
                    let of_type = f.node.name.node == "ofType";
                    let own = usize::from(!(of_type && in_of_type));
                    own + self.set(&f.node.selection_set.node, of_type)?
                }
                Selection::InlineFragment(i) => self.set(&i.node.selection_set.node, in_of_type)?,
                Selection::FragmentSpread(s) => self.fragment(s.node.fragment_name.node.as_str(), in_of_type)?,
            };
            deepest = deepest.max(d);
        }
        Some(deepest)
    }

    fn fragment(&mut self, name: &'a str, in_of_type: bool) -> Option<usize> {
        if let Some(&d) = self.memo.get(&(name, in_of_type)) {
            return Some(d);
        }
        // An unknown fragment is for validation to report.
        let Some(fragment) = self.fragments.get(name) else { return Some(0) };
        if self.spreads.contains(&name) || self.spreads.len() >= self.max_spreads {
            return None;
        }
        self.spreads.push(name);
        let d = self.set(&fragment.node.selection_set.node, in_of_type);
        self.spreads.pop();
        let d = d?;
        self.memo.insert((name, in_of_type), d);
        Some(d)
    }
}

/// The operation a request runs: the named one, or the only one.
fn operation<'a>(doc: &'a ExecutableDocument, name: Option<&str>) -> Option<&'a SelectionSet> {
    match (&doc.operations, name) {
        (DocumentOperations::Single(op), _) => Some(&op.node.selection_set.node),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name).map(|op| &op.node.selection_set.node),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
            ops.values().next().map(|op| &op.node.selection_set.node)
        }
        _ => None,
    }
}

/// Puts the keys of every object in `data` in the order of the query, as the specification
/// requires: async-graphql stores the fields of an object in the order they finish resolving
/// (`graphql::plain` writes them in order; this checks, without hashing, and reorders the rest).
pub fn order_response(data: &mut Value, doc: &ExecutableDocument, operation_name: Option<&str>) {
    if let Some(set) = operation(doc, operation_name) {
        order(data, &keys_of(&[set], &doc.fragments), &doc.fragments, 0);
    }
}

/// Fragments nest at most this deep in a response walk (validation refuses cycles before).
const MAX_ORDER_DEPTH: usize = 256;

/// A response key in query order, the selections of the fields it merges, and (read once for
/// every object of a list, when first needed) the keys those selections give.
struct Key<'a> {
    name: &'a str,
    sets: Vec<&'a SelectionSet>,
    inner: std::cell::OnceCell<Vec<Key<'a>>>,
}

fn keys_of<'a>(
    sets: &[&'a SelectionSet],
    fragments: &'a HashMap<Name, Positioned<FragmentDefinition>>,
) -> Vec<Key<'a>> {
    let mut keys = Vec::new();
    for set in sets {
        collect(set, fragments, &mut keys, 0);
    }
    keys
}

fn order<'a>(
    value: &mut Value,
    keys: &[Key<'a>],
    fragments: &'a HashMap<Name, Positioned<FragmentDefinition>>,
    depth: usize,
) {
    if depth > MAX_ORDER_DEPTH {
        return;
    }
    match value {
        Value::List(items) => {
            for item in items {
                order(item, keys, fragments, depth + 1);
            }
        }
        Value::Object(map) => {
            // In order when each key is found after the one before it (the keys of an object are
            // a subset of the query's).
            let mut next = 0;
            let in_order = map.keys().all(|k| match keys[next..].iter().position(|key| key.name == k.as_str()) {
                Some(i) => {
                    next += i + 1;
                    true
                }
                None => false,
            });
            if !in_order {
                let mut old = std::mem::take(map);
                for key in keys {
                    if let Some((k, v)) = old.swap_remove_entry(key.name) {
                        map.insert(k, v);
                    }
                }
                map.extend(old);
            }
            let mut next = 0;
            for (k, v) in map.iter_mut() {
                let Some(i) = keys[next..].iter().position(|key| key.name == k.as_str()) else { continue };
                let key = &keys[next + i];
                next += i + 1;
                if matches!(v, Value::Object(_) | Value::List(_)) && key.sets.iter().any(|s| !s.items.is_empty()) {
                    let inner = key.inner.get_or_init(|| keys_of(&key.sets, fragments));
                    order(v, inner, fragments, depth + 1);
                }
            }
        }
        _ => {}
    }
}

fn collect<'a>(
    set: &'a SelectionSet,
    fragments: &'a HashMap<Name, Positioned<FragmentDefinition>>,
    keys: &mut Vec<Key<'a>>,
    depth: usize,
) {
    if depth > MAX_ORDER_DEPTH {
        return;
    }
    for selection in &set.items {
        match &selection.node {
            Selection::Field(f) => {
                let key = f.node.response_key().node.as_str();
                let sub = &f.node.selection_set.node;
                match keys.iter_mut().find(|k| k.name == key) {
                    Some(k) => k.sets.push(sub),
                    None => keys.push(Key { name: key, sets: vec![sub], inner: std::cell::OnceCell::new() }),
                }
            }
            Selection::InlineFragment(i) => collect(&i.node.selection_set.node, fragments, keys, depth + 1),
            Selection::FragmentSpread(s) => {
                if let Some(f) = fragments.get(&s.node.fragment_name.node) {
                    collect(&f.node.selection_set.node, fragments, keys, depth + 1);
                }
            }
        }
    }
}

/// Parsed documents by their text, least recently used dropped first (`graphql.parsed_documents`):
/// clients send the same documents with other variables, and parsing (pest) is a few per cent of
/// an uncached request's work. Every request still validates its document against its variables.
pub struct ParsedDocuments {
    kept: Option<std::sync::Mutex<lru::LruCache<Arc<str>, Arc<ExecutableDocument>>>>,
}

impl ParsedDocuments {
    /// A store of at most `capacity` documents; 0 keeps none.
    pub fn new(capacity: usize) -> ParsedDocuments {
        let kept = std::num::NonZeroUsize::new(capacity).map(|n| std::sync::Mutex::new(lru::LruCache::new(n)));
        ParsedDocuments { kept }
    }

    /// The document of `text` and whether it was kept from an earlier request; parsed now
    /// otherwise (keep it with `keep` once it has passed the request's checks).
    pub fn parse(&self, text: &str) -> Result<(Arc<ExecutableDocument>, bool), async_graphql::parser::Error> {
        if let Some(kept) = &self.kept
            && let Some(doc) = lock(kept).get(text)
        {
            return Ok((doc.clone(), true));
        }
        Ok((Arc::new(async_graphql::parser::parse_query(text)?), false))
    }

    /// Keeps the document of `text` for the next request that sends it.
    pub fn keep(&self, text: &str, doc: &Arc<ExecutableDocument>) {
        if let Some(kept) = &self.kept {
            lock(kept).put(Arc::from(text), doc.clone());
        }
    }
}

/// The documents kept, even if a thread panicked holding them (they are never half-written).
fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {

    #[test]
    fn parsed_documents_are_kept_by_text_and_bounded() {
        let store = ParsedDocuments::new(2);
        let parse = |text: &str| {
            let (doc, kept) = store.parse(text).unwrap();
            store.keep(text, &doc);
            (doc, kept)
        };
        let (a, kept) = parse("{ a }");
        assert!(!kept);
        let (again, kept) = parse("{ a }");
        assert!(kept && Arc::ptr_eq(&a, &again), "kept");
        parse("{ b }");
        parse("{ c }");
        assert!(!parse("{ a }").1, "dropped when two newer came");
        assert!(store.parse("{ a").is_err(), "a syntax error is an error");
        let (doc, _) = store.parse("{ d }").unwrap();
        assert!(!store.parse("{ d }").unwrap().1, "kept only when asked to");
        let none = ParsedDocuments::new(0);
        none.keep("{ d }", &doc);
        assert!(!none.parse("{ d }").unwrap().1, "0 keeps none");
    }
    use super::*;

    fn doc(q: &str) -> ExecutableDocument {
        async_graphql::parser::parse_query(q).unwrap()
    }

    #[test]
    fn mutation_detection_follows_the_selected_operation() {
        let d = doc("query A { a } mutation B { b }");
        assert!(!selects_mutation(&d, Some("A")));
        assert!(selects_mutation(&d, Some("B")));
        assert!(selects_mutation(&d, None));
        assert!(selects_mutation(&d, Some("Missing")));
        assert!(!selects_mutation(&doc("{ a }"), None));
        assert!(selects_mutation(&doc("subscription { a }"), None));
    }

    #[test]
    fn nesting_ignores_strings_and_comments() {
        assert_eq!(text_nesting("{ a(x: [[1]]) { b } }"), 4);
        assert_eq!(text_nesting(r#"{ a(x: "[[[[{{{") }"#), 2);
        assert_eq!(text_nesting("{ a # [[[[[\n }"), 1);
        assert_eq!(text_nesting(r#"{ a(x: """ [[[ \""" [[ """) }"#), 2);
        assert_eq!(text_nesting(&"[".repeat(10_000)), 10_000);
    }

    #[test]
    fn aliases_are_counted_in_fragments_too() {
        let d = doc("{ a: x b: y ...F } fragment F on Q { c: z d { e: w } }");
        assert_eq!(count_aliases(&d), 4);
    }

    #[test]
    fn depth_counts_fields_through_fragments_and_an_of_type_chain_once() {
        assert_eq!(depth(&doc("{ a { b { c } } d }"), 8), Some(3));
        assert_eq!(depth(&doc("{ a ...F } fragment F on Q { b { c { d } } }"), 8), Some(3));
        assert_eq!(depth(&doc("{ a { ... on T { b { c } } } }"), 8), Some(3));
        // type(1) ofType…ofType(1) name(1)
        assert_eq!(depth(&doc("{ type { ofType { ofType { ofType { ofType { name } } } } } }"), 8), Some(3));
        // An ofType that is not inside another still counts.
        assert_eq!(depth(&doc("{ ofType { ofType { name } } }"), 8), Some(2));
        // A field between two ofType fields breaks the chain.
        assert_eq!(depth(&doc("{ type { ofType { fields { type { ofType { name } } } } } }"), 8), Some(6));
        // Spread fragments count where they are spread, walked once each.
        let fan = "{ ...A } fragment A on Q { x { ...B ...B } } fragment B on Q { y { ...C ...C } } \
                   fragment C on Q { z }";
        assert_eq!(depth(&doc(fan), 8), Some(3));
        assert_eq!(depth(&doc("{ ...A } fragment A on Q { ...A }"), 8), None);
        let chain = "{ ...A } fragment A on Q { ...B } fragment B on Q { ...C } fragment C on Q { a }";
        assert_eq!(depth(&doc(chain), 2), None);
        assert_eq!(depth(&doc(chain), 3), Some(1));
    }

    /// `depth` recognises the introspection chain by the field's name alone: no field of the
    /// schema may take that name.
    #[test]
    fn no_schema_field_is_named_of_type() {
        assert!(!crate::graphql::sdl().contains("ofType"));
    }

    #[test]
    fn responses_follow_the_query_order_at_every_level() {
        let d = doc("{ b { y x } a ...F } fragment F on Q { c: z b { w } }");
        let mut data = async_graphql::value!({
            "a": 1,
            "c": 3,
            "b": [{ "w": 0, "x": 1, "y": 2 }, { "x": 1, "w": 0, "y": 2 }],
        });
        order_response(&mut data, &d, None);
        assert_eq!(
            serde_json::to_string(&data).unwrap(),
            r#"{"b":[{"y":2,"x":1,"w":0},{"y":2,"x":1,"w":0}],"a":1,"c":3}"#
        );
        // Items of one list with different keys (members of a union), and lists in lists: the
        // keys read once for a list serve every item.
        let d = doc("{ s { ... on A { n m { q p } } ... on B { k j } } }");
        let mut data = async_graphql::value!({
            "s": [
                { "m": [{ "p": 1, "q": 2 }, { "q": 2, "p": 1 }], "n": 0 },
                { "j": 0, "k": 1 },
                { "n": 0, "m": [] },
                { "k": 1, "j": 0 },
            ],
        });
        order_response(&mut data, &d, None);
        assert_eq!(
            serde_json::to_string(&data).unwrap(),
            r#"{"s":[{"n":0,"m":[{"q":2,"p":1},{"q":2,"p":1}]},{"k":1,"j":0},{"n":0,"m":[]},{"k":1,"j":0}]}"#
        );
    }
}
