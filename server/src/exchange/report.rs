//! The report of an import: counts, then every unit flagged or refused with its key, line,
//! code and message. Reports are stored (dry runs too) and read back by id or per item.

use chorus_entities as e;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionTrait,
};
use serde::{Deserialize, Serialize};

use crate::auth::policy::{Action, Principal, allows};
use crate::content::ContentType;
use crate::error::{AppError, AppResult};

/// Declares [`UnitCode`] from one table: variant, code, meaning (`docs/ERRORS.md` lists them).
macro_rules! unit_codes {
    ($($variant:ident => ($code:literal, $meaning:literal),)+) => {
        /// Why a unit was flagged or refused. Stable; documented in `docs/ERRORS.md`.
        #[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum UnitCode {
            $(#[serde(rename = $code)] $variant,)+
        }

        impl UnitCode {
            pub const ALL: &'static [UnitCode] = &[$(UnitCode::$variant,)+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(UnitCode::$variant => $code,)+
                }
            }

            pub fn meaning(self) -> &'static str {
                match self {
                    $(UnitCode::$variant => $meaning,)+
                }
            }
        }
    };
}

unit_codes! {
    SourceChanged => ("SOURCE_CHANGED",
        "Needs review: the source text changed after the file was exported; the translation is saved, never published."),
    SourceUnknown => ("SOURCE_UNKNOWN",
        "Needs review: the file gives no source hash for the unit, so whether its source changed is unknown; saved, never published."),
    UnknownKey => ("UNKNOWN_KEY",
        "Refused: the key is not `type/id/field` of an existing item (or the body block is gone and its place could not be found)."),
    DuplicateKey => ("DUPLICATE_KEY",
        "Refused: the key appears twice in the file (for the same language)."),
    LocaleMissing => ("LOCALE_MISSING",
        "Refused: neither the unit nor the file says which language the translation is in."),
    LocaleInvalid => ("LOCALE_INVALID",
        "Refused: the unit's language is not a well-formed BCP 47 tag, or not one this installation serves."),
    LocaleMismatch => ("LOCALE_MISMATCH",
        "Refused: the unit's language differs from the one the upload was made for."),
    TargetIsSource => ("TARGET_IS_SOURCE",
        "Refused: the unit would change the item's source text; files carry translations only."),
    Forbidden => ("FORBIDDEN",
        "Refused: the uploader's role, languages or token scopes do not allow changing this field in this language."),
    PlaceholderMismatch => ("PLACEHOLDER_MISMATCH",
        "Refused: the translation's inline codes or placeholders are not the source's (one missing, added, repeated or out of order)."),
    TooLong => ("TOO_LONG",
        "Refused: the translation is longer than the field allows."),
    PluralNotSupported => ("PLURAL_NOT_SUPPORTED",
        "Refused: a PO entry with plural forms; Chorus content has none."),
    TitleRequired => ("TITLE_REQUIRED",
        "Refused: a first translation of an item needs its title in the same file."),
    WriteFailed => ("WRITE_FAILED",
        "Refused: saving the item's translation failed (the message says why); with a file-wide import nothing was written."),
}

/// Where a unit ended up.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EntryStatus {
    NeedsReview,
    Rejected,
}

/// A flagged or refused unit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub key: String,
    pub line: u32,
    pub status: EntryStatus,
    pub code: UnitCode,
    pub message: String,
}

#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub in_file: i32,
    /// Written as given.
    pub accepted: i32,
    /// The same as the current translation.
    pub unchanged: i32,
    /// Written, flagged for review (never published).
    pub needs_review: i32,
    pub rejected: i32,
    /// In the file without a translation.
    pub missing: i32,
}

/// What became of an import.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    DryRun,
    /// Nothing was written (a file-wide import with a refused unit, or a failed write).
    Rejected,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Applied => "applied",
            Outcome::DryRun => "dry_run",
            Outcome::Rejected => "rejected",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Report {
    pub id: i32,
    pub created_at: DateTime<Utc>,
    pub display_name: String,
    pub file_name: String,
    pub format: String,
    pub dry_run: bool,
    pub outcome: String,
    pub counts: Counts,
    pub entries: Vec<Entry>,
}

impl Report {
    fn from_model(m: e::import_reports::Model) -> Report {
        Report {
            id: m.id,
            created_at: m.created_at,
            display_name: m.display_name,
            file_name: m.file_name,
            format: m.format,
            dry_run: m.dry_run,
            outcome: m.outcome,
            counts: Counts {
                in_file: m.in_file,
                accepted: m.accepted,
                unchanged: m.unchanged,
                needs_review: m.needs_review,
                rejected: m.rejected,
                missing: m.missing,
            },
            entries: serde_json::from_str(&m.entries).unwrap_or_default(),
        }
    }
}

/// Stores a report (bookkeeping: its own statement, no audit row).
#[allow(clippy::too_many_arguments)]
pub async fn store(
    db: &sea_orm::DatabaseConnection,
    who: &Principal,
    file_name: &str,
    format: &str,
    dry_run: bool,
    outcome: Outcome,
    counts: Counts,
    entries: &[Entry],
    items: &[(ContentType, i32)],
) -> AppResult<Report> {
    // One transaction: the report and the items it is listed under appear together.
    let txn = db.begin().await?;
    let m = e::import_reports::ActiveModel {
        created_at: Set(Utc::now()),
        user_id: Set((who.user_id > 0).then_some(who.user_id)),
        display_name: Set(who.display_name.clone()),
        file_name: Set(file_name.chars().take(255).collect()),
        format: Set(format.to_owned()),
        dry_run: Set(dry_run),
        outcome: Set(outcome.as_str().to_owned()),
        in_file: Set(counts.in_file),
        accepted: Set(counts.accepted),
        unchanged: Set(counts.unchanged),
        needs_review: Set(counts.needs_review),
        rejected: Set(counts.rejected),
        missing: Set(counts.missing),
        entries: Set(serde_json::to_string(entries).map_err(AppError::internal)?),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    for chunk in items.chunks(500) {
        let rows = chunk.iter().map(|(ty, id)| e::import_report_items::ActiveModel {
            report_id: Set(m.id),
            entity: Set(ty.entity().to_owned()),
            item_id: Set(*id),
            ..Default::default()
        });
        e::import_report_items::Entity::insert_many(rows).exec(&txn).await?;
    }
    txn.commit().await?;
    Ok(Report::from_model(m))
}

fn may_read(who: &Principal) -> AppResult<()> {
    if allows(who, &Action::ReadDrafts) {
        Ok(())
    } else {
        Err(AppError::Forbidden("your role does not allow reading import reports".into()))
    }
}

/// One report.
pub async fn get<C: ConnectionTrait>(conn: &C, who: &Principal, id: i32) -> AppResult<Report> {
    may_read(who)?;
    let m = e::import_reports::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::NotFound("no such import report".into()))?;
    Ok(Report::from_model(m))
}

/// The reports of imports that touched an item, newest first.
pub async fn for_item<C: ConnectionTrait>(
    conn: &C,
    who: &Principal,
    ty: ContentType,
    id: i32,
    limit: u64,
) -> AppResult<Vec<Report>> {
    may_read(who)?;
    let ids: Vec<i32> = e::import_report_items::Entity::find()
        .filter(e::import_report_items::Column::Entity.eq(ty.entity()))
        .filter(e::import_report_items::Column::ItemId.eq(id))
        .order_by_desc(e::import_report_items::Column::ReportId)
        .limit(limit)
        .all(conn)
        .await?
        .into_iter()
        .map(|r| r.report_id)
        .collect();
    let mut reports: Vec<Report> = e::import_reports::Entity::find()
        .filter(e::import_reports::Column::Id.is_in(ids))
        .all(conn)
        .await?
        .into_iter()
        .map(Report::from_model)
        .collect();
    reports.sort_by_key(|r| std::cmp::Reverse(r.id));
    Ok(reports)
}

/// The table of unit codes as Markdown, for `docs/ERRORS.md`.
pub fn unit_codes_markdown() -> String {
    let mut out = String::from("| Code | Meaning |\n| --- | --- |\n");
    for c in UnitCode::ALL {
        out.push_str(&format!("| `{}` | {} |\n", c.as_str(), c.meaning()));
    }
    out
}

impl Report {
    /// The report as REST and the command line give it.
    pub fn to_json(&self) -> serde_json::Value {
        let c = &self.counts;
        serde_json::json!({
            "id": self.id,
            "createdAt": self.created_at.to_rfc3339(),
            "by": self.display_name,
            "fileName": self.file_name,
            "format": self.format,
            "dryRun": self.dry_run,
            "outcome": self.outcome,
            "counts": {
                "inFile": c.in_file, "accepted": c.accepted, "unchanged": c.unchanged,
                "needsReview": c.needs_review, "rejected": c.rejected, "missing": c.missing,
            },
            "entries": self.entries,
        })
    }

    /// The report as a person reads it at the command line.
    pub fn to_text(&self) -> String {
        let c = &self.counts;
        let mut out = format!(
            "import report {} ({}, {}{}): {}\n  {} units in the file: {} accepted, {} unchanged, {} need review, {} rejected, {} without translation\n",
            self.id,
            self.file_name,
            self.format,
            if self.dry_run { ", dry run" } else { "" },
            self.outcome,
            c.in_file,
            c.accepted,
            c.unchanged,
            c.needs_review,
            c.rejected,
            c.missing
        );
        for e in &self.entries {
            let status = match e.status {
                EntryStatus::NeedsReview => "needs review",
                EntryStatus::Rejected => "rejected",
            };
            out.push_str(&format!("  line {}: {} {status}: {} {}\n", e.line, e.key, e.code.as_str(), e.message));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `docs/ERRORS.md` lists the unit codes as `unit_codes_markdown` renders them
    /// (`CHORUS_BLESS=1` rewrites it).
    #[test]
    fn the_documented_unit_codes_are_these() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/ERRORS.md");
        let doc = std::fs::read_to_string(&path).expect("docs/ERRORS.md");
        let (begin, end) = ("<!-- unit-codes:begin -->\n", "<!-- unit-codes:end -->");
        let start = doc.find(begin).expect("begin marker") + begin.len();
        let stop = doc.find(end).expect("end marker");
        let table = unit_codes_markdown();
        if doc[start..stop] != table {
            if std::env::var_os("CHORUS_BLESS").is_some() {
                std::fs::write(&path, format!("{}{table}{}", &doc[..start], &doc[stop..])).unwrap();
            } else {
                panic!("docs/ERRORS.md differs from exchange::report::UnitCode; run with CHORUS_BLESS=1");
            }
        }
        let mut seen = std::collections::HashSet::new();
        for c in UnitCode::ALL {
            assert!(seen.insert(c.as_str()) && c.as_str().bytes().all(|b| b.is_ascii_uppercase() || b == b'_'));
            let json = serde_json::to_string(c).unwrap();
            assert_eq!(json, format!("\"{}\"", c.as_str()));
        }
    }
}
