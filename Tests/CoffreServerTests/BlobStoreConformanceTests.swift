import CoffreProtocol
import CoffreServer
import Foundation
import Testing

/// The behaviour every `BlobStore` must have, written once and run against each backend.
@Suite struct BlobStoreConformanceTests {
    static let vault = try! BlobNamespace("vault-1")
    static let otherVault = try! BlobNamespace("Vault_2")

    // MARK: Round trips

    @Test(arguments: BlobStoreBackend.allCases, [0, 1, 3 << 20 + 17])
    func putInfoReadVerifyRoundTrip(backend: BlobStoreBackend, size: Int) async throws {
        try await backend.withFixture { fixture in
            let store = fixture.store
            let bytes = TestBlob.bytes(count: size, seed: UInt64(size))
            let id = try TestBlob.id(of: bytes)
            let before = Date().addingTimeInterval(-5)

            let committed = try TestBlob.put(bytes, into: store, namespace: Self.vault)
            #expect(committed.id == id)
            #expect(committed.size == Int64(size))
            #expect(committed.created > before)

            let info = try #require(try store.info(namespace: Self.vault, id: id))
            #expect(info.size == Int64(size))
            #expect(info.id == id)
            let reader = try store.open(namespace: Self.vault, id: id)
            #expect(reader.size == Int64(size))
            #expect(try reader.readAll(maxBytes: size) == bytes)
            #expect(try store.verify(namespace: Self.vault, id: id))
            #expect(try fixture.pendingUploadCount() == 0)
        }
    }

    @Test(arguments: BlobStoreBackend.allCases)
    func uploadOfUnannouncedSize(backend: BlobStoreBackend) async throws {
        try await backend.withFixture { fixture in
            let bytes = TestBlob.bytes(count: 200_003, seed: 7)
            let info = try TestBlob.put(bytes, into: fixture.store, namespace: Self.vault, announceSize: false)
            #expect(info.size == 200_003)
            #expect(try fixture.store.open(namespace: Self.vault, id: info.id).readAll(maxBytes: 1 << 20) == bytes)
        }
    }

    @Test(arguments: BlobStoreBackend.allCases)
    func positionalReads(backend: BlobStoreBackend) async throws {
        try await backend.withFixture { fixture in
            let bytes = TestBlob.bytes(count: 10_000, seed: 3)
            let info = try TestBlob.put(bytes, into: fixture.store, namespace: Self.vault)
            let reader = try fixture.store.open(namespace: Self.vault, id: info.id)
            var buffer = [UInt8](repeating: 0, count: 4096)
            let cases: [(offset: Int64, expected: Int)] = [(0, 4096), (5000, 4096), (9000, 1000), (9999, 1), (10_000, 0), (50_000, 0)]
            for (offset, expected) in cases {
                let count = try buffer.withUnsafeMutableBytes { try reader.read(into: $0, at: offset) }
                #expect(count == expected)
                #expect(buffer.prefix(count) == bytes.dropFirst(Int(offset)).prefix(count))
            }
            #expect(throws: BlobStoreError.self) {
                try buffer.withUnsafeMutableBytes { try reader.read(into: $0, at: -1) }
            }
            #expect(throws: BlobStoreError.tooLarge(limit: 9_999)) { try reader.readAll(maxBytes: 9_999) }
        }
    }

    // MARK: Rejected uploads publish nothing

    @Test(arguments: BlobStoreBackend.allCases)
    func mismatchedBytesArePublishedNowhere(backend: BlobStoreBackend) async throws {
        try await backend.withFixture { fixture in
            let claimed = TestBlob.bytes(count: 70_000, seed: 1)
            var sent = claimed
            sent[69_999] ^= 0x80
            let id = try TestBlob.id(of: claimed)
            let upload = try fixture.store.beginUpload(namespace: Self.vault, id: id, expectedSize: 70_000)
            try TestBlob.write(sent, to: upload)
            #expect(throws: BlobStoreError.hashMismatch) { try upload.commit() }

            #expect(try fixture.store.info(namespace: Self.vault, id: id) == nil)
            #expect(throws: BlobStoreError.notFound) { try fixture.store.open(namespace: Self.vault, id: id) }
            #expect(try TestBlob.collect(fixture.store.blobs(in: Self.vault)).isEmpty)
            #expect(try fixture.pendingUploadCount() == 0)
            // The failed upload is closed for good.
            #expect(throws: BlobStoreError.uploadClosed) { try upload.commit() }
        }
    }

    @Test(arguments: BlobStoreBackend.allCases)
    func shortAndLongUploadsFailOnSize(backend: BlobStoreBackend) async throws {
        try await backend.withFixture { fixture in
            let bytes = TestBlob.bytes(count: 1000, seed: 2)
            let id = try TestBlob.id(of: bytes)

            let short = try fixture.store.beginUpload(namespace: Self.vault, id: id, expectedSize: 1001)
            try TestBlob.write(bytes, to: short)
            #expect(throws: BlobStoreError.sizeMismatch(expected: 1001, actual: 1000)) { try short.commit() }

            let long = try fixture.store.beginUpload(namespace: Self.vault, id: id, expectedSize: 999)
            #expect(throws: BlobStoreError.sizeMismatch(expected: 999, actual: 1000)) {
                try bytes.withUnsafeBytes { try long.write($0) }
            }
            #expect(throws: BlobStoreError.uploadClosed) { try long.commit() }

            #expect(throws: BlobStoreError.sizeMismatch(expected: -1, actual: 0)) {
                try fixture.store.beginUpload(namespace: Self.vault, id: id, expectedSize: -1)
            }
            #expect(try fixture.store.info(namespace: Self.vault, id: id) == nil)
            #expect(try fixture.pendingUploadCount() == 0)
        }
    }

    @Test(arguments: BlobStoreBackend.allCases)
    func blobsOverTheLimitAreRefused(backend: BlobStoreBackend) async throws {
        try await backend.withFixture(maxBlobSize: 100_000) { fixture in
            let bytes = TestBlob.bytes(count: 100_001, seed: 4)
            let id = try TestBlob.id(of: bytes)
            #expect(throws: BlobStoreError.tooLarge(limit: 100_000)) {
                try fixture.store.beginUpload(namespace: Self.vault, id: id, expectedSize: 100_001)
            }
            let streamed = try fixture.store.beginUpload(namespace: Self.vault, id: id, expectedSize: nil)
            #expect(throws: BlobStoreError.tooLarge(limit: 100_000)) { try TestBlob.write(bytes, to: streamed) }
            #expect(throws: BlobStoreError.uploadClosed) { try streamed.commit() }
            #expect(try fixture.pendingUploadCount() == 0)

            let atLimit = Array(bytes.prefix(100_000))
            #expect(try TestBlob.put(atLimit, into: fixture.store, namespace: Self.vault).size == 100_000)
        }
    }

    @Test(arguments: BlobStoreBackend.allCases)
    func abortedUploadLeavesNothing(backend: BlobStoreBackend) async throws {
        try await backend.withFixture { fixture in
            let bytes = TestBlob.bytes(count: 50_000, seed: 5)
            let id = try TestBlob.id(of: bytes)
            let upload = try fixture.store.beginUpload(namespace: Self.vault, id: id, expectedSize: 50_000)
            try TestBlob.write(Array(bytes.prefix(20_000)), to: upload)
            #expect(try fixture.pendingUploadCount() == 1)
            upload.abort()
            upload.abort()
            #expect(try fixture.pendingUploadCount() == 0)
            #expect(throws: BlobStoreError.uploadClosed) { try bytes.withUnsafeBytes { try upload.write($0) } }
            #expect(throws: BlobStoreError.uploadClosed) { try upload.commit() }
            #expect(try fixture.store.info(namespace: Self.vault, id: id) == nil)
        }
    }

    @Test(arguments: BlobStoreBackend.allCases)
    func droppedUploadLeavesNothing(backend: BlobStoreBackend) async throws {
        try await backend.withFixture { fixture in
            let bytes = TestBlob.bytes(count: 50_000, seed: 6)
            let id = try TestBlob.id(of: bytes)
            do {
                let upload = try fixture.store.beginUpload(namespace: Self.vault, id: id, expectedSize: nil)
                try TestBlob.write(Array(bytes.prefix(30_000)), to: upload)
                #expect(try fixture.pendingUploadCount() == 1)
            }
            #expect(try fixture.pendingUploadCount() == 0)
            #expect(try fixture.store.info(namespace: Self.vault, id: id) == nil)
        }
    }

    @Test(arguments: BlobStoreBackend.allCases)
    func committedUploadIsClosed(backend: BlobStoreBackend) async throws {
        try await backend.withFixture { fixture in
            let bytes = TestBlob.bytes(count: 10, seed: 8)
            let upload = try fixture.store.beginUpload(namespace: Self.vault, id: try TestBlob.id(of: bytes), expectedSize: 10)
            try TestBlob.write(bytes, to: upload)
            _ = try upload.commit()
            #expect(throws: BlobStoreError.uploadClosed) { try upload.commit() }
            #expect(throws: BlobStoreError.uploadClosed) { try bytes.withUnsafeBytes { try upload.write($0) } }
            upload.abort()
            #expect(try fixture.store.verify(namespace: Self.vault, id: try TestBlob.id(of: bytes)))
        }
    }

    // MARK: Content addressing

    @Test(arguments: BlobStoreBackend.allCases)
    func rePutIsIdempotent(backend: BlobStoreBackend) async throws {
        try await backend.withFixture { fixture in
            let bytes = TestBlob.bytes(count: 12_345, seed: 9)
            let first = try TestBlob.put(bytes, into: fixture.store, namespace: Self.vault)
            let second = try TestBlob.put(bytes, into: fixture.store, namespace: Self.vault, announceSize: false)
            #expect(second.id == first.id)
            #expect(second.size == first.size)
            #expect(second.created >= first.created)
            #expect(try TestBlob.collect(fixture.store.blobs(in: Self.vault)).map(\.id) == [first.id])
            #expect(try fixture.store.verify(namespace: Self.vault, id: first.id))
            #expect(try fixture.pendingUploadCount() == 0)
        }
    }

    @Test(arguments: BlobStoreBackend.allCases)
    func concurrentUploadsOfOneIDEndWithOneValidBlob(backend: BlobStoreBackend) async throws {
        try await backend.withFixture { fixture in
            let store = fixture.store
            let bytes = TestBlob.bytes(count: 300_000, seed: 10)
            let id = try TestBlob.id(of: bytes)
            let sizes = try await withThrowingTaskGroup(of: Int64.self) { group in
                for index in 0..<6 {
                    group.addTask {
                        try TestBlob.put(bytes, into: store, namespace: Self.vault, announceSize: index.isMultiple(of: 2)).size
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(sizes == [Int64](repeating: 300_000, count: 6))
            #expect(try TestBlob.collect(store.blobs(in: Self.vault)).map(\.id) == [id])
            #expect(try store.verify(namespace: Self.vault, id: id))
            #expect(try store.open(namespace: Self.vault, id: id).readAll(maxBytes: 1 << 20) == bytes)
            #expect(try fixture.pendingUploadCount() == 0)
        }
    }

    @Test(arguments: BlobStoreBackend.allCases)
    func namespacesAreIsolated(backend: BlobStoreBackend) async throws {
        try await backend.withFixture { fixture in
            let bytes = TestBlob.bytes(count: 100, seed: 11)
            let info = try TestBlob.put(bytes, into: fixture.store, namespace: Self.vault)
            #expect(try fixture.store.info(namespace: Self.otherVault, id: info.id) == nil)
            #expect(throws: BlobStoreError.notFound) { try fixture.store.open(namespace: Self.otherVault, id: info.id) }
            #expect(try fixture.store.delete(namespace: Self.otherVault, id: info.id) == false)
            #expect(try fixture.store.info(namespace: Self.vault, id: info.id) != nil)
            // Namespaces differing only in case are different namespaces.
            #expect(try fixture.store.info(namespace: BlobNamespace("VAULT-1"), id: info.id) == nil)
        }
    }

    @Test(arguments: BlobStoreBackend.allCases)
    func invalidNamespacesAndIDsAreRejected(backend: BlobStoreBackend) async throws {
        try await backend.withFixture { fixture in
            for text in ["", ".", "..", "/", "a/b", "../vault-1", "vault 1", "vault\u{0}", "vault.1", "vaulté",
                         String(repeating: "v", count: 65)] {
                #expect(throws: BlobStoreError.invalidNamespace) { try BlobNamespace(text) }
            }
            let hex = try TestBlob.id(of: [1, 2, 3]).hex
            for text in [hex.uppercased(), String(hex.dropLast()), hex + "0", "../" + hex.dropFirst(3),
                         String(hex.dropLast()) + "/", String(hex.dropLast()) + "g", ""] {
                #expect(throws: BlobStoreError.invalidID) { try BlobID(validating: text) }
            }
            // Nothing was created by any of it.
            #expect(try TestBlob.collect(fixture.store.namespaces()).isEmpty)
        }
    }

    // MARK: Listing, scrub, deletion

    @Test(arguments: BlobStoreBackend.allCases)
    func enumerationListsExactlyWhatWasCommitted(backend: BlobStoreBackend) async throws {
        try await backend.withFixture { fixture in
            let store = fixture.store
            var expected: Set<BlobID> = []
            for seed in 0..<40 {
                expected.insert(try TestBlob.put(TestBlob.bytes(count: 100 + seed, seed: UInt64(seed)), into: store, namespace: Self.vault).id)
            }
            let other = try TestBlob.put([42], into: store, namespace: Self.otherVault)
            // Neither a rejected nor an abandoned upload shows up.
            let rejected = try store.beginUpload(namespace: Self.vault, id: other.id, expectedSize: 1)
            try [UInt8(43)].withUnsafeBytes { try rejected.write($0) }
            #expect(throws: BlobStoreError.hashMismatch) { try rejected.commit() }
            let pending = try store.beginUpload(namespace: Self.vault, id: try TestBlob.id(of: [44]), expectedSize: 1)
            try [UInt8(44)].withUnsafeBytes { try pending.write($0) }

            let listed = try TestBlob.collect(store.blobs(in: Self.vault))
            #expect(listed.count == 40)
            #expect(Set(listed.map(\.id)) == expected)
            for info in listed {
                #expect(try store.info(namespace: Self.vault, id: info.id)?.size == info.size)
            }
            #expect(try TestBlob.collect(store.blobs(in: Self.otherVault)).map(\.id) == [other.id])
            #expect(Set(try TestBlob.collect(store.namespaces())) == [Self.vault, Self.otherVault])
            #expect(try TestBlob.collect(store.blobs(in: BlobNamespace("never-used"))).isEmpty)
            pending.abort()
        }
    }

    @Test(arguments: BlobStoreBackend.allCases)
    func verifyDetectsACorruptedBlob(backend: BlobStoreBackend) async throws {
        try await backend.withFixture { fixture in
            let intact = try TestBlob.put(TestBlob.bytes(count: 5000, seed: 12), into: fixture.store, namespace: Self.vault)
            let damaged = try TestBlob.put(TestBlob.bytes(count: 5000, seed: 13), into: fixture.store, namespace: Self.vault)
            try fixture.corrupt(namespace: Self.vault, id: damaged.id)
            #expect(try fixture.store.verify(namespace: Self.vault, id: damaged.id) == false)
            #expect(try fixture.store.verify(namespace: Self.vault, id: intact.id))
            #expect(throws: BlobStoreError.notFound) {
                try fixture.store.verify(namespace: Self.vault, id: TestBlob.id(of: [9]))
            }
        }
    }

    @Test(arguments: BlobStoreBackend.allCases)
    func deleteRemovesOneBlob(backend: BlobStoreBackend) async throws {
        try await backend.withFixture { fixture in
            let store = fixture.store
            let gone = try TestBlob.put(TestBlob.bytes(count: 64, seed: 14), into: store, namespace: Self.vault)
            let kept = try TestBlob.put(TestBlob.bytes(count: 64, seed: 15), into: store, namespace: Self.vault)
            #expect(try store.delete(namespace: Self.vault, id: gone.id))
            #expect(try store.info(namespace: Self.vault, id: gone.id) == nil)
            #expect(throws: BlobStoreError.notFound) { try store.open(namespace: Self.vault, id: gone.id) }
            #expect(try store.delete(namespace: Self.vault, id: gone.id) == false)
            #expect(try store.delete(namespace: BlobNamespace("no-such-vault"), id: gone.id) == false)
            #expect(try TestBlob.collect(store.blobs(in: Self.vault)).map(\.id) == [kept.id])
        }
    }

    @Test(arguments: BlobStoreBackend.allCases)
    func deletedBlobStaysReadableThroughAnOpenReader(backend: BlobStoreBackend) async throws {
        try await backend.withFixture { fixture in
            let bytes = TestBlob.bytes(count: 3000, seed: 16)
            let info = try TestBlob.put(bytes, into: fixture.store, namespace: Self.vault)
            let reader = try fixture.store.open(namespace: Self.vault, id: info.id)
            #expect(try fixture.store.delete(namespace: Self.vault, id: info.id))
            #expect(try reader.readAll(maxBytes: 3000) == bytes)
        }
    }

    @Test(arguments: BlobStoreBackend.allCases)
    func deleteNamespaceRemovesAllOfItAndNothingElse(backend: BlobStoreBackend) async throws {
        try await backend.withFixture { fixture in
            let store = fixture.store
            var ids: [BlobID] = []
            for seed in 0..<10 {
                ids.append(try TestBlob.put(TestBlob.bytes(count: 10, seed: UInt64(seed)), into: store, namespace: Self.vault).id)
            }
            let other = try TestBlob.put([1], into: store, namespace: Self.otherVault)
            #expect(try store.deleteNamespace(Self.vault))
            #expect(try store.deleteNamespace(Self.vault) == false)
            for id in ids { #expect(try store.info(namespace: Self.vault, id: id) == nil) }
            #expect(try TestBlob.collect(store.blobs(in: Self.vault)).isEmpty)
            #expect(try TestBlob.collect(store.namespaces()) == [Self.otherVault])
            #expect(try store.verify(namespace: Self.otherVault, id: other.id))
            #expect(try fixture.pendingUploadCount() == 0)
            // The namespace can be used again.
            #expect(try TestBlob.put(TestBlob.bytes(count: 10, seed: 0), into: store, namespace: Self.vault).id == ids[0])
        }
    }
}
