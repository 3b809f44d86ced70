/// An event as the outbox keeps it: its CloudEvent JSON text is fixed at creation, so every retry of every
/// sink sends the same bytes. The store hands this one type to every sink (the stdout printer, the webhook
/// deliverer); `decoded` reads the fields back.
package struct StoredEvent: Sendable, Hashable {
    package var sequence: Int64
    /// The CloudEvent `id`, a UUIDv7, and the `webhook-id` of every attempt.
    package var id: String
    package var type: EventType
    package var jobID: String
    package var createdAtMillis: Int64
    /// The complete CloudEvent JSON text (CONTRACT §3).
    package var body: String

    package init(sequence: Int64, id: String, type: EventType, jobID: String, createdAtMillis: Int64, body: String) {
        self.sequence = sequence
        self.id = id
        self.type = type
        self.jobID = jobID
        self.createdAtMillis = createdAtMillis
        self.body = body
    }

    /// The fields of `body` that the views and the chat messages show; nil when it is not a CloudEvent.
    package var decoded: DecodedEvent? { DecodedEvent(json: body) }
}
