/// Checks text before it reaches a tracefs control file, so one request writes exactly one
/// definition: no newline, carriage return, NUL or other control character can smuggle a second
/// command into `uprobe_events`, a filter or a marker.
public enum ControlText {
    /// The longest marker ringside writes (the kernel cuts longer ones at about a sub-buffer).
    public static let maximumMarkerBytes = 4000
    /// The longest filter or probe definition ringside writes (the kernel takes at most a page).
    public static let maximumDefinitionBytes = 4000

    /// The first control character (C0, DEL) in `text` with its column (1-based), if any.
    public static func firstControlCharacter(in text: String) -> (column: Int, scalar: Unicode.Scalar)? {
        var column = 0
        for scalar in text.unicodeScalars {
            column += 1
            if scalar.value < 0x20 || scalar.value == 0x7f || (scalar.value >= 0x80 && scalar.value < 0xa0) {
                return (column, scalar)
            }
        }
        return nil
    }

    /// Describes a scalar for error messages (`newline`, `U+0007`).
    static func describe(_ scalar: Unicode.Scalar) -> String {
        switch scalar {
        case "\n": return "a newline"
        case "\r": return "a carriage return"
        case "\t": return "a tab"
        case "\0": return "a NUL byte"
        default: return "the control character U+" + String(scalar.value, radix: 16, uppercase: true).leftPadded(to: 4)
        }
    }

    /// Fails unless `text` is non-empty, one line without control characters, and short enough.
    public static func requireSingleLine(_ text: String, what: String, maximumBytes: Int = maximumDefinitionBytes) throws {
        if text.isEmpty { throw LiveError("\(what) is empty") }
        if let (column, scalar) = firstControlCharacter(in: text) {
            throw LiveError("\(what) contains \(describe(scalar)) at column \(column); only a single line of printable text is accepted")
        }
        if text.utf8.count > maximumBytes {
            throw LiveError("\(what) is \(text.utf8.count) bytes long; at most \(maximumBytes) are accepted")
        }
    }

    /// Checks a marker text: one line of printable text (any language), at most
    /// `maximumMarkerBytes` bytes of UTF-8.
    public static func validateMarker(_ text: String) throws {
        try requireSingleLine(text, what: "the marker text", maximumBytes: maximumMarkerBytes)
    }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
