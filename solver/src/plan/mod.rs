//! Plans as published: the plan files a method writes and the independent checks of its rules
//! (`docs/draw-protocol.md`, "Plan files" and "Verification"; `docs/plan-model.md`, "Bundle
//! files" and "Verification"). The selection's plan ([`crate::selection::Plan`]) has
//! [`files`] and [`check`]; a method that [places annually](crate::Method::places_annually)
//! publishes the annual plan ([`crate::placement::Plan`]) with [`annual_files`] and
//! [`annual_check`], whose selection files and checks are the selection's own.

pub mod annual_check;
pub mod annual_files;
pub mod bound;
pub mod check;
pub mod files;
