import JobwatchCore

/// An event as the outbox stores it: its id (the `webhook-id`, the same on every retry), its type and
/// its complete CloudEvent JSON text (CONTRACT §3), sent unchanged by the `cloudevents` format.
package struct WebhookEvent: Sendable {
    package var id: String
    package var type: EventType
    package var body: String

    package init(id: String, type: EventType, body: String) {
        self.id = id
        self.type = type
        self.body = body
    }
}
