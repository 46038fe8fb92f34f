import Foundation

/// Serialises GGUF: header, metadata, tensor infos, then aligned tensor data (F32, F16 or Q8_0).
struct GGUFWriter {
    static let alignment = 32
    /// Values per Q8_0 block: one F16 scale, then 32 signed bytes.
    static let q8Block = 32

    enum Value {
        case uint32(UInt32), int32s([Int32]), float32(Float), bool(Bool), string(String), strings([String])
    }

    private var metadataBytes = Data()
    private var metadataCount = 0
    private var infos = Data()
    private var tensorCount = 0
    private var payload = Data()

    mutating func metadata(_ key: String, _ value: Value) {
        metadataCount += 1
        Self.put(key, into: &metadataBytes)
        switch value {
        case .uint32(let v): Self.put(UInt32(4), into: &metadataBytes); Self.put(v, into: &metadataBytes)
        case .float32(let v): Self.put(UInt32(6), into: &metadataBytes); Self.put(v.bitPattern, into: &metadataBytes)
        case .bool(let v): Self.put(UInt32(7), into: &metadataBytes); metadataBytes.append(v ? 1 : 0)
        case .string(let s): Self.put(UInt32(8), into: &metadataBytes); Self.put(s, into: &metadataBytes)
        case .strings(let a):
            Self.put(UInt32(9), into: &metadataBytes); Self.put(UInt32(8), into: &metadataBytes)
            Self.put(UInt64(a.count), into: &metadataBytes)
            for s in a { Self.put(s, into: &metadataBytes) }
        case .int32s(let a):
            Self.put(UInt32(9), into: &metadataBytes); Self.put(UInt32(5), into: &metadataBytes)
            Self.put(UInt64(a.count), into: &metadataBytes)
            for v in a { Self.put(UInt32(bitPattern: v), into: &metadataBytes) }
        }
    }

    mutating func tensor(_ name: String, dims: [UInt64], f32 values: [Float]) {
        info(name, dims: dims, type: 0)
        for v in values { Self.put(v.bitPattern, into: &payload) }
    }

    mutating func tensor(_ name: String, dims: [UInt64], f16 values: [Float]) {
        info(name, dims: dims, type: 1)
        for v in values { Self.put(Float16(v).bitPattern, into: &payload) }
    }

    /// Q8_0, llama.cpp's 8-bit format: each block of 32 values along a row stores the scale
    /// `max |x| / 127` as F16 and `round(x / scale)` as Int8. Rows must be whole blocks.
    mutating func tensor(_ name: String, dims: [UInt64], q8_0 values: [Float]) {
        precondition(values.count % Self.q8Block == 0, "Q8_0 needs whole blocks of 32 values")
        info(name, dims: dims, type: 8)
        payload.reserveCapacity(payload.count + values.count / Self.q8Block * 34)
        for start in stride(from: 0, to: values.count, by: Self.q8Block) {
            let block = values[start..<(start + Self.q8Block)]
            // As llama.cpp's reference quantiser: the F32 scale divides, its F16 rounding is stored.
            let scale = (block.map(abs).max() ?? 0) / 127
            Self.put(Float16(scale).bitPattern, into: &payload)
            let inverse = scale == 0 ? 0 : 1 / scale
            for v in block { payload.append(UInt8(bitPattern: Int8(max(-127, min(127, (v * inverse).rounded()))))) }
        }
    }

    private mutating func info(_ name: String, dims: [UInt64], type: UInt32) {
        tensorCount += 1
        while payload.count % Self.alignment != 0 { payload.append(0) }
        Self.put(name, into: &infos)
        Self.put(UInt32(dims.count), into: &infos)
        for d in dims { Self.put(d, into: &infos) }
        Self.put(type, into: &infos)
        Self.put(UInt64(payload.count), into: &infos)
    }

    func finish() -> Data {
        var out = Data("GGUF".utf8)
        Self.put(UInt32(3), into: &out)
        Self.put(UInt64(tensorCount), into: &out)
        Self.put(UInt64(metadataCount), into: &out)
        out += metadataBytes
        out += infos
        while out.count % Self.alignment != 0 { out.append(0) }
        return out + payload
    }

    static func put<T: FixedWidthInteger>(_ v: T, into data: inout Data) {
        withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) }
    }

    static func put(_ s: String, into data: inout Data) {
        put(UInt64(s.utf8.count), into: &data)
        data.append(contentsOf: Array(s.utf8))
    }
}
