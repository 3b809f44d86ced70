import Glibc
import Logging
import Testing

@testable import JobwatchSystemd

@Suite struct JobwatchLogHandlerTests {
    @Test func journaldLineHasPriorityPrefixAndNoTimestamp() {
        let captured = CapturedLines()
        let logger = captured.logger(style: .journald)
        logger.info("polling started", metadata: ["jobs": "3"])
        #expect(captured.all == ["<6>polling started jobs=3\n"])
    }

    @Test(arguments: [
        (Logger.Level.trace, 7), (.debug, 7), (.info, 6), (.notice, 5), (.warning, 4), (.error, 3), (.critical, 2),
    ])
    func journaldPriorities(_ level: Logger.Level, _ priority: Int) {
        let captured = CapturedLines()
        captured.logger(style: .journald).log(level: level, "x")
        #expect(captured.all == ["<\(priority)>x\n"])
    }

    @Test func plainLineHasTimestampLevelMessageAndSortedMetadata() throws {
        let captured = CapturedLines()
        var logger = captured.logger(style: .plain)
        logger[metadataKey: "sink"] = "ops"
        logger.warning("delivery failed", metadata: ["attempt": "2", "account": "default"])
        let line = try #require(captured.all.first)
        let pattern =
            #/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z warning delivery failed account=default attempt=2 sink=ops\n$/#
        #expect(line.wholeMatch(of: pattern) != nil, "\(line)")
    }

    @Test func timestampIsUTCWithMilliseconds() {
        let time = timespec(tv_sec: 1_795_326_060, tv_nsec: 123_999_999)
        #expect(LogLineFormatter.timestamp(time) == "2026-11-22T05:41:00.123Z")
    }

    @Test func oneEntryIsOneLineWhateverItContains() {
        let captured = CapturedLines()
        captured.logger(style: .journald).error(
            "bad response\nsecond line\r\tend", metadata: ["body": "a\nb", "k\ney": "v"])
        #expect(captured.all == [#"<3>bad response\nsecond line\r\tend body=a\nb k\ney=v"# + "\n"])
    }

    @Test func valuesWithSpacesOrQuotesAreQuoted() {
        let captured = CapturedLines()
        captured.logger(style: .journald).info(
            "m",
            metadata: [
                "a": "two words", "b": #"say "hi""#, "c": "", "d": "x=y", "e": #"back\slash"#, "f": "plain",
            ])
        #expect(captured.all == [#"<6>m a="two words" b="say \"hi\"" c="" d="x=y" e="back\\slash" f=plain"# + "\n"])
    }

    @Test func errorIsAppendedAsMetadata() {
        struct Refused: Error, CustomStringConvertible { var description: String { "connection refused" } }
        let captured = CapturedLines()
        captured.logger(style: .journald).error("poll failed", error: Refused(), metadata: ["job": "j1"])
        #expect(captured.all == [#"<3>poll failed error="connection refused" job=j1"# + "\n"])
    }

    @Test func metadataProviderAndExplicitMetadataMerge() {
        let captured = CapturedLines()
        let provider = Logger.MetadataProvider { ["request": "r1", "job": "from-provider"] }
        var logger = captured.logger(style: .journald, provider: provider)
        logger[metadataKey: "account"] = "default"
        logger.info("m", metadata: ["job": "explicit"])
        #expect(captured.all == ["<6>m account=default job=explicit request=r1\n"])
    }

    @Test func levelChangesAtRuntimeForExistingLoggers() {
        let captured = CapturedLines()
        let levels = LogLevelHolder(.info)
        let logger = captured.logger(style: .journald, levels: levels)
        logger.debug("hidden")
        levels.level = .debug
        logger.debug("shown")
        levels.level = .error
        logger.warning("hidden too")
        #expect(captured.all == ["<7>shown\n"])
        #expect(logger.logLevel == .error)
    }

    @Test func settingOneLoggersLevelLeavesTheOthersAlone() {
        let captured = CapturedLines()
        let levels = LogLevelHolder(.info)
        var verbose = captured.logger(style: .journald, levels: levels)
        let normal = captured.logger(style: .journald, levels: levels)
        verbose.logLevel = .trace
        verbose.trace("a")
        normal.trace("b")
        #expect(captured.all == ["<7>a\n"])
        #expect(levels.level == .info)
    }

    @Test func concurrentLoggersWriteWholeLines() async throws {
        var fds: [Int32] = [0, 0]
        try #require(pipe(&fds) == 0)
        defer { close(fds[0]) }
        // Room for everything, so the writers never wait for a reader (F_SETPIPE_SZ).
        try #require(fcntl(fds[1], 1031, 1 << 20) >= 1 << 20)
        let levels = LogLevelHolder(.info)
        let output = LogOutput.fileDescriptor(fds[1])
        let payload = String(repeating: "x", count: 9000)
        await withTaskGroup(of: Void.self) { group in
            for writer in 0..<8 {
                group.addTask {
                    let logger = Logger(label: "w") { _ in
                        JobwatchLogHandler(levels: levels, style: .journald, output: output)
                    }
                    for _ in 0..<8 { logger.info("\(payload)", metadata: ["writer": "\(writer)"]) }
                }
            }
        }
        close(fds[1])
        var text: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(fds[0], &buffer, buffer.count)
            if count <= 0 { break }
            text += buffer[..<count]
        }
        let lines = String(decoding: text, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 64)
        let wellFormed = #/<6>x{9000} writer=[0-7]/#
        #expect(lines.allSatisfy { $0.wholeMatch(of: wellFormed) != nil })
    }
}
