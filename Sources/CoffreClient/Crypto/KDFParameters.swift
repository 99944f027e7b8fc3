import CoffreCrypto

/// The account's password-hashing parameters, stored with the account on the server and fetched
/// before login (docs/format.md, "Account keys"). Untrusted until checked against a `KDFPolicy`.
public struct KDFParameters: Sendable, Hashable {
    /// Salt length in bytes.
    public static let saltByteCount = 16

    /// scrypt cost (N, r, p).
    public var cost: Scrypt.Parameters
    /// 16 random bytes chosen when the account (or its password) is created.
    public var salt: [UInt8]

    /// Parameters as given; `KDFPolicy.check` validates them.
    public init(cost: Scrypt.Parameters, salt: [UInt8]) {
        self.cost = cost
        self.salt = salt
    }

    /// The production default, N = 2^17, r = 8, p = 1 (128 MiB), with a fresh random salt.
    public static func standard() throws(CryptoFormatError) -> KDFParameters {
        KDFParameters(cost: KDFPolicy.standard.minimum, salt: try randomSalt())
    }

    /// TESTS ONLY: N = 2^10, r = 8, p = 1 (1 MiB, ~1 ms), accepted only under `KDFPolicy.testingOnly`.
    public static func testingOnly(salt: [UInt8]) -> KDFParameters {
        KDFParameters(cost: KDFPolicy.testingOnly.minimum, salt: salt)
    }

    static func randomSalt() throws(CryptoFormatError) -> [UInt8] {
        try CryptoFormatError.wrapping("salt") { () throws(CryptoError) in try SecureRandom.bytes(count: saltByteCount) }
    }
}

/// The client's own floor and ceiling for KDF parameters. A server that hands out weaker
/// parameters (to make an offline guess of the password cheap) is refused; so is one that
/// asks for more memory than the client will spend.
public struct KDFPolicy: Sendable {
    /// Lowest accepted cost, each of N, r and p checked on its own.
    public let minimum: Scrypt.Parameters

    /// The policy of every real client: N ≥ 2^17, r ≥ 8, p ≥ 1, at most 1 GiB.
    public static let standard = KDFPolicy(minimum: Scrypt.Parameters(n: 1 << 17, r: 8, p: 1))

    /// TESTS ONLY: N ≥ 2^10, r ≥ 8, p ≥ 1. Never use outside tests: it makes offline password
    /// guessing about 128 times cheaper than `standard`.
    public static let testingOnly = KDFPolicy(minimum: Scrypt.Parameters(n: 1 << 10, r: 8, p: 1))

    /// Most parallelism accepted (each unit costs a full pass).
    public static let maximumP: UInt32 = 16

    /// Refuses parameters below the minimum, above the memory ceiling, or with a salt of the
    /// wrong length.
    public func check(_ parameters: KDFParameters) throws(CryptoFormatError) {
        let cost = parameters.cost
        guard parameters.salt.count == KDFParameters.saltByteCount else {
            throw .kdfParametersRefused("salt must be \(KDFParameters.saltByteCount) bytes")
        }
        guard cost.n >= minimum.n, cost.r >= minimum.r, cost.p >= minimum.p else {
            throw .kdfParametersRefused("\(cost) is below the client minimum \(minimum)")
        }
        guard cost.p <= Self.maximumP else { throw .kdfParametersRefused("p above \(Self.maximumP)") }
        do {
            try cost.validate()
        } catch {
            throw .kdfParametersRefused("\(cost): \(error)")
        }
    }
}
