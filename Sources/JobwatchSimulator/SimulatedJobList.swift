import Foundation

/// A scenario file or an admin request body: `{"jobs": [spec, …]}`, a bare array of specs, or one spec.
struct SimulatedJobList: Decodable {
    var jobs: [SimulatedJobSpec]

    private enum CodingKeys: String, CodingKey { case jobs }

    init(from decoder: Decoder) throws {
        if let container = try? decoder.container(keyedBy: CodingKeys.self), container.contains(.jobs) {
            jobs = try container.decode([SimulatedJobSpec].self, forKey: .jobs)
        } else if var array = try? decoder.unkeyedContainer() {
            var specs: [SimulatedJobSpec] = []
            while !array.isAtEnd { specs.append(try array.decode(SimulatedJobSpec.self)) }
            jobs = specs
        } else {
            jobs = [try SimulatedJobSpec(from: decoder)]
        }
    }

    static func decode(_ bytes: [UInt8]) throws -> [SimulatedJobSpec] {
        do {
            return try JSONDecoder().decode(SimulatedJobList.self, from: Data(bytes)).jobs
        } catch let error as DecodingError {
            throw SimulatorError.invalidSpec(describe(error))
        }
    }

    /// One line naming the offending key, instead of DecodingError's debug dump.
    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return keys.isEmpty ? "the document" : keys.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context): return "\(path(context)): '\(key.stringValue)' is missing"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "\(path(context)): \(context.debugDescription)"
        case .dataCorrupted(let context): return "\(path(context)): \(context.debugDescription)"
        @unknown default: return "the JSON does not describe simulated jobs"
        }
    }
}
