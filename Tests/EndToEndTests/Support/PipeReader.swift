import Foundation
import Glibc

/// Collects what a child process writes to one of its pipes, waiting with poll(2) so that a
/// silent or dead process ends the wait instead of blocking the test.
final class PipeReader: @unchecked Sendable {
    // @unchecked Sendable: owned by one test object and used by its test one call at a time.
    let pipe = Pipe()
    /// Everything read so far.
    private(set) var text = ""

    /// Reads until `done(text)` holds, the pipe closes, the process exits or `timeoutSeconds`
    /// pass (a limit so that a broken command cannot hang the suite, not a timing assertion).
    /// Returns whether `done` held.
    func wait(for process: ChildProcess, timeoutSeconds: Double = 60, until done: (String) -> Bool) -> Bool {
        let handle = pipe.fileHandleForReading
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while !done(text), Date() < deadline {
            var poller = pollfd(fd: handle.fileDescriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 100) > 0 else {
                if !process.isRunning { break }
                continue
            }
            let data = handle.availableData
            if data.isEmpty { break }
            text += String(decoding: data, as: UTF8.self)
        }
        return done(text)
    }

    /// The end the child writes to.
    var childEnd: Int32 { pipe.fileHandleForWriting.fileDescriptor }

    /// Closes this process's copy of the child's end once the child is started, so that the
    /// child's exit is seen as end of file.
    func childStarted() {
        try? pipe.fileHandleForWriting.close()
    }

    /// Everything written, once the process has exited (it closed the pipe).
    func all() -> String {
        text += String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return text
    }
}
