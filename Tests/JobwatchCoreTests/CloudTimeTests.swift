import JobwatchCore
import Testing

@Suite struct CloudTimeTests {
    @Test func normalizesTheFormatsTheCloudSends() {
        #expect(CloudTime.normalize("2026-03-27T02:14:03.552Z") == "2026-03-27T02:14:03.552Z")
        #expect(CloudTime.normalize("2024-05-20T10:39:49.61Z") == "2024-05-20T10:39:49.610Z")
        #expect(CloudTime.normalize("2024-05-20T10:39:49Z") == "2024-05-20T10:39:49.000Z")
        #expect(CloudTime.normalize("2024-05-20T18:39:49.123+08:00") == "2024-05-20T10:39:49.123Z")
        #expect(CloudTime.normalize("2024-05-20 10:39:49.123456") == "2024-05-20T10:39:49.123Z")
        // The 2015 IMS document's format.
        #expect(CloudTime.normalize("04-Jun-2015 18:11:06:586") == "2015-06-04T18:11:06.586Z")
    }

    @Test func keepsWhatItCannotParseAndDropsEmptiness() {
        #expect(CloudTime.normalize("yesterday at noon") == "yesterday at noon")
        #expect(CloudTime.normalize("2024-13-40T99:00:00Z") == "2024-13-40T99:00:00Z")
        #expect(CloudTime.normalize("") == nil)
        #expect(CloudTime.normalize("   ") == nil)
        #expect(CloudTime.normalize(nil) == nil)
    }

    @Test func formatsAndParsesRoundTrip() {
        for millis: Int64 in [0, 951_782_400_000, 1_774_577_643_552, 4_102_444_799_999] {
            #expect(CloudTime.parseMillis(CloudTime.format(millis: millis)) == millis)
        }
        #expect(CloudTime.format(millis: 0) == "1970-01-01T00:00:00.000Z")
        #expect(CloudTime.sdkDate(millis: 1_136_214_245_000) == "20060102T150405Z")
    }
}

@Suite struct DurationTextTests {
    @Test func parsesTheContractUnits() {
        #expect(DurationText.parseMillis("500ms") == 500)
        #expect(DurationText.parseMillis("5s") == 5000)
        #expect(DurationText.parseMillis("10m") == 600_000)
        #expect(DurationText.parseMillis("72h") == 259_200_000)
        #expect(DurationText.parseMillis("3d") == 259_200_000)
        #expect(DurationText.parseMillis("1h30m") == 5_400_000)
        #expect(DurationText.parseMillis("1.5s") == 1500)
    }

    @Test func rejectsMalformedDurations() {
        for text in ["", "5", "s", "5x", "-5s", "5 s s", "ms5"] {
            #expect(DurationText.parseMillis(text) == nil, "\(text)")
        }
    }

    @Test func formatsReadably() {
        #expect(DurationText.format(millis: 60_000) == "1m")
        #expect(DurationText.format(millis: 1500) == "1500ms")
        #expect(DurationText.human(millis: 188_000) == "3m08s")
        #expect(DurationText.human(millis: 86_400_000 + 3_600_000 * 3) == "1d03h")
    }
}
