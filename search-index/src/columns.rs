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
