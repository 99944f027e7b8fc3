import Synchronization

/// Bytes moved during one pass, counted by concurrent transfers: blob bytes sent and fetched
/// over the wire, and chunk bytes copied from files already on disk instead of fetched.
final class TransferCounters: Sendable {
    private let sent = Atomic<Int64>(0)
    private let fetched = Atomic<Int64>(0)
    private let copied = Atomic<Int64>(0)

    init() {}

    func addSent(_ count: Int) { sent.add(Int64(count), ordering: .relaxed) }
    func addFetched(_ count: Int) { fetched.add(Int64(count), ordering: .relaxed) }
    func addCopied(_ count: Int) { copied.add(Int64(count), ordering: .relaxed) }

    var sentBytes: Int64 { sent.load(ordering: .relaxed) }
    var fetchedBytes: Int64 { fetched.load(ordering: .relaxed) }
    var copiedBytes: Int64 { copied.load(ordering: .relaxed) }
}
