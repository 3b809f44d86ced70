import Foundation
import Testing

func fixture(_ name: String) throws -> [UInt8] {
    let url = try #require(Bundle.module.resourceURL).appendingPathComponent("Fixtures/\(name)")
    return Array(try Data(contentsOf: url))
}

func fixtureNames() throws -> [String] {
    let directory = try #require(Bundle.module.resourceURL).appendingPathComponent("Fixtures")
    return try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".json") }.sorted()
}
