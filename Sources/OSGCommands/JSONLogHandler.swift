import Foundation
import Logging

/// A swift-log handler that writes one JSON object per line to standard error (or `output`):
/// `{"time":…,"level":…,"label":…,"message":…, <metadata>…}`.
struct JSONLogHandler: LogHandler {
    let label: String
    var output: FileHandle = .standardError
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var object: [String: Any] = [
            "time": ISO8601DateFormatter().string(from: Date()), "level": event.level.rawValue, "label": label,
            "message": event.message.description,
        ]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) where object[key] == nil {
            object[key] = value.description
        }
        let line = JSONOutput.string(object) + "\n"
        output.write(Data(line.utf8))
    }
}
