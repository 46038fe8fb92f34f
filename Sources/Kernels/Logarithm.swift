import Foundation

/// Natural logarithm through the platform's libm (kept in one place so kernels need not import Foundation).
@inlinable @inline(__always)
public func naturalLogarithm(_ x: Double) -> Double { log(x) }
