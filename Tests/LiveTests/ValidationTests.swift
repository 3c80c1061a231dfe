import XCTest
@testable import Live

final class ValidationTests: XCTestCase {
    func testControlCharactersAreRejectedWithColumn() {
        XCTAssertThrowsError(try ControlText.validateMarker("one\ntwo")) { error in
            XCTAssertTrue("\(error)".contains("newline at column 4"), "\(error)")
        }
        XCTAssertThrowsError(try ControlText.validateMarker("bell\u{7}"))
        XCTAssertThrowsError(try ControlText.validateMarker("nul\u{0}x"))
        XCTAssertThrowsError(try ControlText.validateMarker("cr\rx"))
        XCTAssertThrowsError(try ControlText.validateMarker("c1\u{85}x"))
        XCTAssertThrowsError(try ControlText.validateMarker(""))
        XCTAssertThrowsError(try ControlText.validateMarker(String(repeating: "x", count: 4001)))
        XCTAssertNoThrow(try ControlText.validateMarker("phase 2 — début ✓ 日本"))
        XCTAssertNoThrow(try ControlText.validateMarker(String(repeating: "x", count: 4000)))
    }

    func testFilterGrammarAcceptsKernelForms() throws {
        for good in [
            "prev_pid == 42", "prev_pid==42&&next_pid!=0", "(a == 1 || b < 2) && !(c >= 3)",
            "prev_comm ~ \"bash*\"", "comm == 'x y'", "flags & 0x10", "common_pid > 1", "comm == bash",
            "target_cpu == 1 || cpu & CPUS{0-3}", "call_site.function == kfree", "!(prev_state == 0)",
            "  prev_pid == -1  ",
        ] {
            XCTAssertNoThrow(try KernelFilterSyntax.validate(good), good)
        }
    }

    func testFilterGrammarRejectsWithColumn() {
        let cases: [(String, String)] = [
            ("prev_pid == 1\n|| 1", "newline"),
            ("prev_pid", "expected a comparison"),
            ("prev_pid == ", "expected a value"),
            ("(prev_pid == 1", "missing \")\""),
            ("prev_pid == 1)", "unexpected"),
            ("comm == \"abc", "unterminated string"),
            ("== 1", "expected a field name"),
            ("a == 1 &&", "expected a predicate"),
            ("a == 1 b == 2", "unexpected"),
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try KernelFilterSyntax.validate(text), text) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(text): \(error)")
            }
        }
        XCTAssertThrowsError(try KernelFilterSyntax.validate("a == 1 b == 2")) { error in
            XCTAssertTrue("\(error)".contains("column 8"), "\(error)")
        }
    }

    func testErrorLogParsing() {
        let text = """
            [  400.702175] trace_uprobe: error: $arg* can be used only on function entry or exit
              Command: p:ringside/tgt /tmp/lv/t:0x1139 a=$arg1:s64
                                                       ^
            [  429.742336] event filter parse error: error: Field not found
              Command: prev_pidd == 1
                                 ^

            """
        let entries = ErrorLog.parse(text)
        XCTAssertEqual(entries.count, 2)
        XCTAssertEqual(entries[1].message, "event filter parse error: error: Field not found")
        XCTAssertEqual(entries[1].command, "prev_pidd == 1")
        XCTAssertEqual(entries[1].caret, "          ^")
        XCTAssertEqual(entries[1].explanation, "event filter parse error: error: Field not found\n  prev_pidd == 1\n            ^")
        XCTAssertEqual(entries[0].message, "trace_uprobe: error: $arg* can be used only on function entry or exit")
        XCTAssertTrue(ErrorLog.parse("").isEmpty)
        XCTAssertEqual(ErrorLog.parse("[ 1.0] lonely message").first?.command, "")
    }

    func testCPUBufferStats() throws {
        let stats = try CPUBufferStats(parsing: """
            entries: 12
            overrun: 3
            commit overrun: 1
            bytes: 4096
            oldest event ts:   429.000001
            now ts:   429.793595
            dropped events: 5
            read events: 77
            """)
        XCTAssertEqual(stats.entries, 12)
        XCTAssertEqual(stats.overrun, 3)
        XCTAssertEqual(stats.commitOverrun, 1)
        XCTAssertEqual(stats.dropped, 5)
        XCTAssertEqual(stats.read, 77)
        XCTAssertEqual(stats.lost, 9)
    }

    func testEventNamesAreSafePathComponents() {
        XCTAssertEqual(EventName(parsing: "sched:sched_switch"), EventName(system: "sched", name: "sched_switch"))
        XCTAssertEqual(EventName(parsing: "sched/sched_switch")?.directory, "sched/sched_switch")
        XCTAssertNil(EventName(parsing: "../x"))
        XCTAssertNil(EventName(parsing: "a:b/c"))
        XCTAssertNil(EventName(parsing: "a:.."))
        XCTAssertNil(EventName(parsing: "nocolon"))
        XCTAssertNil(EventName(parsing: "a:b c"))
    }

    func testCatalogueResolvesPatterns() throws {
        let catalogue = AvailableEvents(events: [
            EventName(system: "sched", name: "sched_switch"), EventName(system: "sched", name: "sched_wakeup"),
            EventName(system: "irq", name: "irq_handler_entry"), EventName(system: "syscalls", name: "sys_enter_openat"),
            EventName(system: "syscalls", name: "sys_exit_openat"),
        ])
        XCTAssertEqual(catalogue.subsystems.map(\.name), ["irq", "sched", "syscalls"])
        XCTAssertEqual(try catalogue.resolve("sched:*").count, 2)
        XCTAssertEqual(try catalogue.resolve("sched").count, 2)
        XCTAssertEqual(try catalogue.resolve("sched_switch"), [EventName(system: "sched", name: "sched_switch")])
        XCTAssertEqual(try catalogue.resolve("*:sys_*_openat").count, 2)
        XCTAssertEqual(try catalogue.resolve("sched/sched_wakeup").count, 1)
        XCTAssertThrowsError(try catalogue.resolve("sched:nope"))
        XCTAssertThrowsError(try catalogue.resolve("sched:a b"))
        XCTAssertThrowsError(try catalogue.resolve("sched:x\n"))
        XCTAssertThrowsError(try catalogue.resolve(":x"))
        XCTAssertTrue(catalogue.contains(EventName(system: "irq", name: "irq_handler_entry")))
        XCTAssertFalse(catalogue.contains(EventName(system: "irq", name: "nope")))
    }

    func testDynamicEventListingParses() {
        let entries = DynamicEvents.parse("""
            p:ringside/tgt /tmp/lv/t:0x0000000000001139 a=%di:s64
            r:ringside/tgt__return /tmp/lv/t:0x0000000000001139 rv=$retval:s64
            r10:kprobes/open do_sys_open
            s:synthetic/wakeup_latency u64 lat; pid_t pid
            garbage
            """)
        XCTAssertEqual(entries.map(\.event.description), ["ringside:tgt", "ringside:tgt__return", "kprobes:open", "synthetic:wakeup_latency"])
        XCTAssertTrue(entries[0].isUserProbe)
        XCTAssertTrue(entries[1].isReturnProbe)
        XCTAssertFalse(entries[2].isUserProbe)
        XCTAssertTrue(entries[2].isReturnProbe)
    }

    func testInstanceChoice() throws {
        XCTAssertEqual(try InstanceChoice(option: nil), .privateInstance)
        XCTAssertEqual(try InstanceChoice(option: "top"), .top)
        XCTAssertEqual(try InstanceChoice(option: "ringside"), .named("ringside"))
        XCTAssertEqual(try InstanceChoice(option: "ringside-x.1"), .named("ringside-x.1"))
        XCTAssertThrowsError(try InstanceChoice(option: "foo"))
        XCTAssertThrowsError(try InstanceChoice(option: "ringside-../x"))
        XCTAssertThrowsError(try InstanceChoice(option: "ringside-a b"))
    }

    func testMountPointUnescaping() {
        XCTAssertEqual(MountTable.unescape("/mnt/with\\040space"), "/mnt/with space")
        XCTAssertEqual(MountTable.unescape("/plain"), "/plain")
        XCTAssertEqual(MountTable.unescape("/end\\04"), "/end\\04")
    }
}
