//! The annual plan around the solver's method `dr2`: its report (joint visits, visits per
//! enterprise against the caps, inspector load, inclusion probabilities, the comparison with
//! uncoordinated department draws) as text, JSON, CSV and SVG.

pub mod advise;
pub mod report;
pub mod rows;
pub mod svg;
