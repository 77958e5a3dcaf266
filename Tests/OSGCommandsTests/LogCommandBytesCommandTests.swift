import OSGCore
import OSGDomain
import Testing
@testable import OSGCommands

@Suite("osg log command-bytes --json")
struct LogCommandBytesCommandTests {
    @Test("names the command and its actor, and its bytes are the signed statement's command bytes")
    func reportsTheCommand() throws {
        let signer = String(repeating: "ab", count: 32)
        let command = Command.deposit(tenantID: signer, amount: MicroCredits(25 * MicroCredits.perCredit))
        let report = LogCommandBytesCommand.report(command, signer: signer)
        let bytes = CommandStatement.commandBytes(actor: signer, command: command)
        #expect(report["command"] as? String == "deposit" && report["actor"] as? String == signer)
        #expect(report["command_bytes_hex"] as? String == Hex.encode(bytes) && report["command_bytes"] as? Int == bytes.count)
        // Another actor gives other bytes: the actor is part of what is signed.
        let other = LogCommandBytesCommand.report(command, signer: String(repeating: "cd", count: 32))
        #expect(other["command_bytes_hex"] as? String != report["command_bytes_hex"] as? String)
    }

    @Test("the command line accepts --json beside the request's flags")
    func parsesJSONFlag() throws {
        let parsed = try OSGCommand.parseAsRoot(["log", "command-bytes", "--method", "POST", "--path", "/v1/deposits",
                                                 "--signer", String(repeating: "ab", count: 32), "--json"])
        #expect((parsed as? LogCommandBytesCommand)?.json == true)
    }
}
