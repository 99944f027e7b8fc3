import CoffreProtocol
import Foundation
import Testing

/// The sync wire types: id and tag text forms, strict decoding of hostile JSON, round trips.
@Suite struct OpaqueIdentifierTests {
    @Test func idsRoundTripThroughBytesAndHex() throws {
        let bytes: [UInt8] = Array(0..<16)
        let id = try #require(EntryID(bytes: bytes))
        #expect(id.bytes == bytes)
        #expect(id.hex == "000102030405060708090a0b0c0d0e0f")
        #expect(EntryID(hex: id.hex) == id)
        #expect(EntryID(id.description) == id)
        #expect(EntryID.root.isRoot)
        #expect(!id.isRoot)
        #expect(EntryID(bytes: bytes.dropLast()) == nil)
        #expect(EntryID(bytes: bytes + [0]) == nil)
        bytes.withUnsafeBytes { buffer in
            #expect(EntryID(bytes: buffer) == id)
            #expect(EntryID(bytes: UnsafeRawBufferPointer(rebasing: buffer.dropLast())) == nil)
        }
        #expect(EntryID(bytes: UnsafeRawBufferPointer(start: nil, count: 0)) == nil)
        #expect(EntryID(high: 1, low: 0) > EntryID(high: 0, low: .max))
    }

    @Test(arguments: [
        "", "000102030405060708090a0b0c0d0e0", "000102030405060708090a0b0c0d0e0f0", "000102030405060708090A0B0C0D0E0F",
        "0x0102030405060708090a0b0c0d0e0f", " 00102030405060708090a0b0c0d0e0f", "000102030405060708090a0b0c0d0e0g",
        "0001020304050607é8090a0b0c0d0e0f", String(repeating: "0", count: 1_000_000),
    ])
    func malformedHexIsRefused(_ text: String) {
        #expect(VaultID(hex: text) == nil)
    }

    @Test func nameTagsAndBytesDecodeOnlyTheirCanonicalForm() throws {
        let decoder = JSONDecoder()
        let tag = try #require(NameTag(bytes: [UInt8](repeating: 0xab, count: 32)))
        let encoded = try JSONEncoder().encode(tag)
        #expect(try decoder.decode(NameTag.self, from: encoded) == tag)
        for hostile in ["\"q6ur\"", "\"not base64!\"", "17", "null", "\"\(String(repeating: "A", count: 44))\""] {
            #expect(throws: DecodingError.self, "\(hostile)") {
                try decoder.decode(NameTag.self, from: Data(hostile.utf8))
            }
        }
        #expect(NameTag(bytes: [UInt8](repeating: 0, count: 31)) == nil)
    }

    @Test func aCommitRequestRoundTripsAndHostileFieldsFailToDecode() throws {
        let tag = try #require(NameTag(bytes: [UInt8](repeating: 1, count: 32)))
        let blob = try #require(BlobID(bytes: [UInt8](repeating: 2, count: 32)))
        let request = CommitRequest(
            commitId: CommitID(high: 5, low: 6),
            changes: [
                EntryChange(
                    entryId: EntryID(high: 7, low: 8), baseRev: 3, parentId: .root, kind: .symlink, nameTag: tag,
                    deleted: true,
                    record: Base64Bytes([1, 2, 3]), blobs: [blob])
            ])
        let json = try JSONEncoder().encode(request)
        #expect(try JSONDecoder().decode(CommitRequest.self, from: json) == request)
        let text = String(decoding: json, as: UTF8.self)
        #expect(text.contains("\"00000000000000050000000000000006\""))
        #expect(text.contains("\"symlink\""))
        for (original, replacement) in [
            ("\"symlink\"", "\"device\""), ("\"00000000000000050000000000000006\"", "\"5\""),
            ("\"AQID\"", "\"AQID\\n\""),
            ("\"AQID\"", "[1,2,3]"),
        ] {
            let hostile = Data(text.replacingOccurrences(of: original, with: replacement).utf8)
            #expect(throws: DecodingError.self, "\(replacement)") {
                try JSONDecoder().decode(CommitRequest.self, from: hostile)
            }
        }
    }

    @Test func kindsAndRolesKeepTheirCodesAndOrder() {
        #expect(EntryKind.allCases.map(\.code) == [1, 2, 3])
        #expect(EntryKind.allCases.allSatisfy { EntryKind(code: $0.code) == $0 })
        #expect(EntryKind(code: 0) == nil)
        #expect(EntryKind(code: 4) == nil)
        #expect(VaultRole.owner.includes(.write) && VaultRole.write.includes(.read))
        #expect(!VaultRole.read.includes(.write) && !VaultRole.write.includes(.owner))
    }
}
