@testable import CoffreClient
import CoffreCrypto
import Testing

@Suite struct AccountKeysTests {
    static let salt = [UInt8](repeating: 0x5a, count: 16)

    static func parameters(n: UInt64, r: UInt32 = 8, p: UInt32 = 1, salt: [UInt8] = salt) -> KDFParameters {
        KDFParameters(cost: .init(n: n, r: r, p: p), salt: salt)
    }

    // What a lying server might hand out before login: each is refused before any derivation.
    @Test(arguments: [
        parameters(n: 1 << 16), parameters(n: 1 << 17, r: 4), parameters(n: 1 << 17, p: 0),
        parameters(n: 1 << 10), parameters(n: (1 << 17) + 1), parameters(n: 1 << 21), parameters(n: 1 << 17, p: 17),
        parameters(n: 1 << 17, salt: [1, 2, 3]), parameters(n: 1 << 17, salt: []),
    ])
    func standardPolicyRefusesDowngradesAndAbuse(parameters: KDFParameters) {
        #expect(throws: CryptoFormatError.self) { try AccountKeys.derive(password: "pw", parameters: parameters) }
    }

    @Test func standardPolicyAcceptsTheDefaults() throws {
        let defaults = try KDFParameters.standard()
        try KDFPolicy.standard.check(defaults)
        #expect(defaults.cost == Scrypt.Parameters(n: 1 << 17, r: 8, p: 1))
        #expect(defaults.salt.count == 16)
        try KDFPolicy.standard.check(Self.parameters(n: 1 << 18, r: 8, p: 2))
        #expect(throws: CryptoFormatError.self) { try KDFPolicy.standard.check(.testingOnly(salt: Self.salt)) }
    }

    @Test func passwordIsNormalizedAndSeparatesKeys() throws {
        let parameters = KDFParameters.testingOnly(salt: Self.salt)
        let composed = try AccountKeys.derive(password: "caf\u{e9}", parameters: parameters, policy: .testingOnly)
        let decomposed = try AccountKeys.derive(password: "cafe\u{301}", parameters: parameters, policy: .testingOnly)
        let other = try AccountKeys.derive(password: "cafe", parameters: parameters, policy: .testingOnly)
        #expect(composed.authKey == decomposed.authKey && composed.keyEncryptionKey == decomposed.keyEncryptionKey)
        #expect(composed.authKey != other.authKey)
        #expect(composed.authKey != composed.keyEncryptionKey)
        let otherSalt = try AccountKeys.derive(password: "caf\u{e9}", parameters: .testingOnly(salt: [UInt8](repeating: 1, count: 16)), policy: .testingOnly)
        #expect(otherSalt.authKey != composed.authKey)
    }

    @Test func privateKeysWrapAndUnwrap() throws {
        let keys = try AccountKeys.derive(password: "pw", parameters: .testingOnly(salt: Self.salt), policy: .testingOnly)
        let agreement = try X25519.PrivateKey(), signing = try Ed25519.PrivateKey()
        let wrappedAgreement = try keys.wrap(agreement), wrappedSigning = try keys.wrap(signing)
        #expect(wrappedAgreement.count == 61 && wrappedSigning.count == 61)
        #expect(try keys.unwrapAgreementKey(wrappedAgreement).publicKey == agreement.publicKey)
        #expect(try keys.unwrapSigningKey(wrappedSigning).publicKey == signing.publicKey)
        #expect(try keys.wrap(agreement) != wrappedAgreement)  // random nonce
        // The label names what is wrapped: no type confusion.
        #expect(throws: CryptoFormatError.authenticationFailed(structure: "wrapped private key")) { try keys.unwrapSigningKey(wrappedAgreement) }
        #expect(throws: CryptoFormatError.authenticationFailed(structure: "wrapped private key")) { try keys.unwrapAgreementKey(wrappedSigning) }
        let wrongPassword = try AccountKeys.derive(password: "pW", parameters: .testingOnly(salt: Self.salt), policy: .testingOnly)
        #expect(throws: CryptoFormatError.authenticationFailed(structure: "wrapped private key")) { try wrongPassword.unwrapAgreementKey(wrappedAgreement) }
        for index in wrappedAgreement.indices {
            var tampered = wrappedAgreement
            tampered[index] ^= 0x10
            #expect(throws: CryptoFormatError.self) { try keys.unwrapAgreementKey(tampered) }
        }
        #expect(throws: CryptoFormatError.malformed(structure: "wrapped private key", reason: "must be 61 bytes, got 60")) {
            try keys.unwrapAgreementKey(Array(wrappedAgreement.dropLast()))
        }
        var version = wrappedAgreement
        version[0] = 2
        #expect(throws: CryptoFormatError.unsupportedVersion(structure: "wrapped private key", version: 2)) { try keys.unwrapAgreementKey(version) }
    }
}
