//! Placement of visits by the annual plan (`docs/plan-model.md`), for a method that
//! [places annually](crate::Method::places_annually) (`dr2`).
//!
//! Who is drawn is exactly the selection of [`crate::selection`] (`docs/architecture.md`, rule
//! 5: the optimizer cannot bias the draw). What is not a matter of luck is then optimized per
//! region, on aggregates: which checks of one enterprise merge into one joint visit (进一次门、查多项事), which period each visit
//! falls in within its window, and how each department's inspector capacity is shared over the
//! periods. Individual visits are placed from the aggregate decisions by seeded numbers, and
//! teams are drawn within the planned capacity. Checks that cannot be planned are listed with
//! the shortage that stops them; a re-plan pins the visits already done or under way.

pub mod cells;
pub mod integer;
pub mod model;
pub mod place;
pub mod shortage;
pub mod specialty;

mod assemble;

pub use assemble::{draw, draw_on, Change, Plan, RegionPlan, Unplanned, Visit};

#[cfg(test)]
mod specialty_tests;
#[cfg(test)]
mod tests;
