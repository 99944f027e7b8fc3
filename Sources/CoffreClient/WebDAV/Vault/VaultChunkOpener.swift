import CoffreCrypto
import CoffreProtocol
import Synchronization

/// Fetches and opens the chunks of the gateway's reads with what it keeps from chunk to
/// chunk: fetch buffers (`VaultFetchedBlob`) and opening workspaces (`CommittedPairWorkspace`:
/// OpenSSL contexts, the HMAC pads, the pair of SHA-NI streams), so a chunk costs no buffer
/// faulted in and no context made. Opens two chunks at once with their key commitments hashed
/// as a pair (`ChunkCipher.openCommitted(_:_:using:)`).
///
/// Each chunk is opened into a new array of exactly its length: the array is what the HTTP
/// server sends (and the chunk cache keeps), so it cannot be reused.
final class VaultChunkOpener: Sendable {
    /// A workspace in the pool or in the hands of one opening.
    ///
    /// `@unchecked Sendable`: a workspace is used by one thread at a time — it is either in
    /// `workspaces` (under its Mutex) or taken out by exactly one opening, which gives it back
    /// when done.
    private final class Held: @unchecked Sendable {
        let workspace: CommittedPairWorkspace
        init(_ workspace: CommittedPairWorkspace) { self.workspace = workspace }
    }

    /// Spare fetch buffers kept (each room for the largest blob, touched only as far as the
    /// largest chunk read).
    static let spareBuffers = 8
    /// Spare workspaces kept.
    static let spareWorkspaces = 4

    private let buffers = Mutex<[VaultFetchedBlob]>([])
    private let workspaces = Mutex<[Held]>([])

    /// Fetches the blob of `reference` from `remote` into a buffer of the pool; give it back
    /// with `recycle` once opened. The blob may not be larger than its plaintext length allows.
    func fetch(_ reference: ChunkReference, from remote: any SyncRemote) async throws -> VaultFetchedBlob {
        guard let id = BlobID(bytes: reference.blobID) else { throw DAVError.storage("a manifest holds a malformed blob id") }
        let blob = buffers.withLock { $0.popLast() } ?? VaultFetchedBlob()
        do {
            try await blob.fill(id, limit: ChunkCipher.blobByteCount(plaintextLength: Int(reference.length)), from: remote)
        } catch {
            recycle(blob)
            throw error
        }
        return blob
    }

    /// Gives `blob` back to the pool; its holder no longer reads it.
    func recycle(_ blob: VaultFetchedBlob) {
        buffers.withLock { spare in
            if spare.count < Self.spareBuffers { spare.append(blob) }
        }
    }

    /// Opens one chunk (`ChunkCipher.openCommitted`) into a new array.
    func open(_ blob: VaultFetchedBlob, reference: ChunkReference, cipher: ChunkCipher) throws(CryptoFormatError) -> [UInt8] {
        let held = try take(for: cipher)
        defer { giveBack(held) }
        var failure: CryptoFormatError?
        let plaintext = [UInt8](unsafeUninitializedCapacity: Int(reference.length)) { buffer, initialized in
            initialized = 0
            do throws(CryptoFormatError) {
                initialized = try blob.withBytes { (bytes: UnsafeRawBufferPointer) throws(CryptoFormatError) in
                    try cipher.openCommitted(bytes, into: UnsafeMutableRawBufferPointer(buffer), reference: reference, using: held.workspace.chunks)
                }
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        return plaintext
    }

    /// Opens two chunks together, each into a new array; one outcome per chunk, in order.
    func open(
        _ first: (blob: VaultFetchedBlob, reference: ChunkReference), _ second: (blob: VaultFetchedBlob, reference: ChunkReference),
        cipher: ChunkCipher
    ) -> (first: Result<[UInt8], CryptoFormatError>, second: Result<[UInt8], CryptoFormatError>) {
        let held: Held
        do throws(CryptoFormatError) { held = try take(for: cipher) } catch { return (.failure(error), .failure(error)) }
        defer { giveBack(held) }
        var outcomes: (first: Result<Int, CryptoFormatError>, second: Result<Int, CryptoFormatError>) = (.success(0), .success(0))
        var secondPlaintext: [UInt8] = []
        let firstPlaintext = [UInt8](unsafeUninitializedCapacity: Int(first.reference.length)) { firstBuffer, firstCount in
            secondPlaintext = [UInt8](unsafeUninitializedCapacity: Int(second.reference.length)) { secondBuffer, secondCount in
                outcomes = first.blob.withBytes { firstBlob in
                    second.blob.withBytes { secondBlob in
                        cipher.openCommitted(
                            .init(blob: firstBlob, plaintext: UnsafeMutableRawBufferPointer(firstBuffer), reference: first.reference),
                            .init(blob: secondBlob, plaintext: UnsafeMutableRawBufferPointer(secondBuffer), reference: second.reference),
                            using: held.workspace)
                    }
                }
                secondCount = (try? outcomes.second.get()) ?? 0
            }
            firstCount = (try? outcomes.first.get()) ?? 0
        }
        return (outcomes.first.map { _ in firstPlaintext }, outcomes.second.map { _ in secondPlaintext })
    }

    /// A workspace for `cipher`'s chunks: a spare one of that cipher, or a new one.
    private func take(for cipher: ChunkCipher) throws(CryptoFormatError) -> Held {
        let spare = workspaces.withLock { spare -> Held? in
            guard let index = spare.lastIndex(where: { $0.workspace.convergenceKey === cipher.convergenceKey }) else { return nil }
            return spare.remove(at: index)
        }
        if let spare { return spare }
        return Held(try CryptoFormatError.wrapping("chunk") { () throws(CryptoError) in try CommittedPairWorkspace(for: cipher) })
    }

    private func giveBack(_ held: Held) {
        workspaces.withLock { spare in
            if spare.count >= Self.spareWorkspaces { spare.removeFirst() }
            spare.append(held)
        }
    }
}
