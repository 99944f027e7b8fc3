import Foundation
import Glibc
import HTTPServer

/// Minimal blocking HTTP/1.1 and TLS probes for process-level tests, run on their own thread
/// (never on Swift's cooperative pool).
enum RawHTTP {
    struct Response: Sendable {
        var status: Int
        var body: String
    }

    /// `GET path` with `Connection: close`; reads to EOF. `authorization` is the header's value.
    static func get(port: Int, path: String, authorization: String? = nil) async throws -> Response {
        try await onThread {
            let fd = try connect(port: port)
            defer { close(fd) }
            let field = authorization.map { "Authorization: \($0)\r\n" } ?? ""
            let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\(field)Connection: close\r\n\r\n".utf8)
            guard send(fd, request, request.count, Int32(MSG_NOSIGNAL)) == request.count else { throw Failure("send failed") }
            var received: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = recv(fd, &buffer, buffer.count, 0)
                if count < 0 && errno == EINTR { continue }
                guard count >= 0 else { throw Failure("recv failed: errno \(errno)") }
                if count == 0 { break }
                received += buffer.prefix(count)
            }
            let text = String(decoding: received, as: UTF8.self)
            guard let split = text.range(of: "\r\n\r\n"), text.hasPrefix("HTTP/1.1 "),
                let status = Int(text.dropFirst(9).prefix(3))
            else { throw Failure("malformed response") }
            return Response(status: status, body: String(text[split.upperBound...]))
        }
    }

    /// Completes a TLS handshake (no verification) and returns the server certificate's SHA-256.
    static func peerFingerprint(port: Int) async throws -> [UInt8] {
        try await onThread {
            let fd = try connect(port: port)
            let context = try TLSContext.client(trust: .insecureNoVerification)
            let transport = try TLSTransport(connectingOn: fd, context: context, serverName: "localhost")
            defer { transport.close() }
            guard transport.handshake() == .done(0) || transport.peerCertificateSHA256 != nil,
                let fingerprint = transport.peerCertificateSHA256
            else { throw Failure("TLS handshake failed") }
            return fingerprint
        }
    }

    private static func connect(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure("socket failed") }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            close(fd)
            throw Failure("connect failed: errno \(errno)")
        }
        return fd
    }

    private static func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try body() }) }.start()
        }
    }
}
