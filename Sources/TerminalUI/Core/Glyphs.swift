/// The characters widgets draw with: Unicode box, block and braille characters when the terminal's
/// locale is UTF-8, plain ASCII otherwise.
public struct Glyphs: Sendable, Equatable {
    public var unicode: Bool
    public var vertical: Unicode.Scalar
    public var horizontal: Unicode.Scalar
    public var tick: Unicode.Scalar
    public var full: Unicode.Scalar
    public var leftHalf: Unicode.Scalar
    public var rightHalf: Unicode.Scalar
    public var lost: Unicode.Scalar
    public var lightActivity: Unicode.Scalar
    public var ellipsis: String
    public var bookmark: Unicode.Scalar
    public var arrowRight: String
    public var arrowLeft: String

    public static let unicode = Glyphs(unicode: true, vertical: "│", horizontal: "─", tick: "┬", full: "█",
                                       leftHalf: "▌", rightHalf: "▐", lost: "░", lightActivity: "·",
                                       ellipsis: "…", bookmark: "◆", arrowRight: "▶", arrowLeft: "◀")
    public static let ascii = Glyphs(unicode: false, vertical: "|", horizontal: "-", tick: "+", full: "#",
                                     leftHalf: "[", rightHalf: "]", lost: "x", lightActivity: ".",
                                     ellipsis: "~", bookmark: "*", arrowRight: ">", arrowLeft: "<")

    /// A density cell from two sub-column levels (0...4 each): braille dots rising from the bottom,
    /// or an ASCII ramp of the larger level.
    public func density(left: Int, right: Int) -> Unicode.Scalar {
        let l = max(0, min(4, left)), r = max(0, min(4, right))
        if !unicode {
            let ramp: [Unicode.Scalar] = [" ", ".", ":", "+", "#"]
            return ramp[max(l, r)]
        }
        let leftDots: [UInt32] = [0x40, 0x04, 0x02, 0x01]
        let rightDots: [UInt32] = [0x80, 0x20, 0x10, 0x08]
        var bits: UInt32 = 0
        for i in 0..<l { bits |= leftDots[i] }
        for i in 0..<r { bits |= rightDots[i] }
        return Unicode.Scalar(0x2800 + bits) ?? " "
    }
}
