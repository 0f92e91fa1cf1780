import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import SwitchboardCore

/// A file fetched from a URL (spooled to disk while hashed) or found locally.
struct FetchedFile: Sendable {
    var path: String
    var fingerprint: SourceFingerprint
    /// A temporary download to delete after use.
    var isTemporary: Bool
}

enum Fetch {
    /// GETs `url` (Basic auth if given; redirects are followed by the client),
    /// asking the server whether it changed since `previous`. Returns nil when
    /// it did not (304). The body goes to a temporary file, hashed on the way:
    /// memory stays bounded whatever the size.
    static func download(_ url: String, basicAuth: (user: String, password: String)?, previous: SourceFingerprint?,
                         context: ConnectorContext) async throws -> FetchedFile? {
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        request.headers.add(name: "User-Agent", value: "Switchboard")
        if let basicAuth {
            let token = Data("\(basicAuth.user):\(basicAuth.password)".utf8).base64EncodedString()
            request.headers.add(name: "Authorization", value: "Basic \(token)")
        }
        if let etag = previous?.etag { request.headers.add(name: "If-None-Match", value: etag) }
        if let lastModified = previous?.lastModified { request.headers.add(name: "If-Modified-Since", value: lastModified) }

        let response: HTTPClientResponse
        do {
            response = try await context.http.execute(request, timeout: .hours(1))
        } catch {
            throw describe(error, url: url, timeout: context.timeout)
        }
        if response.status == .notModified { return nil }
        guard (200..<300).contains(response.status.code) else {
            var body = ""
            do {
                let buffer = try await response.body.collect(upTo: 4_096)
                body = String(buffer: buffer).trimmingCharacters(in: .whitespacesAndNewlines)
            } catch {}
            let said = "the server answered \(response.status.code) \(response.status.reasonPhrase)" + (body.isEmpty ? "" : ": \(body.prefix(500))")
            if response.status == .unauthorized || response.status == .forbidden {
                throw ConnectorError(.unauthorized, "\(said) — set new credentials with interfaces.setCredentials")
            }
            throw ConnectorError(.remote, said)
        }

        let path = context.temporaryDirectory + "/download-\(UUID().uuidString).csv"
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw ConnectorError(.remote, "cannot create a temporary file in \(context.temporaryDirectory)")
        }
        var keep = false
        defer { if !keep { try? FileManager.default.removeItem(atPath: path) } }
        let file = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? file.close() }
        var hasher = SHA256()
        var received = 0
        do {
            for try await chunk in response.body {
                received += chunk.readableBytes
                // The spool file must not fill the disk whatever the server sends.
                guard received <= context.maximumDownloadBytes else {
                    throw ConnectorError(.invalidSource, "\(url) is larger than \(context.maximumDownloadBytes) bytes; nothing was imported")
                }
                chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
                try file.write(contentsOf: Data(chunk.readableBytesView))
            }
        } catch let error as ConnectorError {
            throw error
        } catch {
            throw describe(error, url: url, timeout: context.timeout)
        }
        keep = true
        let fingerprint = SourceFingerprint(
            etag: response.headers.first(name: "ETag"), lastModified: response.headers.first(name: "Last-Modified"),
            contentHash: hex(hasher.finalize()))
        return FetchedFile(path: path, fingerprint: fingerprint, isTemporary: true)
    }

    /// A local file below `context.localDirectory`, with its content hash.
    static func local(_ path: String, context: ConnectorContext) throws -> FetchedFile {
        guard let root = context.localDirectory else {
            throw ConnectorError(.configuration, "local files are not enabled on this server (start it with --csv-directory)", field: "path")
        }
        let rootPath = URL(fileURLWithPath: root).standardizedFileURL.resolvingSymlinksInPath().path
        let candidate = path.hasPrefix("/") ? path : rootPath + "/" + path
        let resolved = URL(fileURLWithPath: candidate).standardizedFileURL.resolvingSymlinksInPath().path
        guard resolved.hasPrefix(rootPath + "/") else {
            throw ConnectorError(.configuration, "\(path) is outside the directory this server reads CSV files from (\(rootPath))", field: "path")
        }
        guard let handle = FileHandle(forReadingAtPath: resolved) else {
            throw ConnectorError(.configuration, "cannot read \(path): no such file or no permission", field: "path")
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(data: chunk)
        }
        return FetchedFile(path: resolved, fingerprint: SourceFingerprint(contentHash: hex(hasher.finalize())), isTemporary: false)
    }

    static func hex(_ digest: some Sequence<UInt8>) -> String {
        digest.map { String(format: "%02x", $0) }.joined()
    }

    /// Transport errors in words: timeouts and refusals name the host.
    static func describe(_ error: any Error, url: String, timeout: Duration) -> ConnectorError {
        if let error = error as? HTTPClientError {
            if [.readTimeout, .connectTimeout, .deadlineExceeded, .writeTimeout].contains(error) {
                return ConnectorError(.unreachable, "\(url) did not answer within \(timeout.components.seconds) s")
            }
            if [.redirectLimitReached, .redirectCycleDetected].contains(error) {
                return ConnectorError(.remote, "\(url) redirects too often (or in a circle)")
            }
            if [.invalidURL, .emptyHost, .emptyScheme].contains(error) || String(describing: error).contains("unsupportedScheme") {
                return ConnectorError(.configuration, "\(url) is not a valid http(s) URL", field: "url")
            }
        }
        let text = String(describing: error)
        if text.localizedCaseInsensitiveContains("refused") {
            return ConnectorError(.unreachable, "cannot connect to \(url): connection refused")
        }
        return ConnectorError(.unreachable, "cannot fetch \(url): \(text)")
    }
}
