import Foundation
import HTTPTestServer
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The test HTTP server, checked with clients that share no code with it: `curl` in a
/// subprocess, and a blocking POSIX-socket client below for keep-alive and chunk framing.
@Suite("HTTPTestServer")
struct HTTPTestServerTests {
    @Test("a route answers with its status, headers and body; the request is recorded")
    func routeAnswers() async throws {
        let server = try await HTTPTestServer.start()
        server.route("/hello") { request in
            var response = HTTPTestResponse.text("hello \(request.query ?? "")", status: 201)
            response.headers.append(("X-Test", "yes"))
            return response
        }
        let result = try await curl(["-H", "X-Client: one", "\(server.baseURL)/hello?name=x"])
        #expect(result.status == 201)
        #expect(result.header("X-Test") == "yes")
        #expect(result.header("Content-Type") == "text/plain; charset=utf-8")
        #expect(result.header("Content-Length") == "12")
        #expect(result.text == "hello name=x")

        let recorded = try #require(server.requests.first)
        #expect(server.requests.count == 1)
        #expect(recorded.method == "GET")
        #expect(recorded.path == "/hello")
        #expect(recorded.query == "name=x")
        #expect(recorded.header("x-client") == "one")
        #expect(recorded.headers.contains { $0.0 == "X-Client" && $0.1 == "one" })
        try await server.shutdown()
    }

    @Test("routes match by method; unknown routes answer 404 with the path")
    func unknownRoute() async throws {
        let server = try await HTTPTestServer.start()
        server.route("POST", "/items") { _ in .json(#"{"id":1}"#, status: 201) }
        let missing = try await curl(["\(server.baseURL)/nope?x=1"])
        #expect(missing.status == 404)
        #expect(missing.text == "not found: /nope")
        let wrongMethod = try await curl(["\(server.baseURL)/items"])
        #expect(wrongMethod.status == 404)
        let created = try await curl(["-X", "POST", "--data-binary", #"{"name":"a"}"#, "\(server.baseURL)/items"])
        #expect(created.status == 201)
        #expect(created.header("Content-Type") == "application/json")
        #expect(created.text == #"{"id":1}"#)
        #expect(server.requests.map(\.path) == ["/nope", "/items", "/items"])
        #expect(server.requests.last.map { String(decoding: $0.body, as: UTF8.self) } == #"{"name":"a"}"#)

        // A large body sent after "Expect: 100-continue": the server says to go on (a client would
        // otherwise wait before sending it). No timing: the interim answer itself is checked.
        let large = String(repeating: "0123456789", count: 5_000)
        let put = try await curl([
            "-X", "POST", "-H", "Expect: 100-continue", "--expect100-timeout", "15", "--data-binary", large, "\(server.baseURL)/items",
        ])
        #expect(put.statuses == [100, 201])
        #expect(server.requests.last?.body.count == 50_000)
        try await server.shutdown()
    }

    @Test("a file sends ETag and Last-Modified and answers conditional GETs with 304")
    func conditionalFile() async throws {
        let server = try await HTTPTestServer.start()
        let csv = "name,phone\nAda,+44 20 7946 0000\n"
        server.file("/contacts.csv", Array(csv.utf8))
        let url = "\(server.baseURL)/contacts.csv"

        let first = try await curl([url])
        #expect(first.status == 200)
        #expect(first.text == csv)
        #expect(first.header("Content-Type") == "text/csv; charset=utf-8")
        let etag = try #require(first.header("ETag"))
        let lastModified = try #require(first.header("Last-Modified"))
        let httpDate = DateFormatter()
        httpDate.locale = Locale(identifier: "en_US_POSIX")
        httpDate.timeZone = TimeZone(identifier: "GMT")
        httpDate.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        let modified = try #require(httpDate.date(from: lastModified))
        #expect(abs(modified.timeIntervalSinceNow) < 60)
        #expect(httpDate.string(from: modified) == lastModified)

        let byTag = try await curl(["-H", "If-None-Match: \(etag)", url])
        #expect(byTag.status == 304)
        #expect(byTag.body.isEmpty)
        #expect(byTag.header("ETag") == etag)
        let byDate = try await curl(["-H", "If-Modified-Since: \(lastModified)", url])
        #expect(byDate.status == 304)
        let otherTag = try await curl(["-H", "If-None-Match: \"something-else\"", url])
        #expect(otherTag.status == 200)
        #expect(otherTag.text == csv)
        #expect(server.requests[1].header("If-None-Match") == etag)

        // Same content again: same validators. New content: new ETag, later Last-Modified.
        server.file("/contacts.csv", Array(csv.utf8))
        #expect(try await curl(["-H", "If-None-Match: \(etag)", url]).status == 304)
        server.file("/contacts.csv", Array((csv + "Bob,+1 555 0100\n").utf8))
        let changed = try await curl(["-H", "If-None-Match: \(etag)", url])
        #expect(changed.status == 200)
        #expect(changed.text == csv + "Bob,+1 555 0100\n")
        #expect(changed.header("ETag") != etag)
        #expect(changed.header("Last-Modified") != lastModified)
        #expect(try await curl(["-H", "If-Modified-Since: \(lastModified)", url]).status == 200)

        // HEAD: the headers of the GET, no body.
        let head = try await curl(["-I", url])
        #expect(head.status == 200)
        #expect(head.header("Content-Length") == String(changed.body.count))
        #expect(head.body.isEmpty)
        try await server.shutdown()
    }

    @Test("Basic auth: 401 with a challenge, then 200 with the right credentials")
    func basicAuth() async throws {
        let server = try await HTTPTestServer.start()
        server.file("/secret.csv", Array("a,b\n1,2\n".utf8), basicAuth: (user: "ada", password: "s3cret:x"))
        let url = "\(server.baseURL)/secret.csv"

        let anonymous = try await curl([url])
        #expect(anonymous.status == 401)
        #expect(anonymous.header("WWW-Authenticate") == #"Basic realm="test""#)
        #expect(anonymous.text == "unauthorized")
        let wrong = try await curl(["-u", "ada:wrong", url])
        #expect(wrong.status == 401)
        let right = try await curl(["-u", "ada:s3cret:x", url])
        #expect(right.status == 200)
        #expect(right.text == "a,b\n1,2\n")

        let expected = "Basic " + Data("ada:s3cret:x".utf8).base64EncodedString()
        #expect(server.requests.map { $0.header("Authorization") } == [nil, "Basic " + Data("ada:wrong".utf8).base64EncodedString(), expected])
        try await server.shutdown()
    }

    @Test("redirect: status and Location, and a client can follow it")
    func redirect() async throws {
        let server = try await HTTPTestServer.start()
        server.route("/old") { _ in .redirect(to: "/new") }
        server.route("/moved") { _ in .redirect(to: "/new", status: 301) }
        server.route("/new") { _ in .text("arrived") }
        let old = try await curl(["\(server.baseURL)/old"])
        #expect(old.status == 302)
        #expect(old.header("Location") == "/new")
        #expect(old.header("Content-Length") == "0")
        #expect(try await curl(["\(server.baseURL)/moved"]).status == 301)
        let followed = try await curl(["-L", "\(server.baseURL)/old"])
        #expect(followed.status == 200)
        #expect(followed.text == "arrived")
        try await server.shutdown()
    }

    @Test("a chunked body arrives whole, in pieces of the chunk size")
    func chunked() async throws {
        let server = try await HTTPTestServer.start()
        let body = (0..<1_000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        server.route("/stream") { _ in
            var response = HTTPTestResponse(headers: [("Content-Type", "application/octet-stream")], body: body)
            response.chunkSize = 64
            return response
        }
        server.file("/big.csv", Array(String(repeating: "x,y\n", count: 500).utf8), chunkSize: 100)

        let viaCurl = try await curl(["\(server.baseURL)/stream"])
        #expect(viaCurl.status == 200)
        #expect(viaCurl.header("Transfer-Encoding") == "chunked")
        #expect(viaCurl.header("Content-Length") == nil)
        #expect(viaCurl.body == body)
        let file = try await curl(["\(server.baseURL)/big.csv"])
        #expect(file.header("Transfer-Encoding") == "chunked")
        #expect(file.text == String(repeating: "x,y\n", count: 500))

        let port = server.port
        let raw = try await offThePool {
            let connection = try RawHTTPConnection(port: port)
            defer { connection.close() }
            try connection.send("GET /stream HTTP/1.1\r\nHost: test\r\n\r\n")
            return try connection.readResponse()
        }
        #expect(raw.chunkSizes == Array(repeating: 64, count: 15) + [40])
        #expect(raw.body == body)
        try await server.shutdown()
    }

    @Test("keep-alive: several requests, also pipelined, on one connection; POST bodies are collected")
    func keepAlive() async throws {
        let server = try await HTTPTestServer.start()
        server.route("POST", "/echo") { request in
            .init(status: 200, headers: [("Content-Type", "application/json")], body: request.body)
        }
        server.route("/ping") { _ in .text("pong") }
        let port = server.port
        let results = try await offThePool {
            let connection = try RawHTTPConnection(port: port)
            defer { connection.close() }
            let json = #"{"name":"Ada","tags":["a","b"]}"#
            try connection.send("POST /echo HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: \(json.utf8.count)\r\n\r\n\(json)")
            var responses = [try connection.readResponse()]
            try connection.send("GET /ping HTTP/1.1\r\nHost: test\r\n\r\n")
            responses.append(try connection.readResponse())
            // Two requests in one write: answered in order.
            try connection.send("GET /ping HTTP/1.1\r\nHost: test\r\n\r\nGET /missing HTTP/1.1\r\nHost: test\r\n\r\n")
            responses.append(try connection.readResponse())
            responses.append(try connection.readResponse())
            try connection.send("GET /ping HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
            responses.append(try connection.readResponse())
            return (responses, try connection.readsEndOfStream())
        }
        let (responses, closed) = results
        #expect(responses.map(\.status) == [200, 200, 200, 404, 200])
        #expect(String(decoding: responses[0].body, as: UTF8.self) == #"{"name":"Ada","tags":["a","b"]}"#)
        #expect(responses[0].header("Content-Length") == "31")
        #expect(String(decoding: responses[1].body, as: UTF8.self) == "pong")
        #expect(String(decoding: responses[3].body, as: UTF8.self) == "not found: /missing")
        #expect(responses[4].header("Connection") == "close")
        #expect(closed)
        #expect(server.requests.count == 5)
        #expect(server.requests[0].method == "POST")
        #expect(String(decoding: server.requests[0].body, as: UTF8.self) == #"{"name":"Ada","tags":["a","b"]}"#)
        try await server.shutdown()
    }

    @Test("delay: the head waits, other requests do not, and shutdown does not wait for it")
    func delay() async throws {
        let server = try await HTTPTestServer.start()
        server.route("/slow") { _ in
            var response = HTTPTestResponse.text("late")
            response.delay = .seconds(4)
            return response
        }
        server.route("/stuck") { _ in
            var response = HTTPTestResponse.text("never")
            response.delay = .seconds(30)
            return response
        }
        server.route("/fast") { _ in .text("now") }

        let clock = ContinuousClock()
        let start = clock.now
        async let slow = curl(["\(server.baseURL)/slow"])
        try await Task.sleep(for: .milliseconds(50))
        let fast = try await curl(["\(server.baseURL)/fast"])
        let fastElapsed = clock.now - start
        let slowResult = try await slow
        let slowElapsed = clock.now - start
        #expect(fast.text == "now")
        #expect(slowResult.text == "late")
        // Ordering, not timing: the fast answer does not wait for the delayed one.
        #expect(fastElapsed < slowElapsed)
        #expect(slowElapsed >= .seconds(4))

        // A client timeout against a response that takes too long.
        let timedOut = try await curl(["--max-time", "0.5", "\(server.baseURL)/stuck"], allowFailure: true)
        #expect(timedOut.exitCode == 28)

        // Shutdown with a 30 s response pending returns promptly.
        async let pending = curl(["\(server.baseURL)/stuck"], allowFailure: true)
        try await Task.sleep(for: .milliseconds(200))
        let shutdownStart = clock.now
        try await server.shutdown()
        #expect(clock.now - shutdownStart < .seconds(5))
        #expect(try await pending.exitCode != 0)
    }

    @Test("shutdown closes the listener and open connections")
    func shutdown() async throws {
        let server = try await HTTPTestServer.start()
        server.route("/ping") { _ in .text("pong") }
        let port = server.port
        #expect(server.baseURL == "http://127.0.0.1:\(port)")
        // A keep-alive connection that has had its answer stays open until the shutdown.
        let (answered, answeredContinuation) = AsyncStream.makeStream(of: Int.self)
        async let closedByServer = offThePool {
            defer { answeredContinuation.finish() }
            let connection = try RawHTTPConnection(port: port)
            defer { connection.close() }
            try connection.send("GET /ping HTTP/1.1\r\nHost: test\r\n\r\n")
            answeredContinuation.yield(try connection.readResponse().status)
            return try connection.readsEndOfStream()
        }
        var iterator = answered.makeAsyncIterator()
        #expect(await iterator.next() == 200)
        try await server.shutdown()
        let closed = try await closedByServer
        #expect(closed)
        let refused = try await curl(["\(server.baseURL)/ping"], allowFailure: true)
        #expect(refused.exitCode == 7)
        try await server.shutdown()  // A second shutdown is harmless.
    }
}

// MARK: - curl

private struct CurlResult: Sendable {
    var exitCode: Int32
    var status: Int
    /// Every status line's code, interim ones (100 Continue) and redirects included.
    var statuses: [Int] = []
    var headers: [(String, String)]
    var body: [UInt8]
    var stderr: String

    var text: String { String(decoding: body, as: UTF8.self) }

    func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }
}

/// Runs curl (no config file, no proxy, headers included in the output) and parses the last
/// response it printed.
private func curl(_ arguments: [String], allowFailure: Bool = false) async throws -> CurlResult {
    let (exitCode, output, stderr) = try await offThePool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["curl", "-q", "-sS", "-i", "--noproxy", "*", "--max-time", "20"] + arguments
        let stdout = Pipe()
        // stderr goes to a file, so that a full stderr pipe cannot stall curl while stdout is read.
        let errorPath = FileManager.default.temporaryDirectory.appendingPathComponent("curl-\(UUID().uuidString).err").path
        _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: errorPath) }
        let errorFile = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
        defer { try? errorFile.close() }
        process.standardOutput = stdout
        process.standardError = errorFile
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let errors = FileManager.default.contents(atPath: errorPath) ?? Data()
        return (process.terminationStatus, [UInt8](output), String(decoding: errors, as: UTF8.self))
    }
    if exitCode != 0 && !allowFailure {
        throw ClientError("curl \(arguments) exited \(exitCode): \(stderr)")
    }
    var result = CurlResult(exitCode: exitCode, status: 0, headers: [], body: [], stderr: stderr)
    // With -L there is one header block per response; the last one is the answer.
    var rest = output[...]
    while let split = rest.firstRange(of: Array("\r\n\r\n".utf8)) {
        let head = String(decoding: rest[..<split.lowerBound], as: UTF8.self)
        let lines = head.components(separatedBy: "\r\n")
        guard let statusLine = lines.first, statusLine.hasPrefix("HTTP/") else { break }
        result.status = Int(statusLine.split(separator: " ")[1]) ?? 0
        result.statuses.append(result.status)
        result.headers = lines.dropFirst().compactMap { line in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        rest = rest[split.upperBound...]
        if !rest.starts(with: Array("HTTP/".utf8)) { break }
    }
    result.body = Array(rest)
    return result
}

// MARK: - Raw socket client

private struct ClientError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

private struct RawResponse: Sendable {
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]
    /// The sizes of the chunks as framed on the wire (empty when not chunked).
    var chunkSizes: [Int]

    func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }
}

/// Runs blocking work on a thread of its own, off Swift's cooperative pool.
private func offThePool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try work() }) }
    }
}

private func makeStreamSocket() -> Int32 {
    #if canImport(Glibc)
    socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    #else
    socket(AF_INET, SOCK_STREAM, 0)
    #endif
}

private func closeSocket(_ fd: Int32) {
    _ = close(fd)
}

private func sendBytes(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int {
    #if canImport(Glibc)
    send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
    #else
    send(fd, bytes.baseAddress, bytes.count, 0)
    #endif
}

/// A blocking HTTP/1.1 client on one POSIX socket, reading responses framed by Content-Length or
/// chunked encoding. Made, used and closed on one thread (inside `offThePool`).
private final class RawHTTPConnection {
    private let fd: Int32
    private var buffer: [UInt8] = []

    init(port: Int) throws {
        fd = makeStreamSocket()
        guard fd >= 0 else { throw ClientError("socket() failed") }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            closeSocket(fd)
            throw ClientError("connect() to port \(port) failed")
        }
    }

    func close() {
        closeSocket(fd)
    }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { sendBytes(fd, $0) }
            guard n > 0 else { throw ClientError("send() failed") }
            sent += n
        }
    }

    /// Reads more bytes into the buffer; false at the end of the stream.
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 4096)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n < 0 { throw ClientError("recv() failed: errno \(errno)") }
        buffer += chunk[..<n]
        return n > 0
    }

    private func readLine() throws -> String {
        while true {
            if let end = buffer.firstRange(of: Array("\r\n".utf8)) {
                let line = String(decoding: buffer[..<end.lowerBound], as: UTF8.self)
                buffer.removeSubrange(..<end.upperBound)
                return line
            }
            guard try fill() else { throw ClientError("end of stream inside a line") }
        }
    }

    private func readBytes(_ count: Int) throws -> [UInt8] {
        while buffer.count < count {
            guard try fill() else { throw ClientError("end of stream inside a body") }
        }
        defer { buffer.removeSubrange(..<count) }
        return Array(buffer[..<count])
    }

    func readResponse() throws -> RawResponse {
        let statusLine = try readLine()
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            throw ClientError("bad status line: \(statusLine)")
        }
        var response = RawResponse(status: status, headers: [], body: [], chunkSizes: [])
        while true {
            let line = try readLine()
            if line.isEmpty { break }
            guard let colon = line.firstIndex(of: ":") else { throw ClientError("bad header: \(line)") }
            response.headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        if response.header("Transfer-Encoding") == "chunked" {
            while true {
                let sizeLine = try readLine()
                guard let size = Int(sizeLine.split(separator: ";")[0], radix: 16) else {
                    throw ClientError("bad chunk size: \(sizeLine)")
                }
                if size == 0 {
                    while try !readLine().isEmpty {}  // Trailers.
                    break
                }
                response.chunkSizes.append(size)
                response.body += try readBytes(size)
                guard try readLine().isEmpty else { throw ClientError("chunk not followed by CRLF") }
            }
        } else if let length = response.header("Content-Length").flatMap({ Int($0) }) {
            response.body = try readBytes(length)
        }
        return response
    }

    /// Whether the server closed the connection (and sent nothing more).
    func readsEndOfStream() throws -> Bool {
        buffer.isEmpty ? try !fill() : false
    }
}
