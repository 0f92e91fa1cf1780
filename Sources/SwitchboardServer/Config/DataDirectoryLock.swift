import Foundation
import Synchronization

/// Keeps a second server off a data directory while one uses it.
///
/// One server per SQLite file is the supported setup (several servers share
/// PostgreSQL, not one SQLite file), and the caller-ID index relies on it: it
/// learns of changes from its own writer connection, so a second process
/// writing the same file would leave its answers stale. The lock is
/// `flock(2)` on `switchboard.lock` in the data directory: the kernel drops it
/// when the process ends, however it ends, so a crash never leaves the
/// directory locked. The file holds the holder's process id, for the error
/// the next one gets.
final class DataDirectoryLock: Sendable {
    /// Another server holds the data directory.
    struct InUse: Error, CustomStringConvertible {
        let directory: String
        let holder: String?

        var description: String {
            let who = holder.map { "another Switchboard server (process \($0))" } ?? "another Switchboard server"
            return "the data directory \(directory) is in use by \(who). One server per data directory: stop that one, "
                + "or give this one its own --data-dir (servers that share data share PostgreSQL, not one SQLite file)."
        }
    }

    private let descriptor: Mutex<Int32?>

    /// Takes the lock, or throws `InUse` at once (it never waits).
    init(directory: String) throws {
        let path = (directory as NSString).appendingPathComponent("switchboard.lock")
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let busy = errno == EWOULDBLOCK
            var bytes = [UInt8](repeating: 0, count: 32)
            let count = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
            close(fd)
            guard busy else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            let holder = String(decoding: bytes.prefix(max(count, 0)), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw InUse(directory: directory, holder: holder.isEmpty ? nil : holder)
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        descriptor = Mutex(fd)
    }

    /// Lets the next server in (also when this object goes away).
    func release() {
        guard let fd = descriptor.withLock({ fd in defer { fd = nil }; return fd }) else { return }
        _ = ftruncate(fd, 0)
        close(fd)  // closing the last descriptor of the open file drops the flock
    }

    deinit { release() }
}
