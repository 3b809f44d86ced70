import Foundation

/// Makes a text safe to record and log for a sink: one line, short, and without the sink's secrets or any
/// part of its URL (Slack keeps its token in the path, DingTalk and WeCom theirs in the query).
struct SinkRedaction {
    private let sensitive: [String]

    init(sink: WebhookSinkConfig) {
        let url = sink.url
        let candidates =
            sink.secrets.map(\.value)
            + [url.absoluteString, url.host, url.path, url.query, url.user, url.password].compactMap { $0 }
        // Longest first, so that the whole URL goes before its parts; very short parts such as "/" carry nothing.
        sensitive = Set(candidates.filter { $0.count >= 4 }).sorted { $0.count > $1.count }
    }

    func clean(_ text: String, maxLength: Int = 200) -> String {
        var result = text
        for value in sensitive { result = result.replacingOccurrences(of: value, with: "<redacted>") }
        result = result.split(whereSeparator: { $0.isWhitespace || $0.isNewline }).joined(separator: " ")
        return result.count > maxLength ? String(result.prefix(maxLength)) + "…" : result
    }
}
