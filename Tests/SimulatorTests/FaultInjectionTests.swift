import AsyncHTTPClient
import Foundation
import JobwatchCore
import JobwatchTestKit
import Testing

@testable import JobwatchSimulator

@Suite struct FaultInjectionTests {
    /// A simulator with one IMS job carrying `faults`, served over HTTP on loopback.
    private func serve(_ faults: [SimulatedFault], api: JobAPI = .ims) async throws -> (LiveSimulator, String) {
        let simulator = makeSimulator(clock: ManualClock())
        let id = try simulator.add(SimulatedJobSpec(api: api, faults: faults))
        return (
            try await LiveSimulator.start(simulator),
            api == .workspace ? "/v1/p/image-server-jobs/\(id)" : "/v1/cloudimages/job/\(id)"
        )
    }

    @Test func throttlingAnswers429WithRetryAfterForTheNextPolls() async throws {
        let (live, path) = try await serve([SimulatedFault(.throttled, count: 2, retryAfterSeconds: 3)])
        for _ in 0..<2 {
            let reply = try await live.send(path)
            #expect(reply.status == 429)
            #expect(reply.headers.first(name: "Retry-After") == "3")
            #expect(reply.json?["error_code"] as? String == "APIGW.0308")
            #expect(
                reply.json?["error_msg"] as? String
                    == "The throttling threshold has been reached: policy user over ratelimit,limit:200,time:5 minute")
            #expect(reply.json?["request_id"] as? String == reply.headers.first(name: "X-Request-Id"))
        }
        #expect(try await live.send(path).status == 200)
        try await live.close()
    }

    @Test func serverErrorsUseTheServiceErrorShape() async throws {
        let (live, path) = try await serve([SimulatedFault(.serverError), SimulatedFault(.unavailable)])
        let first = try await live.send(path)
        #expect(first.status == 500)
        #expect(first.json?["error"] is [String: Any])
        #expect(try await live.send(path).status == 503)
        #expect(try await live.send(path).status == 200)
        try await live.close()

        let (workspace, workspacePath) = try await serve([SimulatedFault(.unavailable)], api: .workspace)
        let flat = try await workspace.send(workspacePath)
        #expect(flat.status == 503)
        #expect((flat.json?["error_code"] as? String)?.hasPrefix("WKS.") == true)
        try await workspace.close()
    }

    @Test func slowPollsAnswerAfterTheDelay() async throws {
        let (live, path) = try await serve([SimulatedFault(.slow, delayMillis: 300)])
        let clock = ContinuousClock()
        let started = clock.now
        let reply = try await live.send(path)
        #expect(reply.status == 200)
        #expect(clock.now - started >= .milliseconds(300))
        try await live.close()
    }

    @Test func malformedBodies() async throws {
        let (live, path) = try await serve([
            SimulatedFault(.truncatedJSON), SimulatedFault(.htmlPage), SimulatedFault(.htmlPage, status: 502),
        ])
        let truncated = try await live.send(path)
        #expect(truncated.status == 200)
        #expect(truncated.json == nil)
        #expect(String(decoding: truncated.body, as: UTF8.self).hasPrefix("{\"job_id\":"))
        let html = try await live.send(path)
        #expect(html.status == 200)
        #expect(html.headers.first(name: "Content-Type") == "text/html")
        #expect(String(decoding: html.body, as: UTF8.self).hasPrefix("<html>"))
        #expect(try await live.send(path).status == 502)
        #expect(try await live.send(path).json != nil)
        try await live.close()
    }

    @Test func droppedConnectionsFailTheRequest() async throws {
        let (live, path) = try await serve([SimulatedFault(.dropConnection)])
        await #expect(throws: (any Error).self) { _ = try await live.send(path) }
        #expect(try await live.send(path).status == 200)
        let jobID = try #require(path.split(separator: "/").last)
        #expect(live.simulator.pollCount(jobID: String(jobID)) == 2)
        try await live.close()
    }

    @Test func notFoundForTheFirstPollsThenTheJob() async throws {
        let (live, path) = try await serve([SimulatedFault(.notFound, count: 2)])
        for _ in 0..<2 {
            let reply = try await live.send(path)
            #expect(reply.status == 404)
            #expect((reply.json?["error"] as? [String: Any])?["code"] as? String == "IMG.0027")
        }
        #expect(try await live.send(path).status == 200)
        try await live.close()
    }
}
