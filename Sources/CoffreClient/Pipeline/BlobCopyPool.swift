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
/// needs); arrays beyond it are let go. A caller that bounds its groups by bytes counts the
/// arrays' capacities (`BlobPayload.bytes.capacity`), since a reused array may be larger than
/// its blob. Not thread-safe: owned by one sink.
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

    /// Takes back the arrays of an uploaded group, up to `spareByteLimit`.
    mutating func recycle(_ payloads: [BlobPayload]) {
        for bytes in payloads.lazy.map(\.bytes) {
            guard spareBytes + bytes.capacity <= spareByteLimit else { continue }
            spareBytes += bytes.capacity
            spare.append(bytes)
        }
    }
}
