import Foundation
import TraceKit

/// Parsed and compiled metadata by file, so that a trace opened again in the same process (the
/// viewer's indexing thread opens readers of its own; a session still being written is reopened)
/// does not parse its metadata again. The compiled form is never changed once built, so traces
/// on any thread share it. One entry per metadata path, used only while the file's bytes are the
/// same (length and checksum: cheap next to parsing).
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
        let hash = IndexCoding.checksum(bytes)
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
}
