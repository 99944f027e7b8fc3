import CoffreCrypto
import Foundation
import HTTPTypes

/// HTTP Basic authentication for the gateway (RFC 7617): one user name and password, checked
/// in constant time. The gateway prints `user`, `password` and the URL so a client can connect.
public struct DAVCredentials: Sendable {
    /// The user name clients must send.
    public let user: String
    /// The password clients must send.
    public let password: String
    /// The protection space announced in the challenge (RFC 7617 §2).
    public let realm: String
    /// `user:password` in UTF-8, what a request's decoded credentials must equal; built once
    /// rather than on every request.
    private let expected: [UInt8]

    /// Credentials; the user name must not contain `:` (RFC 7617 §2: user-id excludes it).
    public init(user: String, password: String, realm: String = "Coffre") throws(DAVError) {
        guard !user.contains(":"), !user.isEmpty else { throw .badRequest("user name must be non-empty and hold no colon") }
        guard !password.isEmpty else { throw .badRequest("password must not be empty") }
        guard !realm.contains("\""), !realm.contains("\\"), realm.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x7F }) else {
            throw .badRequest("realm must be printable and hold no quote or backslash")
        }
        self.user = user
        self.password = password
        self.realm = realm
        self.expected = Array("\(user):\(password)".utf8)
    }

    /// Credentials with a fresh random password: 24 letters and digits drawn uniformly from
    /// the CSPRNG (rejection sampling, about 142 bits). Only alphanumerics, so the password
    /// can be pasted into any client's command line (none starts with `-`).
    public static func generated(user: String = "coffre", realm: String = "Coffre") throws(DAVError) -> DAVCredentials {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)
        var password: [UInt8] = []
        while password.count < 24 {
            let bytes: [UInt8]
            do { bytes = try SecureRandom.bytes(count: 32) } catch { throw .storage("random source failed") }
            // 248 = 4 × 62: bytes at or above it are dropped so every character is equally likely.
            for byte in bytes where byte < 248 && password.count < 24 { password.append(alphabet[Int(byte) % alphabet.count]) }
        }
        return try DAVCredentials(user: user, password: String(decoding: password, as: UTF8.self), realm: realm)
    }

    /// True when `authorization` (the request's Authorization field) carries these credentials.
    /// The comparison covers the whole `user:password` and does not stop at the first
    /// difference (`ConstantTime.equals`).
    public func accepts(authorization: String?) -> Bool {
        guard let authorization else { return false }
        let parts = authorization.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        // RFC 7617 §2 / RFC 9110 §11.1: the scheme name is case-insensitive.
        guard parts.count == 2, parts[0].lowercased() == "basic", parts[1].utf8.count <= 4096,
            let decoded = Data(base64Encoded: String(Self.trimmingOptionalWhitespace(parts[1])))
        else { return false }
        return ConstantTime.equals(Array(decoded), expected)
    }

    /// `text` without the spaces and tabs around it (RFC 9110 §5.6.3, optional whitespace).
    private static func trimmingOptionalWhitespace(_ text: Substring) -> Substring {
        let isOWS: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = text.firstIndex(where: { !isOWS($0) }), let last = text.lastIndex(where: { !isOWS($0) }) else {
            return text[text.endIndex...]
        }
        return text[first...last]
    }
}
