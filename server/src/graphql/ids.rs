//! Global object ids: opaque, base64url of `Type:number`.

use async_graphql::ID;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::content::ContentType;
use crate::error::{AppError, AppResult};

/// The node types that have global ids.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum NodeType {
    Resource,
    GoodPractice,
    Organization,
    Programme,
    Region,
    Country,
    Topic,
    User,
    Document,
}

impl NodeType {
    const ALL: [NodeType; 9] = [
        NodeType::Resource,
        NodeType::GoodPractice,
        NodeType::Organization,
        NodeType::Programme,
        NodeType::Region,
        NodeType::Country,
        NodeType::Topic,
        NodeType::User,
        NodeType::Document,
    ];

    fn name(self) -> &'static str {
        match self {
            NodeType::Resource => "Resource",
            NodeType::GoodPractice => "GoodPractice",
            NodeType::Organization => "Organization",
            NodeType::Programme => "Programme",
            NodeType::Region => "Region",
            NodeType::Country => "Country",
            NodeType::Topic => "Topic",
            NodeType::User => "User",
            NodeType::Document => "Document",
        }
    }
}

impl NodeType {
    /// The node type of a content type's items.
    pub fn of(ty: ContentType) -> NodeType {
        match ty {
            ContentType::Resource => NodeType::Resource,
            ContentType::GoodPractice => NodeType::GoodPractice,
            ContentType::Organization => NodeType::Organization,
            ContentType::Programme => NodeType::Programme,
        }
    }

    /// The content type of a node type, for items.
    pub fn content_type(self) -> Option<ContentType> {
        ContentType::ALL.into_iter().find(|ty| NodeType::of(*ty) == self)
    }
}

pub fn encode(ty: NodeType, id: i32) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{}:{id}", ty.name())))
}

/// Decodes any global id; a malformed one is a `BAD_USER_INPUT` error.
pub fn decode(id: &str) -> AppResult<(NodeType, i32)> {
    let bad = || AppError::bad_input("malformed id: pass an `id` returned by this API");
    if id.len() > 64 {
        return Err(bad());
    }
    let raw = URL_SAFE_NO_PAD.decode(id).map_err(|_| bad())?;
    let raw = std::str::from_utf8(&raw).map_err(|_| bad())?;
    let (name, num) = raw.split_once(':').ok_or_else(bad)?;
    let ty = NodeType::ALL.into_iter().find(|t| t.name() == name).ok_or_else(bad)?;
    let num: i32 = num.parse().map_err(|_| bad())?;
    Ok((ty, num))
}

/// Decodes an id that must be of one type.
pub fn decode_as(id: &str, ty: NodeType) -> AppResult<i32> {
    match decode(id)? {
        (t, n) if t == ty => Ok(n),
        _ => Err(AppError::bad_input(format!("id is not a {} id", ty.name()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        let id = encode(NodeType::Organization, 42);
        assert_eq!(decode(&id).unwrap(), (NodeType::Organization, 42));
        assert!(decode_as(&id, NodeType::Resource).is_err());
        for bad in ["", "???", "UmVzb3VyY2U", "Rm9vOjE", "UmVzb3VyY2U6eA"] {
            assert!(decode(bad).is_err(), "{bad}");
        }
    }
}
