#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TraceKit

/// Writing to a file descriptor.
public enum FileOutput {
    /// Writes all of `bytes` to `fd`, retrying short writes. Throws `OutputClosed` on EPIPE so a
    /// dump piped into `head` ends quietly.
    public static func writeAll(_ bytes: UnsafeRawBufferPointer, to fd: Int32) throws {
        var offset = 0
        while offset < bytes.count {
            let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EPIPE { throw OutputClosed() }
                throw TraceError(file: "<output>", "write failed: \(SystemError.message(errno))")
            }
            offset += n
        }
    }

    /// An `OutputBuffer` that flushes to `fd` (standard output by default).
    public static func buffer(fd: Int32 = 1, flushThreshold: Int = 1 << 16) -> OutputBuffer {
        OutputBuffer(flushThreshold: flushThreshold) { try writeAll($0, to: fd) }
    }

    /// Ignore SIGPIPE so a closed pipe surfaces as EPIPE instead of killing the process.
    public static func ignoreBrokenPipeSignal() {
        signal(SIGPIPE, SIG_IGN)
    }
}

/// The reader of our output went away (e.g. `ringside dump | head`).
public struct OutputClosed: Error {}
