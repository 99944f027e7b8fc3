import Foundation

/// A minimal ustar reader for checking exports: verifies each header's checksum and magic and
/// returns the files in order.
enum TarReader {
    struct File: Equatable {
        let path: String
        let contents: [UInt8]
        let mode: Int
    }

    enum Failure: Error { case truncated, badChecksum, badMagic, badNumber, missingEnd }

    static func files(in archive: [UInt8]) throws -> [File] {
        var files: [File] = []
        var offset = 0
        while true {
            guard offset + 512 <= archive.count else { throw Failure.truncated }
            let header = Array(archive[offset..<(offset + 512)])
            if header.allSatisfy({ $0 == 0 }) {
                guard offset + 1024 == archive.count, archive[(offset + 512)...].allSatisfy({ $0 == 0 }) else { throw Failure.missingEnd }
                return files
            }
            var forSum = header
            for index in 148..<156 { forSum[index] = UInt8(ascii: " ") }
            guard try octal(header[148..<156]) == forSum.reduce(0, { $0 + Int($1) }) else { throw Failure.badChecksum }
            guard Array(header[257..<263]) == Array("ustar".utf8) + [0], Array(header[263..<265]) == Array("00".utf8) else {
                throw Failure.badMagic
            }
            let name = string(header[0..<100])
            let prefix = string(header[345..<500])
            let size = try octal(header[124..<136])
            let start = offset + 512
            guard start + size <= archive.count else { throw Failure.truncated }
            files.append(File(
                path: prefix.isEmpty ? name : prefix + "/" + name, contents: Array(archive[start..<(start + size)]),
                mode: try octal(header[100..<108])))
            offset = start + (size + 511) / 512 * 512
        }
    }

    private static func string(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    private static func octal(_ bytes: ArraySlice<UInt8>) throws -> Int {
        let digits = bytes.prefix { $0 != 0 && $0 != UInt8(ascii: " ") }
        guard !digits.isEmpty, let value = Int(String(decoding: digits, as: UTF8.self), radix: 8) else { throw Failure.badNumber }
        return value
    }
}

/// Collects streamed bytes.
final class ByteCollector: @unchecked Sendable {
    // @unchecked Sendable: `bytes` is only touched under `lock`.
    private let lock = NSLock()
    private var bytes: [UInt8] = []

    func append(_ piece: [UInt8]) {
        lock.lock()
        bytes += piece
        lock.unlock()
    }

    var collected: [UInt8] {
        lock.lock()
        defer { lock.unlock() }
        return bytes
    }
}
