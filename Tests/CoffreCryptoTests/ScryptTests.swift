import CoffreCrypto
import Testing

@Suite struct ScryptTests {
    // RFC 7914 §12, the three cheaper vectors (the N=1048576 one needs 1 GiB and seconds).
    @Test(arguments: [
        ("", "", UInt64(16), UInt32(1), UInt32(1),
         "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906"),
        ("password", "NaCl", 1024, 8, 16,
         "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640"),
        ("pleaseletmein", "SodiumChloride", 16384, 8, 1,
         "7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2d5432955613f0fcf62d49705242a9af9e61e85dc0d651e40dfcf017b45575887"),
    ])
    func rfc7914(password: String, salt: String, n: UInt64, r: UInt32, p: UInt32, expected: String) throws {
        let key = try Scrypt.deriveKey(
            password: Array(password.utf8), salt: Array(salt.utf8), parameters: .init(n: n, r: r, p: p), outputByteCount: 64)
        #expect(Hex.encode(key) == expected)
    }

    @Test(arguments: [
        Scrypt.Parameters(n: 0, r: 8, p: 1), Scrypt.Parameters(n: 1, r: 8, p: 1), Scrypt.Parameters(n: 1000, r: 8, p: 1),
        Scrypt.Parameters(n: 1024, r: 0, p: 1), Scrypt.Parameters(n: 1024, r: 8, p: 0),
        Scrypt.Parameters(n: 1 << 21, r: 8, p: 1), Scrypt.Parameters(n: 1 << 62, r: 8, p: 1),
        Scrypt.Parameters(n: 1 << 20, r: 1, p: 1), Scrypt.Parameters(n: 16, r: 1 << 20, p: 1 << 12),
    ])
    func rejectsInvalidOrExcessiveParameters(parameters: Scrypt.Parameters) {
        #expect(throws: CryptoError.self) {
            try Scrypt.deriveKey(password: [1], salt: [2], parameters: parameters, outputByteCount: 32)
        }
    }

    @Test func defaultAccountCostFitsTheMemoryLimit() throws {
        let parameters = Scrypt.Parameters(n: 1 << 17, r: 8, p: 1)
        try parameters.validate()
        #expect(parameters.memoryByteCount > 128 << 20)
        try Scrypt.Parameters(n: 1 << 20, r: 8, p: 1).validate()
    }

    @Test func rejectsOutputLength() {
        #expect(throws: CryptoError.self) {
            try Scrypt.deriveKey(password: [1], salt: [2], parameters: .init(n: 16, r: 1, p: 1), outputByteCount: 0)
        }
    }
}
