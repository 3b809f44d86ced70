/// The exit codes of CONTRACT §1.
package enum ExitStatus: Int32, Sendable {
    case success = 0
    case jobFailed = 1
    case jobAbnormal = 2
    case noVerdict = 3
    case notFound = 4
    case usage = 64
    case dataError = 65
    case unavailable = 69
    case software = 70
    case ioError = 74
    /// Another daemon already serves this database (EX_TEMPFAIL): try again later.
    case tempFailure = 75
    case configuration = 78
    case timedOut = 124
}

/// A failure that ends the command: one line on stderr, and its exit code.
struct CLIFailure: Error {
    var status: ExitStatus
    var message: String

    init(_ status: ExitStatus, _ message: String) {
        self.status = status
        self.message = message
    }
}
