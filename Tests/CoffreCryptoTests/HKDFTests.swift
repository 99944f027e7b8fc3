import CoffreCrypto
import Testing

@Suite struct HKDFTests {
    // RFC 5869 Appendix A, test cases 1–3 (SHA-256).
    @Test(arguments: [
        ("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "000102030405060708090a0b0c", "f0f1f2f3f4f5f6f7f8f9", 42,
         "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"),
        (Hex.encode(0x00...0x4f), Hex.encode(0x60...0xaf), Hex.encode(0xb0...0xff), 82,
         "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87"),
        ("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "", "", 42,
         "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"),
    ])
    func rfc5869(ikm: String, salt: String, info: String, length: Int, okm: String) throws {
        let out = try HKDF.deriveKey(
            inputKeyMaterial: Hex.decode(ikm), salt: Hex.decode(salt), info: Hex.decode(info), outputByteCount: length)
        #expect(Hex.encode(out) == okm)
    }

    @Test func labelsSeparateKeys() throws {
        let ikm = [UInt8](repeating: 7, count: 32)
        let a = try HKDF.deriveKey(inputKeyMaterial: ikm, label: "coffre/v1/auth")
        let b = try HKDF.deriveKey(inputKeyMaterial: ikm, label: "coffre/v1/kek")
        #expect(a.count == 32 && b.count == 32)
        #expect(a != b)
        #expect(a == (try HKDF.deriveKey(inputKeyMaterial: ikm, label: "coffre/v1/auth")))
    }

    @Test func rejectsOutputLengthsRFC5869Forbids() {
        #expect(throws: CryptoError.self) {
            try HKDF.deriveKey(inputKeyMaterial: [1, 2, 3], label: "x", outputByteCount: 255 * 32 + 1)
        }
        #expect(throws: CryptoError.self) { try HKDF.deriveKey(inputKeyMaterial: [1, 2, 3], label: "x", outputByteCount: 0) }
    }
}
