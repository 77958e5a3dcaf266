import Foundation
import OSGCore
import OSGStore
import Testing

@Suite("PostgreSQL URLs: sslmode, sslrootcert and passwords")
struct PostgresURLTests {
    @Test("sslmode takes libpq's values and defaults to prefer", arguments: PostgresURL.SSLMode.allCases)
    func modes(mode: PostgresURL.SSLMode) throws {
        let url = try PostgresURL("postgres://osg@db.example:6432/ledger?sslmode=\(mode.rawValue)")
        #expect(url.sslMode == mode)
        #expect(url.host == "db.example" && url.port == 6432 && url.user == "osg" && url.database == "ledger")
        #expect(try PostgresURL("postgres://osg@db.example/ledger").sslMode == .prefer)
    }

    @Test("an unknown sslmode or parameter is refused, not ignored")
    func refusals() {
        let mode = #expect(throws: StoreError.self) { try PostgresURL("postgres://osg@h/db?sslmode=allow") }
        #expect(mode?.message.contains("verify-full") == true, "\(mode?.message ?? "")")
        let parameter = #expect(throws: StoreError.self) { try PostgresURL("postgres://osg@h/db?sslcert=/x.pem") }
        #expect(parameter?.message.contains("sslcert") == true)
        #expect(throws: StoreError.self) { try PostgresURL("mysql://osg@h/db") }
    }

    @Test("an unreadable sslrootcert is named")
    func unreadableRootCert() throws {
        let url = try PostgresURL("postgres://osg@h/db?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem")
        let error = #expect(throws: StoreError.self) { try url.clientConfiguration() }
        #expect(error?.message.contains("/nonexistent/ca.pem") == true)
        // system: the system roots, nothing to read.
        _ = try PostgresURL("postgres://osg@h/db?sslmode=verify-full&sslrootcert=system").clientConfiguration()
    }

    @Test("a password is found, put in (percent-encoded) and hidden in messages")
    func passwords() throws {
        #expect(PostgresURL.containsPassword("postgres://osg:secret@h/db"))
        #expect(!PostgresURL.containsPassword("postgres://osg@h/db"))
        let password = "p@ss:w/rd %?#"
        let joined = try PostgresURL.replacingPassword(in: "postgres://osg@h:5433/db?sslmode=require", with: password)
        let parsed = try PostgresURL(joined)
        #expect(parsed.password == password)
        #expect(parsed.sslMode == .require && parsed.port == 5433 && parsed.database == "db")
        #expect(!PostgresURL.redacted(joined).contains("secret") && !PostgresURL.redacted(joined).contains("w/rd"))
        #expect(!parsed.description.contains("rd"))
    }
}

@Suite(
    "PostgreSQL over TLS (the test server's self-signed certificate)",
    .enabled(if: StoreKind.postgresURL != nil, "OSG_TEST_POSTGRES_URL is not set (scripts/start-test-postgres.sh starts a local server)")
)
struct PostgresTLSTests {
    static func url(_ query: String) throws -> String {
        let base = try #require(StoreKind.postgresURL)
        return base + (base.contains("?") ? "&" : "?") + query
    }

    static func schema() -> String { "osg_tls_test_\(UInt64.random(in: 0..<UInt64.max))" }

    @Test("sslmode=require connects encrypted; sslmode=disable does not")
    func require() async throws {
        let encrypted = try await PostgresDatabase.connect(url: try Self.url("sslmode=require"), schema: Self.schema())
        let usesTLS = try await encrypted.usesTLS()
        try await encrypted.dropSchema()
        await encrypted.shutdown()
        #expect(usesTLS)
        let plain = try await PostgresDatabase.connect(url: try Self.url("sslmode=disable"), schema: Self.schema())
        let plainUsesTLS = try await plain.usesTLS()
        try await plain.dropSchema()
        await plain.shutdown()
        #expect(!plainUsesTLS)
    }

    @Test("sslmode=verify-full without sslrootcert refuses the self-signed certificate")
    func verifyFullRefusesSelfSigned() async throws {
        let error = await #expect(throws: StoreError.self) {
            let database = try await PostgresDatabase.connect(url: try Self.url("sslmode=verify-full"), schema: Self.schema())
            await database.shutdown()
        }
        #expect(error?.message.localizedCaseInsensitiveContains("certificate") == true, "\(error?.message ?? "")")
    }
}
