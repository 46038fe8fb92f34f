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

    public init(title: String, xLabel: String, yLabel: String, series: [Series], logX: Bool = false,
                yRange: ClosedRange<Double>? = 0...1, connect: Bool = true) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.logX = logX
        self.yRange = yRange
        self.connect = connect
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
        for i in 0...4 {
            let y = y0 + (y1 - y0) * Double(i) / 4
            svg += "<line x1=\"\(left)\" x2=\"\(left + plotW)\" y1=\"\(py(y))\" y2=\"\(py(y))\" stroke=\"#eee\"/>"
            svg += "<text x=\"\(left - 6)\" y=\"\(py(y) + 4)\" text-anchor=\"end\">\(String(format: "%.2f", y))</text>"
            let xv = x0 + (x1 - x0) * Double(i) / 4
            let label = logX ? String(format: "%.3g", pow(10, xv)) : String(format: "%.3g", xv)
            let xp = left + plotW * Double(i) / 4
            svg += "<text x=\"\(xp)\" y=\"\(top + plotH + 16)\" text-anchor=\"middle\">\(label)</text>"
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
