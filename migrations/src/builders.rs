//! Small builders shared by the migrations: names are plain strings, never entity types.

use sea_orm_migration::prelude::*;

/// An identifier.
pub fn n(name: &str) -> Alias {
    Alias::new(name)
}

/// A column definition to complete.
pub fn col(name: &str) -> ColumnDef {
    ColumnDef::new(n(name))
}

/// An index named after its table and columns.
pub fn index(table: &str, cols: &[&str], unique: bool) -> IndexCreateStatement {
    let mut idx = Index::create();
    idx.name(format!("idx_{table}_{}", cols.join("_"))).table(n(table));
    for c in cols {
        idx.col(n(c));
    }
    if unique {
        idx.unique();
    }
    idx.to_owned()
}
