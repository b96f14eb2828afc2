//! Method `dr2`: the annual plan (`docs/plan-model.md`).
//!
//! Who is drawn is exactly the `dr1` selection (`docs/architecture.md`, rule 5: the optimizer cannot bias
//! the draw). What is not a matter of luck is then optimized per region, on aggregates: which
//! checks of one enterprise merge into one joint visit (进一次门、查多项事), which period each visit
//! falls in within its window, and how each department's inspector capacity is shared over the
//! periods. Individual visits are placed from the aggregate decisions by seeded numbers, and
//! teams are drawn within the planned capacity. Checks that cannot be planned are listed with
//! the shortage that stops them; a re-plan pins the visits already done or under way.

pub mod annual;
pub mod cells;
pub mod check;
pub mod integer;
pub mod model;
pub mod output;
pub mod place;
pub mod shortage;
pub mod teams;

mod assemble;

pub use annual::Annual;
pub use assemble::{draw, Change, Plan, RegionPlan, Unplanned, Visit};

/// The method identifier written in every `dr2` bundle.
pub const METHOD: &str = crate::Method::Dr2.id();

#[cfg(test)]
mod tests;
