import Testing

@testable import HTTPServer

/// How the client decides whether to trust the server: CA file, system store, pin, or nothing.
@Suite("TLS client verification")
struct TLSVerificationTests {
    /// Handshakes `client` against a server presenting `identity` and returns both ends.
    private static func handshake(
        client: TLSContext, serverName: String, identity: TLSTestIdentity
    ) throws -> (client: TLSTestEnd, server: TLSTestEnd) {
        let (clientTransport, serverTransport) = try TLSTestSocketPair.transports(
            client: client, server: identity.serverContext(), serverName: serverName)
        let ends = (client: TLSTestEnd(clientTransport), server: TLSTestEnd(serverTransport))
        try TLSTestPump.run(ends.client, ends.server, explicitHandshake: true) { a, b in
            (a.handshakeDone && b.handshakeDone) || (a.ending != nil && b.ending != nil)
        }
        return ends
    }

    private static func succeeded(_ ends: (client: TLSTestEnd, server: TLSTestEnd)) -> Bool {
        ends.client.handshakeDone && ends.server.handshakeDone && ends.client.ending == nil
    }

    @Test("the CA file's certificate is accepted for each name it carries", arguments: ["localhost", "127.0.0.1"])
    func trustedByCAFile(serverName: String) throws {
        let directory = try TLSTemporaryDirectory()
        let identity = try TLSTestIdentity(in: directory)
        let ends = try Self.handshake(client: identity.trustingClientContext(), serverName: serverName, identity: identity)
        #expect(Self.succeeded(ends), "\(String(describing: ends.client.ending))")
    }

    @Test("a wildcard name covers one label, no more")
    func wildcard() throws {
        let directory = try TLSTemporaryDirectory()
        let identity = try TLSTestIdentity(in: directory, dnsNames: ["*.coffre.test"], ipAddresses: [])
        let client = try identity.trustingClientContext()
        #expect(Self.succeeded(try Self.handshake(client: client, serverName: "files.coffre.test", identity: identity)))
        let deeper = try Self.handshake(client: client, serverName: "a.files.coffre.test", identity: identity)
        #expect(deeper.client.ending?.failureText?.contains("hostname mismatch") == true)
    }

    @Test("an IPv6 subject alternative name matches the IPv6 literal")
    func ipv6Name() throws {
        let directory = try TLSTemporaryDirectory()
        let identity = try TLSTestIdentity(in: directory, dnsNames: [], ipAddresses: ["::1"])
        let client = try identity.trustingClientContext()
        #expect(Self.succeeded(try Self.handshake(client: client, serverName: "::1", identity: identity)))
        let other = try Self.handshake(client: client, serverName: "::2", identity: identity)
        #expect(other.client.ending?.failureText?.contains("IP address mismatch") == true)
    }

    @Test("a trusted certificate for another name fails with a hostname mismatch")
    func wrongHostName() throws {
        let directory = try TLSTemporaryDirectory()
        let identity = try TLSTestIdentity(in: directory)
        let ends = try Self.handshake(client: identity.trustingClientContext(), serverName: "coffre.example", identity: identity)
        let failure = try #require(ends.client.ending?.failureText)
        #expect(failure.contains("certificate verify failed") && failure.contains("hostname mismatch"), "\(failure)")
        // The client aborted with an alert, and the server saw it.
        #expect(ends.server.ending?.failureText != nil)
        #expect(!ends.client.handshakeDone)
    }

    @Test("a certificate the CA file does not contain is untrusted")
    func untrustedByOtherCA() throws {
        let directory = try TLSTemporaryDirectory()
        let identity = try TLSTestIdentity(in: directory)
        let stranger = try TLSTestIdentity(in: directory, prefix: "stranger")
        let ends = try Self.handshake(client: stranger.trustingClientContext(), serverName: "localhost", identity: identity)
        let failure = try #require(ends.client.ending?.failureText)
        #expect(failure.contains("certificate verify failed") && failure.contains("self-signed certificate"), "\(failure)")
    }

    @Test("a self-signed certificate is untrusted by the system trust store")
    func untrustedBySystemStore() throws {
        let directory = try TLSTemporaryDirectory()
        let identity = try TLSTestIdentity(in: directory)
        let client = try TLSContext.client(trust: .systemTrustStore)
        let ends = try Self.handshake(client: client, serverName: "localhost", identity: identity)
        #expect(ends.client.ending?.failureText?.contains("certificate verify failed") == true)
    }

    @Test("a matching pin is accepted whatever the chain and the name")
    func matchingPin() throws {
        let directory = try TLSTemporaryDirectory()
        let identity = try TLSTestIdentity(in: directory)
        let client = try TLSContext.client(trust: .pinnedCertificate(sha256: identity.generated.fingerprintSHA256))
        let ends = try Self.handshake(client: client, serverName: "any.name.example", identity: identity)
        #expect(Self.succeeded(ends), "\(String(describing: ends.client.ending))")
        #expect(ends.client.transport.peerCertificateSHA256 == identity.generated.fingerprintSHA256)
    }

    @Test("a pin of another certificate, or one differing in a single bit, is rejected")
    func wrongPin() throws {
        let directory = try TLSTemporaryDirectory()
        let identity = try TLSTestIdentity(in: directory)
        let stranger = try TLSTestIdentity(in: directory, prefix: "stranger")
        var nearMiss = identity.generated.fingerprintSHA256
        nearMiss[31] ^= 0x01
        for pin in [stranger.generated.fingerprintSHA256, nearMiss] {
            let client = try TLSContext.client(trust: .pinnedCertificate(sha256: pin))
            let ends = try Self.handshake(client: client, serverName: "localhost", identity: identity)
            let failure = try #require(ends.client.ending?.failureText)
            #expect(failure.contains("certificate rejected"), "\(failure)")
            #expect(!ends.client.handshakeDone)
        }
    }

    @Test("a pin must be 32 bytes")
    func pinLength() {
        for length in [0, 20, 31, 33, 64] {
            #expect(throws: TLSError.self) {
                try TLSContext.client(trust: .pinnedCertificate(sha256: [UInt8](repeating: 7, count: length)))
            }
        }
    }

    @Test("the pin comparison is exact")
    func pinMatching() throws {
        let pin = try TLSCertificatePin(sha256: Array(0..<32))
        #expect(pin.matches(Array(0..<32)))
        #expect(!pin.matches(Array(1...32)))
        var lastByteDiffers = Array<UInt8>(0..<32)
        lastByteDiffers[31] ^= 0x80
        #expect(!pin.matches(lastByteDiffers))
        #expect(!pin.matches(Array(0..<31)))
        #expect(!pin.matches([]))
    }

    @Test("the insecure mode accepts any certificate under any name, and shows its fingerprint")
    func insecureMode() throws {
        let directory = try TLSTemporaryDirectory()
        let identity = try TLSTestIdentity(in: directory)
        let client = try TLSContext.client(trust: .insecureNoVerification)
        let ends = try Self.handshake(client: client, serverName: "whatever.example", identity: identity)
        #expect(Self.succeeded(ends))
        #expect(ends.client.transport.peerCertificateSHA256 == identity.generated.fingerprintSHA256)
    }

    @Test("a missing or malformed CA file is a clear error")
    func badCAFile() throws {
        let directory = try TLSTemporaryDirectory()
        let missing = directory.path + "/absent.pem"
        #expect(throws: TLSError.fileUnreadable(path: missing, reason: "No such file or directory")) {
            try TLSContext.client(trust: .certificateAuthorities(file: missing))
        }
        let garbage = try directory.write("not a certificate\n", to: "garbage.pem")
        let error = #expect(throws: TLSError.self) {
            try TLSContext.client(trust: .certificateAuthorities(file: garbage))
        }
        guard case .invalidCertificate(let path, _)? = error else {
            Issue.record("expected invalidCertificate, got \(String(describing: error))")
            return
        }
        #expect(path == garbage)
    }
}
