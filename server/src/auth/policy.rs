//! The one place that decides who may do what: role × action × locale × field.
//!
//! Roles: admin (everything); editor (all content in all locales, taxonomies; not users,
//! webhooks or the audit log); translator (in listed locales only: the localised fields of
//! translations and their statuses up to "in review", never the source-locale version's text or
//! status, never structure or taxonomies); reviewer (in listed locales: any status change, i.e.
//! approve, publish, unpublish, archive); viewer (reads drafts). An API token acts with its
//! owner's role, narrowed to its scopes: deleting an item takes its published versions offline,
//! so it needs both the `write` and the `publish` scope.

use chorus_entities::{PublicationStatus, Role};

/// What an API token may be used for.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    ReadDrafts,
    Write,
    Publish,
    Admin,
}

impl Scope {
    pub const ALL: [Scope; 4] = [Scope::ReadDrafts, Scope::Write, Scope::Publish, Scope::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::ReadDrafts => "read_drafts",
            Scope::Write => "write",
            Scope::Publish => "publish",
            Scope::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|x| x.as_str() == s.trim())
    }
}

/// A localised field of an item.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Field {
    Title,
    Summary,
    Body,
    Slug,
    /// The documents (files) of one locale version.
    Document,
}

impl Field {
    pub const ALL: [Field; 5] = [Field::Title, Field::Summary, Field::Body, Field::Slug, Field::Document];
}

/// Everything a caller can ask to do.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Action<'a> {
    /// See unpublished content.
    ReadDrafts,
    /// Create an item (with its source-locale text).
    CreateItem,
    /// Change language-neutral facts and links of an item.
    EditStructure,
    DeleteItem,
    /// Change one localised field of one locale version of an item.
    EditText {
        locale: &'a str,
        source_locale: &'a str,
        field: Field,
    },
    /// Move one locale version to a status.
    SetStatus {
        locale: &'a str,
        source_locale: &'a str,
        to: PublicationStatus,
    },
    /// Take one locale version offline.
    Unpublish {
        locale: &'a str,
    },
    ManageTaxonomy,
    ManageUsers,
    ManageWebhooks,
    /// Create, change, rotate and revoke partner keys; read their use.
    ManagePartnerKeys,
    ReadAudit,
}

/// Who is asking: a user, possibly through a scoped API token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub user_id: i32,
    pub display_name: String,
    pub role: Role,
    /// The locales a translator or reviewer works in.
    pub locales: Vec<String>,
    /// `Some` when acting through an API token.
    pub scopes: Option<Vec<Scope>>,
    /// The session used, so that logout can revoke it.
    pub session_id: Option<i32>,
}

/// The scopes an API token needs for an action (all of them).
fn required_scopes(action: &Action) -> &'static [Scope] {
    match action {
        Action::ReadDrafts => &[Scope::ReadDrafts],
        Action::CreateItem | Action::EditStructure | Action::EditText { .. } | Action::ManageTaxonomy => {
            &[Scope::Write]
        }
        // Deleting also takes every published version offline.
        Action::DeleteItem => &[Scope::Write, Scope::Publish],
        Action::SetStatus { to: PublicationStatus::Draft | PublicationStatus::InReview, .. } => &[Scope::Write],
        Action::SetStatus { .. } | Action::Unpublish { .. } => &[Scope::Publish],
        Action::ManageUsers | Action::ManageWebhooks | Action::ManagePartnerKeys | Action::ReadAudit => &[Scope::Admin],
    }
}

fn role_allows(role: Role, locales: &[String], action: &Action) -> bool {
    let listed = |locale: &str| locales.iter().any(|l| l == locale);
    match role {
        Role::Admin => true,
        Role::Editor => !matches!(
            action,
            Action::ManageUsers | Action::ManageWebhooks | Action::ManagePartnerKeys | Action::ReadAudit
        ),
        Role::Translator => match *action {
            Action::ReadDrafts => true,
            Action::EditText { locale, source_locale, .. } => listed(locale) && locale != source_locale,
            Action::SetStatus { locale, source_locale, to } => {
                listed(locale)
                    && locale != source_locale
                    && matches!(to, PublicationStatus::Draft | PublicationStatus::InReview)
            }
            _ => false,
        },
        Role::Reviewer => match *action {
            Action::ReadDrafts => true,
            Action::SetStatus { locale, .. } | Action::Unpublish { locale } => listed(locale),
            _ => false,
        },
        Role::Viewer => matches!(action, Action::ReadDrafts),
    }
}

/// Whether `principal` may perform `action`.
pub fn allows(principal: &Principal, action: &Action) -> bool {
    role_allows(principal.role, &principal.locales, action)
        && principal.scopes.as_ref().is_none_or(|scopes| required_scopes(action).iter().all(|s| scopes.contains(s)))
}

impl From<&Principal> for crate::write::Actor {
    fn from(p: &Principal) -> crate::write::Actor {
        crate::write::Actor { user_id: (p.user_id > 0).then_some(p.user_id), display_name: p.display_name.clone() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use PublicationStatus::*;

    fn who(role: Role, locales: &[&str], scopes: Option<&[Scope]>) -> Principal {
        Principal {
            user_id: 1,
            display_name: "t".into(),
            role,
            locales: locales.iter().map(|s| s.to_string()).collect(),
            scopes: scopes.map(|s| s.to_vec()),
            session_id: None,
        }
    }

    /// The whole table: every role, every action, in a listed and an unlisted locale, on the
    /// source locale and a target locale, for every field.
    #[test]
    fn policy_table() {
        let roles = [Role::Admin, Role::Editor, Role::Translator, Role::Reviewer, Role::Viewer];
        for role in roles {
            let p = who(role, &["fr"], None);
            let structural = [Action::CreateItem, Action::EditStructure, Action::DeleteItem, Action::ManageTaxonomy];
            for a in structural {
                assert_eq!(allows(&p, &a), matches!(role, Role::Admin | Role::Editor), "{role:?} {a:?}");
            }
            for a in [Action::ManageUsers, Action::ManageWebhooks, Action::ManagePartnerKeys, Action::ReadAudit] {
                assert_eq!(allows(&p, &a), role == Role::Admin, "{role:?} {a:?}");
            }
            assert!(allows(&p, &Action::ReadDrafts), "{role:?} reads drafts");
            for field in Field::ALL {
                for (locale, source) in [("fr", "en"), ("es", "en"), ("fr", "fr"), ("en", "en")] {
                    let a = Action::EditText { locale, source_locale: source, field };
                    let expected = match role {
                        Role::Admin | Role::Editor => true,
                        Role::Translator => locale == "fr" && source != "fr",
                        Role::Reviewer | Role::Viewer => false,
                    };
                    assert_eq!(allows(&p, &a), expected, "{role:?} {a:?}");
                }
            }
            for locale in ["fr", "es"] {
                for source_locale in ["en", "fr"] {
                    for to in [Draft, InReview, Published, Archived] {
                        let a = Action::SetStatus { locale, source_locale, to };
                        let expected = match role {
                            Role::Admin | Role::Editor => true,
                            // Never the source version: that is the editors' text.
                            Role::Translator => {
                                locale == "fr" && source_locale != "fr" && matches!(to, Draft | InReview)
                            }
                            Role::Reviewer => locale == "fr",
                            Role::Viewer => false,
                        };
                        assert_eq!(allows(&p, &a), expected, "{role:?} {a:?}");
                    }
                }
                let a = Action::Unpublish { locale };
                let expected = match role {
                    Role::Admin | Role::Editor => true,
                    Role::Reviewer => locale == "fr",
                    Role::Translator | Role::Viewer => false,
                };
                assert_eq!(allows(&p, &a), expected, "{role:?} {a:?}");
            }
        }
    }

    #[test]
    fn tokens_are_narrowed_to_their_scopes() {
        let read_only = who(Role::Admin, &[], Some(&[Scope::ReadDrafts]));
        assert!(allows(&read_only, &Action::ReadDrafts));
        assert!(!allows(&read_only, &Action::CreateItem));
        assert!(!allows(&read_only, &Action::ManageUsers));
        let writer = who(Role::Editor, &[], Some(&[Scope::Write]));
        assert!(allows(&writer, &Action::CreateItem));
        assert!(allows(&writer, &Action::SetStatus { locale: "fr", source_locale: "en", to: InReview }));
        assert!(!allows(&writer, &Action::SetStatus { locale: "fr", source_locale: "en", to: Published }));
        // Deleting takes published versions offline: `write` alone is not enough, nor `publish`.
        assert!(!allows(&writer, &Action::DeleteItem));
        assert!(!allows(&who(Role::Editor, &[], Some(&[Scope::Publish])), &Action::DeleteItem));
        assert!(allows(&who(Role::Editor, &[], Some(&[Scope::Write, Scope::Publish])), &Action::DeleteItem));
        assert!(allows(&who(Role::Editor, &[], None), &Action::DeleteItem), "a session has its role's rights");
        // A scope never widens a role.
        let viewer_admin_scope = who(Role::Viewer, &[], Some(&Scope::ALL));
        assert!(!allows(&viewer_admin_scope, &Action::ManageUsers));
        assert!(!allows(&viewer_admin_scope, &Action::CreateItem));
    }
}
