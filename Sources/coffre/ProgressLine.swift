import CoffreClient
import Foundation
import Glibc
import Synchronization

/// The one-line progress display of `coffre sync` on a terminal (`VaultReport.progress`):
/// phase, files and bytes done out of the round's plan, the rate, and the time left at that
/// rate. Redrawn at most 5 times a second with a carriage return and "erase line" (ECMA-48
/// §8.3.41, EL); nothing at all when standard output is not a terminal (isatty(3)).
final class ProgressLine: Sendable {
    private struct State {
        var phase: SyncProgress.Phase?
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
            // The rate is measured over the current phase; a new phase is drawn at once.
            if state.phase != progress.phase {
                state.phase = progress.phase
                state.started = now
                state.lastDraw = nil
            }
            if let last = state.lastDraw, now - last < .milliseconds(200), progress.filesDone < progress.filesTotal { return nil }
            let started = state.started ?? now
            state.lastDraw = now
            state.drawn = true
            return VaultReport.progress(progress, elapsed: now - started)
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
}
