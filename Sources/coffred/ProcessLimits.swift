import Foundation
import Glibc
import Logging

enum ProcessLimits {
    /// Raises the soft limit on open files to the hard limit: every connection is a descriptor,
    /// and the default soft limit (often 1024) would cap the server far below `maxConnections`.
    static func raiseOpenFileLimit(logger: Logger) {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
        guard limit.rlim_cur < limit.rlim_max else { return }
        var raised = limit
        raised.rlim_cur = limit.rlim_max
        if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) != 0 {
            logger.warning("could not raise the open-file limit", metadata: ["soft": "\(limit.rlim_cur)"])
        }
    }
}

