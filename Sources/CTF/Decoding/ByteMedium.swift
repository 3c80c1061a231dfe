import TraceIO

/// Where the bytes of a CTF data stream come from. The packet decoder only needs contiguous bytes
/// and a name for messages, so the same decoder serves mapped files and (later) LTTng live, whose
/// medium grows as packets arrive.
public protocol ByteMedium: AnyObject {
    /// A name for error messages (the file path).
    var name: String { get }
    /// The bytes available now.
    var bytes: UnsafeRawBufferPointer { get }
    /// Tells the medium that `range` will probably not be read again soon (it stays readable).
    func release(_ range: Range<Int>)
    /// Tells the medium that `range` is about to be read through.
    func willRead(_ range: Range<Int>)
}

extension ByteMedium {
    public func release(_ range: Range<Int>) {}
    public func willRead(_ range: Range<Int>) {}
}

/// A data stream file mapped in memory.
public final class MappedFileMedium: ByteMedium {
    public let file: MappedFile

    public init(path: String) throws {
        file = try MappedFile(path: path)
    }

    public var name: String { file.path }
    public var bytes: UnsafeRawBufferPointer { file.bytes }

    /// Drops the pages from resident memory; they are read from the file again if needed.
    public func release(_ range: Range<Int>) { file.release(range) }

    /// Maps the pages in one go.
    public func willRead(_ range: Range<Int>) { file.populate(range) }
}
