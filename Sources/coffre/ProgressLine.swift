import CoffreClient
import Foundation
import Glibc
import Synchronization

/// The one-line progress display of `coffre sync` on a terminal: phase, files and bytes done
/// out of the round's plan, the rate, and the time left at that rate. Redrawn at most 5 times
/// a second with a carriage return and "erase line" (ECMA-48 §8.3.41, EL); nothing at all
/// when standard output is not a terminal (isatty(3)).
final class ProgressLine: Sendable {
    private struct State {
        var started: ContinuousClock.Instant?
        var lastDraw: ContinuousClock.Instant?
        var drawn = false
    }

    private let state = Mutex(State())
    private let clock = ContinuousClock()

    /// A progress line, or nil when standard output is not a terminal.
    static func forStandardOutput() -> ProgressLine? {
        isatty(STDOUT_FILENO) == 1 ? ProgressLine() : nil
    }

    /// Draws `progress` unless the last drawing is too recent.
    func update(_ progress: SyncProgress) {
        let now = clock.now
        let text: String? = state.withLock { state in
            if let last = state.lastDraw, now - last < .milliseconds(200), progress.filesDone < progress.filesTotal { return nil }
            let started = state.started ?? now
            state.started = started
            state.lastDraw = now
            state.drawn = true
            return Self.render(progress, elapsed: now - started)
        }
        if let text { CommandOutput.print("\r\u{1B}[K" + text) }
    }

    /// Erases the line, so what follows starts on a clean one.
    func clear() {
        let drawn = state.withLock { state in
            defer { state = State() }
            return state.drawn
        }
        if drawn { CommandOutput.print("\r\u{1B}[K") }
    }

    /// `uploading 12/300 files, 3.1 MiB/10 MiB, 2.0 MiB/s, 4 s left`.
    static func render(_ progress: SyncProgress, elapsed: Duration) -> String {
        let phase: String
        switch progress.phase {
        case .scanning: phase = "scanning"
        case .downloading: phase = "downloading"
        case .uploading: phase = "uploading"
        case .committing: phase = "committing"
        }
        var text = "\(phase) \(progress.filesDone)/\(progress.filesTotal) files, "
        text += "\(DisplayFormat.bytes(progress.bytesDone))/\(DisplayFormat.bytes(progress.bytesTotal))"
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        guard seconds >= 0.5, progress.bytesDone > 0 else { return text }
        let rate = Double(progress.bytesDone) / seconds
        text += ", \(DisplayFormat.bytes(Int64(rate)))/s"
        let left = Double(max(0, progress.bytesTotal - progress.bytesDone)) / rate
        if left.isFinite { text += ", \(DisplayFormat.duration(seconds: Int64(min(left, 1e9).rounded(.up)))) left" }
        return text
    }
}
