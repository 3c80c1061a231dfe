import CZlib
import CZstd
import TraceKit

/// The compression of a trace.dat v7 file (`zstd`, `zlib`, or none), backed by the system
/// libraries.
public enum TraceCompression: String, Sendable {
    case none
    case zstd
    case zlib

    /// Inflates `source` into exactly `into.count` bytes. Throws `DecompressionError` when the data
    /// does not inflate or inflates to another size.
    func decompress(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer) throws {
        switch self {
        case .none:
            guard source.count == destination.count else {
                throw DecompressionError(message: "stored size \(source.count) differs from \(destination.count)")
            }
            if let d = destination.baseAddress, let s = source.baseAddress { d.copyMemory(from: s, byteCount: source.count) }
        case .zstd:
            guard let d = destination.baseAddress, let s = source.baseAddress else {
                if destination.isEmpty { return }
                throw DecompressionError(message: "empty zstd data")
            }
            let result = ZSTD_decompress(d, destination.count, s, source.count)
            if ZSTD_isError(result) != 0 {
                throw DecompressionError(message: "zstd: " + String(cString: ZSTD_getErrorName(result)))
            }
            guard result == destination.count else {
                throw DecompressionError(message: "zstd data inflates to \(result) bytes, not \(destination.count)")
            }
        case .zlib:
            guard let d = destination.baseAddress, let s = source.baseAddress else {
                if destination.isEmpty { return }
                throw DecompressionError(message: "empty zlib data")
            }
            var length = uLongf(destination.count)
            let status = uncompress(d.assumingMemoryBound(to: Bytef.self), &length,
                                    s.assumingMemoryBound(to: Bytef.self), uLong(source.count))
            guard status == Z_OK else {
                throw DecompressionError(message: "zlib: " + (status == Z_DATA_ERROR ? "corrupt data" :
                    status == Z_BUF_ERROR ? "data inflates to more than \(destination.count) bytes" : "error \(status)"))
            }
            guard Int(length) == destination.count else {
                throw DecompressionError(message: "zlib data inflates to \(length) bytes, not \(destination.count)")
            }
        }
    }

    /// Inflates into a new array of `size` bytes.
    func decompress(_ source: UnsafeRawBufferPointer, size: Int) throws -> [UInt8] {
        var result = [UInt8](repeating: 0, count: size)
        try result.withUnsafeMutableBytes { try decompress(source, into: $0) }
        return result
    }
}

/// Compressed data that does not inflate.
struct DecompressionError: Error {
    var message: String
}
