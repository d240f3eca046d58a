//! The report of an import: counts, then every unit flagged or refused with its key, line,
//! code and message. Reports are stored (dry runs too) and read back by id or per item.

use chorus_entities as e;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
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
pub async fn store<C: ConnectionTrait>(
    conn: &C,
    who: &Principal,
    file_name: &str,
    format: &str,
    dry_run: bool,
    outcome: Outcome,
    counts: Counts,
    entries: &[Entry],
    items: &[(ContentType, i32)],
) -> AppResult<Report> {
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
    .insert(conn)
    .await?;
    for (ty, id) in items {
        e::import_report_items::ActiveModel {
            report_id: Set(m.id),
            entity: Set(ty.entity().to_owned()),
            item_id: Set(*id),
            ..Default::default()
        }
        .insert(conn)
        .await?;
    }
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
    reports.sort_by(|a, b| b.id.cmp(&a.id));
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
