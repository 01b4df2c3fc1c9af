//! Between the checker's byte offsets and file paths and LSP's UTF-16 positions and URIs.

use lsp_types::{Position, Range, Uri};
use std::path::PathBuf;

/// The LSP position (line, UTF-16 column) of byte `offset` in `text`.
pub fn position(text: &str, offset: usize) -> Position {
    let offset = offset.min(text.len());
    let before = &text[..floor_char(text, offset)];
    let line = before.matches('\n').count();
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    let character = before[start..].encode_utf16().count();
    Position { line: line as u32, character: character as u32 }
}

/// The byte offset of an LSP position in `text` (clamped to the line and the text).
pub fn offset(text: &str, pos: Position) -> usize {
    let mut start = 0;
    for _ in 0..pos.line {
        match text[start..].find('\n') {
            Some(i) => start += i + 1,
            None => return text.len(),
        }
    }
    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let mut units = 0;
    for (i, c) in text[start..line_end].char_indices() {
        if units >= pos.character as usize {
            return start + i;
        }
        units += c.len_utf16();
    }
    line_end
}

fn floor_char(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The LSP range of the bytes `range` of `text`.
pub fn range(text: &str, range: std::ops::Range<usize>) -> Range {
    Range { start: position(text, range.start), end: position(text, range.end) }
}

/// The file path of a `file:` URI (percent-decoded), or the URI text for other schemes.
pub fn path(uri: &Uri) -> PathBuf {
    let s = uri.as_str();
    let Some(rest) = s.strip_prefix("file://") else { return PathBuf::from(s) };
    let bytes = rest.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    PathBuf::from(String::from_utf8_lossy(&out).into_owned())
}

/// The `file:` URI of a path.
pub fn uri(path: &std::path::Path) -> Option<Uri> {
    let abs = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let mut s = String::from("file://");
    for b in abs.to_string_lossy().bytes() {
        if b.is_ascii_alphanumeric() || b"/-_.~".contains(&b) {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_utf16_and_round_trip() {
        let text = "ab\nλx𝔸y\nz";
        let y = text.find('y').unwrap();
        let p = position(text, y);
        assert_eq!((p.line, p.character), (1, 4));
        assert_eq!(offset(text, p), y);
        assert_eq!(offset(text, Position { line: 9, character: 0 }), text.len());
        assert_eq!(offset(text, Position { line: 0, character: 99 }), 2);
    }

    #[test]
    fn file_uris_round_trip() {
        let u = uri(std::path::Path::new("/tmp/a b.gan")).unwrap();
        assert_eq!(u.as_str(), "file:///tmp/a%20b.gan");
        assert_eq!(path(&u), PathBuf::from("/tmp/a b.gan"));
    }
}
