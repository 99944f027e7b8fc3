#if canImport(Glibc)
import Glibc
#endif

/// Restricts the calling thread — and every thread it creates afterwards, which inherit its
/// mask (sched_setaffinity(2)) — to some CPUs, so "one worker" really runs on one core.
///
/// `sched_setaffinity` is declared only under `_GNU_SOURCE`, which Swift's Glibc module does
/// not define; the bench finds it in the C library with dlsym(3) rather than growing a shared
/// shim target for a benchmark-only call.
enum CPUAffinity {
    private typealias SetAffinity = @convention(c) (pid_t, Int, UnsafeRawPointer) -> Int32

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs the calling thread on `cpus` only (empty: every CPU of `cpuCount`).
    static func restrictCallingThread(to cpus: [Int], cpuCount: Int) throws {
        guard let program = dlopen(nil, RTLD_NOW), let symbol = dlsym(program, "sched_setaffinity") else {
            throw Failure(description: "sched_setaffinity not found: \(String(cString: dlerror()))")
        }
        let setAffinity = unsafeBitCast(symbol, to: SetAffinity.self)
        var mask = cpu_set_t()
        let chosen = cpus.isEmpty ? Array(0..<cpuCount) : cpus
        withUnsafeMutableBytes(of: &mask) { raw in
            for cpu in chosen where cpu / 8 < raw.count { raw[cpu / 8] |= UInt8(1) << UInt8(cpu % 8) }
        }
        let result = withUnsafeBytes(of: &mask) { setAffinity(0, $0.count, $0.baseAddress!) }
        guard result == 0 else {
            let code = errno
            throw Failure(description: "sched_setaffinity failed: errno \(code) (\(String(cString: strerror(code))))")
        }
    }
}
