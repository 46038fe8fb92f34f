import Foundation
import Testing
import Reasoning
@testable import Reports

@Suite struct SVGChartTests {
    @Test func ticksFallOnRoundValues() {
        #expect(SVGChart.roundTicks(0, 1) == [0, 0.25, 0.5, 0.75, 1])
        #expect(SVGChart.roundTicks(1, 30) == [10, 20, 30])
        #expect(SVGChart.roundTicks(0, 137) == [0, 50, 100])
        #expect(SVGChart.logTicks(1e6, 3e8) == [1e6, 1e7, 1e8])
        #expect(SVGChart.logTicks(1, 8) == [1, 2, 5])
        #expect(SVGChart.budgetTicks([0, 32, 64, 128, 200]).map(\.1) == ["0", "32", "64", "128", "200"])
        #expect(SVGChart.budgetTicks([0, 32]).map(\.0) == [1, 32], "a budget of 0 is drawn at 1 on the log axis")
        #expect(["0.25", "128", "3k", "40M", "1.5G", "0"] == [0.25, 128, 3000, 4e7, 1.5e9, 0].map(SVGChart.label))
    }

    @Test func aBudgetChartLabelsTheBudgets() {
        let chart = SVGChart(title: "t", xLabel: "x", yLabel: "y",
                             series: [.init(name: "s", points: [(1, 0), (32, 0.2), (128, 0.3), (200, 0.4)])], logX: true,
                             xTicks: SVGChart.budgetTicks([0, 32, 128, 200]))
        let svg = chart.render()
        for label in [">0<", ">32<", ">128<", ">200<", ">0.25<", ">0.5<"] { #expect(svg.contains(label), "\(label)") }
        #expect(!svg.contains("3.76") && !svg.contains("14.1") && !svg.contains("53.2"))
    }
}
