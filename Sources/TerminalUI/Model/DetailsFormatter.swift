import TraceKit

/// One line of the details pane: indentation, a key and a value.
public struct DetailLine: Sendable, Equatable {
    public var indent: Int
    public var key: String
    public var value: String
    /// Section titles (`Payload`, `Context`) stand out.
    public var isSection: Bool

    public init(indent: Int = 0, key: String, value: String = "", isSection: Bool = false) {
        self.indent = indent
        self.key = key
        self.value = value
        self.isSection = isSection
    }
}

/// Lays out every field of a record for the details pane: nested structures and arrays indented,
/// enumeration labels with their value, hex where the format says hex (with the decimal value).
enum DetailsFormatter {
    static let maxArrayElements = 256

    static func lines(for record: EventRecord, ordinal: Int, set: TraceSet, task: TaskRef?,
                      traceStart: Int64) -> [DetailLine] {
        let trace = set.trace(of: record)
        let domain = set.timeDomain
        var lines: [DetailLine] = []
        let name = set.eventClass(of: record)?.qualifiedName ?? set.eventName(of: record)
        lines.append(DetailLine(key: "Event", value: record.isLostEvents ? "(lost events)" : name))
        lines.append(DetailLine(key: "Number", value: "#\(ordinal + 1)"))
        lines.append(DetailLine(key: "Time", value: TimeFormatting.full(record.timestamp, domain: domain)
                                + "  (+" + TimeFormatting.duration(SaturatingTime.difference(record.timestamp, traceStart)) + " from start)"))
        lines.append(DetailLine(key: "CPU", value: record.cpu >= 0 ? String(record.cpu) : "unknown"))
        if let task { lines.append(DetailLine(key: "Task", value: "\(task.comm) (pid \(task.pid))")) }
        let streams = trace.streams
        let streamName = streams.indices.contains(Int(record.stream)) ? streams[Int(record.stream)].name : "?"
        lines.append(DetailLine(key: "Trace", value: "\(trace.name), stream \(streamName)"))
        if case .lostEvents(let count, let since) = record.kind {
            lines.append(DetailLine(key: "Lost", value: count.map { "\($0) events" } ?? "an unknown number of events"))
            lines.append(DetailLine(key: "Since", value: TimeFormatting.full(since, domain: domain)
                                    + "  (" + TimeFormatting.duration(SaturatingTime.difference(record.timestamp, since)) + ")"))
            return lines
        }
        if let cls = set.eventClass(of: record), let level = cls.logLevel {
            lines.append(DetailLine(key: "Log level", value: String(level)))
        }
        for (scope, title) in [(FieldScope.payload, "Payload"), (.context, "Context"), (.packetContext, "Packet context")] {
            guard let fields = try? trace.fields(of: record, scope: scope), !fields.isEmpty else { continue }
            lines.append(DetailLine(key: title, isSection: true))
            for field in fields { append(field.name, field.value, indent: 1, into: &lines) }
        }
        if let attributes = trace as? RecordAttributes {
            var builder = FieldTreeBuilder()
            if (try? attributes.decodeRecordAttributes(of: record, into: &builder)) != nil, !builder.fields.isEmpty {
                lines.append(DetailLine(key: "Header", isSection: true))
                for field in builder.fields { append(field.name, field.value, indent: 1, into: &lines) }
            }
        }
        return lines
    }

    static func text(of value: FieldValue) -> String {
        switch value {
        case .integer(let v, let base):
            let decimal: String
            switch v {
            case .signed(let s): decimal = String(s)
            case .unsigned(let u): decimal = String(u)
            }
            let bits = UInt64(bitPattern: v.int64)
            switch base {
            case .decimal: return decimal
            case .hexadecimal: return "0x" + String(bits, radix: 16) + " (" + decimal + ")"
            case .octal: return "0" + String(bits, radix: 8) + " (" + decimal + ")"
            case .binary: return "0b" + String(bits, radix: 2) + " (" + decimal + ")"
            }
        case .float(let d): return String(d)
        case .string(let s): return "\"" + s + "\""
        case .enumeration(let v, let labels):
            let n = text(of: .integer(v, base: .decimal))
            return labels.isEmpty ? "\(n) (no label)" : labels.joined(separator: " | ") + " (" + n + ")"
        case .array(let elements): return "[\(elements.count) element\(elements.count == 1 ? "" : "s")]"
        case .structure(let fields): return "{\(fields.count) field\(fields.count == 1 ? "" : "s")}"
        case .variant(let option, let inner): return "<\(option)> " + text(of: inner)
        }
    }

    static func append(_ name: String, _ value: FieldValue, indent: Int, into lines: inout [DetailLine]) {
        switch value {
        case .structure(let fields):
            lines.append(DetailLine(indent: indent, key: name, value: text(of: value)))
            for f in fields { append(f.name, f.value, indent: indent + 1, into: &lines) }
        case .array(let elements):
            let scalar = elements.allSatisfy {
                if case .integer = $0 { return true }
                if case .float = $0 { return true }
                return false
            }
            if scalar && elements.count <= 16 {
                lines.append(DetailLine(indent: indent, key: name,
                                        value: "[" + elements.map { text(of: $0) }.joined(separator: ", ") + "]"))
                return
            }
            lines.append(DetailLine(indent: indent, key: name, value: text(of: value)))
            for (i, e) in elements.prefix(maxArrayElements).enumerated() {
                append("[\(i)]", e, indent: indent + 1, into: &lines)
            }
            if elements.count > maxArrayElements {
                lines.append(DetailLine(indent: indent + 1, key: "…", value: "\(elements.count - maxArrayElements) more"))
            }
        case .variant(let option, let inner):
            switch inner {
            case .structure, .array:
                lines.append(DetailLine(indent: indent, key: name, value: "<\(option)>"))
                append(option, inner, indent: indent + 1, into: &lines)
            default:
                lines.append(DetailLine(indent: indent, key: name, value: text(of: value)))
            }
        default:
            lines.append(DetailLine(indent: indent, key: name, value: text(of: value)))
        }
    }
}
