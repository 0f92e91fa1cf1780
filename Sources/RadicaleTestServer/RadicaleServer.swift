import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A real Radicale CardDAV server for connector tests (`pip install radicale`): its own
/// temporary folder (storage, htpasswd file, config) and a free loopback port.
///
/// The helpers are "the system side": they change the server's data behind the connector's
/// back — over HTTP with a small client of their own, sharing no code with the connector — and
/// read what Radicale stored straight from its storage folder.
///
/// ```swift
/// try await RadicaleServer.with(users: ["alice": "secret"]) { radicale in
///     let book = try await radicale.createAddressBook(user: "alice", name: "contacts")
///     …
/// }
/// ```
public actor RadicaleServer {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// An HTTP answer as the helper client read it.
    public struct Answer: Sendable {
        public var status: Int
        public var headers: [(String, String)]
        public var body: [UInt8]
        public var text: String { String(decoding: body, as: UTF8.self) }
        public func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    }

    public let port: Int
    /// `http://127.0.0.1:PORT`
    public nonisolated let baseURL: String
    public nonisolated let folder: String
    public nonisolated let users: [String: String]
    private let process: Process
    private var stopped = false

    private init(port: Int, folder: String, users: [String: String], process: Process) {
        self.port = port
        baseURL = "http://127.0.0.1:\(port)"
        self.folder = folder
        self.users = users
        self.process = process
    }

    /// Starts a server, runs `body`, and stops the server whatever `body` did.
    public static func with<T: Sendable>(users: [String: String] = ["alice": "secret"], _ body: (RadicaleServer) async throws -> T) async throws -> T {
        let server = try await start(users: users)
        do {
            let result = try await body(server)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }

    /// Starts `python3 -m radicale` (or `$RADICALE_PYTHON -m radicale`) and waits until it answers.
    public static func start(users: [String: String] = ["alice": "secret"]) async throws -> RadicaleServer {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("radicale-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder + "/storage", withIntermediateDirectories: true)
        let htpasswd = users.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)\n" }.joined()
        try htpasswd.write(toFile: folder + "/users", atomically: true, encoding: .utf8)
        var lastLog = ""
        // A port found free can be taken before Radicale binds it: then another one.
        for _ in 0..<5 {
            let port = try freePort()
            try config(folder: folder, port: port).write(toFile: folder + "/config", atomically: true, encoding: .utf8)
            let process = Process()
            let python = ProcessInfo.processInfo.environment["RADICALE_PYTHON"] ?? "python3"
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [python, "-m", "radicale", "--config", folder + "/config"]
            _ = FileManager.default.createFile(atPath: folder + "/radicale.log", contents: nil)
            let log = try FileHandle(forWritingTo: URL(fileURLWithPath: folder + "/radicale.log"))
            process.standardOutput = log
            process.standardError = log
            process.standardInput = FileHandle.nullDevice
            do {
                try process.run()
            } catch {
                await Self.remove(folder)
                throw Failure(description: "cannot start \(python) (\(error)); Radicale needs Python 3: pip install radicale")
            }
            try? log.close()
            let server = RadicaleServer(port: port, folder: folder, users: users, process: process)
            if try await server.waitUntilAnswering() { return server }
            lastLog = (try? String(contentsOfFile: folder + "/radicale.log", encoding: .utf8)) ?? ""
            await server.stop(removingFolder: false)
            if lastLog.contains("No module named radicale") || lastLog.contains("No such file or directory") {
                await Self.remove(folder)
                throw Failure(description: "Radicale is not installed for \(python): pip install radicale (\(lastLog.trimmingCharacters(in: .whitespacesAndNewlines)))")
            }
            // Only a port taken in the meantime is worth another try.
            if !lastLog.contains("in use") { break }
        }
        await Self.remove(folder)
        throw Failure(description: "Radicale did not start: \(lastLog.suffix(2_000))")
    }

    static func config(folder: String, port: Int) -> String {
        """
        [server]
        hosts = 127.0.0.1:\(port)
        max_connections = 16

        [auth]
        type = htpasswd
        htpasswd_filename = \(folder)/users
        htpasswd_encryption = plain
        # A wrong password answers at once (the default waits a second).
        delay = 0

        [rights]
        type = owner_only

        [storage]
        filesystem_folder = \(folder)/storage

        [web]
        type = none

        [logging]
        level = warning
        mask_passwords = True

        """
    }

    /// true once the server answers; false when the process ended first (e.g. the port was taken).
    private func waitUntilAnswering() async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            guard process.isRunning else { return false }
            if let answer = try? await Self.transfer("OPTIONS", "/", port: port, headers: [], body: []), answer.status > 0 { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw Failure(description: "Radicale did not answer on port \(port) within 30 s")
    }

    /// Terminates the server, waits for it, and removes its folder.
    public func stop() async { await stop(removingFolder: true) }

    private func stop(removingFolder: Bool) async {
        if !stopped {
            stopped = true
            if process.isRunning { process.terminate() }
            // Radicale takes up to two seconds to notice SIGTERM; its data is thrown away anyway.
            let deadline = ContinuousClock.now + .milliseconds(300)
            while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            while process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
        }
        if removingFolder { await Self.remove(folder) }
    }

    /// `rm -rf`: Radicale's cache holds a few files per card, and FileManager takes seconds over them.
    static func remove(_ folder: String) async {
        let rm = Process()
        rm.executableURL = URL(fileURLWithPath: "/bin/rm")
        rm.arguments = ["-rf", folder]
        // Polled: waitUntilExit() on a concurrency-pool thread noticed the end seconds late.
        if (try? rm.run()) != nil {
            while rm.isRunning { try? await Task.sleep(for: .milliseconds(10)) }
        }
        if FileManager.default.fileExists(atPath: folder) { try? FileManager.default.removeItem(atPath: folder) }
    }

    // MARK: the system side

    /// Creates `/<user>/<name>/` as a CardDAV address book (an extended MKCOL with its resourcetype).
    @discardableResult
    public func createAddressBook(user: String, name: String, displayName: String? = nil) async throws -> String {
        let path = "/\(user)/\(name)/"
        let body = """
            <?xml version="1.0" encoding="utf-8"?>
            <d:mkcol xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav"><d:set><d:prop>\
            <d:resourcetype><d:collection/><card:addressbook/></d:resourcetype>\
            <d:displayname>\(displayName ?? name)</d:displayname></d:prop></d:set></d:mkcol>
            """
        let answer = try await request("MKCOL", path, user: user, headers: [("Content-Type", "application/xml; charset=utf-8")], body: Array(body.utf8))
        guard answer.status == 201 else { throw Failure(description: "MKCOL \(path) answered \(answer.status): \(answer.text)") }
        return path
    }

    /// Creates `/<user>/<name>/` as an address book holding `cards` in one request (Radicale's PUT
    /// of a whole collection: each card is stored as `<UID>.vcf`). Much faster than a PUT per card,
    /// which Radicale checks against every card already there.
    @discardableResult
    public func putAddressBook(user: String, name: String, cards: [String]) async throws -> String {
        let path = "/\(user)/\(name)/"
        let answer = try await request("PUT", path, user: user, headers: [("Content-Type", "text/vcard; charset=utf-8")],
                                       body: Array(cards.joined().utf8))
        guard answer.status == 201 || answer.status == 204 else { throw Failure(description: "PUT \(path) answered \(answer.status): \(answer.text)") }
        return path
    }

    /// Stores a card (creates or replaces it) as another client would; returns its ETag.
    @discardableResult
    public func putCard(user: String, path: String, _ vcard: String) async throws -> String {
        let answer = try await request("PUT", path, user: user, headers: [("Content-Type", "text/vcard; charset=utf-8")], body: Array(vcard.utf8))
        guard answer.status == 201 || answer.status == 204 || answer.status == 200 else {
            throw Failure(description: "PUT \(path) answered \(answer.status): \(answer.text)")
        }
        return answer.header("ETag") ?? ""
    }

    public func deleteCard(user: String, path: String) async throws {
        let answer = try await request("DELETE", path, user: user)
        guard answer.status == 200 || answer.status == 204 else { throw Failure(description: "DELETE \(path) answered \(answer.status): \(answer.text)") }
    }

    /// The card as Radicale serves it (nil when there is none) with its ETag.
    public func card(user: String, path: String) async throws -> (text: String, etag: String)? {
        let answer = try await request("GET", path, user: user)
        guard answer.status == 200 else { return nil }
        return (answer.text, answer.header("ETag") ?? "")
    }

    /// What Radicale stored in an address book, read from its storage folder: file name → card text.
    public nonisolated func storedCards(user: String, addressBook name: String) throws -> [String: String] {
        let directory = "\(folder)/storage/collection-root/\(user)/\(name)"
        var cards: [String: String] = [:]
        for file in try FileManager.default.contentsOfDirectory(atPath: directory) where !file.hasPrefix(".") {
            cards[file] = try String(contentsOfFile: directory + "/" + file, encoding: .utf8)
        }
        return cards
    }

    /// Any request as `user` (their password from `users`; `password` overrides it).
    public func request(_ method: String, _ path: String, user: String? = nil, password: String? = nil, headers: [(String, String)] = [],
                        body: [UInt8] = []) async throws -> Answer {
        var all = headers
        if let user {
            let secret = password ?? users[user] ?? ""
            all.append(("Authorization", "Basic " + Data("\(user):\(secret)".utf8).base64EncodedString()))
        }
        return try await Self.transfer(method, path, port: port, headers: all, body: body)
    }
}
