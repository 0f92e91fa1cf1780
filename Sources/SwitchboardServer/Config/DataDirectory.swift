import Foundation
import SwitchboardCore

/// The data directory: `switchboard.sqlite` and `operator.token` (mode 0600).
struct DataDirectory {
    let configuration: ServerConfiguration

    func prepare() throws {
        try FileManager.default.createDirectory(
            atPath: configuration.dataDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
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
