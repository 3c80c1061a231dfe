/// A problem talking to the kernel's tracing system, phrased for the command line.
public struct LiveError: Error, CustomStringConvertible, Sendable, Equatable {
    public var message: String
    /// The kernel's explanation from `error_log`, when the kernel wrote one for this request.
    public var kernelMessage: String?

    public init(_ message: String, kernelMessage: String? = nil) {
        self.message = message
        self.kernelMessage = kernelMessage
    }

    public var description: String {
        guard let kernelMessage, !kernelMessage.isEmpty else { return message }
        return message + "\n" + kernelMessage
    }
}
