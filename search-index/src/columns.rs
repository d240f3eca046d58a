//! Index data decoded once per segment for the searches that read it for every match.

use tantivy::DocId;

use crate::Result;

/// The values of a string facet for every document of a segment, decoded once (segments never
/// change): counting an item's values reads two arrays instead of a column index.
pub(crate) struct FacetColumn {
    /// Document d's values are `ords[starts[d]..starts[d + 1]]`.
    starts: Vec<u32>,
    ords: Vec<u32>,
    /// The value of each ordinal.
    pub(crate) values: Vec<String>,
}

impl FacetColumn {
    pub(crate) fn read(reader: &tantivy::SegmentReader, name: &str) -> Result<FacetColumn> {
        let mut out = FacetColumn {
            starts: Vec::with_capacity(reader.max_doc() as usize + 1),
            ords: Vec::new(),
            values: Vec::new(),
        };
        out.starts.push(0);
        if let Some(column) = reader.fast_fields().str(name)? {
            let mut value = String::new();
            for ord in 0..column.num_terms() as u64 {
                column.ord_to_str(ord, &mut value)?;
                out.values.push(value.clone());
            }
            for doc in 0..reader.max_doc() {
                out.ords.extend(column.term_ords(doc).map(|o| o as u32));
                out.starts.push(out.ords.len() as u32);
            }
        } else {
            out.starts.resize(reader.max_doc() as usize + 1, 0);
        }
        Ok(out)
    }

    pub(crate) fn ords_of(&self, doc: DocId) -> &[u32] {
        let d = doc as usize;
        match (self.starts.get(d), self.starts.get(d + 1)) {
            (Some(&a), Some(&b)) => &self.ords[a as usize..b as usize],
            _ => &[],
        }
    }
}

/// `DocColumns::keys` of a document without an item key.
pub(crate) const NO_KEY: u64 = u64::MAX;
/// `DocColumns::locales` of a document whose locale is not one of the index's.
pub(crate) const NO_LOCALE: u16 = u16::MAX;

/// The item key and locale (an index into the index's locales) of every document of a segment,
/// decoded once: the passes that visit every match, and the ranking's, read two arrays instead
/// of two columns.
pub(crate) struct DocColumns {
    pub(crate) keys: Vec<u64>,
    pub(crate) locales: Vec<u16>,
}

impl DocColumns {
    pub(crate) fn read(reader: &tantivy::SegmentReader, locales: &[String]) -> Result<DocColumns> {
        let fast = reader.fast_fields();
        let max_doc = reader.max_doc();
        let keys_column = fast.u64("item_key")?;
        let keys = (0..max_doc).map(|d| keys_column.first(d).unwrap_or(NO_KEY)).collect();
        let mut out = DocColumns { keys, locales: vec![NO_LOCALE; max_doc as usize] };
        if let Some(column) = fast.str("locale")? {
            let mut name = String::new();
            let mut of_ord = Vec::with_capacity(column.num_terms());
            for o in 0..column.num_terms() as u64 {
                column.ord_to_str(o, &mut name)?;
                of_ord.push(locales.iter().position(|l| *l == name).and_then(|i| u16::try_from(i).ok()));
            }
            let (_, ords) = column.into_parts();
            for (d, slot) in out.locales.iter_mut().enumerate() {
                if let Some(Some(l)) = ords.first(d as DocId).and_then(|o| of_ord.get(o as usize)) {
                    *slot = *l;
                }
            }
        }
        Ok(out)
    }
}
