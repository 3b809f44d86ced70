/// A database problem, in words a user can act on. The CLI exits 74 for these.
package struct StoreError: Error, CustomStringConvertible, Sendable {
    package var message: String
    package init(_ message: String) { self.message = message }
    package var description: String { message }
}
