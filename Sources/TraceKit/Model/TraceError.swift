/// A problem with trace data, naming the file and the place in it.
public struct TraceError: Error, CustomStringConvertible, Sendable, Equatable {
    public var file: String
    /// Byte offset in `file` where the problem was found, when it is known.
    public var offset: Int?
    public var message: String

    public init(file: String, offset: Int? = nil, _ message: String) {
        self.file = file
        self.offset = offset
        self.message = message
    }

    public var description: String {
        if let offset { return "\(file): at byte offset \(offset): \(message)" }
        return "\(file): \(message)"
    }
}
