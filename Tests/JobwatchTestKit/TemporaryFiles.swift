import Foundation

/// A fresh, empty directory under the system's temporary directory, named `PREFIX-UUID`.
package func makeTemporaryDirectory(_ prefix: String = "jobwatch-test") throws -> URL {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory
}

/// A database path in a directory that does not exist yet (`JobStore` creates it), unique per call.
package func temporaryDatabasePath(_ prefix: String = "jobwatch-test") -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        .appendingPathComponent("nested/jobwatch.sqlite").path
}

/// The package root, found from this file's path.
package func packageRoot(from file: String = #filePath) -> URL {
    var directory = URL(fileURLWithPath: file).deletingLastPathComponent()
    while directory.path != "/" {
        if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
            return directory
        }
        directory = directory.deletingLastPathComponent()
    }
    return directory
}

/// A file of `Tests/Reference`: verbatim copies of the official SDKs' and Standard Webhooks' vectors
/// (`.ci/reference-check` compares them with the shared reference when it is beside the clone).
package func referenceFile(_ name: String) throws -> Data {
    try Data(contentsOf: packageRoot().appendingPathComponent("Tests/Reference/\(name)"))
}
