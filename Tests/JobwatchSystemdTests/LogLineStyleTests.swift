import Testing

@testable import JobwatchSystemd

@Suite struct LogLineStyleTests {
    @Test func journaldWhenJournalStreamNamesOurStream() {
        #expect(LogLineStyle.detect(journalStream: "8:123456", device: 8, inode: 123_456) == .journald)
    }

    @Test(arguments: [nil, "8:999", "9:123456", "garbage", "8:", ":123456", "8:123456:1"])
    func plainOtherwise(_ journalStream: String?) {
        #expect(LogLineStyle.detect(journalStream: journalStream, device: 8, inode: 123_456) == .plain)
    }

    @Test func plainWhenStandardErrorIsNotTheJournal() {
        #expect(LogLineStyle.forStandardError(environment: ["JOURNAL_STREAM": "0:0"]) == .plain)
        #expect(LogLineStyle.forStandardError(environment: [:]) == .plain)
    }
}
