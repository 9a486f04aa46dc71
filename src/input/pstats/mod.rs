//! Placeholder until this parser lands: it recognises nothing.

use crate::error::{Error, Result};
use crate::model::Profile;

use super::ParseOptions;

/// Never claims an input yet.
pub fn sniff(_data: &[u8]) -> bool {
    false
}

/// Not implemented yet.
pub fn parse(_data: &[u8], _opts: &ParseOptions) -> Result<Profile> {
    Err(Error::no_data("this input format is not supported yet"))
}
