import Glibc

/// The text of recent instances of a context scope, by their bits. Event contexts mostly repeat
/// (the same thread, process and name), so printing one is usually a copy: the scope is skipped to
/// find its end, its bytes compared with those of the cached instances, and a match's text reused.
///
/// Only pure scopes are cached (their text depends on their bits alone), when they start on a byte
/// (structure alignment makes the layout inside the same wherever the scope starts).
struct ScopeTextCache {
    private struct Entry {
        var keyLength: Int
        /// The key bytes, then the text.
        var storage: TextBuffer
    }

    private var entries: [Entry] = []
    private var next = 0
    /// The entry that matched last (searched first).
    private var lastHit = 0
    private static let capacity = 8
    private static let maximumKeyLength = 512

    func deallocate() {
        for entry in entries { entry.storage.deallocate() }
    }

    /// Prints `scope` at the decoder's position (moving the decoder past it), as `printScope` does.
    @inline(__always)
    mutating func print(_ scope: ScopeViews, decoder: inout FieldDecoder, to out: inout TextBuffer) throws {
        let start = BitReader.align(decoder.position, scope.alignment)
        guard scope.isPure, start & 7 == 0 else {
            try decoder.printScope(scope.shown, to: &out)
            return
        }
        var probe = decoder
        try probe.skip(scope.skip)
        let end = probe.position
        let from = start >> 3
        let length = ((end + 7) >> 3) - from
        guard length <= Self.maximumKeyLength else {
            try decoder.printScope(scope.shown, to: &out)
            return
        }
        let key = decoder.base + from
        // The last match first: a stream's contexts come in runs. The key's last word (where
        // instances differ most, e.g. an instruction pointer) is compared before the whole key.
        let tail: UInt64 = length >= 8 ? (key + length - 8).loadUnaligned(as: UInt64.self) : 0
        let count = entries.count
        var probeIndex = lastHit
        var tried = 0
        while tried < count {
            let entry = entries[probeIndex]
            if entry.keyLength == length
                && (length < 8 || UnsafeRawPointer(entry.storage.base + length - 8).loadUnaligned(as: UInt64.self) == tail)
                && memcmp(entry.storage.base, key, length) == 0 {
                out.append(UnsafeRawBufferPointer(start: entry.storage.base + length, count: entry.storage.count - length))
                decoder.position = end
                lastHit = probeIndex
                return
            }
            probeIndex = probeIndex + 1 == count ? 0 : probeIndex + 1
            tried += 1
        }
        let textStart = out.count
        try decoder.printScope(scope.shown, to: &out)
        let text = UnsafeRawBufferPointer(rebasing: out.bytes[textStart...])
        if entries.count < Self.capacity {
            entries.append(Entry(keyLength: 0, storage: TextBuffer(capacity: 256)))
        }
        let slot = next
        next = (next + 1) % Self.capacity
        entries[slot].storage.removeAll()
        entries[slot].storage.append(UnsafeRawBufferPointer(start: key, count: length))
        entries[slot].storage.append(text)
        entries[slot].keyLength = length
        lastHit = slot
    }
}
