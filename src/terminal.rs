//! Text that reaches the terminal (stderr): errors from `main`, warnings from
//! [`crate::print_diagnostics`]. File names and messages can hold bytes from the user (an ESC
//! that starts a colour or cursor sequence, a newline that forges a second line), so every such
//! line goes through [`clean`] first, in one place, instead of each caller deciding.

use std::borrow::Cow;

/// `text` with every control character (C0, DEL, C1: ESC, CR, LF, TAB, ...) replaced by a
/// space, so one message stays one line and cannot drive the terminal. Borrowed when there is
/// nothing to replace.
pub fn clean(text: &str) -> Cow<'_, str> {
    if text.chars().any(char::is_control) {
        Cow::Owned(
            text.chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect(),
        )
    } else {
        Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::clean;

    #[test]
    fn control_characters_become_spaces_and_the_rest_is_kept() {
        assert_eq!(
            clean("a\x1b[31mb\nc\r\td\u{7f}e\u{9b}f"),
            "a [31mb c  d e f"
        );
        assert_eq!(clean("naïve → ok"), "naïve → ok");
        assert!(matches!(
            clean("plain"),
            std::borrow::Cow::Borrowed("plain")
        ));
    }
}
