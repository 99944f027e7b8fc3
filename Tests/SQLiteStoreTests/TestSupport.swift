import Foundation
import Synchronization

/// A fresh directory under the system temp dir; tests run in parallel, so each gets its own.
struct TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("coffre-sqlite-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

/// A value set on one thread and read on another in a test.
final class Shared<Value: Sendable>: Sendable {
    private let storage: Mutex<Value>
    init(_ value: Value) { storage = Mutex(value) }
    var value: Value {
        get { storage.withLock { $0 } }
        set { storage.withLock { $0 = newValue } }
    }
}

/// `count` bytes from the system random generator.
func randomBytes(_ count: Int) -> [UInt8] {
    var generator = SystemRandomNumberGenerator()
    var bytes = [UInt8](repeating: 0, count: count)
    bytes.withUnsafeMutableBytes { buffer in
        // Whole words, then the tail: cheap even in debug builds (tests share two threads).
        var offset = 0
        while offset + 8 <= count {
            buffer.storeBytes(of: generator.next() as UInt64, toByteOffset: offset, as: UInt64.self)
            offset += 8
        }
        var tail: UInt64 = generator.next()
        while offset < count {
            buffer[offset] = UInt8(truncatingIfNeeded: tail)
            tail >>= 8
            offset += 1
        }
    }
    return bytes
}

/// Waits up to 60 s: a guard against a hung test, not a speed requirement.
func waitLong(_ semaphore: DispatchSemaphore) -> Bool {
    semaphore.wait(timeout: .now() + 60) == .success
}
