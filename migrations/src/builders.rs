//! Small builders shared by the migrations: names are plain strings, never entity types.
//!
//! A table is declared with [`table!`], one `name: kind` pair a column, where the kind is one of
//! the column functions below (`string`, `string_null`, `timestamp`, ...); foreign keys follow a
//! `;`. Every column is `NOT NULL` unless its kind ends in `_null`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

/// An identifier.
pub fn n(name: &str) -> Alias {
    Alias::new(name)
}

/// A column definition to complete.
pub fn col(name: &str) -> ColumnDef {
    ColumnDef::new(n(name))
}

fn not_null(mut def: ColumnDef) -> ColumnDef {
    def.not_null();
    def
}

fn null(mut def: ColumnDef) -> ColumnDef {
    def.null();
    def
}

/// An auto-incremented integer primary key.
pub fn pk(name: &str) -> ColumnDef {
    col(name).integer().not_null().auto_increment().primary_key().to_owned()
}

/// An auto-incremented 64-bit primary key (logs and queues).
pub fn big_pk(name: &str) -> ColumnDef {
    col(name).big_integer().not_null().auto_increment().primary_key().to_owned()
}

/// A string primary key (named settings and cursors).
pub fn string_pk(name: &str) -> ColumnDef {
    col(name).string().not_null().primary_key().to_owned()
}

pub fn int(name: &str) -> ColumnDef {
    not_null(col(name).integer().to_owned())
}

pub fn int_null(name: &str) -> ColumnDef {
    null(col(name).integer().to_owned())
}

pub fn big(name: &str) -> ColumnDef {
    not_null(col(name).big_integer().to_owned())
}

pub fn flag(name: &str) -> ColumnDef {
    not_null(col(name).boolean().to_owned())
}

pub fn string(name: &str) -> ColumnDef {
    not_null(col(name).string().to_owned())
}

pub fn string_null(name: &str) -> ColumnDef {
    null(col(name).string().to_owned())
}

/// A string no two rows share.
pub fn unique_string(name: &str) -> ColumnDef {
    col(name).string().not_null().unique_key().to_owned()
}

pub fn text(name: &str) -> ColumnDef {
    not_null(col(name).text().to_owned())
}

pub fn text_null(name: &str) -> ColumnDef {
    null(col(name).text().to_owned())
}

/// A collation key column: compared byte-wise on both backends so that paging is identical.
pub fn sort_key(backend: DatabaseBackend) -> ColumnDef {
    let mut col = ColumnDef::new(n("sort_key")).text().not_null().to_owned();
    if backend == DatabaseBackend::Postgres {
        col.extra("COLLATE \"C\"");
    }
    col
}

pub fn timestamp(name: &str) -> ColumnDef {
    not_null(col(name).timestamp_with_time_zone().to_owned())
}

pub fn timestamp_null(name: &str) -> ColumnDef {
    null(col(name).timestamp_with_time_zone().to_owned())
}

/// A foreign key from `from.col` to `to.id`.
pub fn fk(from: &str, col: &str, to: &str, on_delete: ForeignKeyAction) -> ForeignKeyCreateStatement {
    ForeignKey::create().from(n(from), n(col)).to(n(to), n("id")).on_delete(on_delete).to_owned()
}

/// `CREATE TABLE` from `name: kind` column pairs, then foreign keys after a `;`.
macro_rules! table {
    ($name:literal, $($col:ident: $kind:ident),+ $(,)? $(; $($fk:expr),+ $(,)?)?) => {{
        let mut t = Table::create();
        t.table($crate::builders::n($name));
        $(t.col($crate::builders::$kind(stringify!($col)));)+
        $($(t.foreign_key(&mut $fk);)+)?
        t.to_owned()
    }};
}
pub(crate) use table;

/// Drops tables, in the order given.
pub async fn drop_tables(manager: &SchemaManager<'_>, tables: &[&str]) -> Result<(), DbErr> {
    for table in tables {
        manager.drop_table(Table::drop().table(n(table)).to_owned()).await?;
    }
    Ok(())
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
