import XCTest
@testable import CTF

final class BitReaderTests: XCTestCase {
    /// The field of `size` bits at `bitOffset`, one bit at a time, as CTF 1.8 section 4.1.5 lays it out.
    private func reference(_ bytes: [UInt8], bitOffset: Int, size: Int, bigEndian: Bool) -> UInt64 {
        var value: UInt64 = 0
        for i in 0..<size {
            let p = bitOffset + i
            if bigEndian {
                let bit = UInt64(bytes[p / 8] >> UInt8(7 - p % 8)) & 1
                value = value << 1 | bit
            } else {
                let bit = UInt64(bytes[p / 8] >> UInt8(p % 8)) & 1
                value |= bit << UInt64(i)
            }
        }
        return value
    }

    private func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
    }

    /// Every size from 1 to 64 at every bit offset within 8 bytes, in both byte orders, with the
    /// buffer ending exactly at the field (the slow path) and with room after it (the fast path).
    func testEverySizeOffsetAndByteOrder() {
        for seed in [1, 2, 3] as [UInt64] {
            let bytes = randomBytes(24, seed: seed)
            for bigEndian in [false, true] {
                for offset in 0..<64 {
                    for size in 1...64 {
                        let expected = reference(bytes, bitOffset: offset, size: size, bigEndian: bigEndian)
                        let roomy = bytes.withUnsafeBytes {
                            BitReader.read($0.baseAddress!, available: $0.count, bitOffset: offset, size: size,
                                           bigEndian: bigEndian)
                        }
                        XCTAssertEqual(roomy, expected, "offset \(offset) size \(size) BE \(bigEndian)")
                        // Exactly the bytes the field covers.
                        let end = (offset + size + 7) / 8
                        let tight = Array(bytes[..<end])
                        let read = tight.withUnsafeBytes {
                            BitReader.read($0.baseAddress!, available: $0.count, bitOffset: offset, size: size,
                                           bigEndian: bigEndian)
                        }
                        XCTAssertEqual(read, expected, "offset \(offset) size \(size) BE \(bigEndian), tight")
                    }
                }
            }
        }
    }

    /// Values written by an independent writer read back, at odd offsets, in both orders.
    func testRoundTripThroughWriter() {
        let values: [(UInt64, Int)] = [(1, 1), (2, 2), (5, 3), (0x1F, 5), (0x55, 7), (0xABC, 12), (0x1_2345_6789, 33),
                                       (0x0FED_CBA9_8765_4321, 61), (UInt64.max, 64), (0x8000_0000_0000_0001, 64)]
        for bigEndian in [false, true] {
            var w = BitWriter()
            var offsets: [Int] = []
            for (value, size) in values {
                offsets.append(w.uint(value, size: size, align: 1, bigEndian: bigEndian))
                w.uint(1, size: 3, align: 1, bigEndian: bigEndian)  // misalign the next field
            }
            w.bytes.withUnsafeBytes { buffer in
                for ((value, size), offset) in zip(values, offsets) {
                    XCTAssertEqual(BitReader.read(buffer.baseAddress!, available: buffer.count, bitOffset: offset,
                                                  size: size, bigEndian: bigEndian), value)
                }
            }
        }
    }

    func testByteOrderOfWholeBytes() {
        let bytes: [UInt8] = [0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC, 0xDE, 0xF0, 0x11]
        bytes.withUnsafeBytes { b in
            let p = b.baseAddress!
            XCTAssertEqual(BitReader.read(p, available: 9, bitOffset: 0, size: 16, bigEndian: false), 0x3412)
            XCTAssertEqual(BitReader.read(p, available: 9, bitOffset: 0, size: 16, bigEndian: true), 0x1234)
            XCTAssertEqual(BitReader.read(p, available: 9, bitOffset: 8, size: 32, bigEndian: true), 0x3456_789A)
            XCTAssertEqual(BitReader.read(p, available: 9, bitOffset: 8, size: 64, bigEndian: false), 0x11F0_DEBC_9A78_5634)
            XCTAssertEqual(BitReader.read(p, available: 9, bitOffset: 8, size: 64, bigEndian: true), 0x3456_789A_BCDE_F011)
            // 0x12 = 0b0001_0010: little-endian takes the low bits first, big-endian the high bits.
            XCTAssertEqual(BitReader.read(p, available: 9, bitOffset: 0, size: 3, bigEndian: false), 0b010)
            XCTAssertEqual(BitReader.read(p, available: 9, bitOffset: 0, size: 3, bigEndian: true), 0b000)
            XCTAssertEqual(BitReader.read(p, available: 9, bitOffset: 3, size: 5, bigEndian: true), 0b10010)
            // A 64-bit field at bit 4 spans nine bytes.
            XCTAssertEqual(BitReader.read(p, available: 9, bitOffset: 4, size: 64, bigEndian: false), 0x1F0D_EBC9_A785_6341)
            XCTAssertEqual(BitReader.read(p, available: 9, bitOffset: 4, size: 64, bigEndian: true), 0x2345_6789_ABCD_EF01)
        }
    }

    func testSignExtension() {
        XCTAssertEqual(BitReader.signExtend(0b1, size: 1), -1)
        XCTAssertEqual(BitReader.signExtend(0b01, size: 2), 1)
        XCTAssertEqual(BitReader.signExtend(0b10, size: 2), -2)
        XCTAssertEqual(BitReader.signExtend(0xFFF, size: 12), -1)
        XCTAssertEqual(BitReader.signExtend(0x7FF, size: 12), 2047)
        XCTAssertEqual(BitReader.signExtend(1 << 32, size: 33), -(1 << 32))
        XCTAssertEqual(BitReader.signExtend(UInt64.max, size: 64), -1)
        XCTAssertEqual(BitReader.signExtend(1 << 63, size: 64), Int64.min)
        for size in 1...64 {
            let minimum: UInt64 = 1 << UInt64(size - 1)
            XCTAssertEqual(BitReader.signExtend(minimum, size: size), size == 64 ? Int64.min : -Int64(bitPattern: minimum))
        }
    }

    func testAlignment() {
        XCTAssertEqual(BitReader.align(0, 8), 0)
        XCTAssertEqual(BitReader.align(1, 8), 8)
        XCTAssertEqual(BitReader.align(8, 8), 8)
        XCTAssertEqual(BitReader.align(9, 32), 32)
        XCTAssertEqual(BitReader.align(33, 1), 33)
        XCTAssertEqual(BitReader.align(65, 64), 128)
    }
}
