@testable import CoffreClient
import CoffreProtocol
import HTTPServer
import Synchronization
import Testing

/// A vault on the in-process server (`SyncWorld`) and gateways over it: each `gateway()` is
/// another client of the same vault, with its own tree, so two of them race like two devices.
struct VaultDAVFixture {
    let world: SyncWorld

    init() async throws {
        world = try await SyncWorld()
    }

    /// A gateway storage over a fresh remote, small chunks, two sealing threads.
    func gateway() async throws -> VaultDAVStorage {
        try await VaultDAVStorage.open(remote: world.remote(), openGrant: world.grantOpener, chunking: SyncWorld.smallChunks, workers: 2)
    }

    static func path(_ text: String) throws -> DAVPath {
        try DAVPath(names: text.split(separator: "/").map(String.init))
    }

    static func body(_ text: String) -> HTTPRequestBody { .bytes(Array(text.utf8)) }

    static func body(_ bytes: [UInt8]) -> HTTPRequestBody { .bytes(bytes) }

    /// The whole content of a read, streamed or not.
    static func collect(_ content: DAVContent) async throws -> [UInt8] {
        switch content {
        case .bytes(let bytes): return bytes
        case .file: Issue.record("a vault never answers a file region"); return []
        case .stream(let length, let produce):
            let collected = Mutex<[UInt8]>([])
            try await produce { piece in collected.withLock { $0 += piece } }
            let bytes = collected.withLock { $0 }
            #expect(Int64(bytes.count) == length)
            return bytes
        }
    }

    static func read(_ storage: VaultDAVStorage, _ name: String, range: ClosedRange<Int64>? = nil) async throws -> [UInt8] {
        try await collect(try await storage.read(try path(name), range: range))
    }

    static func text(_ storage: VaultDAVStorage, _ name: String) async throws -> String {
        String(decoding: try await read(storage, name), as: UTF8.self)
    }

    /// Bytes that do not compress or repeat (xorshift), `count` of them from `seed`.
    static func noise(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed | 1
        var bytes = [UInt8](repeating: 0, count: count)
        for index in 0..<count {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            bytes[index] = UInt8(truncatingIfNeeded: state)
        }
        return bytes
    }
}
