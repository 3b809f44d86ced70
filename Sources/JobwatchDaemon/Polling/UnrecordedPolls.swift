import JobwatchCore
import Synchronization

/// Jobs whose last poll could not be recorded (an encoding error, a full disk, a read-only or locked
/// database): they back off in memory like a failed request, so that a row the store keeps refusing is
/// not polled again at every tick. The entry goes when a poll of the job is recorded again.
final class UnrecordedPolls: Sendable {
    struct Hold: Sendable {
        var failures: Int
        var untilMillis: Int64
    }

    private let holds = Mutex<[Int64: Hold]>([:])

    /// Records one more failure and returns until when the job waits.
    func failed<R: RandomNumberGenerator>(
        rowID: Int64, nowMillis: Int64, policy: PollPolicy, random: inout R
    ) -> Hold {
        holds.withLock { holds in
            let failures = (holds[rowID]?.failures ?? 0).incrementedSaturating
            let delay = PollSchedule.errorDelay(policy, failures: failures, random: &random)
            let hold = Hold(failures: failures, untilMillis: SaturatingTime.adding(delay, to: nowMillis))
            holds[rowID] = hold
            return hold
        }
    }

    /// The job's poll was recorded: it follows its stored schedule again.
    func recorded(rowID: Int64) {
        _ = holds.withLock { $0.removeValue(forKey: rowID) }
    }

    /// Jobs still waiting at `nowMillis`, and when the first of them may go again.
    func held(nowMillis: Int64) -> (rowIDs: Set<Int64>, earliestRelease: Int64?) {
        holds.withLock { holds in
            let waiting = holds.filter { $0.value.untilMillis > nowMillis }
            return (Set(waiting.keys), waiting.values.map(\.untilMillis).min())
        }
    }
}
