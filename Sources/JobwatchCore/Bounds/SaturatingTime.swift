/// Time arithmetic that cannot trap: milliseconds since 1970 plus a delay, and a `Double` estimate turned
/// into whole milliseconds, both clamped to the representable range instead of overflowing.
package enum SaturatingTime {
    /// `instant + delay`, saturated at `Int64.min`/`Int64.max`.
    package static func adding(_ delay: Int64, to instant: Int64) -> Int64 {
        let (sum, overflow) = instant.addingReportingOverflow(delay)
        guard overflow else { return sum }
        return delay > 0 ? Int64.max : Int64.min
    }

    /// `later - earlier`, saturated.
    package static func difference(_ later: Int64, _ earlier: Int64) -> Int64 {
        let (difference, overflow) = later.subtractingReportingOverflow(earlier)
        guard overflow else { return difference }
        return earlier < 0 ? Int64.max : Int64.min
    }

    /// Whole milliseconds for a `Double`, rounded and clamped to `range`; NaN gives `range.lowerBound`.
    package static func millis(_ value: Double, clampedTo range: ClosedRange<Int64>) -> Int64 {
        guard !value.isNaN else { return range.lowerBound }
        let rounded = value.rounded()
        if rounded <= Double(range.lowerBound) { return range.lowerBound }
        // Double(Int64.max) rounds up to 2^63, which does not fit: compare with >=.
        if rounded >= Double(range.upperBound) { return range.upperBound }
        return Int64(rounded)
    }
}
