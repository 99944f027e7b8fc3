import CoffreCrypto

/// A sealing worker's transform where the CPU has the SHA extensions: it holds up to two
/// chunks and keeps two SHA-256 streams going side by side (`SHA256Pair`) whenever it can.
///
/// Each chunk needs two hashes, one after the other: its key, `HMAC(convergence, plaintext)`,
/// then, once AES-GCM has encrypted it under that key, its blob id, `SHA-256(blob)`. The worker
/// runs each hash as a job on a stream of its own and hashes the two oldest jobs together,
/// whatever they are: two keys, two ids, or one of each. When one ends, the chunk goes on (key
/// → encryption → id job) or is filed, and the other job runs on with the next one, so a
/// longer job's tail is paired too. With one job only (no chunk was ready when there was
/// room), it hashes that one alone a slice at a time and asks for a chunk between slices, to
/// pair the rest as soon as one comes.
///
/// Before this, a worker paired chunk n's key with its previous chunk's id only: the longer of
/// the two ran its tail alone, and a worker with no next chunk ready hashed the id alone, a
/// third of the hashing of a 1 GiB upload (docs/performance.md, "Sync client").
///
/// Blobs, keys and ids are exactly those of `ChunkCipher.sealInPlace` (FileSealerGoldenTests).
/// Made on its worker thread and used only there.
final class PairedSealingWorker {
    /// Bytes hashed alone before the worker looks for a chunk to pair with again: small
    /// enough that a chunk arriving meanwhile is paired for most of the job, large enough that
    /// asking costs nothing next to the hashing (about 0.2 ms at SHA-NI's rate).
    static let aloneSliceByteCount = 256 << 10

    /// Chunks held at once: one per stream of the pair.
    static let chunkCapacity = 2

    /// One hash over one chunk's bytes, fed through `stream`.
    private struct Job {
        enum Kind { case chunkKey, blobID }
        let kind: Kind
        let slot: ChunkSlot
        let stream: SHA256Stream
        /// The bytes not yet fed.
        var remaining: UnsafeRawBufferPointer
    }

    private let cipher: ChunkCipher
    private var workspace: ChunkCipherWorkspace?
    /// Oldest first, at most `chunkCapacity`.
    private var jobs: [Job] = []
    /// Idle HMAC streams under the convergence key, and idle SHA-256 streams.
    private var idleKeyStreams: [SHA256Stream] = []
    private var idleIDStreams: [SHA256Stream] = []
    /// Chunks taken whose key job could not start, filed failed by the next `advance`.
    private var failedOnTake: [ChunkTransform.Finished] = []

    /// A worker for `cipher`'s chunks; needs `SHA256Pair.isAvailable`.
    init(cipher: ChunkCipher) {
        precondition(SHA256Pair.isAvailable, "paired hashing needs the SHA extensions")
        self.cipher = cipher
    }

    /// This worker as a pipeline transform.
    var transform: ChunkTransform {
        ChunkTransform(
            hasRoom: { self.jobs.count < Self.chunkCapacity },
            isHolding: { !self.jobs.isEmpty || !self.failedOnTake.isEmpty },
            take: { slot in self.take(slot) },
            advance: { self.advance() })
    }

    /// Starts `slot`'s key job; a failure to set up its stream files it failed at once.
    private func take(_ slot: ChunkSlot) {
        do throws(CryptoFormatError) {
            let stream = try keyStream()
            stream.restart()
            let plaintext = UnsafeRawBufferPointer(
                rebasing: slot.buffer[ChunkCipher.plaintextOffset..<(ChunkCipher.plaintextOffset + slot.inputCount)])
            jobs.append(Job(kind: .chunkKey, slot: slot, stream: stream, remaining: plaintext))
        } catch {
            failedOnTake.append((slot, PipelineError.sealingFailed(index: slot.index, reason: error)))
        }
    }

    /// Hashes the two oldest jobs together over the bytes they have in common, or the only
    /// job alone for one slice; then moves on every job that ended.
    private func advance() -> [ChunkTransform.Finished] {
        var finished = failedOnTake
        failedOnTake.removeAll()
        if jobs.count >= 2 {
            let count = min(jobs[0].remaining.count, jobs[1].remaining.count)
            SHA256Pair(a: jobs[0].stream, b: jobs[1].stream).update(a: feed(0, count), b: feed(1, count))
        } else if !jobs.isEmpty {
            jobs[0].stream.update(feed(0, min(jobs[0].remaining.count, Self.aloneSliceByteCount)))
        }
        var index = 0
        while index < jobs.count {
            guard jobs[index].remaining.isEmpty else {
                index += 1
                continue
            }
            let job = jobs[index]
            do throws(CryptoFormatError) {
                if let next = try end(job) {
                    // A blob is never empty (header and tag), so its id job has bytes to feed.
                    jobs[index] = next
                    index += 1
                } else {
                    jobs.remove(at: index)
                    finished.append((job.slot, nil))
                }
            } catch {
                jobs.remove(at: index)
                finished.append((job.slot, PipelineError.sealingFailed(index: job.slot.index, reason: error)))
            }
        }
        return finished
    }

    /// The first `count` remaining bytes of job `index`, now counted as fed.
    private func feed(_ index: Int, _ count: Int) -> UnsafeRawBufferPointer {
        let bytes = UnsafeRawBufferPointer(rebasing: jobs[index].remaining[..<count])
        jobs[index].remaining = UnsafeRawBufferPointer(rebasing: jobs[index].remaining[count...])
        return bytes
    }

    /// Finishes a job's hash and moves its chunk on: after the key, the known-chunk check and
    /// the encryption, then the id job it returns; after the id, the reference (returns nil,
    /// the chunk is done).
    private func end(_ job: Job) throws(CryptoFormatError) -> Job? {
        let slot = job.slot
        switch job.kind {
        case .chunkKey:
            let key = try CryptoFormatError.wrapping("chunk") { () throws(CryptoError) in
                try SecretBytes(count: SHA256Stream.byteCount) { (out: UnsafeMutableRawBufferPointer) throws(CryptoError) in
                    try job.stream.finalize(into: out)
                }
            }
            idleKeyStreams.append(job.stream)
            if let known = slot.knownChunks, let reference = known.reference(key: key, length: slot.inputCount) {
                slot.reference = reference
                slot.chunkKey = nil
                slot.isKnown = true
                slot.output = 0..<0
                return nil
            }
            slot.isKnown = false
            slot.chunkKey = key
            slot.output = 0..<(try cipher.encryptInPlace(slot.buffer, plaintextLength: slot.inputCount, chunkKey: key, using: contexts()))
            let stream = try idStream()
            stream.restart()
            return Job(kind: .blobID, slot: slot, stream: stream, remaining: slot.outputBytes)
        case .blobID:
            let blobID = try CryptoFormatError.wrapping("chunk blob") { () throws(CryptoError) in try job.stream.finalize() }
            idleIDStreams.append(job.stream)
            guard let key = slot.chunkKey else { preconditionFailure("a hashed blob carries its key") }
            slot.reference = try ChunkReference(blobID: blobID, key: key, length: UInt32(slot.inputCount))
            slot.chunkKey = nil
            return nil
        }
    }

    /// This worker's OpenSSL contexts (AES-GCM), made with its first chunk and kept for all.
    private func contexts() throws(CryptoFormatError) -> ChunkCipherWorkspace {
        if let workspace { return workspace }
        let made = try cipher.makeWorkspace()
        workspace = made
        return made
    }

    /// An idle HMAC stream under the convergence key, made on first need.
    private func keyStream() throws(CryptoFormatError) -> SHA256Stream {
        if let stream = idleKeyStreams.popLast() { return stream }
        return try CryptoFormatError.wrapping("chunk") { () throws(CryptoError) in
            try SHA256Stream(hmac: HMACSHA256Pads(key: cipher.convergenceKey))
        }
    }

    /// An idle SHA-256 stream, made on first need.
    private func idStream() throws(CryptoFormatError) -> SHA256Stream {
        if let stream = idleIDStreams.popLast() { return stream }
        return try CryptoFormatError.wrapping("chunk blob") { () throws(CryptoError) in try SHA256Stream() }
    }
}
