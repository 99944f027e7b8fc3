import CoffreProtocol
import Foundation
import Testing

@Suite struct OpaqueIdentifierTests {
    static let sample = "00112233445566778899aabbccddeeff"

    @Test func parsesAndFormatsEveryDigit() throws {
        let id = try #require(EntryID(hex: Self.sample))
        #expect(id.high == 0x0011_2233_4455_6677)
        #expect(id.low == 0x8899_aabb_ccdd_eeff)
        #expect(id.hex == Self.sample)
        #expect(id.description == Self.sample)
        #expect(id.bytes == [0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff])
        #expect(EntryID(bytes: id.bytes) == id)
        #expect(EntryID(Self.sample) == id)
    }

    @Test func everyStringShapeParsesTheSame() throws {
        let id = try #require(VaultID(hex: Self.sample))
        let padded = "/" + Self.sample + "/"
        let substring = padded.dropFirst().dropLast()
        #expect(VaultID(hex: substring) == id)
        #expect(Array(Self.sample.utf8).withUnsafeBytes { VaultID(hexUTF8: $0) } == id)
        // A bridged or non-contiguous form goes through the copying path.
        #expect(VaultID(hex: NSString(string: Self.sample) as String) == id)
        #expect(VaultID(bytes: id.bytes[...]) == id)
        #expect(VaultID(bytes: AnyCollection(id.bytes)) == id)
    }

    @Test func roundTripsRandomIds() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<1_000 {
            let id = CommitID(high: generator.next(), low: generator.next())
            #expect(CommitID(hex: id.hex) == id)
            #expect(CommitID(bytes: id.bytes) == id)
            #expect(id.hex.utf8.allSatisfy { Array("0123456789abcdef".utf8).contains($0) })
        }
    }

    static let nonCanonical: [String] = {
        let id = sample
        return [
            "", String(id.dropLast()), id + "0", id.uppercased(), "A" + id.dropFirst(), "g" + id.dropFirst(),
            " " + id.dropFirst(), String(id.dropLast()) + "\n", "0x" + id.dropFirst(2), "-" + id.dropFirst(),
            String(id.dropLast()) + "\u{0}", String(id.dropLast()) + "/",
            String(repeating: "é", count: 16), String(repeating: "0", count: 4096),
            // Bytes just outside the digit ranges.
            "/" + id.dropFirst(), ":" + id.dropFirst(), "`" + id.dropFirst(), String(id.dropLast()) + "g",
        ]
    }()

    @Test(arguments: nonCanonical)
    func rejectsNonCanonicalText(_ text: String) {
        #expect(EntryID(hex: text) == nil)
        #expect(EntryID(text) == nil)
        #expect(EntryID(hex: Substring(text)) == nil)
        #expect(Array(text.utf8).withUnsafeBytes { EntryID(hexUTF8: $0) } == nil)
    }

    @Test func rejectsWrongByteCounts() {
        #expect(EntryID(bytes: [UInt8](repeating: 1, count: 15)) == nil)
        #expect(EntryID(bytes: [UInt8](repeating: 1, count: 17)) == nil)
        #expect(EntryID(bytes: [UInt8]()) == nil)
    }

    @Test func jsonDecodingIsStrictAndNeverEchoesTheInput() throws {
        let id = try #require(EntryID(hex: Self.sample))
        let encoded = try JSONEncoder().encode([id])
        #expect(String(decoding: encoded, as: UTF8.self) == "[\"\(Self.sample)\"]")
        #expect(try JSONDecoder().decode([EntryID].self, from: encoded) == [id])
        let hostile = "[\"\(Self.sample.uppercased())\"]"
        do {
            _ = try JSONDecoder().decode([EntryID].self, from: Data(hostile.utf8))
            Issue.record("uppercase decoded")
        } catch let DecodingError.dataCorrupted(context) {
            #expect(context.debugDescription == "a entry id is 32 lowercase hexadecimal characters")
            #expect(!context.debugDescription.contains(Self.sample.uppercased()))
        }
    }

    @Test func hexTextRefusesABufferOfTheWrongSize() {
        var words: [UInt64] = [0, 0]
        let text = Array(String(repeating: "a", count: 31).utf8)
        let parsed = text.withUnsafeBytes { raw in words.withUnsafeMutableBufferPointer { HexText.parse(raw, into: $0) } }
        #expect(!parsed)
    }
}
