import CoffreClient
import CoffreCrypto

#if canImport(Glibc)
import Glibc
#endif

/// The whole pipeline on the input file: FileSealer (read, chunk, HMAC, AES-GCM, SHA-256,
/// ordered delivery to a sink that keeps nothing) and FileOpener (fetch from memory, verify,
/// decrypt, write to /dev/null).
struct PipelineBench {
    let input: BenchInput
    let chunker: Chunker
    let cipher: ChunkCipher
    let cpuCount: Int

    /// Seals the file once with `workers` threads; with `cpu`, the sealer's threads all run on
    /// that one CPU (the caller's task, which only waits, is not pinned).
    /// `pairsHashes` false: each chunk's key and blob id hashed on their own, as without the
    /// SHA extensions (the default pairs them where the CPU allows).
    func sealing(workers: Int, cpu: Int?, pairsHashes: Bool = SHA256Pair.isAvailable) async throws -> Measurement {
        let sealer = try pinned(to: cpu) { FileSealer(chunker: chunker, cipher: cipher, workerCount: workers, pairsHashes: pairsHashes) }
        let fd = try input.openFile()
        defer { close(fd) }
        let name = label("FileSealer", workers: workers, cpu: cpu) + (pairsHashes ? "" : ", unpaired")
        return try await Stopwatch.measure(name, bytes: input.bytes.count) {
            let file = try await sealer.seal(FileDescriptorByteSource(fileDescriptor: fd)) { _ in }
            guard file.byteCount == UInt64(input.bytes.count) else { throw BenchFailure("sealed \(file.byteCount) bytes, expected \(input.bytes.count)") }
        }
    }

    /// Seals the file (untimed) and keeps one copy of each blob, as a server would.
    func sealedBlobs() async throws -> (SealedFile, [[UInt8]: [UInt8]]) {
        let sealer = FileSealer(chunker: chunker, cipher: cipher)
        let fd = try input.openFile()
        defer { close(fd) }
        var store: [[UInt8]: [UInt8]] = [:]
        let file = try await sealer.seal(FileDescriptorByteSource(fileDescriptor: fd)) { blob in
            if store[blob.blobID] == nil { store[blob.blobID] = blob.copyBytes() }
        }
        return (file, store)
    }

    /// Opens the sealed file with `workers` threads into /dev/null.
    func opening(_ file: SealedFile, from store: [[UInt8]: [UInt8]], workers: Int, cpu: Int?) async throws -> Measurement {
        let opener = try pinned(to: cpu) { FileOpener(cipher: cipher, workerCount: workers) }
        let sink = open("/dev/null", O_WRONLY | O_CLOEXEC)
        guard sink >= 0 else { throw BenchFailure("open(2) of /dev/null failed: errno \(errno)") }
        defer { close(sink) }
        return try await Stopwatch.measure(label("FileOpener", workers: workers, cpu: cpu), bytes: input.bytes.count) {
            _ = try await opener.open(file.chunks, writingTo: sink) { id, buffer in
                guard let blob = store[id] else { throw BenchFailure("blob missing from the bench's store") }
                try buffer.append(blob)
            }
        }
    }

    /// Makes a sealer or opener while the calling thread runs on `cpu` only, so that the
    /// threads it starts inherit that mask; then lets the calling thread run anywhere again.
    private func pinned<T>(to cpu: Int?, _ make: () -> T) throws -> T {
        guard let cpu else { return make() }
        try CPUAffinity.restrictCallingThread(to: [cpu], cpuCount: cpuCount)
        let made = make()
        try CPUAffinity.restrictCallingThread(to: [], cpuCount: cpuCount)
        return made
    }

    private func label(_ stage: String, workers: Int, cpu: Int?) -> String {
        "\(stage), \(workers) worker\(workers == 1 ? "" : "s")" + (cpu.map { " on CPU \($0)" } ?? "")
    }
}
