import CoffreCrypto
import Testing

@Suite struct X25519Tests {
    // RFC 7748 §5.2: the two single-step vectors (scalars are clamped, u's top bit is masked).
    @Test(arguments: [
        ("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
         "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
         "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"),
        ("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
         "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
         "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957"),
    ])
    func rfc7748Function(scalar: String, u: String, expected: String) throws {
        let key = try X25519.PrivateKey(rawRepresentation: Hex.decode(scalar))
        let out = try key.sharedSecret(with: X25519.PublicKey(rawRepresentation: Hex.decode(u)))
        #expect(Hex.encode(out) == expected)
    }

    // RFC 7748 §5.2, iterated: k = u = 9, then k, u = X25519(k, u), k (1 and 1,000 iterations).
    @Test func rfc7748Iterated() throws {
        var k = [9] + [UInt8](repeating: 0, count: 31)
        var u = k
        for iteration in 1...1000 {
            let next = try X25519.PrivateKey(rawRepresentation: k).sharedSecret(with: X25519.PublicKey(rawRepresentation: u))
            (k, u) = (Array(next), k)
            if iteration == 1 { #expect(Hex.encode(k) == "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079") }
        }
        #expect(Hex.encode(k) == "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51")
    }

    // RFC 7748 §6.1: Alice and Bob.
    @Test func rfc7748DiffieHellman() throws {
        let alice = try X25519.PrivateKey(rawRepresentation: Hex.decode("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"))
        let bob = try X25519.PrivateKey(rawRepresentation: Hex.decode("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"))
        #expect(Hex.encode(alice.publicKey.rawRepresentation) == "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
        #expect(Hex.encode(bob.publicKey.rawRepresentation) == "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")
        let shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"
        #expect(Hex.encode(try alice.sharedSecret(with: bob.publicKey)) == shared)
        #expect(Hex.encode(try bob.sharedSecret(with: alice.publicKey)) == shared)
    }

    @Test func generatedKeysAgree() throws {
        let a = try X25519.PrivateKey(), b = try X25519.PrivateKey()
        #expect(a.publicKey != b.publicKey)
        #expect(try a.sharedSecret(with: b.publicKey) == b.sharedSecret(with: a.publicKey))
        #expect(try X25519.PrivateKey(rawRepresentation: a.rawRepresentation).publicKey == a.publicKey)
    }

    // Low-order points (0, 1, the order-8 points, and non-canonical encodings of 0 and 1 as
    // u + p) give an all-zero result, which RFC 7748 §6.1 says to reject.
    @Test(arguments: [
        String(repeating: "00", count: 32),
        "01" + String(repeating: "00", count: 31),
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
        "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    ])
    func rejectsLowOrderPoints(point: String) throws {
        let key = try X25519.PrivateKey()
        #expect(throws: CryptoError.lowOrderPoint) { try key.sharedSecret(with: X25519.PublicKey(rawRepresentation: Hex.decode(point))) }
    }

    @Test func rejectsWrongLengths() {
        #expect(throws: CryptoError.invalidLength(what: "X25519 public key", expected: 32, actual: 31)) {
            try X25519.PublicKey(rawRepresentation: [UInt8](repeating: 1, count: 31))
        }
        #expect(throws: CryptoError.self) { try X25519.PrivateKey(rawRepresentation: [UInt8](repeating: 1, count: 33)) }
    }
}
