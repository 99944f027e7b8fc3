import Foundation
import Glibc

/// A blocking HTTP/1.0 client for the route tests: one request per connection, the answer read
/// until the server closes (so streamed bodies need no chunked decoding). Every socket has a
/// receive timeout, so a stuck server fails the test instead of hanging it.
struct APITestClient: Sendable {
    struct Response: Sendable {
        let status: Int
        let headers: [(name: String, value: String)]
        let body: [UInt8]
        /// Every byte received, head and body, as sent.
        let raw: [UInt8]

        func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }

        var text: String { String(decoding: body, as: UTF8.self) }

        /// The `error` code of a JSON error body.
        var errorCode: String? {
            (try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])?["error"] as? String
        }

        func decode<T: Decodable>(_ type: T.Type) throws -> T {
            try JSONDecoder().decode(T.self, from: Data(body))
        }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    let port: Int
    /// Send HTTP/1.1 requests with `Connection: close` instead of HTTP/1.0 (the lean fast
    /// lane, `BlobFastLane`, only takes HTTP/1.1).
    var http11 = false

    /// Sends one request; `body` is sent as is with a Content-Length.
    func send(
        _ method: String, _ target: String, token: String? = nil, body: [UInt8]? = nil, headers: [String: String] = [:]
    ) async throws -> Response {
        var head = "\(method) \(target) HTTP/1.\(http11 ? "1" : "0")\r\nHost: 127.0.0.1\r\n"
        if http11 { head += "Connection: close\r\n" }
        if let token { head += "Authorization: Bearer \(token)\r\n" }
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if let body { head += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n" }
        let bytes = Array((head + "\r\n").utf8) + (body ?? [])
        let port = self.port
        return try await withCheckedThrowingContinuation { continuation in
            // A thread of its own: the blocking socket calls must not tie up Dispatch's or Swift
            // concurrency's shared threads while other tests run in parallel.
            Thread { continuation.resume(with: Result { try Self.exchange(bytes, port: port) }) }.start()
        }
    }

    /// Sends `value` encoded as JSON.
    func send(_ method: String, _ target: String, token: String? = nil, json value: some Encodable) async throws -> Response {
        try await send(method, target, token: token, body: Array(try JSONEncoder().encode(value)))
    }

    private static func exchange(_ request: [UInt8], port: Int) throws -> Response {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Failure(description: "connect: errno \(errno)") }
        var offset = 0
        while offset < request.count {
            let sent = request[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            // The server may answer (413, 401) and close before reading everything.
            guard sent > 0 else { break }
            offset += sent
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                received += buffer[0..<count]
            } else if count == 0 || errno == ECONNRESET {
                break
            } else if errno != EINTR {
                throw Failure(description: "recv: errno \(errno)")
            }
        }
        return try parse(received)
    }

    private static func parse(_ bytes: [UInt8]) throws -> Response {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = (0...(max(0, bytes.count - 4))).first(where: { Array(bytes[$0..<min($0 + 4, bytes.count)]) == separator }) else {
            throw Failure(description: "no response head in \(bytes.count) bytes")
        }
        let lines = String(decoding: bytes[0..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw Failure(description: "bad status line") }
        let headers = lines.dropFirst().compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        return Response(status: status, headers: headers, body: Array(bytes[(end + 4)...]), raw: bytes)
    }
}
