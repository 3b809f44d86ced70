import Foundation
import GRDB
import JobwatchTestKit
import Testing

extension SharedServiceTests {
    /// A database migrated by a newer jobwatch is refused with one line (exit 74), never used or "downgraded".
    @Suite struct SchemaVersionTests {
        /// What a later version's migration leaves behind.
        static func markMigratedByALaterVersion(_ path: String) throws {
            try DatabaseQueue(path: path).write { db in
                try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99-from-a-later-version')")
            }
        }

        static func contents(_ path: String) throws -> (lastMigration: String?, jobs: Int) {
            try DatabaseQueue(path: path).read { db in
                (
                    try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid").last,
                    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM job") ?? 0
                )
            }
        }

        @Test func aDatabaseWithANewerSchemaIsRefusedByEveryCommand() async throws {
            let sandbox = try Sandbox(config: "")
            #expect(try await sandbox.runAsync(["register", "job-1", "--api", "ims"]).status == 0)
            let path = sandbox.database
            try await offCooperativePool { try Self.markMigratedByALaterVersion(path) }
            for command in [
                ["list"], ["show", "job-1"], ["events"], ["register", "job-2", "--api", "ims"], ["daemon"],
            ] {
                let result = try await sandbox.runAsync(
                    command,
                    environment: [
                        "HUAWEICLOUD_SDK_AK": "AK", "HUAWEICLOUD_SDK_SK": "SK", "HUAWEICLOUD_SDK_REGION": "test-1",
                    ])
                #expect(result.status == 74, "\(command): \(result.stderr)")
                #expect(result.stderr.split(separator: "\n").count == 1, "\(command): \(result.stderr)")
                #expect(result.stderr.contains("newer jobwatch"), "\(command): \(result.stderr)")
            }
            // Nothing was written: the later version's database is as it left it.
            let contents = try await offCooperativePool { try Self.contents(path) }
            #expect(contents.lastMigration == "v99-from-a-later-version" && contents.jobs == 1)
        }
    }
}
