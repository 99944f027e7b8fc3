@testable import CoffreClient
import CoffreCrypto
import CoffreProtocol
import CoffreServer
import Dispatch
import Foundation
import Glibc
import Testing

/// One server (the real `SyncStore` over a fresh database in a temp folder, and a blob shelf)
/// holding one vault, whose key is granted for real (X25519 wrap, Ed25519 signature), and the
/// devices that sync it — each with its own folder and index.
final class SyncWorld: Sendable {
    let directory: URL
    let store: SyncStore
    let shelf = BlobShelf()
    let vaultID: VaultID
    let owner: Int64 = 1
    private let recipient: X25519.PrivateKey
    private let granter: Ed25519.PrivateKey

    /// Small chunks (4 KiB minimum, 16 KiB normal, 64 KiB maximum; masks of 14 and 10 bits
    /// spread as docs/format-chunker.md does), so a file of a few hundred KiB has many chunks
    /// and delta transfers show in byte counts.
    static let smallChunks = ChunkingParameters(
        minimumSize: 4096, normalSize: 16_384, maximumSize: 65_536,
        smallMask: 0x4891_1224_4488_8000, largeMask: 0x4210_8410_8420_8000)

    init() async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("coffre-syncworld-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent(ServerDatabase.fileName).path
        // Opened (and migrated, with fsyncs) on a Dispatch thread, not on Swift concurrency's threads.
        let database = try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try ServerDatabase(path: path, readerCount: 2) }) }
        }
        try await database.queue.write { db in
            try db.execute("INSERT INTO users (id, name, created_at) VALUES (1, 'owner', 0)", [])
        }
        store = SyncStore(database: database)
        recipient = try X25519.PrivateKey()
        granter = try Ed25519.PrivateKey()
        let vault = VaultID(high: .random(in: 1...UInt64.max), low: .random(in: 0...UInt64.max))
        vaultID = vault
        let key = try VaultKey.generate(vaultID: try OpaqueID(bytes: vault.bytes), generation: 1)
        let grant = try VaultKeyGrant.issue(key, to: recipient.publicKey, signedBy: granter)
        _ = try await store.createVault(
            user: owner, CreateVaultRequest(vaultId: vault, name: Base64Bytes([1, 2, 3]), wrappedKey: Base64Bytes(grant.encoded)))
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Opens a grant as a client would: parse, check the signature against the pinned granter.
    var grantOpener: @Sendable (WrappedVaultKey) throws -> VaultKey {
        let vault = vaultID
        let recipient = recipient
        let granter = granter.publicKey
        return { wrapped in
            try VaultKeyGrant(encoded: wrapped.wrappedKey.bytes).open(
                vaultID: try OpaqueID(bytes: vault.bytes), generation: UInt32(wrapped.generation), with: recipient,
                signedBy: granter)
        }
    }

    func remote() -> InProcessRemote {
        InProcessRemote(vaultID: vaultID, store: store, shelf: shelf, user: owner)
    }

    /// A device with a fresh folder.
    func device(_ name: String, configure: (inout SyncConfiguration) -> Void = { _ in }) async throws -> SyncDevice {
        let device = try SyncDevice(world: self, name: name, configure: configure)
        try await device.start()
        return device
    }

    /// The live entries of the vault (id, parent, kind), read from the server's feed.
    func liveEntries() async throws -> [EntryState] {
        try await store.changes(vaultID, user: owner, since: 0, limit: 5_000).entries.filter { !$0.deleted }
    }
}

/// One device: a sync folder, its engine, and the configuration to restart it with.
final class SyncDevice {
    let name: String
    let tree: TemporaryTree
    let remote: InProcessRemote
    private let world: SyncWorld
    private(set) var configuration: SyncConfiguration
    private(set) var engine: SyncEngine?

    init(world: SyncWorld, name: String, configure: (inout SyncConfiguration) -> Void) throws {
        self.world = world
        self.name = name
        tree = try TemporaryTree()
        remote = world.remote()
        configuration = SyncConfiguration(folder: tree.path, deviceName: name)
        configuration.chunkingParameters = SyncWorld.smallChunks
        configuration.pipelineWorkers = 2
        configuration.timeZone = TimeZone(identifier: "UTC")!
        configure(&configuration)
    }

    func start() async throws {
        engine = try await SyncEngine(configuration: configuration, remote: remote, openGrant: world.grantOpener)
    }

    /// One pass.
    @discardableResult
    func sync() async throws -> SyncReport {
        try await engine!.syncOnce()
    }

    /// Stops the engine (as if the process died: nothing is flushed) and starts a new one on
    /// the same folder and index, with `hook` as its fault hook.
    func restart(hook: SyncFaultHook? = nil) async throws {
        engine = nil
        configuration.faultHook = hook
        // The dropped engine's last references (work its index's queue still runs) end on their
        // own threads, where a dying process would release its folder lock at once: wait for
        // the lock rather than fail on it (a CI run met `.folderBusy` here).
        for attempt in 1...500 {
            do {
                return try await start()
            } catch SyncClientError.folderBusy where attempt < 500 {
                try await Task.sleep(for: .milliseconds(10))
            }
        }
    }

    /// What the folder holds, by path (the state folder left out).
    func contents() throws -> [String: TreeItem] {
        try TreeItem.read(tree.path)
    }
}

/// One entry of a folder as the tests compare them between devices.
enum TreeItem: Equatable, CustomStringConvertible {
    case file(bytes: [UInt8], mode: UInt32, mtime: Int64)
    case folder
    case symlink(target: String)

    var description: String {
        switch self {
        case .file(let bytes, let mode, _): return "file(\(bytes.count) bytes, mode \(String(mode, radix: 8)))"
        case .folder: return "folder"
        case .symlink(let target): return "symlink(\(target))"
        }
    }

    /// Every entry under `root` (recursive, symlinks not followed), `.coffre` left out.
    static func read(_ root: String, relative: String = "") throws -> [String: TreeItem] {
        var items: [String: TreeItem] = [:]
        let folder = relative.isEmpty ? root : root + "/" + relative
        for name in try FileManager.default.contentsOfDirectory(atPath: folder) where !(relative.isEmpty && name == ".coffre") {
            let path = relative.isEmpty ? name : relative + "/" + name
            var info = stat()
            guard lstat(root + "/" + path, &info) == 0 else { continue }
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                items[path] = .folder
                items.merge(try read(root, relative: path)) { $1 }
            case S_IFLNK:
                items[path] = .symlink(target: try FileManager.default.destinationOfSymbolicLink(atPath: root + "/" + path))
            default:
                let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: root + "/" + path)))
                items[path] = .file(
                    bytes: bytes, mode: UInt32(info.st_mode) & 0o777,
                    mtime: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec))
            }
        }
        return items
    }
}
