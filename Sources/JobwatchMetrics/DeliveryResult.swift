/// The `result` label of `jobwatch_deliveries_total` (CONTRACT §6): what one delivery attempt came to.
package enum DeliveryResult: String, CaseIterable, Sendable {
    case delivered
    /// Failed; another attempt follows.
    case failed
    /// Failed for good (the last attempt, or 410 Gone).
    case dead
}
