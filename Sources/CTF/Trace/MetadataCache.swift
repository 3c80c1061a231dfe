import Foundation

/// Parsed and compiled metadata by file, so that a trace opened again in the same process (the
/// viewer's indexing thread opens readers of its own; a session still being written is reopened)
/// does not parse its metadata again. The compiled form is never changed once built, so traces
/// on any thread share it. One entry per metadata path, used only while the file's bytes are the
/// same (length and a 64-bit hash of them: cheap next to parsing).
final class MetadataCache: @unchecked Sendable {
    static let shared = MetadataCache()

    private struct Entry {
        var length: Int
        var hash: UInt64
        var metadata: TraceMetadata
        var compiled: CompiledTrace
    }

    private let lock = NSLock()
    private var entries: [String: Entry] = [:]
    /// Paths kept at most (the oldest entry goes first past it).
    private let limit = 4_096
    private var order: [String] = []

    /// The metadata of the file at `path` whose bytes are `bytes`: from the cache when they are
    /// the bytes it was built from, otherwise from `build` (then kept).
    func metadata(path: String, bytes: UnsafeRawBufferPointer,
                  build: () throws -> (TraceMetadata, CompiledTrace)) rethrows -> (TraceMetadata, CompiledTrace) {
        let hash = Self.hash(bytes)
        if let entry = lock.withLock({ entries[path] }), entry.length == bytes.count, entry.hash == hash {
            return (entry.metadata, entry.compiled)
        }
        let built = try build()
        lock.withLock {
            let entry = Entry(length: bytes.count, hash: hash, metadata: built.0, compiled: built.1)
            if entries.updateValue(entry, forKey: path) == nil {
                order.append(path)
                if order.count > limit { entries[order.removeFirst()] = nil }
            }
        }
        return built
    }

    /// FNV-1a over 8-byte words (then the tail bytes).
    static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        let prime: UInt64 = 0x100_0000_01b3
        var i = 0
        let count = bytes.count
        guard let base = bytes.baseAddress else { return h }
        while i + 8 <= count {
            h = (h ^ base.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* prime
            i += 8
        }
        while i < count {
            h = (h ^ UInt64(base.load(fromByteOffset: i, as: UInt8.self))) &* prime
            i += 1
        }
        return h
    }
}
