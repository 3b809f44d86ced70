import JobwatchCore
import JobwatchWebhooks
import Testing

@Suite struct ChatMessageTests {
    @Test func successNamesTheImageAndTheDuration() {
        #expect(
            ChatMessage.text(for: sampleEvent())
                == "✅ SUCCESS · ims · imsCreateImageByInstance · 9a175ac79d2a54ad019d2d11f02349b4 · 3m08s · "
                + "image eacac5cb-1153-4b8c-873c-73e036f5a988 (nightly)"
        )
    }

    @Test func failureNamesTheErrorOnOneLine() {
        let event = sampleEvent(
            type: .failed, status: "FAIL", endTime: "2026-03-27T03:14:03.552Z", errorCode: "IMS.0193",
            failReason: "the image\nfile is\tinvalid", imageID: nil, imageName: nil)
        #expect(
            ChatMessage.text(for: event)
                == "❌ FAIL · ims · imsCreateImageByInstance · 9a175ac79d2a54ad019d2d11f02349b4 · 1h00m · "
                + "IMS.0193: the image file is invalid"
        )
    }

    @Test func eachTerminalTypeHasItsVerdict() {
        let verdicts: [(EventType, String)] = [
            (.abnormal, "⚠️ ABNORMAL"), (.expired, "⌛ EXPIRED"), (.notFound, "❓ NOT FOUND"),
            (.registered, "ℹ️ REGISTERED"),
            (.statusChanged, "ℹ️ RUNNING → SUCCESS"),
        ]
        for (type, verdict) in verdicts {
            #expect(ChatMessage.text(for: sampleEvent(type: type)).hasPrefix(verdict + " · ims"))
        }
    }

    @Test func anUnfinishedJobHasNoDuration() {
        let event = sampleEvent(type: .expired, status: "RUNNING", endTime: nil, imageID: nil, imageName: nil)
        #expect(
            ChatMessage.text(for: event)
                == "⌛ EXPIRED · ims · imsCreateImageByInstance · 9a175ac79d2a54ad019d2d11f02349b4 · deadline "
                + "passed while RUNNING"
        )
    }
}
