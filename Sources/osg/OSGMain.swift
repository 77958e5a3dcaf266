import OSGCommands

/// The `osg` binary. The whole CLI lives in OSGCommands so tests can drive it in-process.
@main
enum OSGMain {
    static func main() async {
        await OSGCommand.main()
    }
}
