import Cluster
import Foundation
import Model

/// Errors from data loading and training runs; each message says what to fix.
public enum TrainingError: Error, CustomStringConvertible {
    case data(String)
    case run(String)
    case model(ModelError)
    /// A step's loss or gradient norm was not finite; the step was not applied.
    case diverged(String)
    /// The ranks of a multi-process job could not exchange their results.
    case cluster(ClusterError)

    public var description: String {
        switch self {
        case .data(let m): return m
        case .run(let m): return m
        case .model(let e): return e.description
        case .diverged(let m): return m
        case .cluster(let e): return e.description
        }
    }

    /// Throws `.diverged` unless a step's loss and gradient norm are finite. Called before the
    /// optimizer applies the step, so the weights stay finite and the run folder keeps its last
    /// checkpoint, which the message names.
    static func requireFinite(loss: Double, gradientNorm: Float, step: Int, runDirectory: String,
                              learningRate: Float) throws(TrainingError) {
        guard !loss.isFinite || !gradientNorm.isFinite else { return }
        let latest = (try? String(contentsOfFile: runDirectory + "/latest", encoding: .utf8))
            .map { "'\(runDirectory)/\($0.trimmingCharacters(in: .whitespacesAndNewlines))'" }
        throw .diverged("step \(step) of '\(runDirectory)' diverged: the loss is \(loss) and the gradient norm \(gradientNorm). "
                        + "The step was not applied and nothing was saved after it"
                        + (latest.map { "; the last checkpoint, \($0), is the last finite one" } ?? "; no checkpoint had been saved")
                        + ". Lower the learning rate (it is \(learningRate)) or lengthen the warmup.")
    }
}

extension TrainingError {
    /// Runs `body`, passing training errors through and wrapping model and other errors.
    static func wrapping<T>(_ body: () throws -> T) throws(TrainingError) -> T {
        do {
            return try body()
        } catch let error as TrainingError {
            throw error
        } catch let error as ModelError {
            throw .model(error)
        } catch {
            throw .run("\(error)")
        }
    }

    /// Throws unless a resumed `state.json`'s step is one the run could have reached: from 0 to
    /// the run's `totalSteps`, and the number its checkpoint folder (`step-N`) is named after.
    static func requireResumable(step: Int, totalSteps: Int, checkpoint directory: String) throws(TrainingError) {
        let name = (directory as NSString).lastPathComponent
        let named = name.hasPrefix("step-") ? Int(name.dropFirst(5)) : nil
        guard (0...max(totalSteps, 0)).contains(step), named == nil || named == step else {
            throw .run("cannot resume from '\(directory)': its state.json says step \(step), which "
                       + (named.map { "is not the step \($0) its folder is named after" } ?? "is outside 0...\(totalSteps)")
                       + "; the file is corrupt: resume from another checkpoint or start the run again")
        }
    }
}
