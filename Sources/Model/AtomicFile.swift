import Foundation

/// Writes files so that a crash leaves either the old file or the complete new one.
public enum AtomicFile {
    public static func write(_ data: Data, to path: String) throws(ModelError) {
        try data.withUnsafeBytes { raw in Result { () throws(ModelError) in try write([raw], to: path) } }.get()
    }

    /// Writes the parts one after another as one file, straight from where they are.
    public static func write(_ parts: [UnsafeRawBufferPointer], to path: String) throws(ModelError) {
        let temporary = path + ".tmp-\(ProcessInfo.processInfo.processIdentifier)"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw .checkpoint("cannot create '\(temporary)': \(String(cString: strerror(errno)))") }
        var ok = true
        for raw in parts where ok {
            var written = 0
            while written < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + written, raw.count - written)
                if n <= 0 { ok = false; break }
                written += n
            }
        }
        ok = ok && fsync(fd) == 0
        close(fd)
        guard ok else {
            unlink(temporary)
            throw .checkpoint("cannot write '\(path)': \(String(cString: strerror(errno)))")
        }
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw .checkpoint("cannot rename '\(temporary)' to '\(path)': \(String(cString: strerror(errno)))")
        }
    }
}
