import CoffreProtocol
import Glibc
import HTTPServer

/// Where `coffre-admin` sends its requests and with which token.
///
/// - The server: `--server URL`, else the URL `coffred` wrote to `DATA/coffred.url` when it
///   started (with `--data DIR`).
/// - The token: `--token`, else `COFFRE_ADMIN_TOKEN`, else `DATA/admin.token` (the first admin
///   token, written by `coffred` at its first start).
/// - TLS: a CA file or an explicit certificate fingerprint, else the system's trust store.
///   There is no pinning on first use here: an operator's tool keeps no state.
public struct AdminCredentials: Sendable {
    /// The file `coffred` writes its URL to, in its data directory.
    public static let urlFileName = "coffred.url"
    /// The file of the first admin token, in the data directory.
    public static let tokenFileName = "admin.token"

    /// The server.
    public let server: ServerURL
    /// The bearer token: an admin token (`cfa_…`) or an administrator's device token.
    public let token: String
    /// How the server's certificate is verified (https only).
    public let trust: TLSClientTrust

    /// Resolves the server, token and trust from the options and the environment.
    public static func resolve(
        dataDirectory: String?, server: String?, token: String?, caFile: String?, fingerprint: String?,
        environment: [String: String]
    ) throws(AccountError) -> AdminCredentials {
        let url: ServerURL
        if let server {
            do { url = try ServerURL(parsing: server) } catch { throw .api(error) }
        } else if let dataDirectory {
            url = try readURL(in: dataDirectory)
        } else {
            throw .invalidArgument(
                "say which server: --data DIR on the server's machine, or --server URL with --token TOKEN (or COFFRE_ADMIN_TOKEN)")
        }
        let secret: String
        if let token {
            secret = token
        } else if let fromEnvironment = environment["COFFRE_ADMIN_TOKEN"], !fromEnvironment.isEmpty {
            secret = fromEnvironment
        } else if let dataDirectory {
            secret = try readToken(in: dataDirectory)
        } else {
            throw .invalidArgument("no admin token: pass --token TOKEN or set COFFRE_ADMIN_TOKEN (or use --data DIR)")
        }
        guard isWellFormedToken(secret) else {
            throw .invalidArgument("the admin token is malformed: it starts with cfa_ (or cft_ for an administrator's device token)")
        }
        let trust: TLSClientTrust
        if let fingerprint {
            guard let pin = Hex.decode(fingerprint), pin.count == 32 else {
                throw .invalidArgument("--tls-fingerprint: give the certificate's SHA-256 as 64 hex digits (colons allowed)")
            }
            trust = .pinnedCertificate(sha256: pin)
        } else if let caFile {
            trust = .certificateAuthorities(file: caFile)
        } else {
            trust = .systemTrustStore
        }
        return AdminCredentials(server: url, token: secret, trust: trust)
    }

    /// An API client with these credentials over `factory`.
    public func api(_ factory: APITransportFactory) throws(AccountError) -> CoffreAPI {
        do {
            return CoffreAPI(transport: try factory(server, server.scheme == .https ? trust : nil), token: token)
        } catch {
            throw .api(error)
        }
    }

    /// The meaning of an API error for an admin command: a refused token is the admin token.
    public static func explain(_ error: APIClientError) -> AccountError {
        error.code == .unauthenticated ? .adminTokenRefused : .api(error)
    }

    /// `cfa_` or `cft_`, then base64url text: nothing that could break the header.
    static func isWellFormedToken(_ token: String) -> Bool {
        (token.hasPrefix("cfa_") || token.hasPrefix("cft_")) && (5...128).contains(token.utf8.count)
            && token.utf8.dropFirst(4).allSatisfy { byte in
                (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
            }
    }

    private static func readURL(in directory: String) throws(AccountError) -> ServerURL {
        let path = directory + "/" + urlFileName
        let text: String
        do {
            text = try LocalTextFile.firstLine(ofFile: path, maximumBytes: 4096)
        } catch .cannotOpen(ENOENT) {
            throw .api(.unreachable(server: "the coffred of \(directory)", reason: "\(path) is missing, so coffred is not running there"))
        } catch {
            throw .stateUnusable(path: path, reason: "cannot be read: \(error)")
        }
        do {
            return try ServerURL(parsing: text)
        } catch {
            throw .stateUnusable(path: path, reason: "does not hold a server URL (\(error))")
        }
    }

    private static func readToken(in directory: String) throws(AccountError) -> String {
        let path = directory + "/" + tokenFileName
        do {
            return try LocalTextFile.firstLine(ofFile: path, maximumBytes: 256)
        } catch .cannotOpen(ENOENT) {
            throw .stateUnusable(
                path: path, reason: "is missing: coffred writes it at its first start; pass --token or set COFFRE_ADMIN_TOKEN instead")
        } catch {
            throw .stateUnusable(path: path, reason: "cannot be read: \(error) (run coffre-admin as the user that runs coffred)")
        }
    }
}
