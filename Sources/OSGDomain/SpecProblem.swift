/// One thing wrong with a job spec: which field, where in the text, what, and how to fix it.
///
/// ```text
/// job.yaml:7:12: resources.gpu.count: must be at least 1, got 0
/// ```
public struct SpecProblem: Hashable, Sendable, Codable, CustomStringConvertible {
    /// A stable, machine-readable code, e.g. `unknown_field`, `out_of_range`.
    public var code: Code
    /// Dotted path of the field, e.g. `resources.gpu.count`; empty for the whole document.
    public var field: String
    /// Human message naming the value and the fix.
    public var message: String
    /// 1-based line in the source text, when known.
    public var line: Int?
    /// 1-based column in the source text, when known.
    public var column: Int?

    /// Creates a problem; the reader fills `line` and `column` from the field path.
    public init(_ code: Code, field: String, _ message: String, line: Int? = nil, column: Int? = nil) {
        self.code = code
        self.field = field
        self.message = message
        self.line = line
        self.column = column
    }

    /// Stable problem codes. New codes may be added; existing ones keep their meaning.
    public struct Code: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The text is not valid YAML or JSON.
        public static let syntax = Code(rawValue: "syntax")
        /// A field the format does not define.
        public static let unknownField = Code(rawValue: "unknown_field")
        /// A required field is absent.
        public static let missingField = Code(rawValue: "missing_field")
        /// A value of the wrong type (text where a number is expected, ...).
        public static let wrongType = Code(rawValue: "wrong_type")
        /// A quantity with a wrong or missing unit.
        public static let wrongUnit = Code(rawValue: "wrong_unit")
        /// A number outside its allowed range.
        public static let outOfRange = Code(rawValue: "out_of_range")
        /// A value that is not one of the allowed names.
        public static let unknownValue = Code(rawValue: "unknown_value")
        /// A value whose form is wrong (bad name, bad date, ...).
        public static let invalidFormat = Code(rawValue: "invalid_format")
        /// Fields that contradict each other.
        public static let inconsistent = Code(rawValue: "inconsistent")
        /// A time that has already passed.
        public static let inThePast = Code(rawValue: "in_the_past")
        /// The same key twice in one mapping.
        public static let duplicateField = Code(rawValue: "duplicate_field")
    }

    /// `line:column: field: message`, omitting what is unknown.
    public var description: String {
        var prefix = ""
        if let line { prefix += column.map { "\(line):\($0): " } ?? "\(line): " }
        if !field.isEmpty { prefix += "\(field): " }
        return prefix + message
    }
}
