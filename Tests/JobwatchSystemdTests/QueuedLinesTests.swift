import Foundation
import JobwatchSystemd
import JobwatchTestKit
import Testing

/// Log lines to a reader that has stopped reading: the logger never waits, the backlog is bounded, and the
/// reader gets whole lines in order plus one line counting what was dropped.
@Suite struct QueuedLinesTests {
    @Test func aStalledReaderNeitherBlocksTheLoggerNorGrowsTheBacklogAndDropsAreCounted() async throws {
        let pipe = Pipe()
        // The smallest pipe Linux allows: one page.
        _ = fcntl(pipe.fileHandleForWriting.fileDescriptor, 1031 /* F_SETPIPE_SZ */, 4096)
        let lines = QueuedLines(
            fileDescriptor: pipe.fileHandleForWriting.fileDescriptor, limitBytes: 16_384, label: "test.log-writer")
        let line = { (index: Int) in "line \(index) " + String(repeating: "x", count: 90) + "\n" }
        // 1,000 lines of ~100 bytes: about 100 kB against a 4 kB pipe and a 16 kB backlog. With the writes in
        // the caller this would block at the first full pipe, for ever.
        let started = ContinuousClock.now
        for index in 0..<1000 { lines.append(line(index)) }
        #expect(started.duration(to: .now) < .seconds(5), "the logger waited for the reader")
        // Nothing more is written while nobody reads. (Every blocking call of this test runs on a Dispatch
        // thread: the cooperative pool serves the other suites meanwhile.)
        #expect(try await !offCooperativePool { lines.flush(timeout: .milliseconds(200)) })

        // The reader comes back.
        let reader = pipe.fileHandleForReading
        let reading = Task {
            try await offCooperativePool { () -> String in
                var text = ""
                while !text.contains("dropped") {
                    let chunk = reader.availableData
                    if chunk.isEmpty { break }
                    text += String(decoding: chunk, as: UTF8.self)
                }
                return text
            }
        }
        #expect(try await offCooperativePool { lines.flush(timeout: .seconds(5)) })
        let text = try await reading.value
        let received = text.split(separator: "\n").map(String.init)
        let logged = received.filter { $0.hasPrefix("line ") }
        // In order, whole, from the first; at most the backlog plus what the pipe held.
        #expect(logged.first == String(line(0).dropLast()))
        let numbers = logged.compactMap { Int($0.split(separator: " ")[1]) }
        #expect(numbers == numbers.sorted())
        #expect(zip(logged, numbers).allSatisfy { $0 == String(line($1).dropLast()) }, "a torn line")
        #expect(numbers.count == logged.count)
        #expect(logged.count < 300, "the backlog is bounded: \(logged.count) lines")
        let notice = try #require(received.first { $0.contains("dropped") })
        #expect(notice == "jobwatch: \(1000 - logged.count) log line(s) dropped: standard error was not being read")
    }
}
