/// The layout of a ring-buffer page (sub-buffer) header, from `events/header_page`:
///
///     field: u64 timestamp;	offset:0;	size:8;	signed:0;
///     field: local_t commit;	offset:8;	size:8;	signed:1;
///     field: int overwrite;	offset:8;	size:1;	signed:1;
///     field: char data;	offset:16;	size:4080;	signed:0;
public struct RingBufferLayout: Sendable, Hashable {
    public var timestampOffset: Int
    public var timestampSize: Int
    /// The commit word: bytes of event data, plus the missed-events flags in bits 31 and 30.
    public var commitOffset: Int
    /// The kernel's `long` size.
    public var commitSize: Int
    /// Where event data starts in a page.
    public var dataOffset: Int
    /// Bytes of event data a page can hold.
    public var dataSize: Int

    /// The size of a whole page (sub-buffer).
    public var pageSize: Int { dataOffset + dataSize }

    public init(timestampOffset: Int = 0, timestampSize: Int = 8, commitOffset: Int = 8, commitSize: Int,
                dataOffset: Int, dataSize: Int) {
        self.timestampOffset = timestampOffset
        self.timestampSize = timestampSize
        self.commitOffset = commitOffset
        self.commitSize = commitSize
        self.dataOffset = dataOffset
        self.dataSize = dataSize
    }

    /// The standard layout for a kernel `long` size and page size (used when a file has no
    /// header_page text).
    public init(longSize: Int, pageSize: Int) {
        self.init(commitSize: longSize, dataOffset: 8 + longSize, dataSize: pageSize - 8 - longSize)
    }

    /// Parses the text of `events/header_page`. The `timestamp`, `commit` and `data` fields are
    /// required; `overwrite` is optional.
    public static func parse(headerPage text: [UInt8]) throws -> RingBufferLayout {
        var tokens = FormatTokenizer(text)
        var fields: [String: (offset: Int, size: Int)] = [:]
        while true {
            var token = tokens.nextItem()
            if token.kind == .none { break }
            guard token.isItem("field") else {
                throw FormatParseError(offset: tokens.position, message: "expected 'field' but found '\(token.text)'")
            }
            guard tokens.next().isOp(":") else {
                throw FormatParseError(offset: tokens.position, message: "expected ':' after 'field'")
            }
            var names: [String] = []
            token = tokens.next()
            while token.kind == .item || token.isOp("*") {
                names.append(token.text)
                token = tokens.next()
            }
            guard token.isOp(";"), let name = names.last, names.count >= 2 else {
                throw FormatParseError(offset: tokens.position, message: "expected a field type and name")
            }
            func number(_ key: String) throws -> Int {
                guard tokens.next().isItem(key), tokens.next().isOp(":") else {
                    throw FormatParseError(offset: tokens.position, message: "expected '\(key):' in field '\(name)'")
                }
                let t = tokens.next()
                guard t.kind == .item, let v = CNumber.parseUnsigned(t.text), v < 1 << 31 else {
                    throw FormatParseError(offset: tokens.position, message: "bad \(key) '\(t.text)' in field '\(name)'")
                }
                guard tokens.next().isOp(";") else {
                    throw FormatParseError(offset: tokens.position, message: "expected ';' after \(key) in field '\(name)'")
                }
                return Int(v)
            }
            let offset = try number("offset")
            let size = try number("size")
            // Optional "signed:N;" then the end of the line.
            token = tokens.next()
            if token.isItem("signed") {
                _ = tokens.next()
                _ = tokens.next()
                _ = tokens.next()
            }
            if fields[name] == nil { fields[name] = (offset, size) }
        }
        guard let ts = fields["timestamp"], let commit = fields["commit"], let data = fields["data"] else {
            throw FormatParseError(offset: text.count, message: "header_page lacks the timestamp, commit or data field")
        }
        guard ts.size == 8, commit.size == 4 || commit.size == 8, data.offset >= commit.offset + commit.size else {
            throw FormatParseError(offset: text.count, message: "header_page has an unsupported layout")
        }
        return RingBufferLayout(timestampOffset: ts.offset, timestampSize: ts.size, commitOffset: commit.offset,
                                commitSize: commit.size, dataOffset: data.offset, dataSize: data.size)
    }
}
