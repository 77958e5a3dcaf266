import OSGLog

/// Input to an `osg log verify-*` verb that cannot be read or does not parse, with the verdict
/// that says so (exit status 2). The verbs share it so that they word that verdict alike.
struct LogMalformedInput: Error {
    /// The malformed-input verdict to report.
    let report: VerdictReport

    /// The verdict for input that does not parse: the error's stable code, then `field: message`.
    init(_ error: LogFormatError) {
        report = .malformed(code: error.code.rawValue, "\(error.field): \(error.message)")
    }

    /// Reads the whole file at `path` and parses its bytes with `parse`.
    ///
    /// - Throws: ``LogMalformedInput`` when the file cannot be read or `parse` throws.
    static func parse<Parsed>(
        file path: String, with parse: ([UInt8]) throws(LogFormatError) -> Parsed
    ) throws(LogMalformedInput) -> Parsed {
        let bytes: [UInt8]
        do {
            bytes = try VerdictReport.readFile(path).get()
        } catch {
            throw LogMalformedInput(report: error.report)
        }
        do {
            return try parse(bytes)
        } catch {
            throw LogMalformedInput(error)
        }
    }

    private init(report: VerdictReport) {
        self.report = report
    }
}
