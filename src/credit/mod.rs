//! Credit: records, the rule table, the effective tier and credit repair (信用修复).

pub mod record;
pub mod repair;
pub mod rules;
pub mod service;
pub mod store;
pub mod tier;
