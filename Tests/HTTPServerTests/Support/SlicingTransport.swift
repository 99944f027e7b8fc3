import Glibc
import HTTPServer

/// A transport that claims to be encrypted (so the server must not use sendfile) and moves at
/// most a few hundred bytes per call, to exercise partial reads and writes.
final class SlicingTransport: ConnectionTransport {
    let inner: PlainTransport
    var fileDescriptor: Int32 { inner.fileDescriptor }
    var isEncrypted: Bool { true }

    init(fileDescriptor: Int32) {
        inner = PlainTransport(fileDescriptor: fileDescriptor)
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> TransportResult {
        inner.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<min(buffer.count, 700)]))
    }

    func write(_ buffer: UnsafeRawBufferPointer) -> TransportResult {
        inner.write(UnsafeRawBufferPointer(rebasing: buffer[0..<min(buffer.count, 999)]))
    }

    func shutdown() { inner.shutdown() }
    func close() { inner.close() }
}
