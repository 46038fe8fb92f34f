import Foundation
import Kernels

/// A file mapped read-only into memory whose pages can be handed back once read.
///
/// Loading a 2 GB weights file through a mapping that stays whole kept every page of it resident
/// beside the weights copied out of it — twice the model's size at the peak. Pages handed back
/// with `release` leave the process's resident memory; reading them again maps them in again
/// from the file, so a release never changes what is read.
final class MappedFile: @unchecked Sendable {
    /// The file's bytes (a valid address even for an empty file).
    let bytes: UnsafeRawBufferPointer
    private let mapping: UnsafeMutableRawPointer?

    init(path: String) throws(ModelError) {
        let fd = open(path, O_RDONLY | O_NONBLOCK)  // a pipe in its place must not block the open
        guard fd >= 0 else { throw .checkpoint("cannot read '\(path)': \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .checkpoint("cannot read '\(path)': \(String(cString: strerror(errno)))") }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw .checkpoint("cannot read '\(path)': not a regular file") }
        let count = Int(info.st_size)
        if count == 0 {
            mapping = nil
            bytes = UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: 8), count: 0)
            return
        }
        guard let address = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0), address != UnsafeMutableRawPointer(bitPattern: -1) else {
            throw .checkpoint("cannot map '\(path)' (\(count) bytes): \(String(cString: strerror(errno)))")
        }
        mapping = address
        bytes = UnsafeRawBufferPointer(start: address, count: count)
    }

    deinit {
        if let mapping { munmap(mapping, bytes.count) }
    }

    /// Hands back the whole pages inside `range` (byte offsets into the file); a range that reaches
    /// the end of the file takes its last page too, which the mapping holds whole.
    func release(_ range: Range<Int>) {
        guard let mapping else { return }
        let end = range.upperBound >= bytes.count ? (bytes.count + MemoryPages.size - 1) / MemoryPages.size * MemoryPages.size
                                                  : range.upperBound
        MemoryPages.release(from: mapping + range.lowerBound, to: mapping + end)
    }
}
