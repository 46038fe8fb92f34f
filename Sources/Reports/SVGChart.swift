import Foundation

/// A small line/scatter chart written as standalone SVG (no external assets).
public struct SVGChart {
    /// One named series of (x, y) points.
    public struct Series {
        public let name: String
        public let points: [(Double, Double)]
        public init(name: String, points: [(Double, Double)]) {
            self.name = name
            self.points = points
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    public var logX = false
    public var yRange: ClosedRange<Double>? = 0...1
    public var connect = true
    /// Ticks of the x axis as (value, label); nil: round values chosen from the data's range.
    public var xTicks: [(Double, String)]?

    public init(title: String, xLabel: String, yLabel: String, series: [Series], logX: Bool = false,
                yRange: ClosedRange<Double>? = 0...1, connect: Bool = true, xTicks: [(Double, String)]? = nil) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.logX = logX
        self.yRange = yRange
        self.connect = connect
        self.xTicks = xTicks
    }

    /// Ticks for thinking budgets plotted on a log axis, where a budget of 0 is drawn at 1.
    public static func budgetTicks(_ budgets: [Int]) -> [(Double, String)] {
        Array(Set(budgets)).sorted().map { (Double(max($0, 1)), String($0)) }
    }

    /// About `count` round values (1, 2, 2.5 or 5 × a power of ten apart) covering lo...hi.
    public static func roundTicks(_ lo: Double, _ hi: Double, count: Int = 5) -> [Double] {
        guard hi > lo else { return [lo] }
        let raw = (hi - lo) / Double(max(count - 1, 1))
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw * 0.999 } ?? 10 * magnitude
        var ticks: [Double] = []
        var t = (lo / step).rounded(.up) * step
        while t <= hi + step * 1e-9 {
            ticks.append(abs(t) < step * 1e-9 ? 0 : t)
            t += step
        }
        return ticks
    }

    /// Powers of ten within lo...hi (and their 2× and 5× when there are fewer than three).
    public static func logTicks(_ lo: Double, _ hi: Double) -> [Double] {
        guard lo > 0, hi >= lo else { return [] }
        let decades = Array(Int(floor(log10(lo)))...Int(ceil(log10(hi))))
        let powers = decades.map { pow(10, Double($0)) }.filter { $0 >= lo * 0.999 && $0 <= hi * 1.001 }
        if powers.count >= 3 { return powers }
        return decades.flatMap { d in [1.0, 2, 5].map { $0 * pow(10, Double(d)) } }.filter { $0 >= lo * 0.999 && $0 <= hi * 1.001 }
    }

    /// A tick label: `0.25`, `128`, `3k`, `40M`, `1.5G`.
    public static func label(_ value: Double) -> String {
        let a = abs(value)
        for (scale, suffix) in [(1e9, "G"), (1e6, "M"), (1e3, "k")] where a >= scale {
            return String(format: "%g", (value / scale * 100).rounded() / 100) + suffix
        }
        return String(format: "%g", (value * 1000).rounded() / 1000)
    }

    static let palette = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]

    public func render(width: Double = 560, height: Double = 340) -> String {
        let left = 60.0, right = 150.0, top = 34.0, bottom = 46.0
        let plotW = width - left - right, plotH = height - top - bottom
        let xs = series.flatMap { $0.points.map { logX ? log10(max($0.0, 1e-9)) : $0.0 } }
        let ys = series.flatMap { $0.points.map(\.1) }
        var (x0, x1) = (xs.min() ?? 0, xs.max() ?? 1)
        if x1 - x0 < 1e-12 { x0 -= 1; x1 += 1 }
        var (y0, y1) = yRange.map { ($0.lowerBound, $0.upperBound) } ?? (ys.min() ?? 0, ys.max() ?? 1)
        if y1 - y0 < 1e-12 { y0 -= 1; y1 += 1 }
        func px(_ x: Double) -> Double { left + ((logX ? log10(max(x, 1e-9)) : x) - x0) / (x1 - x0) * plotW }
        func py(_ y: Double) -> Double { top + plotH - (y - y0) / (y1 - y0) * plotH }
        func esc(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"11\">"
        svg += "<text x=\"\(width / 2)\" y=\"18\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\">\(esc(title))</text>"
        svg += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(plotW)\" height=\"\(plotH)\" fill=\"none\" stroke=\"#999\"/>"
        for y in Self.roundTicks(y0, y1) {
            svg += "<line x1=\"\(left)\" x2=\"\(left + plotW)\" y1=\"\(py(y))\" y2=\"\(py(y))\" stroke=\"#eee\"/>"
            svg += "<text x=\"\(left - 6)\" y=\"\(py(y) + 4)\" text-anchor=\"end\">\(Self.label(y))</text>"
        }
        let ticks = xTicks ?? (logX ? Self.logTicks(pow(10, x0), pow(10, x1)) : Self.roundTicks(x0, x1)).map { ($0, Self.label($0)) }
        for (x, label) in ticks {
            svg += "<line x1=\"\(px(x))\" x2=\"\(px(x))\" y1=\"\(top + plotH)\" y2=\"\(top + plotH + 4)\" stroke=\"#999\"/>"
            svg += "<text x=\"\(px(x))\" y=\"\(top + plotH + 16)\" text-anchor=\"middle\">\(esc(label))</text>"
        }
        svg += "<text x=\"\(left + plotW / 2)\" y=\"\(height - 8)\" text-anchor=\"middle\">\(esc(xLabel))</text>"
        svg += "<text transform=\"translate(14,\(top + plotH / 2)) rotate(-90)\" text-anchor=\"middle\">\(esc(yLabel))</text>"
        for (i, s) in series.enumerated() {
            let color = Self.palette[i % Self.palette.count]
            let pts = s.points.sorted { $0.0 < $1.0 }
            if connect && pts.count > 1 {
                svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"" +
                    pts.map { "\(px($0.0)),\(py($0.1))" }.joined(separator: " ") + "\"/>"
            }
            for p in pts { svg += "<circle cx=\"\(px(p.0))\" cy=\"\(py(p.1))\" r=\"3.5\" fill=\"\(color)\"/>" }
            let ly = top + 14 + Double(i) * 16
            svg += "<rect x=\"\(left + plotW + 12)\" y=\"\(ly - 8)\" width=\"10\" height=\"10\" fill=\"\(color)\"/>"
            svg += "<text x=\"\(left + plotW + 26)\" y=\"\(ly + 1)\">\(esc(s.name))</text>"
        }
        return svg + "</svg>"
    }
}
