import CoffreClient
import CoffreCrypto

/// Each primitive of the sealing pipeline alone, single-threaded, on the same in-memory bytes
/// and the same chunks the pipeline makes, with one context reused for every chunk as the
/// pipeline's workers do.
struct PrimitiveBench {
    let input: UnsafeRawBufferPointer
    let chunker: Chunker
    let convergenceKey: SecretBytes

    /// Chunk boundaries found by the chunker's measured run.
    private(set) var cuts: [Int] = []

    /// Chunker cut points over the whole buffer.
    mutating func chunking() -> Measurement {
        var cuts: [Int] = []
        let result = Stopwatch.measure("chunker cut points", bytes: input.count) { cuts = chunker.cutPoints(in: input) }
        self.cuts = cuts
        return result
    }

    /// HMAC-SHA256 under the convergence key over each chunk (the chunk key).
    func chunkKeys() throws -> Measurement {
        try Stopwatch.measure("HMAC-SHA256 (chunk keys)", bytes: input.count) {
            let mac = try HMACSHA256(key: convergenceKey)
            try forEachChunk { chunk in
                try mac.restart()
                try mac.update(chunk)
                _ = try mac.finalize()
            }
        }
    }

    /// AES-256-GCM sealing of each chunk (256 KiB to 4 MiB) into a reused output buffer, by
    /// `implementation` (the pipeline's is `.preferred`; OpenSSL's is the baseline the report
    /// compares it with).
    func sealing(_ implementation: AES256GCM.Implementation = .preferred) throws -> Measurement {
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: Int(ChunkCipher.maximumPlaintextByteCount) + 16, alignment: 64)
        defer { output.deallocate() }
        let key = try SecureRandom.bytes(count: 32)
        let nonce = [UInt8](repeating: 0, count: 12)
        let aad = Array("coffre/v1/chunk".utf8)
        let name = implementation == .preferred ? "AES-256-GCM seal (chunks)" : "AES-256-GCM seal, \(implementation) (baseline)"
        return try Stopwatch.measure(name, bytes: input.count) {
            let cipher = try AES256GCM(key: key, implementation: implementation)
            try aad.withUnsafeBytes { aad in
                try forEachChunk { chunk in
                    try cipher.rekey(key)
                    try cipher.beginSealing(nonce: nonce, aad: aad)
                    try cipher.update(chunk, into: UnsafeMutableRawBufferPointer(rebasing: output[0..<chunk.count]))
                    try cipher.finishSealing(tag: UnsafeMutableRawBufferPointer(rebasing: output[chunk.count..<(chunk.count + 16)]))
                }
            }
        }
    }

    /// SHA-256 of each chunk (the blob id).
    func hashing() throws -> Measurement {
        try Stopwatch.measure("SHA-256 (blob ids)", bytes: input.count) {
            let hasher = try SHA256()
            try forEachChunk { chunk in
                try hasher.restart()
                try hasher.update(chunk)
                _ = try hasher.finalize()
            }
        }
    }

    /// The sealer's two hashes as one pair of SHA-NI streams: each chunk's key (HMAC) with the
    /// previous chunk's id (SHA-256 over its bytes, standing in for its blob), the first
    /// chunk's key and the last chunk's id alone, as a worker pairs them. Counted per input
    /// byte, like HMAC and SHA-256 above together (each byte is hashed twice). Nil without
    /// the SHA extensions.
    func pairedHashing() throws -> Measurement? {
        guard SHA256Pair.isAvailable else { return nil }
        return try Stopwatch.measure("SHA-256 ×2 (chunk key + id, paired)", bytes: input.count) {
            let pair = SHA256Pair(a: try SHA256Stream(hmac: HMACSHA256Pads(key: convergenceKey)), b: try SHA256Stream())
            var previous = UnsafeRawBufferPointer(start: nil, count: 0)
            try forEachChunk { chunk in
                pair.a.restart()
                pair.b.restart()
                pair.update(a: chunk, b: previous)
                _ = try pair.a.finalize()
                if previous.count > 0 { _ = try pair.b.finalize() }
                previous = chunk
            }
            pair.b.restart()
            pair.b.update(previous)
            _ = try pair.b.finalize()
        }
    }

    private func forEachChunk(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        var start = 0
        for end in cuts {
            try body(UnsafeRawBufferPointer(rebasing: input[start..<end]))
            start = end
        }
    }
}
