/// The arrays that hold copies of sealed blobs while they wait for their upload, taken back
/// once a group is uploaded and refilled with the next blobs.
///
/// `FileSealer` reuses its buffers, so a sink that uploads behind it copies every blob out
/// (`SealedBlob.copyBytes`). A fresh array per blob cost an allocation of up to 4 MiB, its page
/// faults and its unmapping for every chunk: in a 256 MiB PUT through the gateway the copy out
/// took about 9 % of the CPU, more than half of it in those rather than in the memmove
/// (docs/performance.md, "WebDAV gateway").
/// Arrays given back here are refilled in place when nothing else still refers to them;
/// otherwise the copy allocates, as before.
///
/// Bounded: the spare arrays' capacities total at most `spareByteLimit` (what the next group
/// needs); beyond it the smallest spares are let go, so the pool keeps the arrays most blobs
/// fit in. Keeping the first arrays that came back instead left it holding small arrays that
/// no later blob fitted while it let the large ones go, so about two fifths of a 1 GiB
/// upload's bytes were copied into fresh arrays (a replay of modelled chunk sizes), and each
/// fresh page cost a page fault and its zeroing: the largest part of the client's page
/// faults (docs/performance.md, "Sync client").
/// A caller that bounds its groups by bytes counts the arrays' capacities
/// (`BlobPayload.bytes.capacity`), since a reused array may be larger than its blob. Not
/// thread-safe: owned by one sink.
struct BlobCopyPool {
    /// Total capacity of the spare arrays kept, at most.
    let spareByteLimit: Int
    private var spare: [[UInt8]] = []
    private var spareBytes = 0

    /// A pool keeping at most `spareByteLimit` bytes of spare arrays.
    init(spareByteLimit: Int) {
        self.spareByteLimit = spareByteLimit
    }

    /// Arrays waiting to be refilled.
    var spareCount: Int { spare.count }

    /// A copy of `blob`, in the smallest spare array that holds it whole (no regrowth), or a
    /// new one.
    mutating func copy(_ blob: borrowing SealedBlob) -> [UInt8] {
        var best: Int?
        for (index, candidate) in spare.enumerated() where candidate.capacity >= blob.byteCount {
            if let chosen = best, spare[chosen].capacity <= candidate.capacity { continue }
            best = index
        }
        guard let best else { return blob.copyBytes() }
        var storage = spare.remove(at: best)
        spareBytes -= storage.capacity
        blob.copyBytes(into: &storage)
        return storage
    }

    /// Takes back the arrays of an uploaded group; when the spares then exceed
    /// `spareByteLimit`, the smallest go first.
    mutating func recycle(_ payloads: [BlobPayload]) {
        for bytes in payloads.lazy.map(\.bytes) where bytes.capacity > 0 {
            spareBytes += bytes.capacity
            spare.append(bytes)
        }
        guard spareBytes > spareByteLimit else { return }
        spare.sort { $0.capacity > $1.capacity }
        while spareBytes > spareByteLimit, let smallest = spare.popLast() {
            spareBytes -= smallest.capacity
        }
    }
}
