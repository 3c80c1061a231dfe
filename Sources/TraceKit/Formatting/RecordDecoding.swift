/// The parts of a record a cursor reports when it decodes the record in one pass.
public enum RecordPart: Sendable, Hashable {
    /// Reader attributes shown as top-level keys (ftrace: `flags`, `preempt`).
    case attributes
    /// Per-event context fields (as `FieldScope.context`).
    case context
    /// The event's own fields (as `FieldScope.payload`).
    case payload
}

/// A `FieldVisitor` that also hears where each part of a record begins, and the record's task.
///
/// Readers call, in this order: `visitTask` (at most once) and the `.attributes` part, then the
/// `.context` and `.payload` parts in the order the record stores them. Each part is reported at
/// most once, as one run of field visits at nesting depth 0.
public protocol RecordVisitor: FieldVisitor {
    mutating func beginPart(_ part: RecordPart)
    /// The task the record ran in; `comm` is valid during the call only.
    mutating func visitTask(pid: Int64, comm: UnsafeRawBufferPointer)
}

/// A cursor that decodes the fields of its current record itself, in one pass, without going back
/// to the trace: formatters on worker threads use it on the cursor they own (one thread at a time).
///
/// After `decodeCurrent` the cursor is still on the same record; `advance()` moves on as usual. A
/// decoding failure is thrown as a `TraceError` naming the file and offset, and ends the stream.
public protocol RecordDecodingStream: EventStream {
    /// Reports the current record's task, attributes, context and payload to `visitor`. Does
    /// nothing for lost-events records.
    func decodeCurrent<V: RecordVisitor>(into visitor: inout V) throws
}

/// Task names as the formatters print them: ill-formed UTF-8 replaced by U+FFFD the way
/// `String(decoding:as:)` replaces it (`TaskRef.comm` is a `String`), so a name read as bytes
/// prints the same as one read through `Trace.task(of:)`.
public enum TaskNameText {
    @inlinable
    public static func withWellFormed<R>(_ bytes: UnsafeRawBufferPointer,
                                         _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var ascii = true
        for b in bytes where b >= 0x80 {
            ascii = false
            break
        }
        if ascii { return try body(bytes) }
        var text = String(decoding: bytes, as: UTF8.self)
        return try text.withUTF8 { try body(UnsafeRawBufferPointer($0)) }
    }
}
