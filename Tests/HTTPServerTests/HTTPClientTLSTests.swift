import HTTPTypes
import Testing

@testable import HTTPServer

@Suite("Client: HTTPS against our server")
struct HTTPClientTLSTests {
    /// Runs `body` with an HTTPS server presenting `identity` on 127.0.0.1.
    private func withTLSServer(_ identity: TLSTestIdentity, _ body: (HTTPServer, Int) async throws -> Void) async throws {
        let context = try identity.serverContext()
        try await withTestServer(router: try clientTestRouter(), configure: { $0.transportFactory = TLSTransport.serverFactory(context: context) }, body)
    }

    private func tlsFailure(_ trust: TLSClientTrust, url: String) async -> String? {
        do {
            try await withHTTPClient({ $0.tlsTrust = trust }) { (client) async throws in _ = try await client.fetch(.get, url) }
        } catch let error as HTTPClientError {
            if case .tls(let reason) = error { return reason }
            return "unexpected error: \(error)"
        } catch {
            return "unexpected error: \(error)"
        }
        return nil
    }

    @Test func pinnedCertificateCarriesStreamsBothWays() async throws {
        let directory = try TLSTemporaryDirectory()
        let identity = try TLSTestIdentity(in: directory)
        let pin = identity.generated.fingerprintSHA256
        try await withTLSServer(identity) { server, port in
            try await withHTTPClient({ $0.tlsTrust = .pinnedCertificate(sha256: pin) }) { (client) async throws in
                let base = "https://127.0.0.1:\(port)"
                let hello = try await client.execute(HTTPClientRequest(method: .get, url: base + "/hello"))
                #expect(hello.peerCertificateSHA256 == pin)
                #expect(try await hello.body.collect(upTo: 100) == Array("hello".utf8))
                let payload = TLSTestBytes.make(count: (2 << 20) + 5, seed: 3)
                let echoed = try await client.fetch(
                    .put, base + "/echo", body: .stream(length: nil, producer: producer(of: payload, runSize: 40_000)))
                #expect(echoed.body == payload)
                let streamed = try await client.fetch(.get, base + "/stream/\(payload.count)/9999")
                #expect(streamed.body == TLSTestBytes.make(count: payload.count, seed: 7))
                #expect(server.metrics.snapshot().connectionsAccepted == 1)
            }
        }
    }

    @Test func wrongPinIsRefused() async throws {
        let directory = try TLSTemporaryDirectory()
        let identity = try TLSTestIdentity(in: directory)
        var pin = identity.generated.fingerprintSHA256
        pin[0] ^= 1
        try await withTLSServer(identity) { _, port in
            let reason = await tlsFailure(.pinnedCertificate(sha256: pin), url: "https://127.0.0.1:\(port)/hello")
            #expect(reason?.contains("certificate rejected") == true, "\(String(describing: reason))")
        }
    }

    @Test func caFileVerifiesChainAndName() async throws {
        let directory = try TLSTemporaryDirectory()
        let identity = try TLSTestIdentity(in: directory)
        try await withTLSServer(identity) { _, port in
            try await withHTTPClient({ $0.tlsTrust = .certificateAuthorities(file: identity.certificateFile) }) { (client) async throws in
                #expect(try await client.fetch(.get, "https://localhost:\(port)/hello").status == 200)
                #expect(try await client.fetch(.get, "https://127.0.0.1:\(port)/hello").status == 200)
            }
        }
    }

    @Test func wrongHostNameOrUnknownCAIsRefused() async throws {
        let directory = try TLSTemporaryDirectory()
        let identity = try TLSTestIdentity(in: directory, dnsNames: ["other.example"], ipAddresses: [])
        let stranger = try TLSTestIdentity(in: directory, prefix: "stranger")
        try await withTLSServer(identity) { _, port in
            let mismatch = await tlsFailure(.certificateAuthorities(file: identity.certificateFile), url: "https://localhost:\(port)/hello")
            #expect(mismatch?.contains("hostname mismatch") == true, "\(String(describing: mismatch))")
            let unknown = await tlsFailure(.certificateAuthorities(file: stranger.certificateFile), url: "https://localhost:\(port)/hello")
            #expect(unknown?.contains("certificate verify failed") == true, "\(String(describing: unknown))")
        }
    }

    @Test func requestTrustOverridesTheClientsAndSeparatesPools() async throws {
        let directory = try TLSTemporaryDirectory()
        let identity = try TLSTestIdentity(in: directory)
        try await withTLSServer(identity) { server, port in
            // The client's default (an unknown CA) would fail; the request's pin succeeds.
            let stranger = try TLSTestIdentity(in: directory, prefix: "stranger")
            try await withHTTPClient({ $0.tlsTrust = .certificateAuthorities(file: stranger.certificateFile) }) { (client) async throws in
                var request = try HTTPClientRequest(method: .get, url: "https://127.0.0.1:\(port)/hello")
                request.tlsTrust = .pinnedCertificate(sha256: identity.generated.fingerprintSHA256)
                #expect(try await client.execute(request).body.collect(upTo: 100) == Array("hello".utf8))
                // A connection verified by the pin is not lent to a request that trusts the CA.
                request.tlsTrust = .certificateAuthorities(file: identity.certificateFile)
                #expect(try await client.execute(request).body.collect(upTo: 100) == Array("hello".utf8))
                #expect(server.metrics.snapshot().connectionsAccepted == 2)
                // A missing CA file is reported, not crashed on.
                request.tlsTrust = .certificateAuthorities(file: directory.path + "/missing.pem")
                let failure = await clientError { _ = try await client.execute(request) }
                guard case .tls = failure else {
                    Issue.record("expected a TLS error, got \(String(describing: failure))")
                    return
                }
            }
        }
    }

    @Test func plainHTTPToATLSServerFailsCleanly() async throws {
        let directory = try TLSTemporaryDirectory()
        let identity = try TLSTestIdentity(in: directory)
        try await withTLSServer(identity) { _, port in
            try await withHTTPClient({ $0.readIdleTimeout = .seconds(5) }) { (client) async throws in
                let failure = await clientError { _ = try await client.fetch(.get, "http://127.0.0.1:\(port)/hello") }
                #expect(failure != nil)
            }
        }
    }
}
