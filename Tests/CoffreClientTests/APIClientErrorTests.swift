@testable import CoffreClient
import CoffreProtocol
import Testing

/// How server answers become client errors, messages and exit statuses; server URLs.
@Suite struct APIClientErrorTests {
    static func answer(_ status: Int, _ body: String, headers: [(name: String, value: String)] = []) -> APIResponse {
        APIResponse(status: status, headerFields: headers, body: Array(body.utf8))
    }

    @Test func errorBodiesBecomeCodesWithTheirWait() {
        let throttled = CoffreAPI.refusal(Self.answer(429, #"{"error":"throttled","message":"wait","retryAfterSeconds":4}"#))
        #expect(throttled == .server(status: 429, code: .throttled, message: "wait", retryAfterSeconds: 4))
        #expect(throttled.description == "too many failed attempts: wait 4 s and try again")
        // Retry-After (RFC 9110 §10.2.3) stands in when the body has no figure; absurd waits are capped.
        let header = CoffreAPI.refusal(Self.answer(429, #"{"error":"throttled","message":"x"}"#, headers: [("retry-after", "120")]))
        #expect(header.retryAfterSeconds == 120)
        let huge = CoffreAPI.refusal(Self.answer(429, #"{"error":"throttled","message":"x","retryAfterSeconds":999999999}"#))
        #expect(huge.retryAfterSeconds == 86_400)
        #expect(CoffreAPI.refusal(Self.answer(401, #"{"error":"invalid_credentials","message":"x"}"#)).description == "wrong user name or password")
    }

    @Test func hostileServerMessagesAreSanitizedAndBounded() {
        let evil = "\u{1B}[2J\u{1B}]0;pwned\u{07}" + String(repeating: "A", count: 1000)
        let error = CoffreAPI.refusal(Self.answer(400, #"{"error":"something_new","message":"\#(evil.unicodeScalars.map { $0.value < 0x20 ? String(format: "\\u%04x", $0.value) : String($0) }.joined())"}"#))
        let text = error.description
        #expect(!text.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 })
        #expect(text.count < 400)
        #expect(text.contains("something_new"))
        #expect(ExitStatus(for: error) == .refused)
    }

    @Test func answersWithoutAnErrorBodyAreBadResponses() {
        #expect(CoffreAPI.refusal(Self.answer(404, "404 Not Found\n")) == .badResponse(status: 404, reason: "this server has no such route (is it a coffred of the same version?)"))
        #expect(CoffreAPI.refusal(Self.answer(502, "<html>")) == .badResponse(status: 502, reason: "unexpected status without an error body"))
    }

    @Test func exitStatusesFollowTheDocumentedTable() {
        func server(_ code: ErrorCode) -> APIClientError { .server(status: 400, code: code, message: "", retryAfterSeconds: nil) }
        #expect(ExitStatus(for: .unreachable(server: "s", reason: "r")) == .unreachable)
        #expect(ExitStatus(for: .tls(server: "s", reason: "r")) == .untrustedServer)
        #expect(ExitStatus(for: .invalidServerURL(reason: "r")) == .usage)
        #expect(ExitStatus(for: server(.notFound)) == .refused)
        #expect(ExitStatus(for: server(.userExists)) == .refused)
        #expect(ExitStatus(for: server(.unauthenticated)) == .authentication)
        #expect(ExitStatus(for: server(.forbidden)) == .authentication)
        #expect(ExitStatus(for: server(.throttled)) == .throttled)
        #expect(AccountError.notSignedIn(home: "/h").exitStatus == .localState)
        #expect(AccountError.kdfDowngrade(reason: "r").exitStatus == .untrustedServer)
        #expect(AccountError.adminTokenRefused.exitStatus == .authentication)
        #expect(Set(ExitStatus.allCases.map(\.rawValue)) == Set(0...9))
    }

    @Test(arguments: [
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"), ("http://localhost:8080/", "http://localhost:8080"),
        ("HTTPS://Coffre.Example.org", "https://coffre.example.org:443"), ("https://[::1]:8443", "https://[::1]:8443"),
        ("http://127.1.2.3", "http://127.1.2.3:80"),
    ])
    func serverURLsAreNormalized(text: String, expected: String) throws {
        #expect(try ServerURL(parsing: text).description == expected)
    }

    @Test(arguments: [
        "coffre.example.org", "ftp://x", "http://192.168.1.2:8080", "http://example.org", "https://x/path", "https://x?q",
        "https://user:pw@x", "https://x:0", "https://x:65536", "https://x:8a", "https://[::1", "https://", "https://a b",
        "https://[zz::1]",
    ])
    func unusableServerURLsAreRefused(text: String) {
        #expect(throws: APIClientError.self) { try ServerURL(parsing: text) }
    }
}

import Foundation
