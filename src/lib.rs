//! importflame turns Python profiling output into flame graphs.
#![warn(missing_docs)]

pub mod diagnostics;
pub mod error;
pub mod input;
pub mod model;
