import Foundation
import Testing

@testable import OSGAgent

#if canImport(Glibc)
import Glibc
#endif

@Suite("sandbox process identity")
struct SandboxProcessIdentityTests {
    /// A real record's shape: a command name with spaces and a parenthesis, start time in field 22.
    static func record(name: String, state: String, start: UInt64) -> String {
        let middle = (4...21).map { String($0) }.joined(separator: " ")
        return "4242 (\(name)) \(state) \(middle) \(start) 23 24 25\n"
    }

    @Test("a stat record names the process by pid and start time; zombies are gone, damaged records unreadable")
    func parsesRecords() {
        #expect(SandboxProcessIdentity.parse(stat: Self.record(name: "bash", state: "S", start: 777), pid: 4242)
            == .running(SandboxProcessIdentity(pid: 4242, startTime: 777)))
        #expect(SandboxProcessIdentity.parse(stat: Self.record(name: "a) b (c", state: "R", start: 9), pid: 4242)
            == .running(SandboxProcessIdentity(pid: 4242, startTime: 9)))
        #expect(SandboxProcessIdentity.parse(stat: Self.record(name: "bash", state: "Z", start: 777), pid: 4242) == .gone)
        #expect(SandboxProcessIdentity.parse(stat: Self.record(name: "bash", state: "X", start: 777), pid: 4242) == .gone)
        #expect(SandboxProcessIdentity.parse(stat: "", pid: 4242) == .unreadable)
        #expect(SandboxProcessIdentity.parse(stat: "4242 (bash) S 1 2 3", pid: 4242) == .unreadable)
        #expect(SandboxProcessIdentity.parse(stat: "4242 bash S", pid: 4242) == .unreadable)
    }

    @Test("this process is alive under its own identity, not under another start time; a reaped child is gone")
    func livenessOfRealProcesses() throws {
        let own = try #require(SandboxProcessIdentity.current(pid: getpid()))
        #expect(own.isAlive)
        #expect(!SandboxProcessIdentity(pid: own.pid, startTime: own.startTime + 1).isAlive)
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/true")
        try child.run()
        child.waitUntilExit()
        #expect(SandboxProcessIdentity.read(pid: child.processIdentifier) == .gone)
        #expect(SandboxProcessIdentity.current(pid: child.processIdentifier) == nil)
    }
}
