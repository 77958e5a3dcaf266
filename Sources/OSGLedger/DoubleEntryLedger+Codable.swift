import HeapModule

/// A ledger's persistent content for state snapshots: logical time, every account in creation
/// order and every history record in order, as flat arrays of integers (compact and fast to
/// encode at millions of records).
///
/// The indexes (`accountIndexByID`, `recordIndexByID`) and the expiry heap are rebuilt on
/// decoding; the heap holds exactly the open pending transfers with a timeout, which expire
/// in the same (deadline, id) order as the heap the live ledger kept (its stale entries are
/// skipped there anyway). Decoding checks every field and the ledger's invariants, so bytes
/// that do not describe a valid ledger are an error, never a crash.
extension DoubleEntryLedger: Codable {
    private enum CodingKeys: String, CodingKey {
        case nowSeconds = "now_seconds"
        case accounts
        case records
    }

    /// Integers per account: id, flags | code << 8, debits pending, debits posted, credits
    /// pending, credits posted, newest record index (as the bit pattern of an `Int64`).
    static let accountWidth = 7
    /// Integers per record: id, kind | pending state << 8 | code << 16, debit account, credit
    /// account, amount, pending id, timeout, timestamp, requested amount, whether a requested
    /// amount is present, previous debit record index, previous credit record index.
    static let recordWidth = 12

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(nowSeconds, forKey: .nowSeconds)
        var accountFields: [UInt64] = []
        accountFields.reserveCapacity(accounts.count * Self.accountWidth)
        for account in accounts {
            accountFields += [
                account.id, UInt64(account.flags.rawValue) | UInt64(account.code.rawValue) << 8,
                account.debitsPendingMicroCredits, account.debitsPostedMicroCredits,
                account.creditsPendingMicroCredits, account.creditsPostedMicroCredits,
                UInt64(bitPattern: Int64(account.newestRecordIndex)),
            ]
        }
        try container.encode(accountFields, forKey: .accounts)
        var recordFields: [UInt64] = []
        recordFields.reserveCapacity(records.count * Self.recordWidth)
        for record in records {
            recordFields += [
                record.id,
                UInt64(record.kind.rawValue) | UInt64(record.pendingState.rawValue) << 8 | UInt64(record.code.rawValue) << 16,
                record.debitAccountID, record.creditAccountID, record.amountMicroCredits, record.pendingID,
                record.timeoutSeconds, record.timestampSeconds, record.requestedAmountMicroCredits ?? 0,
                record.requestedAmountMicroCredits == nil ? 0 : 1,
                UInt64(bitPattern: Int64(record.previousDebitRecordIndex)),
                UInt64(bitPattern: Int64(record.previousCreditRecordIndex)),
            ]
        }
        try container.encode(recordFields, forKey: .records)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        func corrupt(_ message: String) -> DecodingError {
            DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "ledger: " + message))
        }
        nowSeconds = try container.decode(UInt64.self, forKey: .nowSeconds)
        let accountFields = try container.decode([UInt64].self, forKey: .accounts)
        let recordFields = try container.decode([UInt64].self, forKey: .records)
        guard accountFields.count % Self.accountWidth == 0, recordFields.count % Self.recordWidth == 0 else {
            throw corrupt("account or record fields are not whole rows")
        }
        let recordCount = recordFields.count / Self.recordWidth
        guard recordCount < Int(Int32.max) else { throw corrupt("\(recordCount) records exceed the ledger's capacity") }
        /// A record index as stored: -1 (none) up to, not including, `bound`.
        func index(_ raw: UInt64, below bound: Int, _ what: String) throws -> Int32 {
            let value = Int64(bitPattern: raw)
            guard value >= -1, value < Int64(bound) else { throw corrupt("\(what) index \(value) is out of range") }
            return Int32(value)
        }
        accounts.reserveCapacity(accountFields.count / Self.accountWidth)
        for row in stride(from: 0, to: accountFields.count, by: Self.accountWidth) {
            let id = accountFields[row]
            let packed = accountFields[row + 1]
            guard packed >> 24 == 0, accountIndexByID[id] == nil else {
                throw corrupt("account \(id) is repeated or has an invalid flags/code field")
            }
            var account = Account(id: id, flags: AccountFlags(rawValue: UInt8(packed & 0xff)),
                                  code: AccountCode(rawValue: UInt16(packed >> 8)))
            account.debitsPendingMicroCredits = accountFields[row + 2]
            account.debitsPostedMicroCredits = accountFields[row + 3]
            account.creditsPendingMicroCredits = accountFields[row + 4]
            account.creditsPostedMicroCredits = accountFields[row + 5]
            account.newestRecordIndex = try index(accountFields[row + 6], below: recordCount, "account \(id) newest record")
            accountIndexByID[id] = Int32(accounts.count)
            accounts.append(account)
        }
        records.reserveCapacity(recordCount)
        for row in stride(from: 0, to: recordFields.count, by: Self.recordWidth) {
            let position = records.count
            let packed = recordFields[row + 1]
            guard packed >> 32 == 0,
                  let kind = TransferRecord.Kind(rawValue: UInt8(packed & 0xff)),
                  let pendingState = TransferRecord.PendingState(rawValue: UInt8((packed >> 8) & 0xff)),
                  recordFields[row + 9] <= 1
            else { throw corrupt("record \(position) has an invalid kind, state or flag") }
            let debitAccountID = recordFields[row + 2], creditAccountID = recordFields[row + 3]
            guard accountIndexByID[debitAccountID] != nil, accountIndexByID[creditAccountID] != nil else {
                throw corrupt("record \(position) names an account that does not exist")
            }
            var record = TransferRecord(
                id: recordFields[row], kind: kind, debitAccountID: debitAccountID, creditAccountID: creditAccountID,
                amountMicroCredits: recordFields[row + 4], pendingID: recordFields[row + 5], timeoutSeconds: recordFields[row + 6],
                timestampSeconds: recordFields[row + 7], code: TransferCode(rawValue: UInt16(packed >> 16)),
                requestedAmountMicroCredits: recordFields[row + 9] == 1 ? recordFields[row + 8] : nil,
                previousDebitRecordIndex: try index(recordFields[row + 10], below: position, "record \(position) previous debit"),
                previousCreditRecordIndex: try index(recordFields[row + 11], below: position, "record \(position) previous credit"))
            record.pendingState = pendingState
            records.append(record)
        }
        try rebuildIndexes(corrupt)
        let violations = checkInvariants()
        guard violations.isEmpty else { throw corrupt("invariants broken: \(violations.map(\.description).joined(separator: "; "))") }
    }

    /// Rebuilds the record-id index and the expiry heap from `records`.
    private mutating func rebuildIndexes(_ corrupt: (String) -> DecodingError) throws {
        var expiries: [ExpiryEntry] = []
        for (position, record) in records.enumerated() {
            let index = Int32(position)
            if record.kind != .expirePending {
                guard recordIndexByID[record.id] == nil else { throw corrupt("record id \(record.id) is used twice") }
                recordIndexByID[record.id] = index
            }
            if record.kind == .pending, record.pendingState == .open { openPendingIndices.insert(index) }
            if record.kind == .pending, record.pendingState == .open, record.timeoutSeconds > 0 {
                let (deadline, overflow) = record.timestampSeconds.addingReportingOverflow(record.timeoutSeconds)
                guard !overflow else { throw corrupt("record \(position) has a deadline past the end of time") }
                expiries.append(ExpiryEntry(expiresAtSeconds: deadline, transferID: record.id, recordIndex: index))
            }
        }
        expiryQueue = Heap(expiries)
    }
}
