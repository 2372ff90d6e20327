//! Fitting text to a terminal's width: word wrapping with a hanging indent, measured in
//! display columns with colour escapes left out, so a coloured line and its plain twin wrap
//! at the same places.

use unicode_width::UnicodeWidthChar;

/// Display columns of `s`, not counting SGR escape sequences (`ESC [ … m`).
pub fn visible_width(s: &str) -> usize {
    let mut width = 0;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            // Skip to the end of the escape sequence.
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
            continue;
        }
        width += c.width().unwrap_or(0);
    }
    width
}

/// Wrap `text` after `prefix` (which may hold colour escapes) so that no line is wider than
/// `width` columns; continuation lines start with `indent` spaces. Words longer than a line
/// are cut. Returns the lines without their newlines; `None` as width leaves the text on
/// one line.
pub fn wrap(prefix: &str, text: &str, indent: usize, width: Option<usize>) -> Vec<String> {
    let Some(width) = width else {
        return vec![format!("{prefix}{text}")];
    };
    // Keep at least 20 columns for the text, whatever the indent.
    let indent = indent.min(width.saturating_sub(20));
    let mut lines = Vec::new();
    let mut line = prefix.to_string();
    let mut used = visible_width(prefix);
    if used >= width && !text.is_empty() {
        lines.push(std::mem::take(&mut line));
        line = " ".repeat(indent);
        used = indent;
    }
    let mut at_line_start = true;
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let w = visible_width(word);
        let needed = if at_line_start { w } else { w + 1 };
        if used + needed > width && !at_line_start {
            lines.push(std::mem::take(&mut line));
            line = " ".repeat(indent);
            used = indent;
            at_line_start = true;
        }
        if !at_line_start {
            line.push(' ');
            used += 1;
        }
        if used + w <= width {
            line.push_str(word);
            used += w;
        } else {
            // A word wider than the line: cut it at the margin, as often as needed.
            for c in word.chars() {
                let cw = c.width().unwrap_or(0);
                if used + cw > width && used > indent {
                    lines.push(std::mem::take(&mut line));
                    line = " ".repeat(indent);
                    used = indent;
                }
                line.push(c);
                used += cw;
            }
        }
        at_line_start = false;
    }
    lines.push(line);
    lines
}

/// Cut `line` to `width` columns, ending it with `…` when something was left out.
pub fn truncate(line: &str, width: Option<usize>) -> String {
    let Some(width) = width else {
        return line.to_string();
    };
    if visible_width(line) <= width {
        return line.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in line.chars() {
        let cw = c.width().unwrap_or(0);
        if used + cw + 1 > width {
            break;
        }
        out.push(c);
        used += cw;
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn width_ignores_colour_and_counts_wide_characters() {
        assert_eq!(visible_width("\x1b[1;31mfail\x1b[0m"), 4);
        assert_eq!(visible_width("时间"), 4);
        assert_eq!(visible_width("ok ✓"), 4);
    }

    #[test]
    fn wraps_with_a_hanging_indent() {
        let text = "renew the certificate before it expires";
        let lines = wrap("fix: ", text, 5, Some(25));
        assert_eq!(
            lines,
            [
                "fix: renew the",
                "     certificate before",
                "     it expires"
            ]
        );
        // A narrow width keeps 20 columns for the text, giving up the indent.
        let narrow = wrap("fix: ", text, 5, Some(20));
        assert!(narrow.iter().all(|l| visible_width(l) <= 20), "{narrow:?}");
        assert_eq!(narrow.join(" ").split_whitespace().count(), 7);
    }

    #[test]
    fn a_coloured_prefix_wraps_like_a_plain_one() {
        let plain = wrap("fail ", "one two three four five six", 5, Some(16));
        let coloured = wrap(
            "\x1b[31mfail\x1b[0m ",
            "one two three four five six",
            5,
            Some(16),
        );
        assert_eq!(plain.len(), coloured.len());
        for (p, c) in plain.iter().zip(&coloured) {
            assert_eq!(visible_width(p), visible_width(c));
        }
    }

    #[test]
    fn long_words_are_cut_at_the_margin() {
        let word = "a".repeat(70);
        let lines = wrap("  ", &format!("see {word}"), 2, Some(30));
        assert!(lines.iter().all(|l| visible_width(l) <= 30), "{lines:?}");
        assert_eq!(lines.concat().matches('a').count(), 70);
    }

    #[test]
    fn no_width_keeps_one_line() {
        assert_eq!(wrap("x ", "a b c", 2, None), ["x a b c"]);
    }

    #[test]
    fn truncation_marks_the_cut() {
        assert_eq!(truncate("abcdefgh", Some(5)), "abcd…");
        assert_eq!(truncate("abc", Some(5)), "abc");
    }
}
