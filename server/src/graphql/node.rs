//! Relay's `node(id:)`: any object by its global id.

use async_graphql::{Context, ID, Interface, Object};
use chorus_entities::Taxonomy;

use super::connection::lookup;
use super::error::IntoGql;
use super::good_practices::GoodPractice;
use super::ids::{self, NodeType};
use super::organizations::Organization;
use super::plain::{Plain, plain_interface};
use super::programmes::Programme;
use super::request_locale;
use super::resources::Resource;
use super::taxonomy::{Country, Region, Topic, terms};

/// An object with a global id.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID"))]
pub enum Node {
    Resource(Resource),
    GoodPractice(GoodPractice),
    Organization(Organization),
    Programme(Programme),
    Region(Region),
    Country(Country),
    Topic(Topic),
}

plain_interface!(Node { Resource, GoodPractice, Organization, Programme, Region, Country, Topic });

#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Any published object by its global id; null when there is none.
    async fn node(
        &self,
        ctx: &Context<'_>,
        id: ID,
        locale: Option<String>,
        preview: Option<bool>,
    ) -> async_graphql::Result<Option<Plain<Node>>> {
        let request = request_locale(ctx, locale.as_deref(), preview).gql()?;
        let (ty, n) = ids::decode(&id).gql()?;
        let term = |taxonomy: Taxonomy| async move {
            let found = terms(ctx, &[n]).await?;
            Ok::<_, async_graphql::Error>(found.into_iter().find(|t| t.taxonomy == taxonomy))
        };
        if let Some(content) = ty.content_type() {
            return Ok(
                with_item_type!(content, T => lookup::<T>(ctx, n, &request).await?.map(|item| Plain(Node::from(item)))),
            );
        }
        let node = match ty {
            NodeType::Region => term(Taxonomy::Region).await?.map(|term| Node::Region(Region { term, request })),
            NodeType::Country => term(Taxonomy::Country).await?.map(|term| Node::Country(Country { term, request })),
            NodeType::Topic => term(Taxonomy::Topic).await?.map(|term| Node::Topic(Topic { term, request })),
            // Accounts are not public objects; items are answered above.
            _ => None,
        };
        Ok(node.map(Plain))
    }
}
