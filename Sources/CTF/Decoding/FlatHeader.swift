/// An event header's skip plan flattened for the hot path: the integers before a variant, the
/// variant on one of them, and for each of its selectors the integers of the option it picks
/// (LTTng's compact and large headers, and most event headers, have this shape). Reading one then
/// takes a short loop over integer reads instead of the general plan walk with its nested scopes.
/// Headers of any other shape (arrays, strings, nested variants) use the plan.
final class FlatHeader {
    /// The plan whose ops the sequences index (kept alive here).
    private let plan: DecodePlan
    /// Op indices: before the variant, then after it, then each selector's option.
    private let sequence: UnsafeMutablePointer<Int32>
    private let spans: UnsafeMutablePointer<FlatHeaderView.Span>
    let view: FlatHeaderView

    init?(_ plan: DecodePlan) {
        let ops = plan.opsBuffer
        var prefix: [Int32] = []
        var suffix: [Int32] = []
        var variant = -1
        var options: [[Int32]] = []
        var selectorSpans: [(lower: UInt64, upper: UInt64)] = []

        /// The flat op indices of `range`, nil when an op is not a plain read.
        func flat(_ range: Range<Int>) -> [Int32]? {
            var out: [Int32] = []
            for i in range {
                switch ops[i].code {
                case .integer, .enumeration, .skip, .structBegin: out.append(Int32(i))
                case .structEnd: break
                default: return nil
                }
            }
            return out
        }

        var pc = 0
        while pc < ops.count {
            let op = ops[pc]
            if op.code == .variant {
                guard variant < 0 else { return nil }
                variant = pc
                let selectors = plan.view.selectors
                for s in Int(op.labelStart)..<Int(op.labelStart + op.labelCount) {
                    let selector = selectors[s]
                    guard let option = flat(Int(selector.optionStart)..<Int(selector.optionEnd)) else { return nil }
                    options.append(option)
                    selectorSpans.append((selector.lower, selector.upper))
                }
                pc = Int(op.end)
                continue
            }
            guard let one = flat(pc..<(pc + 1)) else { return nil }
            if variant < 0 { prefix += one } else { suffix += one }
            pc += 1
        }
        self.plan = plan
        let all = prefix + suffix + options.flatMap { $0 }
        sequence = .allocate(capacity: max(1, all.count))
        sequence.initialize(from: all, count: all.count)
        var spanList: [FlatHeaderView.Span] = []
        var start = prefix.count + suffix.count
        for (i, option) in options.enumerated() {
            spanList.append(.init(lower: selectorSpans[i].lower, upper: selectorSpans[i].upper,
                                  start: Int32(start), end: Int32(start + option.count)))
            start += option.count
        }
        spans = .allocate(capacity: max(1, spanList.count))
        spans.initialize(from: spanList, count: spanList.count)
        view = FlatHeaderView(ops: plan.view.ops, fields: plan.view.fields, sequence: sequence,
                              prefixEnd: Int32(prefix.count), suffixEnd: Int32(prefix.count + suffix.count),
                              variant: Int32(variant), spans: spans, spanCount: spanList.count)
    }

    deinit {
        sequence.deallocate()
        spans.deallocate()
    }
}

/// `FlatHeader`'s tables as plain pointers (no reference counting on every event).
struct FlatHeaderView {
    struct Span {
        var lower: UInt64
        var upper: UInt64
        /// The option's op indices in `sequence`.
        var start: Int32
        var end: Int32
    }

    let ops: UnsafePointer<DecodeOp>
    let fields: UnsafeBufferPointer<Unmanaged<FieldInfo>>
    let sequence: UnsafePointer<Int32>
    let prefixEnd: Int32
    let suffixEnd: Int32
    /// Index of the variant op, -1 when there is none.
    let variant: Int32
    let spans: UnsafePointer<Span>
    let spanCount: Int
}
