//! Errors carry the input name and position as data, so `main` can print one line and pick the
//! exit code with a `match` (no downcasting), and tests can assert on `position()`.

use std::fmt;
use std::io;

/// Where in an input something went wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Position {
    /// 1-based line number of a text input.
    Line(u64),
    /// 0-based byte offset of a binary input (pstats).
    Byte(u64),
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Position::Line(n) => write!(f, "line {n}"),
            Position::Byte(n) => write!(f, "byte {n}"),
        }
    }
}

/// What went wrong.
#[derive(Debug)]
pub enum ErrorKind {
    /// Reading or writing failed.
    Io(io::Error),
    /// The input holds nothing this tool can use; the text says what it looked like.
    NoData(String),
    /// The input is malformed; the text says what was expected.
    Invalid(String),
    /// The command line asks for something impossible.
    Usage(String),
}

/// An error, with the input it concerns and the position when known.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    input: Option<String>,
    at: Option<Position>,
}

/// Shorthand used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Builds an error of the given kind with no input name or position yet.
    pub fn new(kind: ErrorKind) -> Self {
        Error {
            kind,
            input: None,
            at: None,
        }
    }

    /// Malformed input: `what` says what was expected.
    pub fn invalid(what: impl Into<String>) -> Self {
        Error::new(ErrorKind::Invalid(what.into()))
    }

    /// Nothing usable in the input.
    pub fn no_data(what: impl Into<String>) -> Self {
        Error::new(ErrorKind::NoData(what.into()))
    }

    /// A command-line combination that cannot work.
    pub fn usage(what: impl Into<String>) -> Self {
        Error::new(ErrorKind::Usage(what.into()))
    }

    /// Sets the position, unless one is already known (the innermost parser knows best).
    pub fn at(mut self, at: Position) -> Self {
        self.at.get_or_insert(at);
        self
    }

    /// Sets the input name, unless one is already known.
    pub fn in_input(mut self, input: &str) -> Self {
        if self.input.is_none() {
            self.input = Some(input.to_string());
        }
        self
    }

    /// The kind of error.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// The position in the input, when known.
    pub fn position(&self) -> Option<Position> {
        self.at
    }

    /// The input name, when known.
    pub fn input(&self) -> Option<&str> {
        self.input.as_deref()
    }

    /// True when stdout was closed by the reader (`| head`): not a failure.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(&self.kind, ErrorKind::Io(e) if e.kind() == io::ErrorKind::BrokenPipe)
    }
}

impl From<io::Error> for Error {
    fn from(err: io::Error) -> Self {
        Error::new(ErrorKind::Io(err))
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::Io(e) => write!(f, "{e}"),
            ErrorKind::NoData(s) | ErrorKind::Invalid(s) | ErrorKind::Usage(s) => f.write_str(s),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(input) = &self.input {
            write!(f, "{input}: ")?;
        }
        if let Some(at) = self.at {
            write!(f, "{at}: ")?;
        }
        write!(f, "{}", self.kind)
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_puts_input_then_position_then_message() {
        let err = Error::invalid("expected a row")
            .at(Position::Line(3))
            .in_input("x.log");
        assert_eq!(err.to_string(), "x.log: line 3: expected a row");
    }

    #[test]
    fn the_innermost_position_wins() {
        let err = Error::invalid("bad")
            .at(Position::Byte(7))
            .at(Position::Byte(0));
        assert_eq!(err.position(), Some(Position::Byte(7)));
    }
}
