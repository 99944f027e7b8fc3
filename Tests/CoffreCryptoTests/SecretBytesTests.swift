import CoffreCrypto
import Testing

@Suite struct SecretBytesTests {
    struct Failure: Error {}

    @Test func copyingRandomAndEquality() throws {
        let a = SecretBytes(copying: [1, 2, 3])
        #expect(Array(a) == [1, 2, 3])
        #expect(a == SecretBytes(copying: [1, 2, 3]))
        #expect(a != SecretBytes(copying: [1, 2, 4]))
        #expect(a != SecretBytes(copying: [1, 2]))
        #expect(SecretBytes(copying: []) == SecretBytes(copying: []))
        let r1 = try SecretBytes(randomCount: 32), r2 = try SecretBytes(randomCount: 32)
        #expect(r1.count == 32 && r1 != r2)
        #expect(a.description == "SecretBytes(3 bytes)")
    }

    @Test func initializerErrorPropagates() {
        #expect(throws: Failure.self) {
            try SecretBytes(count: 8) { (out: UnsafeMutableRawBufferPointer) throws(Failure) -> Void in
                out[0] = 1
                throw Failure()
            }
        }
    }

    @Test func contiguousStorageIsTheSecretItself() throws {
        let secret = SecretBytes(copying: [9, 8, 7])
        let viaCollection = secret.withContiguousStorageIfAvailable { UnsafeRawPointer($0.baseAddress!) }
        let viaBytes = secret.withUnsafeBytes { UnsafeRawPointer($0.baseAddress!) }
        #expect(viaCollection == viaBytes)
    }

    @Test func constantTimeEquals() {
        #expect(ConstantTime.equals([UInt8](), [UInt8]()))
        #expect(ConstantTime.equals([1, 2, 3], [1, 2, 3]))
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2, 4]))
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2]))
        #expect(!ConstantTime.equals([UInt8](), [0]))
        #expect(ConstantTime.equals([1, 2, 3, 4][1...], [2, 3, 4]))
    }

    @Test func secureRandom() throws {
        #expect(try SecureRandom.bytes(count: 0).isEmpty)
        let a = try SecureRandom.bytes(count: 64), b = try SecureRandom.bytes(count: 64)
        #expect(a.count == 64 && a != b)
    }
}
