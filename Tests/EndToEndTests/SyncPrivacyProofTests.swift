import Foundation
import Testing

/// Issue 6's privacy proof: files whose names and contents carry unique markers are synced
/// through a real coffred, then every file of the server's data directory (SQLite database,
/// WAL, blobs, logs) is read and no marker is found in any of its plain byte forms.
@Suite("privacy proof: the server's data holds no name or content (real binaries)")
struct SyncPrivacyProofTests {
    /// The plain byte forms of `marker`: UTF-8 in NFC and NFD, UTF-16LE, base64 and hex
    /// (either case) of the UTF-8.
    static func forms(of marker: String) -> [(String, [UInt8])] {
        let nfc = Array(marker.precomposedStringWithCanonicalMapping.utf8)
        let nfd = Array(marker.decomposedStringWithCanonicalMapping.utf8)
        var forms: [(String, [UInt8])] = [("utf-8 NFC", nfc), ("utf-8 NFD", nfd)]
        forms.append(("utf-16le", marker.utf16.flatMap { [UInt8($0 & 0xff), UInt8($0 >> 8)] }))
        for (label, bytes) in [("NFC", nfc), ("NFD", nfd)] {
            forms.append(("base64 \(label)", Array(Data(bytes).base64EncodedString().dropLast(4).utf8)))
            let hex = bytes.map { String(format: "%02x", $0) }.joined()
            forms.append(("hex \(label)", Array(hex.utf8)))
            forms.append(("HEX \(label)", Array(hex.uppercased().utf8)))
        }
        return forms
    }

    /// Every regular file under `directory`, read whole.
    static func files(under directory: String) throws -> [(String, [UInt8])] {
        guard let walker = FileManager.default.enumerator(atPath: directory) else { return [] }
        var result: [(String, [UInt8])] = []
        while let relative = walker.nextObject() as? String {
            let path = directory + "/" + relative
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue else { continue }
            result.append((relative, Array(try Data(contentsOf: URL(fileURLWithPath: path)))))
        }
        return result
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return false }
        let first = needle[0]
        var index = 0
        while index <= haystack.count - needle.count {
            if haystack[index] == first && haystack[index..<(index + needle.count)].elementsEqual(needle) { return true }
            index += 1
        }
        return false
    }

    @Test func noMarkerReachesTheServer() async throws {
        let f = try SyncCommandFixture()
        try await f.account("alice", device: "laptop")
        try await f.login("alice", device: "phone")
        let tag = UUID().uuidString.prefix(8)
        let markers = [
            "VaultNameMarker\(tag)", "FileNameMarker\(tag)", "FolderNameMarker\(tag)", "ContentMarker\(tag)",
            "Caf\u{E9}NfdMarker\(tag)", "LargeContentMarker\(tag)",
        ]
        #expect(try await f.coffre("laptop", ["vault", "create", markers[0]]).status == 0)
        try f.write("plain \(markers[3]) text", at: "\(markers[1]).txt", in: "a")
        try f.write("in a folder", at: "\(markers[2])/note.txt", in: "a")
        // An NFD spelling in a name and in the content.
        let nfd = markers[4].decomposedStringWithCanonicalMapping
        try f.write("written \(nfd) here", at: "\(nfd).md", in: "a")
        // A file of several chunks, the marker repeated across it.
        try f.write(String(repeating: "\(markers[5]) ", count: 60_000), at: "big.log", in: "a")
        #expect(try await f.syncOnce("laptop", "a", vault: markers[0]).status == 0)
        #expect(try await f.syncOnce("phone", "b", vault: markers[0]).status == 0)
        #expect(try f.tree("b") == f.tree("a"), "the markers did travel, end to end")

        // While coffred runs (WAL included), and after it stopped (checkpointed).
        for moment in ["running", "stopped"] {
            if moment == "stopped" { #expect(await f.setting.server.stop() == 0) }
            let files = try Self.files(under: f.setting.server.dataDirectory)
            // The scan is of something: the encrypted content is there, at least as large as the
            // large file's 1.6 MB.
            #expect(files.reduce(0) { $0 + $1.1.count } > 1_600_000, "\(files.map(\.0))")
            for marker in markers {
                for (form, bytes) in Self.forms(of: marker) {
                    for (path, content) in files where Self.contains(content, bytes) {
                        Issue.record("\(moment): \(marker) (\(form)) found in \(path)")
                    }
                }
            }
        }
    }
}
