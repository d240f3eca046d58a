//! Chorus integration tests: one binary, each test with its own server on port 0, its own data
//! directory and its own database, run once on SQLite and once on PostgreSQL.

mod auth;
mod codes;
mod crash;
mod documents;
mod editorial;
mod embed;
mod frontend;
mod hardening;
mod http;
mod lifecycle;
mod lists;
mod locales;
mod plans;
mod protection;
mod search;
mod translations;
mod webhooks;

use serde_json::Value;

/// The nodes of a connection in a response.
pub fn nodes(connection: &Value) -> Vec<Value> {
    connection["edges"].as_array().expect("edges").iter().map(|e| e["node"].clone()).collect()
}

/// The `extensions.code` of the first error.
pub fn first_code(body: &Value) -> String {
    body["errors"][0]["extensions"]["code"].as_str().unwrap_or_else(|| panic!("no error code in {body}")).to_owned()
}
