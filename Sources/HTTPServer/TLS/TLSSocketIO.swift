import Glibc

/// The non-blocking socket under one TLS session, as OpenSSL's custom BIO sees it.
///
/// It does not own the descriptor (`TLSTransport` does); it performs the system calls and
/// remembers the last errno and whether the peer ended the stream, because OpenSSL may call
/// other functions that change `errno` before `SSL_get_error` is consulted.
final class TLSSocketIO {
    /// What one system call did.
    enum Outcome {
        case transferred(Int)
        case wouldBlock
        case endOfStream
        case failed
    }

    let fileDescriptor: Int32
    /// errno of the last failed call, 0 if none failed since the last `resetError()`.
    private(set) var lastErrno: Int32 = 0
    /// True once `recv` has returned 0 (the peer closed its side).
    private(set) var reachedEndOfStream = false

    init(fileDescriptor: Int32) {
        self.fileDescriptor = fileDescriptor
    }

    /// Forgets the previous call's errno, before a new SSL_read/SSL_write/SSL_do_handshake.
    func resetError() {
        lastErrno = 0
    }

    /// send(2) with MSG_NOSIGNAL: a peer that has gone away gives EPIPE, never SIGPIPE, whatever
    /// the process's signal disposition. EINTR is retried.
    func send(_ bytes: UnsafeRawPointer, count: Int) -> Outcome {
        while true {
            let sent = Glibc.send(fileDescriptor, bytes, count, Int32(MSG_NOSIGNAL))
            if sent >= 0 { return .transferred(sent) }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            default:
                lastErrno = errno
                return .failed
            }
        }
    }

    /// recv(2); EINTR is retried, 0 bytes means the peer closed its side.
    func receive(into bytes: UnsafeMutableRawPointer, count: Int) -> Outcome {
        while true {
            let received = Glibc.recv(fileDescriptor, bytes, count, 0)
            if received > 0 { return .transferred(received) }
            if received == 0 {
                reachedEndOfStream = true
                return .endOfStream
            }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            default:
                lastErrno = errno
                return .failed
            }
        }
    }
}
