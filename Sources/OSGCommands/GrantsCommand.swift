import ArgumentParser
import Foundation
import OSGDomain

/// `osg grants`: set-aside grants (governance gives a newcomer a quota of GPU-hours in a pool).
struct GrantsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grants",
        abstract: "Grant a tenant a quota of GPU-hours in a set-aside pool (governance); list each pool's grants and their use.",
        subcommands: [List.self, Add.self],
        defaultSubcommand: List.self
    )

    /// `osg grants list` (the default): grants per pool from the public `/v1/set-asides` view.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List each set-aside pool's grants: how many, GPU-hours granted and used.")

        @OptionGroup var options: ClientOptions

        func run() async throws {
            var table = TextTable(header: ["POOL", "GRANTS", "GPU-HOURS GRANTED", "GPU-HOURS USED"])
            for pool in try await PoolsCommand.publishedPools(options) {
                let granted = (pool["quota_gpu_seconds"] as? Int).map { "\($0 / 3_600)" } ?? "?"
                let used = (pool["used_gpu_seconds"] as? Int).map { String(format: "%.1f", Double($0) / 3_600) } ?? "?"
                table.rows.append([TextTable.cell(pool["name"]), TextTable.cell(pool["grants"] ?? 0), granted, used])
            }
            if !table.rows.isEmpty { table.print(empty: "") }
        }
    }

    /// `osg grants add POOL TENANT --gpu-hours N --until T`: governance records a grant.
    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Grant TENANT (an account id) a quota of GPU-hours in POOL until a time (signed with the governance key).",
            discussion: "Example: osg grants add students 1a2b…(64 hex) --gpu-hours 500 --until 90d --key DATA/coordinator.key")

        @Argument(help: "The set-aside pool's name.")
        var pool: String

        @Argument(help: "The tenant's account id (its public key in hex: `osg keys show`).")
        var tenant: String

        @Option(name: .long, help: "The quota in GPU-hours (1 to 277,777,777).")
        var gpuHours: Int64

        @Option(name: .long, help: "When the grant lapses: an RFC 3339 time, or a duration from now such as 90d.")
        var until: String

        @OptionGroup var options: ClientOptions

        func validate() throws {
            guard (1...277_777_777).contains(gpuHours) else { throw ValidationError("--gpu-hours must be 1 to 277777777; got \(gpuHours)") }
        }

        func run() async throws {
            let expires = try FutureTime.parse(until, flag: "--until", what: "a grant", now: WallClock.now())
            let body = Array(JSONOutput.string([
                "pool": pool, "tenant": tenant, "quota_gpu_seconds": gpuHours * 3_600, "expires": expires.description,
            ]).utf8)
            let answer = try await options.call(try options.signingClient(), .POST, "/v1/grants", body: body)
            if !options.json { print("granted \(gpuHours) GPU-hours in \(pool) to \(tenant) until \(expires) (log entry \(answer["sequence"] ?? "?"))") }
        }
    }
}
