//! The enterprise, department, item, inspector and conflict directories.

pub mod model;
pub mod profile;
pub mod store;
