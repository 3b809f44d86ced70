/// Where one event's delivery to one sink stands (`jobwatch deliveries --state`).
package enum DeliveryState: String, Sendable, CaseIterable, Codable {
    case pending, delivered, dead
}
