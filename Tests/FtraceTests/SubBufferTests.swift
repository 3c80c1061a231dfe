import XCTest
@testable import Ftrace

/// Ring-buffer pages built by hand: every `type_len`, time items, padding, missed-event flags and
/// damaged pages.
final class SubBufferTests: XCTestCase {
    let layout = RingBufferLayout(longSize: 8, pageSize: 4096)

    /// Event header word: `type_len` in the low 5 bits, the time delta above (little endian).
    private func header(_ typeLength: UInt32, delta: UInt32) -> UInt32 { typeLength | delta << 5 }

    /// A page: timestamp, commit word with `flags`, the data, and an optional stored missed count.
    private func page(timestamp: UInt64, data: [UInt8], flags: UInt64 = 0, stored: UInt64? = nil, commit: Int? = nil) -> [UInt8] {
        var b = RecordBuilder()
        b.u64(timestamp)
        b.u64(UInt64(commit ?? data.count) | flags)
        b.raw(data)
        if let stored { b.u64(stored) }
        b.pad(to: 4096)
        return b.bytes
    }

    private func records(_ bytes: [UInt8], order: ByteOrder = .little) throws -> [(UInt64, [UInt8], Bool)] {
        try bytes.withUnsafeBytes { raw in
            let p = try SubBuffer(raw, layout: layout, byteOrder: order)
            return try p.records().map { ($0.timestamp, Array($0.data), $0.isAtDataStart) }
        }
    }

    func testEveryDataTypeLength() throws {
        var d = RecordBuilder()
        for n in 1...28 {
            d.u32(header(UInt32(n), delta: UInt32(n)))
            d.raw(Array(repeating: UInt8(n), count: n * 4))
        }
        let result = try records(page(timestamp: 1000, data: d.bytes))
        XCTAssertEqual(result.count, 28)
        var ts: UInt64 = 1000
        for (i, r) in result.enumerated() {
            ts += UInt64(i + 1)
            XCTAssertEqual(r.0, ts)
            XCTAssertEqual(r.1, Array(repeating: UInt8(i + 1), count: (i + 1) * 4))
        }
        XCTAssertTrue(result[0].2)
        XCTAssertFalse(result[1].2)
    }

    func testLengthWordRecordRoundsUpToFourBytes() throws {
        var d = RecordBuilder()
        d.u32(header(0, delta: 7))
        d.u32(4 + 130)  // length word counts itself; payload rounds up to 132
        d.raw(Array(repeating: 0xAB, count: 132))
        d.u32(header(1, delta: 1))
        d.u32(0x11223344)
        let r = try records(page(timestamp: 50, data: d.bytes))
        XCTAssertEqual(r.map(\.0), [57, 58])
        XCTAssertEqual(r[0].1.count, 132)
        XCTAssertEqual(r[1].1, [0x44, 0x33, 0x22, 0x11])
    }

    func testTimeExtendAndAbsoluteTimestamp() throws {
        var d = RecordBuilder()
        d.u32(header(RingBufferTypeLength.timeExtend, delta: 5))
        d.u32(3)                                  // extend = 3 << 27 + 5
        d.u32(header(1, delta: 2)); d.u32(1)
        d.u32(header(RingBufferTypeLength.timeStamp, delta: 9))
        d.u32(1)                                  // absolute = 1 << 27 + 9, top bits kept
        d.u32(header(1, delta: 0)); d.u32(2)
        let base: UInt64 = 0xF800_0000_0000_0000 | 100
        let r = try records(page(timestamp: base, data: d.bytes))
        XCTAssertEqual(r[0].0, base + (3 << 27) + 5 + 2)
        XCTAssertFalse(r[0].2, "a record after a time extend is not at the start of the data")
        XCTAssertEqual(r[1].0, 0xF800_0000_0000_0000 | ((1 << 27) + 9))
    }

    func testPaddingAndDiscardedEvents() throws {
        var d = RecordBuilder()
        d.u32(header(1, delta: 1)); d.u32(0xA)
        d.u32(header(RingBufferTypeLength.padding, delta: 4))  // a discarded event: delta kept
        d.u32(8); d.u32(0)                                      // its length counts from after the header
        d.u32(header(1, delta: 1)); d.u32(0xB)
        d.u32(header(RingBufferTypeLength.padding, delta: 0))  // null padding: rest of the page
        d.u32(0)
        let r = try records(page(timestamp: 10, data: d.bytes))
        XCTAssertEqual(r.map(\.0), [11, 16])
        XCTAssertEqual(r.map { $0.1[0] }, [0xA, 0xB])
    }

    func testMissedEventFlags() throws {
        var d = RecordBuilder()
        d.u32(header(1, delta: 0)); d.u32(1)
        let bytes = d.bytes
        func missed(_ p: [UInt8]) throws -> MissedEvents {
            try p.withUnsafeBytes { try SubBuffer($0, layout: layout, byteOrder: .little).missedEvents }
        }
        XCTAssertEqual(try missed(page(timestamp: 1, data: bytes)), MissedEvents.none)
        XCTAssertEqual(try missed(page(timestamp: 1, data: bytes, flags: 1 << 31)), .unknown)
        XCTAssertEqual(try missed(page(timestamp: 1, data: bytes, flags: 1 << 31 | 1 << 30, stored: 42)), .count(42))
    }

    func testCommitLargerThanThePageIsAnError() {
        let p = page(timestamp: 1, data: [], commit: 5000)
        XCTAssertThrowsError(try p.withUnsafeBytes { try SubBuffer($0, layout: layout, byteOrder: .little) }) { error in
            let e = error as? SubBufferError
            XCTAssertEqual(e?.offset, 8)
            XCTAssertTrue(e?.message.contains("commit of 5000 bytes is larger") ?? false, "\(error)")
        }
    }

    func testEventRunningPastTheCommitIsAnErrorAfterTheGoodRecords() throws {
        var d = RecordBuilder()
        d.u32(header(1, delta: 1)); d.u32(1)
        d.u32(header(20, delta: 1))  // claims 80 bytes, only 4 committed
        d.u32(0)
        let p = page(timestamp: 0, data: d.bytes)
        try p.withUnsafeBytes { raw in
            var reader = try SubBuffer(raw, layout: layout, byteOrder: .little).makeReader()
            XCTAssertNotNil(try reader.next())
            XCTAssertThrowsError(try reader.next()) { error in
                XCTAssertEqual((error as? SubBufferError)?.offset, 24)
            }
        }
    }

    func testTooSmallLengthWordIsAnError() {
        var d = RecordBuilder()
        d.u32(header(0, delta: 1)); d.u32(2)
        let p = page(timestamp: 0, data: d.bytes)
        XCTAssertThrowsError(try records(p))
    }

    func testBigEndianPages() throws {
        var b: [UInt8] = []
        func be32(_ v: UInt32) { withUnsafeBytes(of: v.bigEndian) { b += $0 } }
        func be64(_ v: UInt64) { withUnsafeBytes(of: v.bigEndian) { b += $0 } }
        be64(500)
        be64(8)
        be32(1 << 27 | 3)  // type_len 1 in the top bits, delta 3
        be32(0xCAFE)
        b += Array(repeating: 0, count: 4096 - b.count)
        let r = try records(b, order: .big)
        XCTAssertEqual(r.count, 1)
        XCTAssertEqual(r[0].0, 503)
    }

    func testHeaderPageLayout() throws {
        let text = """
        	field: u64 timestamp;	offset:0;	size:8;	signed:0;
        	field: local_t commit;	offset:8;	size:8;	signed:1;
        	field: int overwrite;	offset:8;	size:1;	signed:1;
        	field: char data;	offset:16;	size:8176;	signed:0;

        """
        let l = try RingBufferLayout.parse(headerPage: Array(text.utf8))
        XCTAssertEqual(l.commitSize, 8)
        XCTAssertEqual(l.dataOffset, 16)
        XCTAssertEqual(l.pageSize, 8192)
        XCTAssertThrowsError(try RingBufferLayout.parse(headerPage: Array("field: u64 timestamp; offset:x;".utf8)))
    }
}
