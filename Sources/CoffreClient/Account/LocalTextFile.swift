import Glibc

/// Reads the first line of a small local text file (a password file, `DATA/admin.token`,
/// `DATA/coffred.url`) without trusting its size: at most `maximumBytes` + 2 bytes are read.
enum LocalTextFile {
    /// Why the line could not be read.
    enum Failure: Error, Equatable, CustomStringConvertible {
        /// open(2) failed with this errno.
        case cannotOpen(Int32)
        /// read(2) failed.
        case cannotRead(Int32)
        /// The first line is longer than the limit.
        case tooLong(Int)
        /// The line is not UTF-8.
        case notUTF8

        var description: String {
            switch self {
            case .cannotOpen(let code), .cannotRead(let code): String(cString: strerror(code))
            case .tooLong(let limit): "its first line is longer than \(limit) bytes"
            case .notUTF8: "it is not UTF-8 text"
            }
        }
    }

    /// The first line, without `\n` or `\r\n`.
    static func firstLine(ofFile path: String, maximumBytes: Int) throws(Failure) -> String {
        let file: LocalFileDescriptor
        switch LocalFileDescriptor.open(path, in: AT_FDCWD, flags: O_RDONLY) {
        case .success(let opened): file = opened
        case .failure(let error): throw .cannotOpen(error.code)
        }
        var buffer = [UInt8](repeating: 0, count: maximumBytes + 2)
        var count = 0
        do throws(LocalFSError) {
            while count < buffer.count, !buffer[0..<count].contains(10) {
                let read = try file.read(into: &buffer, from: count, operation: "read")
                if read == 0 { break }
                count += read
            }
        } catch {
            if case .system(_, let code) = error { throw .cannotRead(code) }
            throw .cannotRead(EIO)
        }
        var line = buffer[0..<count]
        if let newline = line.firstIndex(of: 10) { line = line[..<newline] }
        if line.last == 13 { line = line.dropLast() }
        guard line.count <= maximumBytes else { throw .tooLong(maximumBytes) }
        guard let text = String(validating: line, as: UTF8.self) else { throw .notUTF8 }
        return text
    }
}
