import Glibc

/// Process figures for `/metrics` (Prometheus' standard `process_*` names), read from /proc.
enum ProcessMetrics {
    /// Start of this process, Unix seconds.
    static let startTime = Double(time(nil))

    static func render(namespace: String) -> String {
        var out = ""
        if let rss = residentBytes() {
            out += "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
            out += "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes \(rss)\n"
        }
        if let fds = openDescriptors() {
            out += "# HELP process_open_fds Number of open file descriptors.\n"
            out += "# TYPE process_open_fds gauge\nprocess_open_fds \(fds)\n"
        }
        out += "# HELP process_start_time_seconds Start time of the process since the Unix epoch.\n"
        out += "# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds \(Int(startTime))\n"
        return out
    }

    /// VmRSS from /proc/self/status, in bytes.
    static func residentBytes() -> Int? {
        guard let status = readSmallFile("/proc/self/status") else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count >= 2, let kib = Int(fields[1]) { return kib * 1024 }
        }
        return nil
    }

    static func openDescriptors() -> Int? {
        guard let directory = opendir("/proc/self/fd") else { return nil }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            let first = entry.pointee.d_name.0
            if first != UInt8(ascii: ".") { count += 1 }
        }
        return count - 1  // the descriptor opendir itself holds
    }

    private static func readSmallFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 8192)
        var total = 0
        while total < bytes.count {
            let count = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + total, $0.count - total) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            total += count
        }
        return String(decoding: bytes.prefix(total), as: UTF8.self)
    }
}
