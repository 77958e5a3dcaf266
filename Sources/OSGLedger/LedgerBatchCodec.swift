/// The compact binary form of a ledger batch, as it is journaled for durability and replay.
///
/// Little-endian, fixed-width fields, one tag byte per operation:
///
/// | tag | operation | fields |
/// |---|---|---|
/// | 1 | create account | id u64, flags u8, code u16 |
/// | 2 | transfer | id u64, debit u64, credit u64, amount u64, pending u8, timeout u64, code u16 |
/// | 3 | post/void | id u64, pending id u64, action u8 (0 post, 1 void), has amount u8, amount u64 |
/// | 4 | tick | now u64 |
/// | 5 | linked chain | count u32, then that many transfer (2) or post/void (3) records |
///
/// A batch starts with its operation count (u32). Decoding is strict: unknown tags, short
/// input and trailing bytes are errors that name the byte offset.
public enum LedgerBatchCodec {
    /// Why bytes are not a ledger batch.
    public struct DecodingError: Error, Equatable, Sendable, CustomStringConvertible {
        public var offset: Int
        public var reason: String
        public var description: String { "byte \(offset): \(reason)" }
    }

    /// The binary form of `batch`.
    public static func encode(_ batch: [LedgerOperation]) -> [UInt8] {
        var writer = Writer()
        writer.bytes.reserveCapacity(4 + batch.count * 48)
        writer.u32(UInt32(batch.count))
        for operation in batch {
            switch operation {
            case .createAccount(let account):
                writer.u8(1)
                writer.u64(account.id)
                writer.u8(account.flags.rawValue)
                writer.u16(account.code.rawValue)
            case .transfer(let request):
                writer.transfer(request)
            case .resolve(let resolution):
                writer.resolution(resolution)
            case .tick(let now):
                writer.u8(4)
                writer.u64(now)
            case .linked(let events):
                writer.u8(5)
                writer.u32(UInt32(events.count))
                for event in events {
                    switch event {
                    case .transfer(let request): writer.transfer(request)
                    case .resolve(let resolution): writer.resolution(resolution)
                    }
                }
            }
        }
        return writer.bytes
    }

    /// The batch encoded in `bytes`.
    public static func decode(_ bytes: [UInt8]) throws(DecodingError) -> [LedgerOperation] {
        var reader = Reader(bytes: bytes)
        let count = try reader.u32()
        var batch: [LedgerOperation] = []
        batch.reserveCapacity(Int(min(count, 1 << 20)))
        for _ in 0..<count {
            let tagOffset = reader.offset
            switch try reader.u8() {
            case 1:
                let id = try reader.u64()
                let flags = AccountFlags(rawValue: try reader.u8())
                let code = AccountCode(rawValue: try reader.u16())
                batch.append(.createAccount(Account(id: id, flags: flags, code: code)))
            case 2: batch.append(.transfer(try reader.transferBody()))
            case 3: batch.append(.resolve(try reader.resolutionBody()))
            case 4: batch.append(.tick(nowSeconds: try reader.u64()))
            case 5:
                let eventCount = try reader.u32()
                var events: [LedgerEvent] = []
                for _ in 0..<eventCount {
                    let eventOffset = reader.offset
                    switch try reader.u8() {
                    case 2: events.append(.transfer(try reader.transferBody()))
                    case 3: events.append(.resolve(try reader.resolutionBody()))
                    case let tag: throw DecodingError(offset: eventOffset, reason: "tag \(tag) cannot be part of a linked chain")
                    }
                }
                batch.append(.linked(events))
            case let tag:
                throw DecodingError(offset: tagOffset, reason: "unknown operation tag \(tag)")
            }
        }
        guard reader.offset == bytes.count else {
            throw DecodingError(offset: reader.offset, reason: "\(bytes.count - reader.offset) trailing bytes after \(count) operations")
        }
        return batch
    }

    struct Writer {
        var bytes: [UInt8] = []
        mutating func u8(_ value: UInt8) { bytes.append(value) }
        mutating func u16(_ value: UInt16) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
        mutating func u32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
        mutating func u64(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }

        mutating func transfer(_ request: TransferRequest) {
            u8(2)
            u64(request.id)
            u64(request.debitAccountID)
            u64(request.creditAccountID)
            u64(request.amountMicroCredits)
            u8(request.isPending ? 1 : 0)
            u64(request.timeoutSeconds)
            u16(request.code.rawValue)
        }

        mutating func resolution(_ resolution: PendingResolution) {
            u8(3)
            u64(resolution.id)
            u64(resolution.pendingID)
            u8(resolution.action == .post ? 0 : 1)
            u8(resolution.amountMicroCredits == nil ? 0 : 1)
            u64(resolution.amountMicroCredits ?? 0)
        }
    }

    struct Reader {
        let bytes: [UInt8]
        var offset = 0

        mutating func take(_ width: Int) throws(DecodingError) -> UInt64 {
            guard offset + width <= bytes.count else {
                throw DecodingError(offset: offset, reason: "input ends inside a \(width)-byte field")
            }
            var value: UInt64 = 0
            for index in 0..<width { value |= UInt64(bytes[offset + index]) << (8 * index) }
            offset += width
            return value
        }

        mutating func u8() throws(DecodingError) -> UInt8 { UInt8(try take(1)) }
        mutating func u16() throws(DecodingError) -> UInt16 { UInt16(try take(2)) }
        mutating func u32() throws(DecodingError) -> UInt32 { UInt32(try take(4)) }
        mutating func u64() throws(DecodingError) -> UInt64 { try take(8) }

        mutating func flag() throws(DecodingError) -> Bool {
            let at = offset
            switch try u8() {
            case 0: return false
            case 1: return true
            case let other: throw DecodingError(offset: at, reason: "flag byte must be 0 or 1, got \(other)")
            }
        }

        mutating func transferBody() throws(DecodingError) -> TransferRequest {
            let id = try u64(), debit = try u64(), credit = try u64(), amount = try u64()
            let pending = try flag()
            let timeout = try u64()
            let code = TransferCode(rawValue: try u16())
            return TransferRequest(
                id: id, debitAccountID: debit, creditAccountID: credit, amountMicroCredits: amount,
                isPending: pending, timeoutSeconds: timeout, code: code)
        }

        mutating func resolutionBody() throws(DecodingError) -> PendingResolution {
            let id = try u64(), pendingID = try u64()
            let isVoid = try flag()
            let hasAmount = try flag()
            let amount = try u64()
            return isVoid
                ? .void(id: id, pendingID: pendingID)
                : .post(id: id, pendingID: pendingID, amountMicroCredits: hasAmount ? amount : nil)
        }
    }
}
