import OSGAuditTool

/// `osg-audit`: the auditor alone, for whoever wants to check a coordinator's published log
/// without building the coordinator. The same command as `osg audit` (same flags, output and
/// exit statuses), built from the log, transparency and core modules only, with no database
/// driver and no HTTP server: `swift build -c release --product osg-audit` (docs/TRANSPARENCY_LOG.md).
@main
enum OSGAudit {
    static func main() async {
        await AuditCommand.main()
    }
}
