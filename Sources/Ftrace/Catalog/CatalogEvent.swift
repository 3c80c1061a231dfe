/// An event of a catalog: its format, its compiled print format (built on first use), and the
/// per-event state libtraceevent keeps while printing.
public final class CatalogEvent {
    public let format: EventFormat
    /// Position of this event in `EventCatalog.events` (stable for the catalog's life).
    public let index: Int
    /// `ftrace:bprint`: its print format comes from each record's printk format.
    public let isBinaryPrintk: Bool
    let nameBytes: [UInt8]
    let fieldNameBytes: [[UInt8]]

    private var compiled = false
    private var compiledFormat: PrintFormat?
    /// Why the print format did not compile (libtraceevent prints `[FAILED TO PARSE]` then).
    public private(set) var printFormatError: PrintFormatError?
    /// libtraceevent's "failed" flag: set when the print format does not parse or uses a
    /// conversion without an argument; such events print `[FAILED TO PARSE]` and raw fields.
    var failed = false
    /// Fields whose text was found unprintable once and are printed as `ARRAY[..]` from then on
    /// (libtraceevent clears their string flag).
    var demotedStringFields: [Bool]

    init(format: EventFormat, index: Int) {
        self.format = format
        self.index = index
        self.isBinaryPrintk = format.system == "ftrace" && format.name == "bprint"
        self.nameBytes = Array(format.name.utf8)
        self.fieldNameBytes = format.fields.map { Array($0.name.utf8) }
        self.demotedStringFields = Array(repeating: false, count: format.fields.count)
    }

    /// The compiled print format, or nil when it does not compile (see `printFormatError`).
    public func printFormat(longSize: Int) -> PrintFormat? {
        if !compiled {
            compiled = true
            do {
                let p = try PrintFormat(event: format, longSize: longSize)
                compiledFormat = p
                if p.failed { failed = true }
            } catch let error as PrintFormatError {
                printFormatError = error
                failed = true
            } catch {
                failed = true
            }
        }
        return compiledFormat
    }
}
