import Foundation
import Testing
@testable import CoffreClient

@Suite struct ConflictNamerTests {
    static let date = Date(timeIntervalSince1970: 1_718_454_005)  // 2024-06-15 12:20:05 UTC
    static let namer = ConflictNamer(deviceName: "laptop", timeZone: TimeZone(identifier: "UTC")!)

    static func name(_ original: String, namer: ConflictNamer = namer, taken: Set<String> = []) throws -> String {
        try namer.name(for: original, at: date) { taken.contains($0) }
    }

    @Test(arguments: [
        ("report.pdf", "report (conflict laptop 2024-06-15 122005).pdf"),
        ("archive.tar.gz", "archive.tar (conflict laptop 2024-06-15 122005).gz"),
        ("Makefile", "Makefile (conflict laptop 2024-06-15 122005)"),
        (".bashrc", ".bashrc (conflict laptop 2024-06-15 122005)"),
        (".config.json", ".config (conflict laptop 2024-06-15 122005).json"),
        ("trailing.", "trailing. (conflict laptop 2024-06-15 122005)"),
        ("...", "... (conflict laptop 2024-06-15 122005)"),
        ("Cafe\u{301}.txt", "Cafe\u{301} (conflict laptop 2024-06-15 122005).txt"),
    ])
    func namesEveryShapeOfName(original: String, expected: String) throws {
        #expect(try Self.name(original) == expected)
    }

    @Test func countsUpWhileTheNameIsTaken() throws {
        let first = "a (conflict laptop 2024-06-15 122005).txt"
        let second = "a (conflict laptop 2024-06-15 122005 2).txt"
        #expect(try Self.name("a.txt", taken: [first]) == second)
        #expect(try Self.name("a.txt", taken: [first, second]) == "a (conflict laptop 2024-06-15 122005 3).txt")
        #expect(throws: LocalFSError.conflictNamesExhausted) { try Self.namer.name(for: "a.txt", at: Self.date) { _ in true } }
    }

    @Test func usesTheGivenTimeZone() throws {
        let paris = ConflictNamer(deviceName: "laptop", timeZone: TimeZone(identifier: "Europe/Paris")!)
        #expect(try Self.name("a.txt", namer: paris) == "a (conflict laptop 2024-06-15 142005).txt")
    }

    @Test func sanitizesDeviceNames() {
        #expect(ConflictNamer(deviceName: "Bob's/Mac: \"Pro\" <2>").device == "Bob's_Mac_ _Pro_ _2_")
        #expect(ConflictNamer(deviceName: "  ..tab\tand\nnewline..  ").device == "tab and newline")
        #expect(ConflictNamer(deviceName: "a\u{0}b\u{7F}c\u{202E}d").device == "a_b_c_d")
        #expect(ConflictNamer(deviceName: " ... ").device == "device")
        #expect(ConflictNamer(deviceName: String(repeating: "é", count: 100)).device.utf8.count <= ConflictNamer.maximumDeviceByteCount)
    }

    @Test func keepsNamesWithin255BytesCuttingTheStemOnCharacterBoundaries() throws {
        let stem = String(repeating: "日", count: 100)  // 300 bytes
        let result = try Self.name(stem + ".txt")
        #expect(result.utf8.count <= 255)
        #expect(result.hasSuffix(" (conflict laptop 2024-06-15 122005).txt"))
        #expect(result.hasPrefix("日日"))
        #expect(String(validating: Array(result.utf8), as: UTF8.self) != nil)
        // Combining marks stay with their base letter.
        let accented = String(repeating: "e\u{301}", count: 200)
        let cut = try Self.name(accented)
        #expect(cut.utf8.count <= 255)
        let cutStem = try #require(cut.components(separatedBy: " (conflict").first)
        #expect(cutStem.unicodeScalars.last == "\u{301}")
        #expect(cutStem.unicodeScalars.count % 2 == 0)
        // An extension too long to leave room for the stem is shortened with it.
        let longExtension = "a." + String(repeating: "x", count: 240)
        let folded = try Self.name(longExtension)
        #expect(folded.utf8.count <= 255)
        #expect(folded.hasSuffix(" (conflict laptop 2024-06-15 122005)"))
    }
}
