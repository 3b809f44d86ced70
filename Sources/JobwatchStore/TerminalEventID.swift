import Crypto
import Foundation
import JobwatchCore

/// Name-based UUIDs (RFC 9562 version 5) for terminal events: the id follows from the job's identity, its
/// tracking round and the verdict, so a terminal event created again (after a power cut rolled back the
/// transaction that first created it, already delivered) carries the same id, hence the same `webhook-id`,
/// and receivers that deduplicate on it see one event.
package enum TerminalEventID {
    /// jobwatch's own namespace for terminal event ids.
    static let namespace = UUID(uuidString: "2b83281e-8039-42a3-a685-23788ed6f7bc")!

    package static func make(
        account: String, api: JobAPI, projectID: String?, jobID: String, round: Int64, type: EventType
    ) -> String {
        // Fields joined by a newline, which none of them may contain (InputRules), so names never collide.
        let name = [account, api.rawValue, projectID ?? "", jobID, String(round), type.rawValue]
            .joined(separator: "\n")
        return uuidV5(namespace: namespace, name: name)
    }

    /// RFC 9562 §5.5: SHA-1 of the namespace's bytes then the name's, truncated to 16 bytes, version 5.
    package static func uuidV5(namespace: UUID, name: String) -> String {
        let n = namespace.uuid
        let namespaceBytes: [UInt8] = [
            n.0, n.1, n.2, n.3, n.4, n.5, n.6, n.7, n.8, n.9, n.10, n.11, n.12, n.13, n.14, n.15,
        ]
        var bytes = Array(Insecure.SHA1.hash(data: namespaceBytes + Array(name.utf8)).prefix(16))
        bytes[6] = 0x50 | (bytes[6] & 0x0F)
        bytes[8] = 0x80 | (bytes[8] & 0x3F)
        let uuid = UUID(
            uuid: (
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8], bytes[9],
                bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
            ))
        return uuid.uuidString.lowercased()
    }
}
