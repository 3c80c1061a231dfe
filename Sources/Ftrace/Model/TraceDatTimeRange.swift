import TraceKit

/// The time range of a trace.dat file from its page headers: the first page of each CPU tells where
/// it starts, the records of the last page where it ends. Known at once, without reading the
/// pages in between: the viewer fits the whole trace and measures indexing progress with it.
extension TraceDatTrace: TimeRangeProviding {
    public var timeRange: ClosedRange<Int64>? {
        var lower: Int64?
        var upper: Int64?
        for (s, source) in sources.enumerated() where source.pageCount > 0 {
            let cpu = Int(streams[s].cpu)
            if let bytes = try? source.page(0), let page = try? SubBuffer(bytes, layout: file.layout, byteOrder: file.byteOrder) {
                let t = Int64(bitPattern: file.clockConversion.apply(page.timestamp, cpu: cpu))
                lower = min(lower ?? t, t)
            }
            // The last page with a record: damaged or empty last pages fall back to earlier ones.
            var index = source.pageCount - 1
            while index >= max(0, source.pageCount - 4) {
                defer { index -= 1 }
                guard let bytes = try? source.page(index),
                      let page = try? SubBuffer(bytes, layout: file.layout, byteOrder: file.byteOrder) else { continue }
                var reader = page.makeReader()
                var last: UInt64?
                while let record = try? reader.next() { last = record.timestamp }
                guard let last else { continue }
                let t = Int64(bitPattern: file.clockConversion.apply(last, cpu: cpu))
                upper = max(upper ?? t, t)
                break
            }
        }
        guard let lower, let upper, upper >= lower else { return nil }
        return lower...upper
    }
}
