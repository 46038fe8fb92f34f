import Foundation
import Testing
import Kernels
import Model

/// AdamW's update, sixteen lanes at a time and split over the threads, against the update one
/// element at a time: the same bits, with and without weight decay, over several steps.
@Suite struct AdamWTests {
    @Test func theUpdateGivesTheBitsOfTheElementByElementUpdate() {
        let layout = ParameterLayout(config: ModelConfig.presets["tiny"]!)
        var rng = SeededRNG(seed: 3)
        let parameters = FloatBuffer(count: layout.totalCount), gradients = FloatBuffer(count: layout.totalCount)
        for i in 0..<layout.totalCount { parameters.pointer[i] = rng.nextNormal() }
        var p = parameters.array, m = [Float](repeating: 0, count: p.count), v = m
        let optimizer = AdamW(layout: layout)
        let s = optimizer.settings
        for step in 1...3 {
            for i in 0..<layout.totalCount { gradients.pointer[i] = rng.nextNormal() * 0.1 }
            let lr: Float = 0.01 * Float(step)
            optimizer.update(parameters: parameters, gradients: gradients, lr: lr)
            let stepSize = lr / (1 - Float(pow(Double(s.beta1), Double(step))))
            let invSqrtCorrection2 = 1 / (1 - Float(pow(Double(s.beta2), Double(step)))).squareRoot()
            for t in layout.tensors {
                let decay: Float = t.decays ? 1 - lr * s.weightDecay : 1
                for i in t.offset..<(t.offset + t.count) {
                    let g = gradients.pointer[i]
                    m[i] = s.beta1 * m[i] + (1 - s.beta1) * g
                    v[i] = s.beta2 * v[i] + (1 - s.beta2) * g * g
                    p[i] = p[i] * decay - stepSize * m[i] / (v[i].squareRoot() * invSqrtCorrection2 + s.epsilon)
                }
            }
            #expect(parameters.array == p, "step \(step)")
            #expect(optimizer.firstMoment.array == m && optimizer.secondMoment.array == v, "step \(step)")
        }
        #expect(layout.tensors.contains { $0.decays } && layout.tensors.contains { !$0.decays })
    }
}
