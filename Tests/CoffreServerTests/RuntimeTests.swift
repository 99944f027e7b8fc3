@testable import CoffreServer
import Foundation
import Glibc
import Logging
import Synchronization
import Testing

@Suite struct DataDirectoryTests {
    private func tempPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("coffre-data-\(UUID().uuidString)").path
    }

    @Test func createsPrivateLayoutAndLocks() throws {
        let path = tempPath() + "/nested/data"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let data = try DataDirectory(path: path)
        var info = stat()
        #expect(stat(path, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o700)
        #expect(FileManager.default.fileExists(atPath: data.file("blobs")))
        #expect(FileManager.default.fileExists(atPath: data.file("tmp")))
        #expect(throws: RuntimeError.dataDirectoryInUse(path: path)) { try DataDirectory(path: path) }
        _ = data
    }

    @Test func lockIsReleasedWithTheObject() throws {
        let path = tempPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        do { _ = try DataDirectory(path: path) }
        _ = try DataDirectory(path: path)
    }

    @Test func aFileInTheWayIsAClearError() throws {
        let path = tempPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        FileManager.default.createFile(atPath: path, contents: Data("x".utf8))
        #expect(throws: RuntimeError.notADirectory(path: path)) { try DataDirectory(path: path) }
    }
}

@Suite struct StructuredLogHandlerTests {
    final class Lines: Sendable {
        let value = Mutex<[String]>([])
    }

    @Test func textLinesQuoteAndEscape() {
        let lines = Lines()
        var logger = Logger(label: "t") { _ in
            StructuredLogHandler(label: "coffred", format: .text, level: .info) { line in lines.value.withLock { $0.append(line) } }
        }
        logger[metadataKey: "component"] = "http"
        logger.info("listening on x", metadata: ["port": "8080", "note": "a \"b\"\nc"])
        logger.debug("not shown")
        let captured = lines.value.withLock { $0 }
        #expect(captured.count == 1)
        let line = captured[0]
        #expect(line.hasSuffix("\n"))
        #expect(line.contains("level=info label=coffred msg=\"listening on x\""))
        #expect(line.contains("component=http"))
        #expect(line.contains("note=\"a \\\"b\\\"\\nc\""))
        #expect(line.contains("port=8080"))
    }

    @Test func jsonLinesParse() throws {
        let lines = Lines()
        let logger = Logger(label: "t") { _ in
            StructuredLogHandler(label: "coffred", format: .json, level: .debug) { line in lines.value.withLock { $0.append(line) } }
        }
        logger.warning("disk low", metadata: ["free": "12"])
        let line = try #require(lines.value.withLock { $0.first })
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
        #expect(object["msg"] == "disk low")
        #expect(object["level"] == "warning")
        #expect(object["free"] == "12")
    }
}
