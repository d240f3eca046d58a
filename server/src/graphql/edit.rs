//! Creating and changing items: one generic path from a type's GraphQL input to the generic
//! services in `content::items`. Each type provides only the conversion of its inputs.

use async_graphql::{Context, ID};

use super::connection::Item;
use super::error::IntoGql;
use super::{auth, ids, state};
use crate::content::items::{self, Kind, NewItem};
use crate::error::AppError;

/// A type whose items can be created and changed through the API.
pub trait Editable: Item {
    type Kind: Kind;
    type CreateInput: Send;
    type UpdateInput: Send;

    /// The service input of a creation (ids decoded, absent lists empty).
    fn new_item(input: Self::CreateInput) -> Result<NewItem<<Self::Kind as Kind>::New>, AppError>;

    /// The service input of a change (`null` clears, absent keeps).
    fn changes(input: Self::UpdateInput) -> Result<<Self::Kind as Kind>::Update, AppError>;
}

/// Resolves a type's create mutation: the new item's id.
pub async fn create<T: Editable>(ctx: &Context<'_>, input: T::CreateInput) -> async_graphql::Result<ID> {
    let who = auth::principal(ctx).gql()?;
    let new = T::new_item(input).gql()?;
    let id = items::create::<T::Kind>(state(ctx), who, new).await.gql()?;
    Ok(ids::encode(T::NODE, id))
}

/// Resolves a type's update mutation: the item's id.
pub async fn update<T: Editable>(ctx: &Context<'_>, id: ID, input: T::UpdateInput) -> async_graphql::Result<ID> {
    let who = auth::principal(ctx).gql()?;
    let n = ids::decode_as(&id, T::NODE).gql()?;
    let changes = T::changes(input).gql()?;
    items::update::<T::Kind>(state(ctx), who, n, changes).await.gql()?;
    Ok(id)
}

/// Decodes a list of organisation ids, naming the element that is not one.
pub fn organization_ids(list: Vec<ID>, field: &str) -> Result<Vec<i32>, AppError> {
    list.iter()
        .enumerate()
        .map(|(i, id)| {
            ids::decode_as(id, ids::NodeType::Organization)
                .map_err(|_| AppError::bad_input(format!("{field}[{i}]: not an organisation id")))
        })
        .collect()
}
