//! Objects resolved without a future per field.
//!
//! async-graphql resolves each selected field of an object as a boxed future of its own, run in a
//! `FuturesUnordered` (an allocation and a task each), then merges the answers into the object by
//! name. A page of 20 resources with their organisations and topics is a few hundred such fields,
//! nearly all of them a value the object already holds (a title, a date, an id). `Plain<T>` is
//! `T` as the schema knows it (same name, same fields), resolved differently: the fields `T`
//! answers at once (`PlainFields`) are written in place, in the order selected, and only the
//! others go through `T`'s generated resolver, concurrently. Fragments that apply to the object
//! (`... on Resource`, `...ResourceFields`, or on an interface it implements) are read as if their
//! fields were written in their place, and those that do not are skipped, as async-graphql does.
//! A selection set it does not read as simply (a directive, a response key given twice) is handed
//! to async-graphql's own resolution, unchanged. `plain_interface!` gives an interface or union
//! the same resolution, through the object it holds. The schema has no extensions: one watching
//! each field (tracing, say) would not see the fields written in place.

use std::borrow::Cow;

use async_graphql::indexmap::IndexMap;
use async_graphql::indexmap::map::Entry;
use async_graphql::parser::types::{Field, Selection, SelectionSet};
use async_graphql::registry::Registry;
use async_graphql::resolver_utils::resolve_container;
use async_graphql::{ContainerType, ContextSelectionSet, OutputType, Positioned, ServerResult, Value};
use futures_util::future::BoxFuture;

/// The fields of an object that take no argument and need nothing awaited.
pub trait PlainFields {
    /// The value of the field named `name` (its schema name), exactly as the object's resolver
    /// would give it; `None` for every field it does not answer this way.
    fn plain_field(&self, name: &str) -> Option<Value>;
}

/// An object `Plain` can resolve.
pub trait PlainObject: OutputType + ContainerType + PlainFields {}

impl<T: OutputType + ContainerType + PlainFields> PlainObject for T {}

/// `T`, resolved field by field in place where it can be (see the module's description).
pub struct Plain<T>(pub T);

impl<T: PlainObject> OutputType for Plain<T> {
    fn type_name() -> Cow<'static, str> {
        T::type_name()
    }

    fn qualified_type_name() -> String {
        T::qualified_type_name()
    }

    fn introspection_type_name(&self) -> Cow<'static, str> {
        self.0.introspection_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        T::create_type_info(registry)
    }

    async fn resolve(&self, ctx: &ContextSelectionSet<'_>, _field: &Positioned<Field>) -> ServerResult<Value> {
        resolve(ctx, &self.0).await
    }
}

/// The fields of `set` for `root`, those of the fragments that apply to it included: each plain
/// one's value in `out`, the others' places in `out` (holding null) and selections in `pending`.
/// `false` when the set needs async-graphql's own resolution (see the module's description).
fn collect<'a, T: PlainObject>(
    ctx: &ContextSelectionSet<'a>,
    set: &'a SelectionSet,
    root: &T,
    out: &mut IndexMap<async_graphql::Name, Value>,
    pending: &mut Vec<(usize, &'a Positioned<Field>)>,
) -> bool {
    for selection in &set.items {
        if !selection.node.directives().is_empty() {
            return false;
        }
        let (condition, inner) = match &selection.node {
            Selection::Field(field) => {
                let name = field.node.name.node.as_str();
                let value = if name == "__typename" {
                    Some(Value::String(root.introspection_type_name().into_owned()))
                } else if field.node.arguments.is_empty() {
                    root.plain_field(name)
                } else {
                    None
                };
                let Entry::Vacant(slot) = out.entry(field.node.response_key().node.clone()) else {
                    // Two selections answered under one key are merged: async-graphql knows how.
                    return false;
                };
                let index = slot.index();
                match value {
                    Some(v) => {
                        slot.insert(v);
                    }
                    None => {
                        slot.insert(Value::Null);
                        pending.push((index, field));
                    }
                }
                continue;
            }
            Selection::InlineFragment(fragment) => {
                (fragment.node.type_condition.as_ref().map(|c| c.node.on.node.as_str()), &fragment.node.selection_set)
            }
            Selection::FragmentSpread(spread) => {
                let Some(fragment) = ctx.query_env.fragments.get(&spread.node.fragment_name.node) else {
                    // async-graphql reports it.
                    return false;
                };
                if !fragment.node.directives.is_empty() {
                    return false;
                }
                (Some(fragment.node.type_condition.node.on.node.as_str()), &fragment.node.selection_set)
            }
        };
        // As async-graphql decides (`Fields::add_set`): a fragment applies without a condition, on
        // the object's own type, or on an interface the object implements; others are skipped.
        let name = root.introspection_type_name();
        let applies = condition.is_none_or(|c| {
            c == name || ctx.schema_env.registry.implements.get(&*name).is_some_and(|interfaces| interfaces.contains(c))
        });
        if applies && !collect(ctx, &inner.node, root, out, pending) {
            return false;
        }
    }
    true
}

/// `root` resolved as `Plain` resolves it, for `Plain<T>` and `plain_interface!`.
pub(super) async fn resolve<T: PlainObject>(ctx: &ContextSelectionSet<'_>, root: &T) -> ServerResult<Value> {
    let items = &ctx.item.node.items;
    let mut out: IndexMap<async_graphql::Name, Value> = IndexMap::with_capacity(items.len());
    // The fields left to the generated resolver: their place in `out` and their selection.
    let mut pending: Vec<(usize, &Positioned<Field>)> = Vec::new();
    if !collect(ctx, &ctx.item.node, root, &mut out, &mut pending) {
        return resolve_container(ctx, root).await;
    }
    if !pending.is_empty() {
        // Boxed: a field may hold objects of the same type (an organisation's members), whose
        // resolution would otherwise be part of this future's own type.
        let answers = futures_util::future::join_all(pending.iter().map(|&(_, field)| -> BoxFuture<'_, _> {
            Box::pin(async move {
                let ctx_field = ctx.with_field(field);
                root.resolve_field(&ctx_field).await
            })
        }))
        .await;
        let mut failed = Vec::new();
        for (&(index, _), answer) in pending.iter().zip(answers) {
            match answer {
                Ok(value) => out[index] = value.unwrap_or_default(),
                Err(e) => {
                    // As async-graphql does: the error is reported and the field left out.
                    ctx.add_error(e);
                    failed.push(index);
                }
            }
        }
        for index in failed.into_iter().rev() {
            out.shift_remove_index(index);
        }
    }
    Ok(if out.is_empty() { Value::Null } else { Value::Object(out) })
}

/// `Plain<$ty>` for an interface or union `$ty` whose variants each hold one `PlainObject`, named
/// as the variants: resolved as `Plain` resolves the object the value holds.
macro_rules! plain_interface {
    ($ty:ident { $($variant:ident),+ $(,)? }) => {
        impl async_graphql::OutputType for $crate::graphql::plain::Plain<$ty> {
            fn type_name() -> std::borrow::Cow<'static, str> {
                <$ty as async_graphql::OutputType>::type_name()
            }

            fn qualified_type_name() -> String {
                <$ty as async_graphql::OutputType>::qualified_type_name()
            }

            fn introspection_type_name(&self) -> std::borrow::Cow<'static, str> {
                async_graphql::OutputType::introspection_type_name(&self.0)
            }

            fn create_type_info(registry: &mut async_graphql::registry::Registry) -> String {
                <$ty as async_graphql::OutputType>::create_type_info(registry)
            }

            async fn resolve(
                &self,
                ctx: &async_graphql::ContextSelectionSet<'_>,
                _field: &async_graphql::Positioned<async_graphql::parser::types::Field>,
            ) -> async_graphql::ServerResult<async_graphql::Value> {
                match &self.0 {
                    $($ty::$variant(object) => $crate::graphql::plain::resolve(ctx, object).await,)+
                }
            }
        }
    };
}
pub(super) use plain_interface;
