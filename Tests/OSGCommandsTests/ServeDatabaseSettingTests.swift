import Foundation
import OSGStore
import Testing
@testable import OSGCommands

@Suite("osg serve: the database URL and its password stay out of argv")
struct ServeDatabaseSettingTests {
    @Test("a password in --database is refused, pointing to the env var and the file")
    func passwordInArgv() {
        let error = #expect(throws: ServeSettingError.self) {
            try ServeCommand.databaseURL(flag: "postgres://osg:secret@db/osg", passwordFile: nil, environment: [:])
        }
        let message = error?.description ?? ""
        #expect(message.contains("OSG_DATABASE_PASSWORD") && message.contains("--database-password-file"), "\(message)")
        #expect(!message.contains("secret"))
    }

    @Test("OSG_DATABASE_URL may carry a password; OSG_DATABASE_PASSWORD is put into --database")
    func fromEnvironment() throws {
        let inEnv = try ServeCommand.databaseURL(flag: nil, passwordFile: nil,
                                                 environment: ["OSG_DATABASE_URL": "postgres://osg:secret@db/osg"])
        #expect(try PostgresURL(#require(inEnv)).password == "secret")
        let joined = try ServeCommand.databaseURL(flag: "postgres://osg@db/osg?sslmode=verify-full", passwordFile: nil,
                                                  environment: ["OSG_DATABASE_PASSWORD": "s3:cr@t"])
        let url = try PostgresURL(#require(joined))
        #expect(url.password == "s3:cr@t" && url.sslMode == .verifyFull)
        #expect(try ServeCommand.databaseURL(flag: nil, passwordFile: nil, environment: ["OSG_DATABASE_PASSWORD": "x"]) == nil)
    }

    @Test("--database-password-file gives its first line; unreadable or empty files are refused by name")
    func passwordFile() throws {
        let path = temporaryPath("db-password")
        try Data("from-file\nignored\n".utf8).write(to: URL(fileURLWithPath: path))
        let joined = try ServeCommand.databaseURL(flag: "postgres://osg@db/osg", passwordFile: path,
                                                  environment: ["OSG_DATABASE_PASSWORD": "from-env"])
        #expect(try PostgresURL(#require(joined)).password == "from-file")

        let missing = temporaryPath("nope")
        let unreadable = #expect(throws: ServeSettingError.self) {
            try ServeCommand.databaseURL(flag: "postgres://osg@db/osg", passwordFile: missing, environment: [:])
        }
        #expect(unreadable?.description.contains(missing) == true)
        let empty = temporaryPath("empty")
        try Data("\n".utf8).write(to: URL(fileURLWithPath: empty))
        #expect(throws: ServeSettingError.self) {
            try ServeCommand.databaseURL(flag: "postgres://osg@db/osg", passwordFile: empty, environment: [:])
        }
        #expect(throws: ServeSettingError.self) {
            try ServeCommand.databaseURL(flag: nil, passwordFile: path, environment: [:])
        }
    }

    @Test("a bad sslmode is refused before the coordinator starts")
    func badSSLMode() {
        let error = #expect(throws: ServeSettingError.self) {
            try ServeCommand.databaseURL(flag: "postgres://osg@db/osg?sslmode=sometimes", passwordFile: nil, environment: [:])
        }
        #expect(error?.description.contains("sslmode") == true)
    }
}
