//! Draws: prepare (freeze and commit), run (entropy, seed, plan), reveal, verify — the service
//! side of method `dr1`, around the pure `dualdraw_solver` (`selection`, `teams`, `plan`) (`docs/draw-protocol.md`).

pub mod annual;
pub mod bundle;
pub mod from_db;
pub mod plan_index;
pub mod population_index;
pub mod prepare;
pub mod private;
pub mod proof;
pub mod run;
pub mod state;
pub mod steps;
pub mod verify;
