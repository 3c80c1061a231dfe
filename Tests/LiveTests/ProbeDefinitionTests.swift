import XCTest
@testable import Live

final class ProbeDefinitionTests: XCTestCase {
    let entry = FetchArgument.Context(isUserProbe: true, isReturnProbe: false, machine: "x86_64")
    let exit = FetchArgument.Context(isUserProbe: true, isReturnProbe: true, machine: "x86_64")
    let kernel = FetchArgument.Context(isUserProbe: false, isReturnProbe: false, machine: "x86_64")

    func testArgumentsTranslateToRegistersForUserProbes() throws {
        XCTAssertEqual(try FetchArgument(parsing: "a=$arg1:u64", context: entry).definitionText, "a=%di:u64")
        XCTAssertEqual(try FetchArgument(parsing: "$arg6", context: entry).definitionText, "%r9")
        XCTAssertEqual(try FetchArgument(parsing: "s=+0($arg2):string", context: entry).definitionText, "s=+0(%si):string")
        XCTAssertEqual(try FetchArgument(parsing: "x=+8(+0($arg1)):x32", context: entry).definitionText, "x=+8(+0(%di)):x32")
        let arm = FetchArgument.Context(isUserProbe: true, isReturnProbe: false, machine: "aarch64")
        XCTAssertEqual(try FetchArgument(parsing: "$arg3", context: arm).definitionText, "%x2")
        // Kernel probes keep $argN: the kernel resolves it itself.
        XCTAssertEqual(try FetchArgument(parsing: "a=$arg1:u64", context: kernel).definitionText, "a=$arg1:u64")
        XCTAssertThrowsError(try FetchArgument(parsing: "$arg7", context: entry))
        XCTAssertThrowsError(try FetchArgument(parsing: "$arg1", context: exit)) { error in
            XCTAssertTrue("\(error)".contains("return probe"))
        }
        XCTAssertThrowsError(try FetchArgument(parsing: "$arg1", context: .init(isUserProbe: true, isReturnProbe: false, machine: "mips")))
    }

    func testFetchArgumentForms() throws {
        for good in ["%ax", "r=%r12:x64", "$stack", "$stack3", "$comm", "c=$comm:string", "@0x1000:u32", "@+4096:s16",
                     "-8(%sp):u64", "+0(%di):ustring", "\\42", "\\-1", "v=\\\"text\"", "b=%ax:b4@2/8", "arr=+0(%di):u8[16]",
                     "p=%di:symbol", "%di:x8"] {
            XCTAssertNoThrow(try FetchArgument(parsing: good, context: entry), good)
        }
        XCTAssertNoThrow(try FetchArgument(parsing: "rv=$retval:s64", context: exit))
        XCTAssertNoThrow(try FetchArgument(parsing: "@jiffies", context: kernel))
        let bad: [(String, FetchArgument.Context)] = [
            ("$retval", entry), ("%", entry), ("%d i", entry), ("a=%di:u65", entry), ("a=%di:u8[0]", entry),
            ("a=%di:u8[x]", entry), ("1a=%di", entry), ("common_pid=%di", entry), ("__probe_ip=%di", entry),
            ("@jiffies", entry), ("+x(%di)", entry), ("+0(%di", entry), ("$nothing", entry), ("a=%di\nr:x/y", entry),
            ("a=%di:b4@2/7", entry), ("plain", entry), ("", entry), ("\\\"a\"b\"", entry),
        ]
        for (text, context) in bad {
            XCTAssertThrowsError(try FetchArgument(parsing: text, context: context), text)
        }
    }

    func testKernelProbesNeedKprobes() {
        let noKprobes = TracingCapabilities(uprobes: true, kprobes: false, dynamicEvents: true, markers: true)
        XCTAssertThrowsError(try ProbeRequest(target: "do_sys_openat2").resolve(capabilities: noKprobes)) { error in
            XCTAssertTrue("\(error)".contains("CONFIG_KPROBES"), "\(error)")
        }
        let withKprobes = TracingCapabilities(uprobes: true, kprobes: true, dynamicEvents: true, markers: true)
        let probe = try? ProbeRequest(target: "do_sys_openat2+4", isReturn: false, arguments: ["dfd=$arg1:s32"])
            .resolve(capabilities: withKprobes)
        XCTAssertEqual(probe?.definitionLine, "p:ringside/do_sys_openat2 do_sys_openat2+4 dfd=$arg1:s32")
        let ret = try? ProbeRequest(target: "ext4:ext4_sync_file", isReturn: true).resolve(capabilities: withKprobes)
        XCTAssertEqual(ret?.definitionLine, "r:ringside/ext4_sync_file__return ext4:ext4_sync_file")
        XCTAssertThrowsError(try ProbeRequest(target: "bad symbol").resolve(capabilities: withKprobes))
        XCTAssertThrowsError(try ProbeRequest(target: "sym+zz").resolve(capabilities: withKprobes))
    }

    func testNamesAndPlaces() throws {
        XCTAssertEqual(ProbeRequest.defaultName(for: "operator new(unsigned long)", isReturn: false), "operator_new_unsigned_long_")
        XCTAssertEqual(ProbeRequest.defaultName(for: "9lives", isReturn: true), "p_9lives__return")
        XCTAssertEqual(ProbeRequest.defaultName(for: String(repeating: "a", count: 100), isReturn: true).count, 64)
        XCTAssertThrowsError(try ProbeRequest.checkedName("bad-name"))
        XCTAssertThrowsError(try ProbeRequest.checkedName(String(repeating: "a", count: 65)))
        XCTAssertTrue(ProbeRequest(target: "/bin/true:main").isUserSpace)
        XCTAssertTrue(ProbeRequest(target: "./prog:main").isUserSpace)
        XCTAssertFalse(ProbeRequest(target: "ext4:ext4_sync_file").isUserSpace)
    }

    func testUserProbeResolvesSymbolsToFileOffsets() throws {
        let directory = try LiveTestSupport.temporaryDirectory("elf")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let capabilities = TracingCapabilities(uprobes: true, kprobes: false, dynamicEvents: true, markers: true)
        for flags in [["-pie", "-fPIE"], ["-no-pie", "-fno-pie"], ["-shared", "-fPIC"]] {
            let binary = try LiveTestSupport.compile("probe-target.c", into: directory, output: "t\(flags[0])", flags: flags)
            let elf = try ELFFile(path: binary)
            let symbol = try XCTUnwrap(elf.symbols(named: "probe_target").first, "\(flags)")
            let expected = try XCTUnwrap(elf.fileOffset(ofVirtualAddress: symbol.value))
            let probe = try ProbeRequest(target: binary + ":probe_target", arguments: ["v=$arg1:s64", "t=+0($arg2):string"])
                .resolve(capabilities: capabilities)
            XCTAssertEqual(probe.place, binary + ":0x" + String(expected, radix: 16), "\(flags)")
            XCTAssertEqual(probe.name, "probe_target")
            XCTAssertEqual(probe.definitionLine, "p:ringside/probe_target \(binary):0x\(String(expected, radix: 16)) v=%di:s64 t=+0(%si):string")
            // The file offset really holds the function's code: compare with the section's bytes via objdump-free check
            // (the symbol's address maps into an executable segment).
            XCTAssertTrue(elf.segments.contains { $0.isExecutable && symbol.value >= $0.virtualAddress && symbol.value < $0.virtualAddress + $0.fileSize })
            let plus = try ProbeRequest(target: binary + ":probe_target+4").resolve(capabilities: capabilities)
            XCTAssertEqual(plus.place, binary + ":0x" + String(expected + 4, radix: 16))
            XCTAssertEqual(plus.name, "probe_target_4")
            // A static function is only in .symtab.
            XCTAssertNoThrow(try ProbeRequest(target: binary + ":local_helper").resolve(capabilities: capabilities))
            XCTAssertThrowsError(try ProbeRequest(target: binary + ":no_such_symbol").resolve(capabilities: capabilities))
            XCTAssertThrowsError(try ProbeRequest(target: binary + ":probe_target+100000").resolve(capabilities: capabilities))
        }
        let pie = directory + "/t-pie"
        let offset = try ProbeRequest(target: pie + ":0x1000").resolve(capabilities: capabilities)
        XCTAssertEqual(offset.place, pie + ":0x1000")
        XCTAssertEqual(offset.name, "t_pie_0x1000")
        XCTAssertThrowsError(try ProbeRequest(target: pie + ":0x10000000").resolve(capabilities: capabilities))
        XCTAssertThrowsError(try ProbeRequest(target: directory + "/missing:main").resolve(capabilities: capabilities))
        // A relative path is made absolute against the current directory.
        let relative = try ProbeRequest(target: "./t-pie:probe_target").resolve(capabilities: capabilities, currentDirectory: directory)
        XCTAssertTrue(relative.place.hasPrefix(pie + ":0x") || relative.place.contains("/t-pie:0x"))
    }

    func testStrippedAndDamagedFiles() throws {
        let directory = try LiveTestSupport.temporaryDirectory("elf-damage")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let binary = try LiveTestSupport.compile("probe-target.c", into: directory, output: "t", flags: ["-s"])
        let capabilities = TracingCapabilities(uprobes: true, kprobes: false, dynamicEvents: true, markers: true)
        XCTAssertThrowsError(try ProbeRequest(target: binary + ":probe_target").resolve(capabilities: capabilities)) { error in
            XCTAssertTrue("\(error)".contains("no symbol"), "\(error)")
        }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: binary))
        // Every truncation either parses or fails with a message; none crashes.
        for length in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 97)) + [1, 4, 16, 63, 64, 65] {
            let path = directory + "/cut-\(length)"
            try bytes.prefix(length).write(to: URL(fileURLWithPath: path))
            _ = try? ELFFile(path: path)
        }
        // Corrupt header fields: huge section header offset, absurd entry sizes.
        var damaged = [UInt8](bytes)
        for k in 40..<48 { damaged[k] = 0xff }
        try Data(damaged).write(to: URL(fileURLWithPath: directory + "/bad-shoff"))
        XCTAssertThrowsError(try ELFFile(path: directory + "/bad-shoff"))
        XCTAssertThrowsError(try ELFFile(path: "/etc/hostname")) { error in
            XCTAssertTrue("\(error)".contains("not an ELF file"), "\(error)")
        }
    }
}
