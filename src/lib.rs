//! dualdraw: plans "double-random, one-public" (双随机、一公开) inspections under credit-based
//! supervision and publishes every draw so anyone can re-run it.
//!
//! `main.rs` only parses the command line and calls [`cli::run`]; tests drive the same code.

pub mod audit;
pub mod auth;
pub mod calendar;
pub mod calendar_store;
pub mod cli;
pub mod clock;
pub mod credit;
pub mod db;
pub mod demo;
pub mod draw;
pub mod gen;
pub mod http;
pub mod import;
pub mod inspection;
pub mod log;
pub mod plan;
pub mod progress;
pub mod registry;
pub mod settings;
pub mod web;

/// Serializes a value through its `Display` form (codes, tiers).
pub fn serde_display<T: std::fmt::Display, S: serde::Serializer>(
    value: &T,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}
