/// Small vector kernels over raw pointers: dot products, scaled adds, sums of squares.
public enum Vector {
    @inlinable
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = SIMD8<Float>()
        var i = 0
        let ar = UnsafeRawPointer(a), br = UnsafeRawPointer(b)
        while i &+ 8 <= n {
            acc.addProduct(ar.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self),
                           br.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self))
            i &+= 8
        }
        var s = acc.sum()
        while i < n { s += a[i] * b[i]; i &+= 1 }
        return s
    }

    /// y += alpha · x
    @inlinable
    public static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        var i = 0
        let xr = UnsafeRawPointer(x), yr = UnsafeMutableRawPointer(y)
        let av = SIMD8<Float>(repeating: alpha)
        while i &+ 8 <= n {
            var v = yr.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
            v.addProduct(av, xr.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self))
            yr.storeBytes(of: v, toByteOffset: i &* 4, as: SIMD8<Float>.self)
            i &+= 8
        }
        while i < n { y[i] += alpha * x[i]; i &+= 1 }
    }

    /// y += x
    @inlinable
    public static func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, _ n: Int) {
        axpy(1, x, y, n)
    }

    @inlinable
    public static func sumOfSquares(_ x: UnsafePointer<Float>, _ n: Int) -> Float { dot(x, x, n) }

    /// Index of the first NaN or infinity among `n` values, or nil when all are finite.
    @inlinable
    public static func firstNonFinite(_ x: UnsafePointer<Float>, _ n: Int) -> Int? {
        let exponent = SIMD8<UInt32>(repeating: 0x7F80_0000)
        let raw = UnsafeRawPointer(x)
        var i = 0
        while i &+ 8 <= n {
            let bits = raw.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<UInt32>.self)
            if any((bits & exponent) .== exponent) { break }
            i &+= 8
        }
        while i < n {
            if !x[i].isFinite { return i }
            i &+= 1
        }
        return nil
    }
}
