import Foundation
import Glibc
import HTTPServer
import Testing

/// `coffred serve` as an operator runs it: start, answer, stop on SIGTERM with exit 0, refuse
/// unsafe or broken settings with a clear message and a non-zero exit.
@Suite("coffred serve (real binary)")
struct CoffredServeTests {
    @Test func startsServesHealthAndMetricsAndStopsCleanly() async throws {
        let server = try CoffredProcess()
        let url = try server.waitUntilListening()
        #expect(url.hasPrefix("http://127.0.0.1:"))
        let health = try await RawHTTP.get(port: server.port, path: "/healthz")
        #expect(health.status == 200)
        #expect(health.body == #"{"status":"ok"}"#)
        let metrics = try await RawHTTP.get(port: server.port, path: "/metrics")
        #expect(metrics.status == 200)
        #expect(metrics.body.contains("coffred_requests_total{method=\"GET\",status=\"2xx\"}"))
        #expect(metrics.body.contains("process_resident_memory_bytes"))
        #expect(await server.stop(signal: SIGTERM) == 0)
        let log = server.standardError()
        #expect(log.contains("signal=SIGTERM"))
        #expect(!log.contains("127.0.0.1:"  + "\(0)" + "x"))
        #expect(FileManager.default.fileExists(atPath: server.dataDirectory + "/blobs"))
    }

    @Test func refusesPlainHTTPOnAPublicAddress() async throws {
        let server = try CoffredProcess(arguments: ["--listen", "0.0.0.0:0"])
        #expect(await server.waitForExit() != 0)
        #expect(server.standardError().contains("reachable from other machines"))
    }

    @Test func aSecondServerOnTheSameDataDirectoryIsRefused() async throws {
        let first = try CoffredProcess()
        try first.waitUntilListening()
        let second = try CoffredProcess(dataDirectory: first.dataDirectory)
        #expect(await second.waitForExit() != 0)
        #expect(second.standardError().contains("in use by another coffred"))
        #expect(await first.stop() == 0)
    }

    @Test func malformedConfigurationIsAClearError() async throws {
        let directory = CoffredProcess.temporaryDirectory("coffred-config")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/coffred.yaml"
        try "http:\n  maxConnections: lots\n".write(toFile: file, atomically: true, encoding: .utf8)
        let server = try CoffredProcess(arguments: ["--config", file])
        #expect(await server.waitForExit() != 0)
        #expect(server.standardError().contains("http.maxConnections"))
        let fromEnvironment = try CoffredProcess(environment: ["COFFRE_LOG_FORMAT": "xml"])
        #expect(await fromEnvironment.waitForExit() != 0)
        #expect(fromEnvironment.standardError().contains("log.format"))
    }

    @Test func servesTLSAndReloadsTheCertificateOnSIGHUP() async throws {
        let directory = CoffredProcess.temporaryDirectory("coffred-tls")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try CoffredProcess.writeSelfSignedCertificate(in: directory)
        let server = try CoffredProcess(arguments: CoffredProcess.tlsArguments(in: directory))
        let url = try server.waitUntilListening()
        #expect(url.hasPrefix("https://"))
        #expect(try await RawHTTP.peerFingerprint(port: server.port) == first.fingerprintSHA256)

        // A broken file on SIGHUP: the old certificate stays in service.
        try "not a certificate".write(toFile: directory + "/cert.pem", atomically: true, encoding: .utf8)
        kill(server.process.processIdentifier, SIGHUP)
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await RawHTTP.peerFingerprint(port: server.port) == first.fingerprintSHA256)

        let second = try CoffredProcess.writeSelfSignedCertificate(in: directory)
        kill(server.process.processIdentifier, SIGHUP)
        var seen = first.fingerprintSHA256
        for _ in 0..<100 where seen != second.fingerprintSHA256 {
            try await Task.sleep(for: .milliseconds(50))
            seen = try await RawHTTP.peerFingerprint(port: server.port)
        }
        #expect(seen == second.fingerprintSHA256)
        #expect(await server.stop() == 0)
        #expect(server.standardError().contains("TLS reload failed"))
    }

    @Test func firstStartIssuesThePrivateAdminTokenOnce() async throws {
        let first = try CoffredProcess()
        try first.waitUntilListening()
        let tokenPath = first.dataDirectory + "/admin.token"
        var info = stat()
        try #require(stat(tokenPath, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        let token = try String(contentsOfFile: tokenPath, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(token.hasPrefix("cfa_"))
        #expect(try await RawHTTP.get(port: first.port, path: "/v1/admin/stats", authorization: "Bearer " + token).status == 200)
        #expect(try await RawHTTP.get(port: first.port, path: "/v1/admin/stats").status == 401)
        #expect(try await RawHTTP.get(port: first.port, path: "/v1/admin/stats", authorization: "Bearer cfa_forged").status == 401)
        #expect(await first.stop() == 0)
        #expect(!first.standardError().contains(token), "the token itself is never logged")

        // Restart on the same data: the token stays valid and is not issued again.
        let second = try CoffredProcess(dataDirectory: first.dataDirectory)
        try second.waitUntilListening()
        #expect(try String(contentsOfFile: tokenPath, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) == token)
        #expect(try await RawHTTP.get(port: second.port, path: "/v1/admin/stats", authorization: "Bearer " + token).status == 200)
        #expect(await second.stop() == 0)
        #expect(!second.standardError().contains("first admin token written"))
    }
}
