import Foundation
import Glibc
import Testing

@testable import HTTPServer

/// Errors of the test support code itself (setup failures, a stalled exchange).
struct TLSTestFailure: Error, CustomStringConvertible {
    let description: String
}

/// A fresh directory under the system temp dir, removed with everything in it on deinit.
final class TLSTemporaryDirectory {
    let path: String

    init() throws {
        var template = Array((NSTemporaryDirectory() + "/coffre-tls-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw TLSTestFailure(description: "mkdtemp failed") }
        path = String(cString: made)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `text` to `name` inside the directory (mode 0600) and returns the file's path.
    @discardableResult
    func write(_ text: String, to name: String) throws -> String {
        let file = path + "/" + name
        try Data(text.utf8).write(to: URL(fileURLWithPath: file))
        guard chmod(file, 0o600) == 0 else { throw TLSTestFailure(description: "chmod failed") }
        return file
    }
}

/// A generated server certificate written to disk, with server and client contexts for it.
struct TLSTestIdentity {
    let generated: TLSGeneratedCertificate
    let certificateFile: String
    let keyFile: String

    /// Generates a certificate for `dnsNames`/`ipAddresses` and writes it as `<prefix>.crt/.key`.
    init(
        in directory: TLSTemporaryDirectory, prefix: String = "server", dnsNames: [String] = ["localhost"],
        ipAddresses: [String] = ["127.0.0.1"]
    ) throws {
        generated = try TLSCertificateGenerator.selfSigned(dnsNames: dnsNames, ipAddresses: ipAddresses)
        certificateFile = try directory.write(generated.certificatePEM, to: prefix + ".crt")
        keyFile = try directory.write(generated.privateKeyPEM, to: prefix + ".key")
    }

    func serverContext() throws -> TLSContext {
        try TLSContext.server(certificateChainFile: certificateFile, privateKeyFile: keyFile)
    }

    /// A client that trusts exactly this certificate as its CA.
    func trustingClientContext() throws -> TLSContext {
        try TLSContext.client(trust: .certificateAuthorities(file: certificateFile))
    }
}

/// Connected, non-blocking AF_UNIX stream sockets: what an accepted TCP socket looks like to TLS.
enum TLSTestSocketPair {
    static func make() throws -> (Int32, Int32) {
        var fds: [Int32] = [-1, -1]
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        guard socketpair(AF_UNIX, type, 0, &fds) == 0 else {
            throw TLSTestFailure(description: "socketpair: \(String(cString: strerror(errno)))")
        }
        return (fds[0], fds[1])
    }

    /// A client and a server transport on a fresh socket pair.
    static func transports(
        client clientContext: TLSContext, server serverContext: TLSContext, serverName: String = "localhost"
    ) throws -> (client: TLSTransport, server: TLSTransport) {
        let (clientFD, serverFD) = try make()
        let client = try TLSTransport(connectingOn: clientFD, context: clientContext, serverName: serverName)
        let server = try TLSTransport(acceptingOn: serverFD, context: serverContext)
        return (client, server)
    }
}

/// Deterministic pseudo-random bytes (xorshift64*), so a failing transfer can be replayed.
enum TLSTestBytes {
    static func make(count: Int, seed: UInt64) -> [UInt8] {
        var state = seed | 1
        var bytes = [UInt8](repeating: 0, count: count)
        bytes.withUnsafeMutableBufferPointer { buffer in
            for index in buffer.indices {
                state ^= state >> 12
                state ^= state << 25
                state ^= state >> 27
                buffer[index] = UInt8(truncatingIfNeeded: (state &* 2_685_821_657_736_338_717) >> 56)
            }
        }
        return bytes
    }

    /// The first offset where `a` and `b` differ (including a length difference), nil if equal.
    static func firstDifference(_ a: [UInt8], _ b: [UInt8]) -> Int? {
        let common = min(a.count, b.count)
        if let index = (0..<common).first(where: { a[$0] != b[$0] }) { return index }
        return a.count == b.count ? nil : common
    }
}

extension TransportResult {
    /// The failure text, if this is `.failed`.
    var failureText: String? {
        if case .failed(let text) = self { return text }
        return nil
    }
}
