import Hummingbird
import OSGCore
import OSGRequestBodies

extension APIError {
    /// The answer to a command the core refused: when applied (`sequence`: the refusal is
    /// logged there), or at the door, before anything was logged (`sequence` `nil`).
    init(rejection: Rejection, sequence: UInt64?) {
        let status: HTTPResponse.Status = switch rejection.code {
        case .notOwner, .notGovernance, .notAllowedToEnd, .governanceQuorumShort: .forbidden
        case .unknownNode, .unknownOrder, .unknownPool, .unknownLease, .unknownWithdrawal: .notFound
        case .duplicateNode, .orderAlreadyFinal, .leaseAlreadyEnded, .withdrawalAlreadySettled, .notEnabled, .sharesAlreadyIssued, .staleGovernanceCounter: .conflict
        case .insufficientFunds: HTTPResponse.Status(code: 402, reasonPhrase: "Payment Required")
        case .invalidSpec, .invalidNode, .invalidPool, .invalidAmount, .invalidLockup, .invalidCarbonSeries, .noEligibleGrant,
             .invalidBenchmark, .invalidUsage, .ceilingBelowPrice, .invalidExitCode, .invalidOutputs, .unknownAccount, .sameAccount, .insufficientShares, .invalidReference, .faucetCap,
             .notGovernable, .invalidGovernance: .unprocessableContent
        }
        let note = sequence.map { " (refusal logged at sequence \($0))" } ?? " (refused before logging; nothing was recorded)"
        self.init(status, rejection.code.rawValue, rejection.message + note)
    }
}

extension CommandWriter.Outcome {
    /// The core's refusal, if the command was refused.
    var rejection: Rejection? {
        for case .rejected(let rejection) in events { return rejection }
        return nil
    }

    /// Throws the refusal as an ``APIError`` when the command was refused.
    func acceptedOrThrow() throws(APIError) -> CommandWriter.Outcome {
        if let rejection { throw APIError(rejection: rejection, sequence: entry.sequence) }
        return self
    }
}
