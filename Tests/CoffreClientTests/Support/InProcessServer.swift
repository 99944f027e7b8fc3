import CoffreClient
import CoffreProtocol
import CoffreServer
import Dispatch
import Foundation
import HTTPServer
import HTTPTypes
import Logging
import Synchronization

/// The real account services and routes of coffred in this process (no socket): requests go
/// straight to `HTTPRouter.respond(to:)`. For https URLs it plays a server with a certificate
/// fingerprint, so pinning can be tested; the certificate can be swapped.
final class InProcessServer: Sendable {
    let directory: String
    let accounts: Accounts
    let router: HTTPRouter
    /// The fingerprint of the "certificate" https transports see.
    let certificate = Mutex<[UInt8]>([UInt8](repeating: 0xC0, count: 32))
    /// Requests received, for tests that check what was (not) sent.
    let received = Mutex<[APIRequest]>([])
    /// Rewrites answers before the client sees them (a lying server).
    let tamper = Mutex<(@Sendable (APIRequest, APIResponse) -> APIResponse)?>(nil)

    static let http = try! ServerURL(parsing: "http://127.0.0.1:8080")
    static let https = try! ServerURL(parsing: "https://coffre.test:8443")

    /// - Parameter clock: the time the account services read; tests of time-based rules
    ///   (throttling) pass a fixed one, so a slow machine cannot let a block expire mid-test.
    init(clock: ServerClock = .system) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("coffre-client-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/coffred.db"
        // Opened (and migrated, with fsyncs) on a Dispatch thread, not on Swift concurrency's.
        let database = try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try ServerDatabase(path: path, readerCount: 2) }) }
        }
        let logger = Logger(label: "in-process") { _ in SwiftLogNoOpLogHandler() }
        accounts = try await Accounts.open(database: database, settings: AccountSettings(), clock: clock, logger: logger)
        var router = HTTPRouter()
        try AccountsAPI(accounts: accounts, logger: logger).register(on: &router)
        try router.addInline(.get, "/healthz") { _ in .text("ok") }
        self.router = router
    }

    deinit {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// A fresh admin API token.
    func adminToken() async throws -> String {
        try await accounts.createAdminToken(CreateAdminTokenRequest(name: "tests \(UUID().uuidString.prefix(8))"), by: .token(0)).token
    }

    /// An admin API client.
    func adminAPI() async throws -> CoffreAPI {
        CoffreAPI(transport: InProcessTransport(server: self, url: Self.http, trust: nil), token: try await adminToken())
    }

    /// Invites `name`; returns the invite code.
    func invite(_ name: String, isAdmin: Bool = false) async throws -> String {
        try await adminAPI().createUser(CreateUserRequest(userName: name, isAdmin: isAdmin)).invite.code
    }

    var factory: APITransportFactory {
        { url, trust in InProcessTransport(server: self, url: url, trust: trust) }
    }

    /// A client whose state lives in a new folder under this server's directory.
    func client(_ device: String = UUID().uuidString) -> AccountClient {
        AccountClient(home: ClientHome(path: directory + "/home-" + device), makeTransport: factory)
    }
}

/// Calls the in-process router; for https it checks the trust against the server's
/// certificate the way TLS would.
struct InProcessTransport: APITransport {
    let server: InProcessServer
    let url: ServerURL
    let trust: TLSClientTrust?

    func send(_ request: APIRequest) async throws(APIClientError) -> APIResponse {
        server.received.withLock { $0.append(request) }
        let certificate = server.certificate.withLock { $0 }
        if url.scheme == .https {
            switch trust {
            case .pinnedCertificate(let pin) where pin != certificate:
                throw .tls(server: url.description, reason: "certificate verify failed: certificate rejected")
            case nil: throw .tls(server: url.description, reason: "no trust given for https")
            default: break
            }
        }
        var fields = HTTPFields()
        for (name, value) in request.headerFields { fields.append(HTTPField(name: HTTPField.Name(name)!, value: value)) }
        var response: APIResponse
        do {
            let serverRequest = try HTTPServerRequest(
                method: HTTPRequest.Method(request.method.rawValue)!, target: request.target, headerFields: fields,
                isSecure: url.scheme == .https, body: .bytes(request.jsonBody ?? []))
            response = try await Self.collect(try await server.router.respond(to: serverRequest))
        } catch let error as any HTTPResponseError {
            response = APIResponse(
                status: error.status.code, headerFields: error.headerFields.map { ($0.name.rawName, $0.value) }, body: error.body)
        } catch {
            throw .badResponse(status: 500, reason: "in-process server failed: \(error)")
        }
        if url.scheme == .https { response.peerCertificateSHA256 = certificate }
        if let tamper = server.tamper.withLock({ $0 }) { response = tamper(request, response) }
        return response
    }

    private static func collect(_ response: HTTPServerResponse) async throws -> APIResponse {
        let body: [UInt8]
        switch response.body {
        case .empty: body = []
        case .bytes(let bytes): body = bytes
        default: throw APIClientError.badResponse(status: response.status.code, reason: "streamed bodies are not used by the JSON routes")
        }
        return APIResponse(status: response.status.code, headerFields: response.headerFields.map { ($0.name.rawName, $0.value) }, body: body)
    }
}
