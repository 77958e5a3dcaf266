import Crypto

extension DoubleEntryLedger {
    /// The SHA-256 of the whole state in its canonical bytes (docs/LEDGER.md, "State digest"):
    /// logical time, every account (sorted by id: flags, code, four balances) and every record
    /// in order (with its pending state), each figure a big-endian 64-bit word. Two ledgers that
    /// applied the same operations have the same digest, whatever their dictionaries' hash seeds;
    /// replay after a crash must reproduce it.
    public var stateDigest: [UInt8] {
        var hasher = SHA256()
        var words: [UInt8] = []
        words.reserveCapacity(4_096)
        func mix(_ value: UInt64) {
            for shift in stride(from: 56, through: 0, by: -8) { words.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
            if words.count >= 4_096 {
                hasher.update(data: words)
                words.removeAll(keepingCapacity: true)
            }
        }
        mix(nowSeconds)
        mix(UInt64(accounts.count))
        for account in accountsByID {
            mix(account.id)
            mix(UInt64(account.flags.rawValue) | UInt64(account.code.rawValue) << 8)
            mix(account.debitsPendingMicroCredits)
            mix(account.debitsPostedMicroCredits)
            mix(account.creditsPendingMicroCredits)
            mix(account.creditsPostedMicroCredits)
        }
        mix(UInt64(records.count))
        for record in records {
            mix(record.id)
            mix(UInt64(record.kind.rawValue) | UInt64(record.pendingState.rawValue) << 8 | UInt64(record.code.rawValue) << 16)
            mix(record.debitAccountID)
            mix(record.creditAccountID)
            mix(record.amountMicroCredits)
            mix(record.pendingID)
            mix(record.timeoutSeconds)
            mix(record.timestampSeconds)
            mix(record.requestedAmountMicroCredits.map { $0 } ?? 0)
            mix(record.requestedAmountMicroCredits == nil ? 0 : 1)
        }
        hasher.update(data: words)
        return Array(hasher.finalize())
    }
}
