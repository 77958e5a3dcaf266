import Foundation
import OSGDomain

/// Decoding of small JSON request bodies with the errors the API promises: malformed JSON,
/// wrong types, out-of-range numbers, missing and unknown fields each become a 400 naming the
/// field.
package enum StrictJSON {
    /// Decodes `T` from `bytes`, turning every decoding failure into an ``APIError``.
    package static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws(APIError) -> T {
        guard !bytes.isEmpty else {
            throw APIError.badRequest("missing_body", "the request needs a JSON object body")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(bytes))
        } catch let error as APIError {
            throw error
        } catch let error as DecodingError {
            throw apiError(error)
        } catch {
            throw APIError.badRequest("malformed_json", "the body is not valid JSON: \(error)")
        }
    }

    package static func apiError(_ error: DecodingError) -> APIError {
        switch error {
        case .typeMismatch(let type, let context):
            let field = path(context.codingPath)
            return .badRequest("wrong_type", "\(field.isEmpty ? "the body" : field) must be \(describe(type))", field: field)
        case .valueNotFound(let type, let context):
            let field = path(context.codingPath)
            return .badRequest("wrong_type", "\(field) must be \(describe(type)), not null", field: field)
        case .keyNotFound(let key, let context):
            let field = path(context.codingPath + [key])
            return .badRequest("missing_field", "\(field) is required", field: field)
        case .dataCorrupted(let context):
            let field = path(context.codingPath)
            if context.codingPath.isEmpty {
                return .badRequest("malformed_json", "the body is not valid JSON: \(context.debugDescription)")
            }
            return .badRequest("invalid_value", "\(field): \(context.debugDescription)", field: field)
        @unknown default:
            return .badRequest("malformed_json", "the body could not be read: \(error)")
        }
    }

    package static func path(_ codingPath: [any CodingKey]) -> String {
        codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            .reduce("") { $0.isEmpty || $1.hasPrefix("[") ? $0 + $1 : $0 + "." + $1 }
    }

    package static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type, is UInt64.Type: "a whole number"
        case is Bool.Type: "true or false"
        case is [String].Type: "a list of strings"
        default: "a JSON \(type)".replacingOccurrences(of: "Dictionary<String, Any>", with: "object")
        }
    }

    /// Refuses keys of the object being decoded that are not in `allowed`.
    package static func rejectUnknownKeys(in decoder: any Decoder, allowed: Set<String>) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        for key in container.allKeys where !allowed.contains(key.stringValue) {
            let field = path(decoder.codingPath + [key])
            throw APIError.badRequest(
                "unknown_field", "\(field) is not a field of this request; allowed: \(allowed.sorted().joined(separator: ", "))",
                field: field)
        }
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

extension KeyedDecodingContainer {
    /// A decimal credit amount written as a string (`"2.10"`) or a whole number, in
    /// micro-credits; the field is named in the error.
    package func decodeCredits(forKey key: Key, allowZero: Bool = false) throws -> Int64 {
        let text: String
        if let string = try? decode(String.self, forKey: key) {
            text = string
        } else if let whole = try? decode(Int64.self, forKey: key) {
            text = String(whole)
        } else if contains(key) {
            throw APIError.badRequest("wrong_type", "\(key.stringValue) must be a decimal amount of credits such as \"2.10\"", field: key.stringValue)
        } else {
            throw APIError.badRequest("missing_field", "\(key.stringValue) is required", field: key.stringValue)
        }
        guard text.utf8.count <= 32 else {
            throw APIError.badRequest("out_of_range", "\(key.stringValue) is too long to be an amount of credits", field: key.stringValue)
        }
        let micro: Int64
        do {
            micro = try MicroCredits(decimal: text).rawValue
        } catch {
            throw APIError.badRequest("invalid_value", "\(key.stringValue): \(error); write a non-negative decimal amount of credits with at most 6 decimals, such as \"2.10\"", field: key.stringValue)
        }
        guard micro > 0 || (allowZero && micro == 0) else {
            throw APIError.badRequest("out_of_range", "\(key.stringValue) must be more than 0, got \(text.prefix(40))", field: key.stringValue)
        }
        return micro
    }
}
