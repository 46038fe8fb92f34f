import Foundation
import Kernels

/// Reads and writes the safetensors format: an 8-byte little-endian header length, a JSON header
/// naming each tensor's dtype, shape and byte range, then the raw little-endian data.
///
/// Files Strawberry writes carry the XXH64 of their data in the header's metadata
/// (`strawberry_xxh64`), checked on load; files from other tools have none and load unchecked.
/// `STRAWBERRY_SKIP_CHECKSUM=1` loads a file whose data no longer matches its checksum.
public enum Safetensors {
    /// The metadata key of the data checksum.
    public static let checksumKey = "strawberry_xxh64"
    /// A float32 tensor to write: its name, shape and values.
    public struct Entry {
        public let name: String
        public let shape: [Int]
        public let data: UnsafeBufferPointer<Float>
        public init(name: String, shape: [Int], data: UnsafeBufferPointer<Float>) {
            self.name = name
            self.shape = shape
            self.data = data
        }
    }

    /// One tensor described by a file's header.
    public struct TensorInfo: Sendable, Equatable {
        public let dtype: String
        public let shape: [Int]
        public let begin: Int
        public let end: Int
    }

    /// A parsed file: its header and its bytes, mapped. Reading a tensor hands its pages back, so a
    /// model loaded tensor by tensor holds at most one tensor of the file beside its weights.
    public struct File: Sendable {
        public let path: String
        public let tensors: [String: TensorInfo]
        public let metadata: [String: String]
        let mapped: MappedFile
        let dataStart: Int

        /// The header entry of a tensor that can be read as `shape`; checked from the header alone,
        /// before anything is allocated for it.
        @discardableResult
        public func check(_ name: String, shape: [Int]) throws(ModelError) -> TensorInfo {
            guard let info = tensors[name] else { throw .checkpoint("'\(path)' has no tensor '\(name)'") }
            guard ["F32", "F16", "BF16"].contains(info.dtype) else {
                throw .checkpoint("tensor '\(name)' in '\(path)' is \(info.dtype); only F32, F16 and BF16 can be read")
            }
            guard info.shape == shape else {
                throw .checkpoint("tensor '\(name)' in '\(path)' has shape \(info.shape), but the config's sizes need \(shape): the config does not match the weights")
            }
            return info
        }

        /// Copies a tensor's values into `destination` as float32 after checking its shape;
        /// F16 and BF16 (what Hugging Face checkpoints usually hold) are widened.
        public func read(_ name: String, shape: [Int], into destination: UnsafeMutablePointer<Float>) throws(ModelError) {
            let info = try check(name, shape: shape)
            let count = shape.reduce(1, *)
            defer { mapped.release((dataStart + info.begin)..<(dataStart + info.end)) }
            let src = mapped.bytes.baseAddress! + dataStart + info.begin
            switch info.dtype {
            case "F32":
                UnsafeMutableRawPointer(destination).copyMemory(from: src, byteCount: count * 4)
            case "F16":
                for i in 0..<count {
                    destination[i] = Float(Float16(bitPattern: UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))))
                }
            default:  // BF16: the top half of a float32
                for i in 0..<count {
                    let bits = UInt32(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) << 16
                    destination[i] = Float(bitPattern: bits)
                }
            }
        }
    }

    /// Parses and validates the header of the file at `path`; every inconsistency is a `.checkpoint` error.
    public static func load(_ path: String) throws(ModelError) -> File {
        let mapped = try MappedFile(path: path)
        let bytes = mapped.bytes
        guard bytes.count >= 8 else { throw .checkpoint("'\(path)' is truncated: \(bytes.count) bytes, no header") }
        let headerLength = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw .checkpoint("'\(path)' is truncated: header claims \(headerLength) bytes, file has \(bytes.count - 8) after the length")
        }
        let dataStart = 8 + Int(headerLength)
        let header = Data(bytes[8..<dataStart])
        mapped.release(0..<dataStart)
        guard let object = try? JSONSerialization.jsonObject(with: header), let json = object as? [String: Any] else {
            throw .checkpoint("'\(path)' has a corrupt header (not a JSON object)")
        }
        var tensors: [String: TensorInfo] = [:]
        var metadata: [String: String] = [:]
        let dataLength = bytes.count - dataStart
        for (name, value) in json {
            if name == "__metadata__" {
                metadata = (value as? [String: String]) ?? [:]
                continue
            }
            guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
                  let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int], offsets.count == 2
            else { throw .checkpoint("'\(path)' has a corrupt header entry for '\(name)'") }
            let (begin, end) = (offsets[0], offsets[1])
            let width = ["F32": 4, "F16": 2, "BF16": 2, "F64": 8, "I32": 4, "I64": 8][dtype] ?? 0
            guard shape.allSatisfy({ $0 >= 0 }), begin >= 0, end >= begin,
                  width == 0 || end - begin == shape.reduce(1, *) * width else {
                throw .checkpoint("'\(path)': tensor '\(name)' has byte range \(begin)..<\(end) that does not fit its shape \(shape) and dtype \(dtype)")
            }
            guard end <= dataLength else {
                throw .checkpoint("'\(path)' is truncated: tensor '\(name)' needs bytes up to \(end), the data holds \(dataLength)")
            }
            tensors[name] = TensorInfo(dtype: dtype, shape: shape, begin: begin, end: end)
        }
        if let expected = metadata[checksumKey], ProcessInfo.processInfo.environment["STRAWBERRY_SKIP_CHECKSUM"] != "1" {
            // A piece at a time, each piece's pages handed back once hashed.
            var hasher = XXHash64()
            let piece = 64 << 20
            var offset = dataStart
            while offset < bytes.count {
                let end = min(offset + piece, bytes.count)
                hasher.update(UnsafeRawBufferPointer(rebasing: bytes[offset..<end]))
                mapped.release(offset..<end)
                offset = end
            }
            let actual = hasher.hex()
            guard actual == expected else {
                throw .checkpoint("'\(path)' is corrupt: its tensor data hashes to \(actual) but the file was written with \(expected) "
                                  + "(flipped bytes, or a copy that went wrong); restore it, or set STRAWBERRY_SKIP_CHECKSUM=1 to load it anyway")
            }
        }
        return File(path: path, tensors: tensors, metadata: metadata, mapped: mapped, dataStart: dataStart)
    }

    /// Writes float32 tensors to `path` atomically (temporary file, fsync, rename), with the
    /// checksum of their data in the metadata.
    public static func write(_ entries: [Entry], metadata: [String: String] = ["format": "pt"], to path: String) throws(ModelError) {
        var header: [String: Any] = [:]
        var offset = 0
        for e in entries {
            let bytes = e.data.count * 4
            header[e.name] = ["dtype": "F32", "shape": e.shape, "data_offsets": [offset, offset + bytes]] as [String: Any]
            offset += bytes
        }
        // The data is hashed and written from the tensors themselves, never copied into one buffer.
        let parts = entries.map { UnsafeRawBufferPointer($0.data) }
        var hasher = XXHash64()
        for part in parts { hasher.update(part) }
        var metadata = metadata
        metadata[checksumKey] = hasher.hex()
        header["__metadata__"] = metadata
        guard var json = try? JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]) else {
            throw .checkpoint("cannot encode the safetensors header for '\(path)'")
        }
        while json.count % 8 != 0 { json.append(UInt8(ascii: " ")) }
        var head = Data(capacity: 8 + json.count)
        var length = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &length) { head.append(contentsOf: $0) }
        head.append(json)
        try head.withUnsafeBytes { head in Result { () throws(ModelError) in try AtomicFile.write([head] + parts, to: path) } }.get()
    }
}
