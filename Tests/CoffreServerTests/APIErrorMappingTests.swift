@testable import CoffreServer
import CoffreProtocol
import Foundation
import HTTPServer
import HTTPTypes
import Testing

/// The error mapping and routing in process, through `HTTPRouter.respond(to:)` with requests
/// built by hand (no socket).
@Suite struct APIErrorMappingTests {
    @Test func errorsBecomeJSONWithTheRightStatusAndFields() throws {
        let throttled = APIError.throttled(retryAfterSeconds: 42)
        #expect(throttled.status.code == 429)
        #expect(throttled.headerFields[.retryAfter] == "42")
        #expect(throttled.headerFields[.contentType] == "application/json")
        let body = try JSONDecoder().decode(ErrorBody.self, from: Data(throttled.body))
        #expect(body == ErrorBody(error: .throttled, message: throttled.message, retryAfterSeconds: 42))
        #expect(APIError.unauthenticated.headerFields[.wwwAuthenticate] == #"Bearer realm="coffre""#)
        #expect(APIError.quotaExceeded.status.code == 507)
        #expect(APIError.invalidField("a", "b").headerFields[.retryAfter] == nil)
        #expect(APIError.notFound("user").headerFields[.wwwAuthenticate] == nil)
    }

    @Test func routesAnswerThroughTheRouterInProcess() async throws {
        let harness = try await AccountsHarness()
        var router = HTTPRouter()
        try AccountsAPI(accounts: harness.accounts, logger: harness.log.logger).register(on: &router)
        let alice = try await harness.member("alice")
        let login = try await harness.login(alice)

        await #expect(throws: APIError.unauthenticated) {
            try await router.respond(to: try HTTPServerRequest(method: .get, target: "/v1/account"))
        }
        var fields = HTTPFields()
        fields[.authorization] = "Bearer \(login.token)"
        let answer = try await router.respond(to: try HTTPServerRequest(method: .get, target: "/v1/account", headerFields: fields))
        #expect(answer.status == .ok)
        #expect(answer.headerFields[.cacheControl] == "no-store")
        guard case .bytes(let bytes) = answer.body else {
            Issue.record("expected an in-memory body")
            return
        }
        #expect(try JSONDecoder().decode(AccountResponse.self, from: Data(bytes)).user.name == "alice")

        // Two Authorization fields are ambiguous: refused.
        var doubled = fields
        doubled.append(HTTPField(name: .authorization, value: "Bearer \(login.token)"))
        await #expect(throws: APIError.unauthenticated) {
            try await router.respond(to: try HTTPServerRequest(method: .get, target: "/v1/account", headerFields: doubled))
        }
        // A POST route with no body is a malformed body, not a crash.
        await #expect(throws: APIError.self) {
            try await router.respond(to: try HTTPServerRequest(method: .post, target: "/v1/auth/login"))
        }
    }
}
