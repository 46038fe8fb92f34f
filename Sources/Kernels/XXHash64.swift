/// The 64-bit xxHash of a byte range (Yann Collet's XXH64), several GB/s on one core: the checksum
/// saved with every weights file so that a flipped byte is caught on load.
///
/// Fed in pieces (`update`), it gives the hash of the pieces laid end to end, so that a file of
/// several tensors is hashed without first copying them into one buffer, and a mapped file is
/// hashed a piece at a time, each piece's pages handed back before the next is read.
public struct XXHash64: Sendable {
    static let p1: UInt64 = 0x9E37_79B1_85EB_CA87
    static let p2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    static let p3: UInt64 = 0x1656_67B1_9E37_79F9
    static let p4: UInt64 = 0x85EB_CA77_C2B2_AE63
    static let p5: UInt64 = 0x27D4_EB2F_1656_67C5

    private let seed: UInt64
    private var v1: UInt64, v2: UInt64, v3: UInt64, v4: UInt64
    private var total = 0
    /// The bytes of an unfinished 32-byte stripe (fewer than 32).
    private var pending: [UInt8] = []

    public init(seed: UInt64 = 0) {
        self.seed = seed
        v1 = seed &+ Self.p1 &+ Self.p2
        v2 = seed &+ Self.p2
        v3 = seed
        v4 = seed &- Self.p1
        pending.reserveCapacity(32)
    }

    /// Adds the next bytes.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        total &+= bytes.count
        var a = v1, b = v2, c = v3, d = v4  // kept in registers over the stripes
        var offset = 0
        if !pending.isEmpty {
            let taken = min(32 &- pending.count, bytes.count)
            pending.append(contentsOf: UnsafeRawBufferPointer(start: base, count: taken))
            offset = taken
            if pending.count < 32 { return }
            pending.withUnsafeBytes { Self.stripe(&a, &b, &c, &d, $0.baseAddress!) }
            pending.removeAll(keepingCapacity: true)
        }
        while offset &+ 32 <= bytes.count {
            Self.stripe(&a, &b, &c, &d, base + offset)
            offset &+= 32
        }
        (v1, v2, v3, v4) = (a, b, c, d)
        if offset < bytes.count {
            pending.append(contentsOf: UnsafeRawBufferPointer(start: base + offset, count: bytes.count &- offset))
        }
    }

    @inline(__always)
    private static func stripe(_ a: inout UInt64, _ b: inout UInt64, _ c: inout UInt64, _ d: inout UInt64, _ p: UnsafeRawPointer) {
        a = round(a, UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 0, as: UInt64.self)))
        b = round(b, UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
        c = round(c, UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 16, as: UInt64.self)))
        d = round(d, UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 24, as: UInt64.self)))
    }

    /// The hash of every byte added so far.
    public func digest() -> UInt64 {
        var h: UInt64
        if total >= 32 {
            h = Self.rotl(v1, 1) &+ Self.rotl(v2, 7) &+ Self.rotl(v3, 12) &+ Self.rotl(v4, 18)
            h = Self.merge(Self.merge(Self.merge(Self.merge(h, v1), v2), v3), v4)
        } else {
            h = seed &+ Self.p5
        }
        h &+= UInt64(total)
        pending.withUnsafeBytes { tail in
            let count = tail.count
            var offset = 0
            while offset &+ 8 <= count {
                h ^= Self.round(0, UInt64(littleEndian: tail.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
                h = Self.rotl(h, 27) &* Self.p1 &+ Self.p4
                offset &+= 8
            }
            if offset &+ 4 <= count {
                h ^= UInt64(UInt32(littleEndian: tail.loadUnaligned(fromByteOffset: offset, as: UInt32.self))) &* Self.p1
                h = Self.rotl(h, 23) &* Self.p2 &+ Self.p3
                offset &+= 4
            }
            while offset < count {
                h ^= UInt64(tail[offset]) &* Self.p5
                h = Self.rotl(h, 11) &* Self.p1
                offset &+= 1
            }
        }
        return Self.avalanche(h)
    }

    /// The digest as 16 lower-case hex digits.
    public func hex() -> String {
        let value = String(digest(), radix: 16)
        return String(repeating: "0", count: 16 - value.count) + value
    }

    /// The hash of one byte range.
    public static func hash(_ bytes: UnsafeRawBufferPointer, seed: UInt64 = 0) -> UInt64 {
        var hasher = XXHash64(seed: seed)
        hasher.update(bytes)
        return hasher.digest()
    }

    /// The hash of one byte range as 16 lower-case hex digits.
    public static func hex(_ bytes: UnsafeRawBufferPointer) -> String {
        var hasher = XXHash64()
        hasher.update(bytes)
        return hasher.hex()
    }

    @inline(__always) static func rotl(_ x: UInt64, _ r: UInt64) -> UInt64 { (x << r) | (x >> (64 - r)) }

    @inline(__always) static func round(_ acc: UInt64, _ input: UInt64) -> UInt64 {
        rotl(acc &+ input &* p2, 31) &* p1
    }

    @inline(__always) static func merge(_ acc: UInt64, _ value: UInt64) -> UInt64 {
        (acc ^ round(0, value)) &* p1 &+ p4
    }

    @inline(__always) static func avalanche(_ value: UInt64) -> UInt64 {
        var h = value
        h ^= h >> 33
        h &*= p2
        h ^= h >> 29
        h &*= p3
        h ^= h >> 32
        return h
    }
}
