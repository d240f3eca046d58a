//! Chorus: a headless CMS for multilingual advocacy content.
//!
//! The library behind the `chorus` binary. `startup::Application` builds and runs the server;
//! `content` holds the framework-free services; `graphql` and `http` are thin layers over them.

pub mod auth;
pub mod cache;
pub mod changes;
pub mod cli;
pub mod config;
pub mod content;
pub mod db;
pub mod demo;
pub mod error;
pub mod exchange;
pub mod graphql;
pub mod http;
pub mod locale;
pub mod memory;
pub mod metrics;
pub mod partners;
pub mod search;
pub mod startup;
pub mod state;
pub mod storage;
pub mod webhooks;
pub mod write;
