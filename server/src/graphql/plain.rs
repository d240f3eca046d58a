//! Objects resolved without a future per field.
//!
//! async-graphql resolves each selected field of an object as a boxed future of its own, run in a
//! `FuturesUnordered` (an allocation and a task each), then merges the answers into the object by
//! name. A page of 20 resources with their organisations and topics is a few hundred such fields,
//! nearly all of them a value the object already holds (a title, a date, an id). `Plain<T>` is
//! `T` as the schema knows it (same name, same fields), resolved differently: the fields `T`
//! answers at once (`PlainFields`) are written in place, in the order selected, and only the
//! others go through `T`'s generated resolver, concurrently. A selection set it does not read as
//! simply (a fragment, a directive, a response key given twice) is handed to async-graphql's own
//! resolution, unchanged. The schema has no extensions: one watching each field (tracing, say)
//! would not see the fields written in place.

use std::borrow::Cow;

use async_graphql::indexmap::IndexMap;
use async_graphql::indexmap::map::Entry;
use async_graphql::parser::types::{Field, Selection};
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

async fn resolve<T: PlainObject>(ctx: &ContextSelectionSet<'_>, root: &T) -> ServerResult<Value> {
    let items = &ctx.item.node.items;
    let mut out: IndexMap<async_graphql::Name, Value> = IndexMap::with_capacity(items.len());
    // The fields left to the generated resolver: their place in `out` and their selection.
    let mut pending: Vec<(usize, &Positioned<Field>)> = Vec::new();
    for selection in items {
        let Selection::Field(field) = &selection.node else { return resolve_container(ctx, root).await };
        if !field.node.directives.is_empty() {
            return resolve_container(ctx, root).await;
        }
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
            return resolve_container(ctx, root).await;
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
