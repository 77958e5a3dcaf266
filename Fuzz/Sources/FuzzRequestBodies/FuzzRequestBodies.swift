import FuzzSupport
import OSGCore
import OSGDomain
import OSGRequestBodies

// The JSON bodies of every write the coordinator's API accepts (docs/API.md), decoded exactly
// as the server decodes them before it forms a command. The first byte picks the route
// (RequestBodyKind, in declaration order). Properties: no crash, hang or unbounded allocation;
// every refusal is a 4xx with a code and a message.

let kinds = RequestBodyKind.allCases

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    FuzzInput.writeSeedsIfAsked {
        kinds.enumerated().map { index, kind in
            (name: "\(index)-" + String(kind.rawValue.map { $0.isLetter || $0.isNumber ? $0 : "-" }),
             bytes: FuzzInput.seed(choice: index, Array(kind.example.utf8)))
        }
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let (choice, payload) = FuzzInput.split(FuzzInput.bytes(data, count), choices: kinds.count)
    let kind = kinds[choice]
    do {
        try kind.check(payload)
        // A body the route accepts asks for a command, built as a client's signer builds it.
        let command = RequestCommand.command(method: kind.method, path: kind.examplePath, body: payload,
                                             signer: String(repeating: "ab", count: 32), contentsSalt: nil, now: .init(secondsSinceEpoch: 1_795_000_000))
        FuzzInput.require((command != nil) == kind.logsCommand, "\(kind.rawValue) accepted a body that asks for no command: \(payload)")
    } catch {
        FuzzInput.require((400..<500).contains(error.status.code), "\(kinds[choice].rawValue) refused with \(error.status.code)")
        FuzzInput.require(!error.code.isEmpty && !error.message.isEmpty, "a refusal without a code or a message: \(error)")
    }
    return 0
}

@_cdecl("FuzzRequestBodies_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    FuzzDriver.run(argc, argv, fuzz)
}
