import CoffreProtocol
import Foundation

/// Commit bodies written straight as JSON bytes, so that building a request of 1,000 entries
/// costs the bench little next to what the server does with it. Each commit is a new folder
/// and 999 new files in it, each file with a 285-byte record (a typical small-file record,
/// docs/sync-engine.md) and one blob reference.
struct CommitBodies {
    static let entriesPerCommit = 1_000
    static let recordBytes = 285

    private var state: UInt64

    init(seed: UInt64) {
        state = seed | 1
    }

    /// The body of the next commit, its files referencing `blobs` in turn.
    mutating func next(blobs: [BlobID], offset: Int) -> [UInt8] {
        let folder = randomBytes(16)
        var json = Array(#"{"changes":["#.utf8)
        json.reserveCapacity(Self.entriesPerCommit * 560)
        append(entry: folder, parent: [UInt8](repeating: 0, count: 16), kind: "folder", blob: nil, to: &json)
        for index in 1..<Self.entriesPerCommit {
            json.append(UInt8(ascii: ","))
            append(entry: randomBytes(16), parent: folder, kind: "file", blob: blobs[(offset + index) % blobs.count], to: &json)
        }
        json += Array("]}".utf8)
        return json
    }

    private mutating func append(entry: [UInt8], parent: [UInt8], kind: String, blob: BlobID?, to json: inout [UInt8]) {
        json += Array(#"{"entryId":""#.utf8) + Self.hex(entry)
        json += Array(#"","baseRev":0,"parentId":""#.utf8) + Self.hex(parent)
        json += Array(#"","kind":"\#(kind)","nameTag":""#.utf8) + Array(Data(randomBytes(32)).base64EncodedString().utf8)
        json += Array(#"","deleted":false,"record":""#.utf8) + Array(Data(randomBytes(Self.recordBytes)).base64EncodedString().utf8)
        json += Array(#"","blobs":["#.utf8)
        if let blob { json += Array(#""\#(blob.hex)""#.utf8) }
        json += Array("]}".utf8)
    }

    private mutating func randomBytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in
            state ^= state >> 12
            state ^= state << 25
            state ^= state >> 27
            return UInt8(truncatingIfNeeded: (state &* 2_685_821_657_736_338_717) >> 56)
        }
    }

    private static func hex(_ bytes: [UInt8]) -> [UInt8] {
        let digits = Array("0123456789abcdef".utf8)
        return bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] }
    }
}
