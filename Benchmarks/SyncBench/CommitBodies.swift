import CoffreProtocol
import Foundation

/// Commit bodies built before the clock starts, so that building a request of 1,000 entries
/// costs the bench little next to what the server does with it. Each commit is a new folder
/// and 999 new files in it, each file with a 285-byte record (a typical small-file record,
/// docs/sync-engine.md) and one blob reference. Written in the binary encoding the client
/// sends (`CommitRequest+Binary`), or with `SYNC_BENCH_WIRE=json` as JSON bytes written
/// straight, without JSONEncoder.
struct CommitBodies {
    static let entriesPerCommit = 1_000
    static let recordBytes = 285

    private var state: UInt64

    init(seed: UInt64) {
        state = seed | 1
    }

    /// The next commit, its files referencing `blobs` in turn.
    mutating func next(blobs: [BlobID], offset: Int) -> CommitRequest {
        let folder = EntryID(bytes: randomBytes(16))!
        var changes = [change(entry: folder, parent: .root, kind: .folder, blob: nil)]
        changes.reserveCapacity(Self.entriesPerCommit)
        for index in 1..<Self.entriesPerCommit {
            changes.append(
                change(entry: EntryID(bytes: randomBytes(16))!, parent: folder, kind: .file, blob: blobs[(offset + index) % blobs.count]))
        }
        return CommitRequest(changes: changes)
    }

    /// The body of `commit` in `wire`, with its Content-Type.
    static func body(_ commit: CommitRequest, wire: BenchEnvironment.Wire) -> (bytes: [UInt8], contentType: String) {
        switch wire {
        case .binary: return (commit.binaryEncoded(), CommitRequest.binaryMediaType)
        case .json: return (json(commit), "application/json")
        }
    }

    private mutating func change(entry: EntryID, parent: EntryID, kind: EntryKind, blob: BlobID?) -> EntryChange {
        EntryChange(
            entryId: entry, baseRev: 0, parentId: parent, kind: kind, nameTag: NameTag(bytes: randomBytes(32))!,
            record: Base64Bytes(randomBytes(Self.recordBytes)), blobs: blob.map { [$0] } ?? [])
    }

    private static func json(_ commit: CommitRequest) -> [UInt8] {
        var json = Array(#"{"changes":["#.utf8)
        json.reserveCapacity(commit.changes.count * 560)
        for (index, change) in commit.changes.enumerated() {
            if index > 0 { json.append(UInt8(ascii: ",")) }
            json += Array(#"{"entryId":"\#(change.entryId.hex)","baseRev":\#(change.baseRev),"parentId":"\#(change.parentId.hex)""#.utf8)
            json += Array(#","kind":"\#(change.kind.rawValue)","nameTag":"\#(Data(change.nameTag.bytes).base64EncodedString())""#.utf8)
            json += Array(#","deleted":\#(change.deleted),"record":"\#(change.record.base64)","blobs":["#.utf8)
            json += Array(change.blobs.map { #""\#($0.hex)""# }.joined(separator: ",").utf8)
            json += Array("]}".utf8)
        }
        json += Array("]}".utf8)
        return json
    }

    private mutating func randomBytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in
            state ^= state >> 12
            state ^= state << 25
            state ^= state >> 27
            return UInt8(truncatingIfNeeded: (state &* 2_685_821_657_736_338_717) >> 56)
        }
    }
}
