import Foundation
import TraceKit
import XCTest
@testable import Ftrace

/// `trace-cmd report -N -t` and `-R -t` as trace-cmd 3.1.6 printed them for real traces recorded
/// on the test machine (Tests/Fixtures/ftrace/make-fixtures.sh) and for the project's shared
/// reference traces.
final class GoldenReportTests: XCTestCase {
    /// `inParts`: CPU streams cut into parts of `inParts` pages rendered by three workers.
    private func report(_ path: String, raw: Bool, parallel: Bool?, inParts: Int? = nil) throws -> (String, [TraceError]) {
        let trace = try TraceDatTrace(path: path)
        var errors: [TraceError] = []
        let text = try capture { out in
            var report = TraceCmdReport(traces: [trace], raw: raw, parallel: parallel)
            if let inParts {
                report.partPages = inParts
                report.workerCount = 3
            }
            errors = try report.write(to: out)
        }
        return (text, errors)
    }

    private func check(_ file: String, golden: String, raw: Bool, parallel: Bool? = false, inParts: Int? = nil,
                       line: UInt = #line) throws {
        let expected = try String(contentsOfFile: golden, encoding: .utf8)
        let (text, errors) = try report(file, raw: raw, parallel: parallel, inParts: inParts)
        XCTAssertEqual(errors, [], "\(file)", line: line)
        if text != expected {
            let a = text.split(separator: "\n", omittingEmptySubsequences: false)
            let b = expected.split(separator: "\n", omittingEmptySubsequences: false)
            let k = (0..<min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
            XCTFail("\(file)\(raw ? " -R" : ""): first difference at line \(k + 1):\n  got:      \(k < a.count ? a[k] : "<end>")\n  expected: \(k < b.count ? b[k] : "<end>")", line: line)
        }
    }

    func testRecordedFixtures() throws {
        let variants: [String: [String]] = [
            "wide": ["v6", "v7", "v7-none"], "uprobes": ["v6", "v7"], "lossy": ["v6", "v7"],
            "instances": ["v6", "v7"], "tsc": ["v6", "v7"],
        ]
        for (base, versions) in variants.sorted(by: { $0.key < $1.key }) {
            for version in versions {
                let file = Fixtures.path("\(base)-\(version).dat")
                try check(file, golden: Fixtures.path("\(base).tc.txt"), raw: false)
                try check(file, golden: Fixtures.path("\(base).tc.txt"), raw: false, parallel: true)
                try check(file, golden: Fixtures.path("\(base).tc.txt"), raw: false, parallel: true, inParts: 1)
                try check(file, golden: Fixtures.path("\(base).tc.txt"), raw: false, parallel: true, inParts: 3)
                try check(file, golden: Fixtures.path("\(base).tcraw.txt"), raw: true)
            }
        }
    }

    func testSharedReferenceTraces() throws {
        guard let shared = Fixtures.sharedDirectory else {
            throw XCTSkip("the shared reference traces are not beside the repository")
        }
        for name in ["sched-irq-v7", "sched-irq-v6"] {
            let file = shared.appendingPathComponent("ftrace/\(name).dat").path
            try check(file, golden: shared.appendingPathComponent("refs/\(name).tc.txt").path, raw: false)
            try check(file, golden: shared.appendingPathComponent("refs/\(name).tc.txt").path, raw: false, parallel: true)
            try check(file, golden: shared.appendingPathComponent("refs/\(name).tc.txt").path, raw: false, parallel: true,
                      inParts: 2)
            try check(file, golden: shared.appendingPathComponent("refs/\(name).tcraw.txt").path, raw: true)
        }
    }

    func testFixturesCoverDropsInstancesAndProbes() throws {
        let lossy = try String(contentsOfFile: Fixtures.path("lossy.tc.txt"), encoding: .utf8)
        XCTAssertTrue(lossy.contains("EVENTS DROPPED]"))
        let probes = try String(contentsOfFile: Fixtures.path("uprobes.tc.txt"), encoding: .utf8)
        XCTAssertTrue(probes.contains("target_ret:"))
        XCTAssertTrue(probes.contains("☃"))
        let instances = try String(contentsOfFile: Fixtures.path("instances.tc.txt"), encoding: .utf8)
        XCTAssertTrue(instances.contains("ringside-fixture-one-"))
        XCTAssertTrue(instances.contains("ringside-fixture-two-"))
    }
}
