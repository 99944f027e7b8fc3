import CoffreCrypto
import CoffreProtocol

/// What one device keeps about its account, in `$COFFRE_HOME/account.json` (mode 0600).
///
/// Only what is needed to act as this device: the server and how it is trusted, the user and
/// device ids, the device's bearer token, the KDF parameters and the account's public keys
/// and *wrapped* private keys. Never the password, the master key, `kek` or an unwrapped key:
/// opening the private keys needs the password again.
public struct AccountState: Codable, Sendable, Equatable {
    /// Layout version of this file.
    public static let currentVersion = 1

    /// Layout version (1).
    public var version: Int
    /// `scheme://host:port` of the server.
    public var server: String
    /// SHA-256 of the server's certificate, pinned on first use (hex); nil for http:// or
    /// when `caFile` is used.
    public var pinnedCertificateSHA256: String?
    /// A CA file (absolute path) the server's certificate must chain to, instead of a pin.
    public var caFile: String?
    /// The user name.
    public var userName: String
    /// The server's id of the user.
    public var userID: Int64
    /// This device's id.
    public var deviceID: Int64
    /// This device's name.
    public var deviceName: String
    /// The device's bearer token (`cft_…`).
    public var token: String
    /// The account's KDF parameters and salt, as last seen.
    public var kdf: ScryptParameters
    /// Public keys and wrapped private keys.
    public var keys: AccountKeyMaterial

    /// The state of a freshly logged-in device.
    public init(
        server: ServerURL, pinnedCertificateSHA256: [UInt8]?, caFile: String?, login: LoginResponse, kdf: ScryptParameters
    ) {
        self.version = Self.currentVersion
        self.server = server.description
        self.pinnedCertificateSHA256 = pinnedCertificateSHA256.map(Hex.encode)
        self.caFile = caFile
        self.userName = login.user.name
        self.userID = login.user.id
        self.deviceID = login.device.id
        self.deviceName = login.device.name
        self.token = login.token
        self.kdf = kdf
        self.keys = login.keys
    }

    /// The parsed server URL.
    public var serverURL: ServerURL {
        get throws(APIClientError) { try ServerURL(parsing: server) }
    }

    /// The pin as bytes.
    public var pin: [UInt8]? { pinnedCertificateSHA256.flatMap(Hex.decode) }

    /// Why this state cannot be used, or nil when every field is well-formed. The file is
    /// read from disk, so each field is checked before it reaches a request or a header.
    public func problem() -> String? {
        guard version == Self.currentVersion else { return "layout version \(version) is not supported (expected \(Self.currentVersion))" }
        do { _ = try serverURL } catch { return "server: \(error)" }
        if let pin = pinnedCertificateSHA256, Hex.decode(pin)?.count != 32 { return "pinnedCertificateSHA256 is not 32 bytes of hex" }
        if let caFile, !caFile.hasPrefix("/") || caFile.utf8.count > 4096 { return "caFile must be an absolute path" }
        if let reason = UserName.problem(with: userName) { return "userName: \(reason)" }
        guard userID > 0, deviceID > 0 else { return "userID and deviceID must be positive" }
        guard !deviceName.isEmpty, deviceName.utf8.count <= LoginRequest.maximumDeviceNameBytes else { return "deviceName is empty or too long" }
        guard Self.isWellFormedToken(token) else { return "token is not a device token" }
        guard kdf.salt.count == ScryptParameters.saltByteCount else { return "kdf.salt must be 16 bytes" }
        guard keys.x25519PublicKey.count == 32, keys.ed25519PublicKey.count == 32 else { return "public keys must be 32 bytes" }
        let wrappedRange = 1...AccountKeyMaterial.maximumWrappedKeyByteCount
        guard wrappedRange.contains(keys.wrappedX25519PrivateKey.count), wrappedRange.contains(keys.wrappedEd25519PrivateKey.count) else {
            return "wrapped private keys have an impossible length"
        }
        return nil
    }

    /// `cft_` and base64url text: nothing that could break the `Authorization` header.
    static func isWellFormedToken(_ token: String) -> Bool {
        token.hasPrefix("cft_") && (5...128).contains(token.utf8.count)
            && token.utf8.dropFirst(4).allSatisfy { byte in
                (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
            }
    }
}

/// Lowercase hex for fingerprints in files.
enum Hex {
    static func encode(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] })
    }

    /// The bytes of even-length hex text (either case, `:` separators allowed); nil otherwise.
    static func decode(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8.filter { $0 != UInt8(ascii: ":") })
        guard digits.count % 2 == 0, digits.count <= 256 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let high = value(of: digits[index]), let low = value(of: digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }

    private static func value(of digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
