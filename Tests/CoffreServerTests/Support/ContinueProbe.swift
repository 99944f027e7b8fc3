import Foundation
import Glibc

/// A raw HTTP/1.1 connection for `Expect: 100-continue` checks: sends a head, reads the first
/// response head without sending the body, and sends the body only when told to. Blocking
/// calls run on a thread of their own; every read has a 10 s timeout.
final class ContinueProbe: @unchecked Sendable {
    // @unchecked Sendable: the descriptor is used by one test, one call at a time.
    private let fd: Int32
    private var buffer: [UInt8] = []

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw APITestClient.Failure(description: "socket") }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw APITestClient.Failure(description: "connect") }
    }

    deinit { close(fd) }

    /// Sends raw bytes.
    func send(_ bytes: [UInt8]) async throws {
        try await onThread { [self] in
            var offset = 0
            while offset < bytes.count {
                let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                guard sent > 0 else { throw APITestClient.Failure(description: "send: errno \(errno)") }
                offset += sent
            }
        }
    }

    /// Reads one response head and returns its status code and the head's text.
    func readHead() async throws -> (status: Int, head: String) {
        try await onThread { [self] in
            while true {
                if let end = find([13, 10, 13, 10]) {
                    let head = String(decoding: buffer[..<end], as: UTF8.self)
                    buffer.removeFirst(end + 4)
                    let parts = head.split(separator: " ")
                    guard parts.count >= 2, let status = Int(parts[1]) else { throw APITestClient.Failure(description: "bad head") }
                    return (status, head)
                }
                var chunk = [UInt8](repeating: 0, count: 4096)
                let count = recv(fd, &chunk, chunk.count, 0)
                guard count > 0 else { throw APITestClient.Failure(description: "recv: \(count) errno \(errno)") }
                buffer += chunk[..<count]
            }
        }
    }

    private func find(_ needle: [UInt8]) -> Int? {
        guard buffer.count >= needle.count else { return nil }
        return (0...(buffer.count - needle.count)).first { buffer[$0..<($0 + needle.count)].elementsEqual(needle) }
    }

    private func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try body() }) }.start()
        }
    }
}
