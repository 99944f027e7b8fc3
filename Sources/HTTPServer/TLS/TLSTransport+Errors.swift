import COpenSSL
import Glibc

extension TLSTransport {
    /// Turns an SSL_get_error(3) code into what the event loop does next.
    ///
    /// - WANT_READ / WANT_WRITE: wait for the socket.
    /// - ZERO_RETURN: the peer sent close_notify → `.closed`.
    /// - SYSCALL with an empty error queue: end of stream, ECONNRESET or EPIPE → `.closed`;
    ///   another errno → `.failed`.
    /// - SSL: "unexpected eof while reading" (the peer closed without close_notify) → `.closed`;
    ///   HTTP's own framing (RFC 9112 §6.3) detects a truncated message. Anything else → `.failed`
    ///   with the error queue text and, for a rejected certificate, the verification reason.
    func classify(_ code: Int32, session: OpaquePointer, socketErrno: Int32) -> TransportResult {
        switch code {
        case SSL_ERROR_WANT_READ:
            return .wantRead
        case SSL_ERROR_WANT_WRITE:
            return .wantWrite
        case SSL_ERROR_ZERO_RETURN:
            return .closed
        case SSL_ERROR_SYSCALL:
            hadFatalError = true
            if ERR_peek_error() == 0 {
                switch socketErrno {
                case 0, ECONNRESET, EPIPE: return .closed
                default: return .failed("socket error: \(TLSError.systemErrorText(socketErrno))")
                }
            }
            return .failed(TLSError.drainErrorQueue())
        case SSL_ERROR_SSL:
            hadFatalError = true
            if ERR_GET_REASON(ERR_peek_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING {
                ERR_clear_error()
                return .closed
            }
            let certificateRejected = ERR_GET_REASON(ERR_peek_error()) == SSL_R_CERTIFICATE_VERIFY_FAILED
            var text = TLSError.drainErrorQueue()
            if certificateRejected {
                // SSL_get_verify_result(3): why the chain, the name or the pin was not accepted.
                text += " (\(String(cString: X509_verify_cert_error_string(SSL_get_verify_result(session)))))"
            }
            return .failed(text)
        default:
            hadFatalError = true
            ERR_clear_error()
            return .failed("unexpected SSL_get_error code \(code)")
        }
    }
}
