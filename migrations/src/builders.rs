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
