import CZlib
import CZstd

/// Compresses trace.dat v7 sections and data chunks with the system zstd or zlib library, set up
/// like trace-cmd does (zstd default level without the content size in the frame), so files match
/// what trace-cmd writes.
final class TraceDatCompressor {
    enum Algorithm: Sendable {
        case zstd, zlib
    }

    let algorithm: Algorithm
    private var context: OpaquePointer?

    init(_ algorithm: Algorithm) throws {
        self.algorithm = algorithm
        if algorithm == .zstd {
            guard let context = ZSTD_createCCtx() else { throw TraceDatWriterError("cannot create a zstd context") }
            let result = ZSTD_CCtx_setParameter(context, ZSTD_c_contentSizeFlag, 0)
            if ZSTD_isError(result) != 0 {
                ZSTD_freeCCtx(context)
                throw TraceDatWriterError("zstd: " + String(cString: ZSTD_getErrorName(result)))
            }
            self.context = context
        }
    }

    deinit {
        if let context { ZSTD_freeCCtx(context) }
    }

    /// The name and version written in the file header.
    var name: String { algorithm == .zstd ? "zstd" : "zlib" }
    var version: String {
        algorithm == .zstd ? String(cString: ZSTD_versionString()) : String(cString: zlibVersion())
    }

    /// Compresses `input`.
    func compress(_ input: UnsafeRawBufferPointer) throws -> [UInt8] {
        switch algorithm {
        case .zstd:
            let bound = ZSTD_compressBound(input.count)
            var output = [UInt8](repeating: 0, count: bound)
            let written = output.withUnsafeMutableBytes { out in
                ZSTD_compress2(context, out.baseAddress, out.count, input.baseAddress, input.count)
            }
            if ZSTD_isError(written) != 0 {
                throw TraceDatWriterError("zstd: " + String(cString: ZSTD_getErrorName(written)))
            }
            output.removeLast(output.count - written)
            return output
        case .zlib:
            var length = compressBound(uLong(input.count))
            var output = [UInt8](repeating: 0, count: Int(length))
            let source = input.baseAddress?.assumingMemoryBound(to: Bytef.self)
            let status = output.withUnsafeMutableBytes { out in
                compress2(out.baseAddress!.assumingMemoryBound(to: Bytef.self), &length, source, uLong(input.count),
                          Z_BEST_COMPRESSION)
            }
            guard status == Z_OK else { throw TraceDatWriterError("zlib: compression failed (\(status))") }
            output.removeLast(output.count - Int(length))
            return output
        }
    }

    func compress(_ input: [UInt8]) throws -> [UInt8] {
        try input.withUnsafeBytes { try compress($0) }
    }
}

/// A failure writing a trace.dat file.
public struct TraceDatWriterError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
