import Glibc

/// C's `printf("%g")` for doubles, digit for digit as glibc writes it (six significant digits,
/// exact round-half-even of the binary value), without glibc's arbitrary-precision printing.
///
/// The six digits come from a scaled extended-precision estimate; when the estimate is too close
/// to a rounding boundary to be sure, an exact big-integer comparison decides.
enum GeneralFloatFormat {
    /// Writes `value` as `%g` would.
    static func append(_ value: Double, to out: inout TextBuffer) {
        if value.isNaN {
            out.append(value.sign == .minus ? "-nan" : "nan")
            return
        }
        if value.isInfinite {
            out.append(value < 0 ? "-inf" : "inf")
            return
        }
        if value.sign == .minus { out.append(UInt8(ascii: "-")) }
        let magnitude = value.magnitude
        if magnitude == 0 {
            out.append(UInt8(ascii: "0"))
            return
        }
        let (digits, exponent) = sixDigits(magnitude)
        write(digits: digits, exponent: exponent, to: &out)
    }

    /// The six significant digits (100000...999999) of `v` rounded half-even, and the decimal
    /// exponent of the first digit.
    static func sixDigits(_ v: Double) -> (UInt64, Int) {
        var exponent = Int((log10(v)).rounded(.down))
        var scaled = scale(v, by: exponent - 5)
        // log10 may be off by one near powers of ten.
        if scaled < 100_000 {
            exponent -= 1
            scaled = scale(v, by: exponent - 5)
        } else if scaled >= 1_000_000 {
            exponent += 1
            scaled = scale(v, by: exponent - 5)
        }
        // `scaled` is positive, so truncation is the floor (without a libm call).
        var candidate = UInt64(scaled)
        let fraction = scaled - Float80(candidate)
        // Near a rounding tie the estimate cannot decide: compare exactly. (Near an integer it
        // does not matter which side the value is on: it rounds to that integer.)
        if (fraction - 0.5).magnitude < 1e-6 {
            // Make `candidate` the exact floor, then round.
            while candidate > 0 && compare(v, Float80Free(numerator: candidate, power: exponent - 5)) < 0 {
                candidate -= 1
            }
            while compare(v, Float80Free(numerator: candidate + 1, power: exponent - 5)) >= 0 {
                candidate += 1
            }
            // Exact comparison with the midpoint (2 * candidate + 1) / 2 * 10^power.
            let half = compareTwice(v, numerator: 2 * candidate + 1, power: exponent - 5)
            if half > 0 || (half == 0 && candidate % 2 == 1) { candidate += 1 }
        } else if fraction > 0.5 {
            candidate += 1
        }
        if candidate >= 1_000_000 {
            candidate /= 10
            exponent += 1
        }
        return (candidate, exponent)
    }

    /// `v / 10^power` in extended precision.
    private static func scale(_ v: Double, by power: Int) -> Float80 {
        var result = Float80(v)
        var p = power
        // Steps of at most 10^27 keep each factor exact.
        while p > 0 {
            let step = min(p, 27)
            result /= tenToThe(step)
            p -= step
        }
        while p < 0 {
            let step = min(-p, 27)
            result *= tenToThe(step)
            p += step
        }
        return result
    }

    /// 10^0 ... 10^27, all exact in extended precision.
    private static let powersOfTen: [Float80] = {
        var powers: [Float80] = [1]
        for _ in 1...27 { powers.append(powers[powers.count - 1] * 10) }
        return powers
    }()

    @inline(__always)
    private static func tenToThe(_ n: Int) -> Float80 { powersOfTen[n] }

    private struct Float80Free {
        var numerator: UInt64
        var power: Int
    }

    /// Sign of `v - numerator * 10^power`, exactly.
    private static func compare(_ v: Double, _ x: Float80Free) -> Int {
        exactCompare(v, numerator: x.numerator, power: x.power, doubleLeft: false)
    }

    /// Sign of `2v - numerator * 10^power`, exactly.
    private static func compareTwice(_ v: Double, numerator: UInt64, power: Int) -> Int {
        exactCompare(v, numerator: numerator, power: power, doubleLeft: true)
    }

    private static func exactCompare(_ v: Double, numerator: UInt64, power: Int, doubleLeft: Bool) -> Int {
        // v = m * 2^e exactly.
        let m = v.significandBitPattern | (v.isNormal ? 1 << 52 : 0)
        let e = Int(v.exponentBitPattern == 0 ? -1074 : Int(v.exponentBitPattern) - 1075) + (doubleLeft ? 1 : 0)
        // Compare m * 2^e with numerator * 5^power * 2^power.
        var left = BigNumber(m)
        var right = BigNumber(numerator)
        var leftTwos = e
        var rightTwos = power
        if power >= 0 {
            right.multiply(byPowerOfFive: power)
        } else {
            left.multiply(byPowerOfFive: -power)
        }
        let common = min(leftTwos, rightTwos)
        leftTwos -= common
        rightTwos -= common
        left.shiftLeft(leftTwos)
        right.shiftLeft(rightTwos)
        return left.compare(right)
    }

    /// `%g`'s layout of six digits: fixed notation for exponents -4...5, scientific otherwise,
    /// trailing zeros removed.
    private static func write(digits: UInt64, exponent: Int, to out: inout TextBuffer) {
        var storage: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &storage) { d in
            var v = digits
            for i in stride(from: 5, through: 0, by: -1) {
                d[i] = UInt8(v % 10) + 48
                v /= 10
            }
            layout(UnsafeRawBufferPointer(d), exponent: exponent, to: &out)
        }
    }

    private static func layout(_ d: UnsafeRawBufferPointer, exponent: Int, to out: inout TextBuffer) {
        var significant = 6
        while significant > 1 && d[significant - 1] == 48 { significant -= 1 }
        if exponent >= -4 && exponent < 6 {
            if exponent >= 0 {
                let integerDigits = exponent + 1
                for i in 0..<integerDigits { out.append(i < 6 ? d[i] : 48) }
                if significant > integerDigits {
                    out.append(UInt8(ascii: "."))
                    for i in integerDigits..<significant { out.append(d[i]) }
                }
            } else {
                out.append("0.")
                for _ in 0..<(-exponent - 1) { out.append(UInt8(ascii: "0")) }
                for i in 0..<significant { out.append(d[i]) }
            }
        } else {
            out.append(d[0])
            if significant > 1 {
                out.append(UInt8(ascii: "."))
                for i in 1..<significant { out.append(d[i]) }
            }
            out.append(UInt8(ascii: "e"))
            out.append(exponent < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
            let e = exponent.magnitude
            if e < 10 { out.append(UInt8(ascii: "0")) }
            out.appendDecimal(UInt64(e))
        }
    }
}

/// A non-negative integer of any size, for exact comparisons.
private struct BigNumber {
    /// Little-endian 32-bit limbs.
    var limbs: [UInt32]

    init(_ value: UInt64) {
        limbs = [UInt32(truncatingIfNeeded: value), UInt32(truncatingIfNeeded: value >> 32)]
        trim()
    }

    private mutating func trim() {
        while limbs.count > 1 && limbs.last == 0 { limbs.removeLast() }
    }

    mutating func multiply(by factor: UInt32) {
        var carry: UInt64 = 0
        for i in limbs.indices {
            let product = UInt64(limbs[i]) * UInt64(factor) + carry
            limbs[i] = UInt32(truncatingIfNeeded: product)
            carry = product >> 32
        }
        if carry != 0 { limbs.append(UInt32(carry)) }
    }

    mutating func multiply(byPowerOfFive n: Int) {
        var remaining = n
        while remaining >= 13 {
            multiply(by: 1_220_703_125)  // 5^13
            remaining -= 13
        }
        var factor: UInt32 = 1
        for _ in 0..<remaining { factor *= 5 }
        if factor > 1 { multiply(by: factor) }
    }

    mutating func shiftLeft(_ bits: Int) {
        guard bits > 0 else { return }
        let words = bits / 32, rest = bits % 32
        if rest > 0 {
            var carry: UInt32 = 0
            for i in limbs.indices {
                let value = limbs[i]
                limbs[i] = value << UInt32(rest) | carry
                carry = value >> UInt32(32 - rest)
            }
            if carry != 0 { limbs.append(carry) }
        }
        if words > 0 { limbs.insert(contentsOf: repeatElement(0, count: words), at: 0) }
        trim()
    }

    func compare(_ other: BigNumber) -> Int {
        if limbs.count != other.limbs.count { return limbs.count < other.limbs.count ? -1 : 1 }
        for i in stride(from: limbs.count - 1, through: 0, by: -1) where limbs[i] != other.limbs[i] {
            return limbs[i] < other.limbs[i] ? -1 : 1
        }
        return 0
    }
}
