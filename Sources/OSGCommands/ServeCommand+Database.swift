import Foundation
import OSGCore
import OSGStore

extension ServeCommand {
    /// The PostgreSQL URL to connect with, or `nil` for SQLite: `--database` (which must not
    /// carry a password: argv is visible to every user of the machine) or `OSG_DATABASE_URL`
    /// (which may), with the password from `--database-password-file` (its first line;
    /// also `OSG_DATABASE_PASSWORD_FILE`) or `OSG_DATABASE_PASSWORD` put in.
    ///
    /// - Throws: ``ServeSettingError`` for a password in `--database`, an unreadable or
    ///   empty password file, a password file without a database, or a malformed URL.
    static func databaseURL(flag: String?, passwordFile: String?, environment: [String: String]) throws(ServeSettingError) -> String? {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        if let flag, PostgresURL.containsPassword(flag) {
            throw ServeSettingError("--database must not contain a password: the command line is visible to every user of this machine. Remove it from the URL and set OSG_DATABASE_PASSWORD, or put it on the first line of a file named by --database-password-file FILE (or pass the whole URL in OSG_DATABASE_URL)")
        }
        let passwordPath = passwordFile ?? value("OSG_DATABASE_PASSWORD_FILE")
        guard let url = flag ?? value("OSG_DATABASE_URL") else {
            if let passwordPath {
                throw ServeSettingError("--database-password-file \(passwordPath) needs --database postgres://… (or OSG_DATABASE_URL)")
            }
            return nil
        }
        var password: String?
        if let passwordPath {
            guard let data = FileManager.default.contents(atPath: passwordPath) else {
                throw ServeSettingError("cannot read --database-password-file \(passwordPath): no such file, or not readable by this user")
            }
            var line = String(decoding: data.prefix(while: { $0 != UInt8(ascii: "\n") }), as: UTF8.self)
            if line.hasSuffix("\r") { line.removeLast() }
            guard !line.isEmpty else {
                throw ServeSettingError("--database-password-file \(passwordPath): its first line, the password, is empty")
            }
            password = line
        } else {
            password = value("OSG_DATABASE_PASSWORD")
        }
        do {
            var withPassword = url
            if let password { withPassword = try PostgresURL.replacingPassword(in: url, with: password) }
            _ = try PostgresURL(withPassword)
            return withPassword
        } catch {
            throw ServeSettingError("--database: \((error as? StoreError)?.message ?? "\(error)")")
        }
    }
}
