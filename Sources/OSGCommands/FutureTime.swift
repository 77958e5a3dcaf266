import ArgumentParser
import OSGDomain

/// A time in the future given on the command line: an RFC 3339 time, or a duration from now
/// (``OSGDomain/DurationText``: `30d`, `12h`).
enum FutureTime {
    /// The latest time RFC 3339 can write (four-digit years).
    static let latest = Timestamp(secondsSinceEpoch: 253_402_300_799)  // 9999-12-31T23:59:59Z

    /// `text` as a time after `now`.
    ///
    /// - Throws: `ValidationError` naming `flag` when `text` is neither form, or the time is not
    ///   after `now` or past ``latest``; `what` names the thing that must end in the future.
    static func parse(_ text: String, flag: String, what: String, now: Timestamp) throws(ValidationError) -> Timestamp {
        let end: Timestamp
        if let time = Timestamp(rfc3339: text) {
            end = time
        } else {
            let seconds: Int64
            do {
                seconds = try DurationText.seconds(text)
            } catch {
                throw ValidationError("\(flag) \(text) is neither an RFC 3339 time such as 2027-01-31T00:00:00Z nor a duration such as 30d or 12h (as a duration, \(error))")
            }
            let (sum, overflow) = now.secondsSinceEpoch.addingReportingOverflow(seconds)
            end = Timestamp(secondsSinceEpoch: overflow ? .max : sum)
        }
        guard end > now else {
            throw ValidationError("\(flag) \(text) is not after now (\(now)): \(what) must end in the future")
        }
        guard end <= latest else {
            throw ValidationError("\(flag) \(text) is after \(latest), the latest time RFC 3339 can write")
        }
        return end
    }
}
