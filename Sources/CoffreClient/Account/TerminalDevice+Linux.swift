import Dispatch
import Glibc

/// The controlling terminal (`/dev/tty`), opened to ask for a password without echo even when
/// standard input and output are redirected.
///
/// Owns the descriptor; every call is checked and retried on EINTR. While echo is off, Ctrl-C
/// restores the terminal before the process exits with status 130, so a shell is never left
/// without echo.
final class TerminalDevice {
    private let fd: Int32

    /// Opens `/dev/tty` (O_NOCTTY: never becomes the controlling terminal).
    init() throws(AccountError) {
        let (fd, code) = retryingOnInterrupt { open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC) }
        guard fd >= 0 else {
            throw .password(
                "no terminal to ask for the password (\(String(cString: strerror(code)))); set COFFRE_PASSWORD or pass --password-file FILE")
        }
        self.fd = fd
    }

    deinit {
        // close(2) is not retried on EINTR: on Linux the descriptor is released anyway.
        _ = close(fd)
    }

    /// Shows `prompt`, reads one line with echo off (termios(3): ECHO cleared, ECHONL set so
    /// the Enter key still moves to the next line), restores the terminal.
    func readSecret(prompt: String) throws(AccountError) -> String {
        var saved = termios()
        guard tcgetattr(fd, &saved) == 0 else { throw failure("tcgetattr") }
        var quiet = saved
        quiet.c_lflag &= ~tcflag_t(ECHO)
        quiet.c_lflag |= tcflag_t(ECHONL)
        // Ctrl-C is handled and echo is off before the prompt shows, so neither can be missed.
        let interrupt = restoringOnInterrupt(saved)
        defer {
            interrupt.cancel()
            signal(SIGINT, SIG_DFL)
        }
        // TCSAFLUSH: drop typed-ahead input, so nothing typed before the prompt is taken.
        guard tcsetattr(fd, TCSAFLUSH, &quiet) == 0 else { throw failure("tcsetattr") }
        defer { _ = tcsetattr(fd, TCSANOW, &saved) }
        try write(prompt)
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let (count, code) = retryingOnInterrupt { read(fd, &byte, 1) }
            guard count >= 0 else { throw AccountError.system(operation: "read", path: "/dev/tty", code: code) }
            if count == 0 || byte == 10 { break }
            // Keep reading past the limit (to consume the line) but never store more.
            if line.count <= PasswordInput.maximumBytes { line.append(byte) }
        }
        if line.last == 13 { line.removeLast() }
        guard line.count <= PasswordInput.maximumBytes else { throw .password("the password is longer than \(PasswordInput.maximumBytes) bytes") }
        guard let text = String(validating: line, as: UTF8.self) else { throw .password("the password is not UTF-8 text") }
        return text
    }

    private func write(_ text: String) throws(AccountError) {
        let bytes = Array(text.utf8)
        var done = 0
        while done < bytes.count {
            let (written, code) = bytes[done...].withUnsafeBytes { raw in retryingOnInterrupt { Glibc.write(fd, raw.baseAddress, raw.count) } }
            guard written > 0 else { throw .system(operation: "write", path: "/dev/tty", code: written < 0 ? code : EIO) }
            done += written
        }
    }

    /// Ignores SIGINT's default action and handles it on a Dispatch queue instead: restore the
    /// terminal settings, end the prompt line, exit 130 (128 + SIGINT, as shells report it).
    private func restoringOnInterrupt(_ saved: termios) -> any DispatchSourceSignal {
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        let fd = self.fd
        source.setEventHandler {
            var original = saved
            _ = tcsetattr(fd, TCSANOW, &original)
            _ = Glibc.write(fd, "\n", 1)
            _exit(130)
        }
        source.resume()
        return source
    }

    private func failure(_ call: String) -> AccountError {
        .system(operation: call, path: "/dev/tty", code: errno)
    }
}
