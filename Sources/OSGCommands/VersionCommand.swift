import ArgumentParser

/// The version of the `osg` tool and of the formats it speaks.
public enum OSGVersion {
    /// Semantic version of this build.
    public static let current = "0.1.0"
}

/// `osg version`: prints the tool's version.
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "Print the version of osg."
    )

    @Flag(name: .long, help: "Print one JSON object instead of text.")
    var json = false

    func run() throws {
        if json {
            print(#"{"version":"\#(OSGVersion.current)"}"#)
        } else {
            print("osg \(OSGVersion.current)")
        }
    }
}
