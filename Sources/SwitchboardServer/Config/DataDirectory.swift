import Foundation
import Logging
import SwitchboardCore
import SwitchboardServices

/// The data directory: `switchboard.sqlite`, `operator.token` and `credentials.key`
/// (mode 0600), `switchboard.lock` while a server uses it.
struct DataDirectory {
    let configuration: ServerConfiguration

    /// Creates the directory if needed and takes it for this server (`DataDirectoryLock`):
    /// nothing in it is touched before that.
    func prepare() throws -> DataDirectoryLock {
        try FileManager.default.createDirectory(
            atPath: configuration.dataDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let lock = try DataDirectoryLock(directory: configuration.dataDirectory)
        // Downloads left by a process that stopped mid-sync are of no use.
        try? FileManager.default.removeItem(atPath: configuration.temporaryDirectory)
        try FileManager.default.createDirectory(
            atPath: configuration.temporaryDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        return lock
    }

    /// The key that seals interface credentials: `SWITCHBOARD_CREDENTIALS_KEY`
    /// (32 bytes, base64) if set, else `credentials.key` in the data directory,
    /// made (mode 0600) on first start.
    func credentialVault(environment: [String: String], logger: Logger) throws -> CredentialVault {
        if let text = environment["SWITCHBOARD_CREDENTIALS_KEY"] {
            guard let vault = CredentialVault(base64: text) else {
                throw ConfigurationSources.Invalid(description: "SWITCHBOARD_CREDENTIALS_KEY must be 32 bytes in base64 (e.g. from `openssl rand -base64 32`)")
            }
            return vault
        }
        let path = configuration.credentialsKeyPath
        if let text = try? String(contentsOfFile: path, encoding: .utf8) {
            guard let vault = CredentialVault(base64: text) else {
                throw ConfigurationSources.Invalid(description: "\(path) does not hold a 32-byte base64 key")
            }
            return vault
        }
        let key = CredentialVault.newKeyBase64()
        try writeSecretFile(path: path, contents: key + "\n")
        logger.notice("wrote a new credentials key (mode 0600); keep it with the database", metadata: ["path": "\(path)"])
        return CredentialVault(base64: key)!
    }

    /// First start: a default account and an operator key. Any start where the
    /// token file is missing (deleted, or a crash before it was written) mints
    /// a fresh operator key: whoever can read the data directory owns the server anyway.
    func bootstrap(_ app: Application) async throws {
        if try await app.store.accountCount() == 0 {
            let account = try await app.accounts.create(name: "Default", region: configuration.region, timeZone: nil)
            app.logger.info("created the default account", metadata: ["account": "\(account.id)", "region": "\(account.region)"])
        }
        var accountIds: [String] = []
        var page = PageRequest(limit: PageRequest.maxLimit)
        while true {
            let accounts = try await app.accounts.list(page)
            accountIds += accounts.items.map(\.id)
            guard let next = accounts.nextCursor else { break }
            page.after = next
        }
        let rekeyed = try await app.phonebook.rebuildSortKeysIfNeeded(accountIds: accountIds)
        if rekeyed > 0 { app.logger.notice("rebuilt phonebook sort keys for a new collator version", metadata: ["entries": "\(rekeyed)"]) }
        let path = configuration.operatorTokenPath
        if FileManager.default.fileExists(atPath: path) {
            app.logger.info("operator token file", metadata: ["path": "\(path)"])
            return
        }
        let created = try await app.apiKeys.bootstrapOperatorKey()
        try writeSecretFile(path: path, contents: created.token + "\n")
        app.logger.notice("wrote a new operator token (mode 0600)", metadata: ["path": "\(path)", "key": "\(created.key.id)"])
    }

    /// Writes to a temporary file created 0600, fsyncs, then renames into place.
    func writeSecretFile(path: String, contents: String) throws {
        let temporary = path + ".tmp"
        unlink(temporary)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        let bytes = Array(contents.utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd)
        close(fd)
        guard written == bytes.count, synced == 0, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw POSIXError(.EIO)
        }
    }
}
