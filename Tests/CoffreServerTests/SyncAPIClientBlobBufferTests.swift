import CoffreClient
import CoffreCrypto
import CoffreProtocol
import Foundation
import Glibc
import HTTPServer
import HTTPTypes
import Testing

/// `SyncAPIClient.blob(_:_:into:)` (what `HTTPSyncRemote.getBlob` and so `FileOpener` and the
/// WebDAV gateway fetch with) against a scripted server: a blob lands in the opener's buffer
/// whatever the framing, and one larger than the buffer is refused without being buffered.
@Suite struct SyncAPIClientBlobBufferTests {
    private static let vault = VaultID(high: 3, low: 4)
    private static let cipher = ChunkCipher(convergenceKey: SecretBytes(copying: [UInt8](repeating: 0x2A, count: 32)))
    private static let limit = ChunkCipher.blobByteCount(plaintextLength: Int(ChunkCipher.maximumPlaintextByteCount))

    /// A blob server answering every blob GET with `bytes`, chunked when `chunked`.
    private func withServer(
        answering bytes: [UInt8], chunked: Bool, _ body: (SyncAPIClient) async throws -> Void
    ) async throws {
        var router = HTTPRouter()
        try router.add(.get, SyncPath.blobPattern) { _ in
            guard chunked else { return HTTPServerResponse(status: .ok, body: .bytes(bytes)) }
            return HTTPServerResponse(status: .ok, body: .stream(length: nil) { writer in
                var offset = 0
                while offset < bytes.count {
                    let end = min(bytes.count, offset + 100_003)
                    try await writer.write(Array(bytes[offset..<end]))
                    offset = end
                }
            })
        }
        try await ScriptedSyncServer.run(router, body)
    }

    /// Opens `chunks` with a `FileOpener` whose fetcher is `client.blob(_:_:into:)`; the plaintext.
    private func open(_ chunks: [ChunkReference], with client: SyncAPIClient) async throws -> [UInt8] {
        let path = NSTemporaryDirectory() + "coffre-blob-buffer-\(UUID().uuidString)"
        let descriptor = Glibc.open(path, O_RDWR | O_CREAT | O_EXCL, 0o600)
        try #require(descriptor >= 0)
        defer {
            close(descriptor)
            unlink(path)
        }
        let vault = Self.vault
        _ = try await FileOpener(cipher: Self.cipher, workerCount: 1).open(chunks, writingTo: descriptor) { id, buffer in
            try await client.blob(vault, BlobID(bytes: id)!, into: &buffer)
        }
        return try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
    }

    @Test(arguments: [false, true])
    func aBlobLandsInTheOpenersBuffer(chunked: Bool) async throws {
        // The largest chunk: its blob fills the buffer exactly.
        // A while loop, not `map` over a range: in debug builds that costs generic calls per
        // byte, seconds of the test run's two shared threads for 4 MiB.
        var plaintext = [UInt8](repeating: 0, count: Int(ChunkCipher.maximumPlaintextByteCount))
        var index = 0
        while index < plaintext.count {
            plaintext[index] = UInt8(truncatingIfNeeded: index &* 31 &+ index >> 9)
            index += 1
        }
        let sealed = try Self.cipher.seal(plaintext)
        #expect(sealed.blob.count == Self.limit)
        try await withServer(answering: sealed.blob, chunked: chunked) { client in
            let opened = try await open([sealed.reference], with: client)
            #expect(opened == plaintext)
        }
    }

    @Test(arguments: [false, true])
    func aBlobLargerThanTheBufferIsRefused(chunked: Bool) async throws {
        let oversized = [UInt8](repeating: 9, count: Self.limit + 1)
        let reference = try ChunkReference(
            blobID: try SHA256.hash(oversized), key: SecretBytes(copying: [UInt8](repeating: 1, count: 32)),
            length: ChunkCipher.maximumPlaintextByteCount)
        try await withServer(answering: oversized, chunked: chunked) { client in
            await #expect(throws: PipelineError.blobTooLarge(index: 0, limit: Self.limit)) {
                _ = try await open([reference], with: client)
            }
        }
    }
}
