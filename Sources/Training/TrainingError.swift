import Model

/// Errors from data loading and training runs; each message says what to fix.
public enum TrainingError: Error, CustomStringConvertible {
    case data(String)
    case run(String)
    case model(ModelError)

    public var description: String {
        switch self {
        case .data(let m): return m
        case .run(let m): return m
        case .model(let e): return e.description
        }
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
}
