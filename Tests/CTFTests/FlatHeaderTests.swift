import XCTest
@testable import CTF
import TraceKit

/// Event headers of the usual shape (LTTng's compact and large headers) take the flat path; the
/// golden tests check that what they decode is unchanged.
final class FlatHeaderTests: XCTestCase {
    func testLTTngHeadersAreFlattenedWithTheirVariantOptions() throws {
        for name in ["ust-all-uid", "ust-libc", "ust-discard"] {
            let traces = try CTFTraceDiscovery.open(path: FixturePaths.path("traces/" + name), isDirectory: true,
                                                    lazyPacketIndex: false)
            XCTAssertFalse(traces.isEmpty, name)
            for trace in traces {
                for streamClass in trace.compiled.streamClasses where streamClass.eventHeader != nil {
                    let view = try XCTUnwrap(streamClass.flatHeaderView, name)
                    // An id, then a variant on it choosing between the compact and extended forms.
                    XCTAssertGreaterThanOrEqual(view.variant, 0, name)
                    XCTAssertEqual(view.spanCount, 2, name)
                }
            }
        }
    }
}
