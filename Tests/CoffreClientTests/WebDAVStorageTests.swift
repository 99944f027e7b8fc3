import CoffreClient
import Foundation
import HTTPServer
import Synchronization
import Testing

/// The `DAVStorage` contract, run against both storages; then what only the local-folder
/// storage has (reserved names, side files, symlinks).
@Suite("WebDAV storages")
struct WebDAVStorageTests {
    enum Kind: String, CaseIterable, Sendable { case memory, directory }

    final class Fixture: Sendable {
        let storage: any DAVStorage
        let folder: String

        init(_ kind: Kind) throws {
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("coffre-dav-storage-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: folder + "/root", withIntermediateDirectories: true)
            storage = kind == .memory ? MemoryDAVStorage() : try DirectoryDAVStorage(path: folder + "/root")
        }

        deinit { try? FileManager.default.removeItem(atPath: folder) }
    }

    /// A one-chunk body whose first read waits until `parties` bodies are being read, so
    /// concurrent writers have all passed their early checks before any commits.
    struct GatedBody: AsyncSequence, Sendable {
        typealias Element = [UInt8]
        let bytes: [UInt8]
        let arrived: Arrivals
        let parties: Int

        struct Iterator: AsyncIteratorProtocol {
            let body: GatedBody
            var done = false
            mutating func next() async throws -> [UInt8]? {
                guard !done else { return nil }
                done = true
                body.arrived.count.withLock { $0 += 1 }
                for _ in 0..<5_000 where body.arrived.count.withLock({ $0 }) < body.parties { try await Task.sleep(for: .milliseconds(1)) }
                return body.bytes
            }
        }

        func makeAsyncIterator() -> Iterator { Iterator(body: self) }
    }

    static func body(_ text: String) -> HTTPRequestBody { .bytes(Array(text.utf8)) }

    /// How many gated bodies are being read.
    final class Arrivals: Sendable {
        let count = Mutex(0)
    }

    func read(_ storage: any DAVStorage, _ path: DAVPath) async throws -> String {
        switch try await storage.read(path, range: nil) {
        case .bytes(let bytes): return String(decoding: bytes, as: UTF8.self)
        case .file(let region):
            var buffer = [UInt8](repeating: 0, count: Int(region.length))
            _ = buffer.withUnsafeMutableBytes { pread(region.descriptor, $0.baseAddress, $0.count, off_t(region.offset)) }
            return String(decoding: buffer, as: UTF8.self)
        case .stream: Issue.record("unexpected stream"); return ""
        }
    }

    @Test(arguments: Kind.allCases)
    func writesChangeTheETagAndKeepProperties(_ kind: Kind) async throws {
        let fixture = try Fixture(kind)
        let storage = fixture.storage
        let path = try DAVPath(names: ["f.txt"])
        let first = try await storage.write(path, body: Self.body("one"), condition: .always)
        #expect(first.created)
        let name = DAVPropertyName(namespace: "urn:x", name: "p")
        try await storage.updateProperties(of: path, [.set(name, DAVPropertyValue(fragment: "v"))])
        let second = try await storage.write(path, body: Self.body("two"), condition: .etagMatches([first.etag]))
        #expect(!second.created && second.etag != first.etag)
        let info = try #require(try await storage.info(at: path, withProperties: true))
        #expect(info.etag == second.etag && info.contentLength == 3 && info.contentType == "text/plain; charset=utf-8")
        #expect(info.deadProperties == [name: DAVPropertyValue(fragment: "v")])
        #expect(try await read(storage, path) == "two")
        await #expect(throws: DAVError.preconditionFailed) {
            try await storage.write(path, body: Self.body("three"), condition: .etagMatches([first.etag]))
        }
        await #expect(throws: DAVError.preconditionFailed) { try await storage.write(path, body: Self.body("x"), condition: .absent) }
        await #expect(throws: DAVError.self) { try await storage.write(try DAVPath(names: ["no", "f"]), body: Self.body("x"), condition: .always) }
    }

    @Test(arguments: Kind.allCases)
    func aLostRaceIsRefusedNeverSilentlyOverwritten(_ kind: Kind) async throws {
        let fixture = try Fixture(kind)
        let storage = fixture.storage
        let path = try DAVPath(names: ["race"])
        let base = try await storage.write(path, body: Self.body("base"), condition: .always)
        let arrived = Arrivals()
        async let a = Result { try await storage.write(path, body: GatedBody(bytes: Array("A".utf8), arrived: arrived, parties: 2), condition: .etagMatches([base.etag])) }
        async let b = Result { try await storage.write(path, body: GatedBody(bytes: Array("B".utf8), arrived: arrived, parties: 2), condition: .etagMatches([base.etag])) }
        let results = await [a, b]
        let winners = results.compactMap { try? $0.get() }
        #expect(winners.count == 1)
        let losers = results.filter { if case .failure(DAVError.preconditionFailed) = $0 { true } else { false } }
        #expect(losers.count == 1)
        #expect(try await read(storage, path) == (results[0].isSuccess ? "A" : "B"))
    }

    @Test(arguments: Kind.allCases)
    func createOnlyWritesRaceToOneWinner(_ kind: Kind) async throws {
        let fixture = try Fixture(kind)
        let path = try DAVPath(names: ["once"])
        let arrived = Arrivals()
        let storage = fixture.storage
        async let a = Result { try await storage.write(path, body: GatedBody(bytes: [1], arrived: arrived, parties: 2), condition: .absent) }
        async let b = Result { try await storage.write(path, body: GatedBody(bytes: [2], arrived: arrived, parties: 2), condition: .absent) }
        let results = await [a, b]
        #expect(results.filter(\.isSuccess).count == 1)
    }

    @Test(arguments: Kind.allCases)
    func treesMoveAndCopyWithTheirProperties(_ kind: Kind) async throws {
        let storage = try Fixture(kind)
        let s = storage.storage
        let dir = try DAVPath(names: ["d"])
        let file = try DAVPath(names: ["d", "f"])
        let name = DAVPropertyName(namespace: "urn:x", name: "p")
        try await s.makeCollection(at: dir)
        await #expect(throws: DAVError.alreadyExists) { try await s.makeCollection(at: dir) }
        _ = try await s.write(file, body: Self.body("F"), condition: .always)
        try await s.updateProperties(of: dir, [.set(name, DAVPropertyValue(fragment: "dir"))])
        try await s.updateProperties(of: file, [.set(name, DAVPropertyValue(fragment: "file"))])
        let copy = try DAVPath(names: ["c"])
        #expect(try await s.copy(from: dir, to: copy, overwrite: false, recursive: true) == false)
        #expect(try await s.info(at: try DAVPath(names: ["c", "f"]), withProperties: true)?.deadProperties?[name]?.xml == "file")
        #expect(try await s.info(at: copy, withProperties: true)?.deadProperties?[name]?.xml == "dir")
        await #expect(throws: DAVError.alreadyExists) { try await s.copy(from: dir, to: copy, overwrite: false, recursive: true) }
        let moved = try DAVPath(names: ["m"])
        #expect(try await s.move(from: dir, to: moved, overwrite: false) == false)
        #expect(try await s.info(at: dir, withProperties: false) == nil)
        #expect(try await s.info(at: try DAVPath(names: ["m", "f"]), withProperties: true)?.deadProperties?[name]?.xml == "file")
        #expect(try await s.move(from: moved, to: copy, overwrite: true) == true)
        #expect(try await s.children(of: .root, withProperties: false).map(\.path.name) == ["c"])
        await #expect(throws: DAVError.self) { try await s.move(from: copy, to: try DAVPath(names: ["c", "inner"]), overwrite: true) }
        try await s.delete(copy)
        #expect(try await s.children(of: .root, withProperties: true).isEmpty)
        await #expect(throws: DAVError.notFound) { try await s.delete(copy) }
    }

    @Test func directoryStorageHidesItsOwnFilesAndSymlinks() async throws {
        let fixture = try Fixture(.directory)
        let storage = fixture.storage
        let path = try DAVPath(names: ["f"])
        _ = try await storage.write(path, body: Self.body("x"), condition: .always)
        try await storage.updateProperties(of: path, [.set(DAVPropertyName(namespace: "", name: "p"), DAVPropertyValue(fragment: "1"))])
        try FileManager.default.createSymbolicLink(atPath: fixture.folder + "/root/link", withDestinationPath: "/etc")
        _ = FileManager.default.createFile(atPath: fixture.folder + "/outside", contents: Array("secret".utf8).withUnsafeBytes { Data($0) })
        try FileManager.default.createSymbolicLink(atPath: fixture.folder + "/root/escape", withDestinationPath: fixture.folder + "/outside")
        #expect(try await storage.children(of: .root, withProperties: true).map(\.path.name) == ["f"])
        #expect(try await storage.info(at: try DAVPath(names: ["link", "passwd"]), withProperties: false) == nil)
        await #expect(throws: DAVError.notFound) { try await storage.read(try DAVPath(names: ["escape"]), range: nil) }
        await #expect(throws: DAVError.self) {
            try await storage.write(try DAVPath(names: [".coffre-dav-props", "f"]), body: Self.body("x"), condition: .always)
        }
        await #expect(throws: DAVError.self) { try await storage.makeCollection(at: try DAVPath(names: [".coffre-dav-x"])) }
    }

    @Test func directoryStorageRefusesACorruptPropertiesFile() async throws {
        let fixture = try Fixture(.directory)
        let path = try DAVPath(names: ["f"])
        _ = try await fixture.storage.write(path, body: Self.body("x"), condition: .always)
        try await fixture.storage.updateProperties(of: path, [.set(DAVPropertyName(namespace: "urn:x", name: "p"), DAVPropertyValue(fragment: "<a/>"))])
        let side = fixture.folder + "/root/.coffre-dav-props/f"
        var bytes = try Array(Data(contentsOf: URL(fileURLWithPath: side)))
        bytes[bytes.count - 2] = UInt8(ascii: "<")  // the value is no longer well-formed XML
        try Data(bytes).write(to: URL(fileURLWithPath: side))
        await #expect(throws: DAVError.self) { try await fixture.storage.info(at: path, withProperties: true) }
        try Data([0x43, 0x44, 0x50, 0x31, 0xFF, 0xFF, 0xFF, 0x7F]).write(to: URL(fileURLWithPath: side))
        await #expect(throws: DAVError.self) { try await fixture.storage.info(at: path, withProperties: true) }
    }
}

extension Result {
    var isSuccess: Bool { if case .success = self { true } else { false } }

    init(catching body: () async throws(Failure) -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
