/// Which containers (structures, arrays) are open while fields are written, and whether each
/// already has a member, without an array: one bit per level in two words (levels past 64 save the
/// bits they reuse).
@usableFromInline
struct MemberNesting {
    @usableFromInline var depth = 0
    @usableFromInline var written: UInt64 = 0
    @usableFromInline var arrays: UInt64 = 0
    /// Set by `enterMember`: the member is not its container's first.
    @usableFromInline var needsComma = false
    /// Bits of levels 64 and deeper that were overwritten (2 bits each).
    @usableFromInline var saved: [UInt8] = []

    @inlinable init() {}

    /// The top level already has members (attributes continuing an object).
    @inlinable mutating func continueObject() { written |= 1 }

    /// Notes a member in the innermost container; returns whether that container is an array.
    @inlinable @inline(__always)
    mutating func enterMember() -> Bool {
        let bit: UInt64 = 1 &<< UInt64(depth & 63)
        needsComma = written & bit != 0
        written |= bit
        return arrays & bit != 0
    }

    @inlinable
    mutating func push(isArray: Bool) {
        depth &+= 1
        let bit: UInt64 = 1 &<< UInt64(depth & 63)
        if depth >= 64 {
            saved.append((written & bit != 0 ? 1 : 0) | (arrays & bit != 0 ? 2 : 0))
        }
        written &= ~bit
        if isArray { arrays |= bit } else { arrays &= ~bit }
    }

    @inlinable
    mutating func pop() {
        guard depth > 0 else { return }
        if depth >= 64, let s = saved.popLast() {
            let bit: UInt64 = 1 &<< UInt64(depth & 63)
            if s & 1 != 0 { written |= bit } else { written &= ~bit }
            if s & 2 != 0 { arrays |= bit } else { arrays &= ~bit }
        }
        depth &-= 1
    }
}

