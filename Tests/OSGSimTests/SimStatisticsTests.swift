import Testing
@testable import OSGSim

@Suite("Simulator statistics")
struct SimStatisticsTests {
    @Test("nearest-rank percentiles", arguments: [
        ([Int64](1...10), 50, Int64(5)), ([Int64](1...10), 90, 9), ([Int64](1...10), 99, 10), ([Int64](1...10), 100, 10),
        ([7], 50, 7), ([], 50, 0), ([1, 2, 3, 4], 25, 1), ([1, 2, 3, 4], 26, 2),
    ])
    func percentiles(values: [Int64], percent: Int, expected: Int64) {
        #expect(SimStatistics.percentile(values, percent) == expected)
    }

    @Test("Jain's index: 1 for equal shares, 1/n when one user gets everything")
    func jain() {
        #expect(SimStatistics.jainIndex([0.5, 0.5, 0.5, 0.5]) == 1)
        #expect(SimStatistics.jainIndex([1, 0, 0, 0]) == 0.25)
        #expect(abs(SimStatistics.jainIndex([1, 0.5]) - 0.9) < 1e-12)
        #expect(SimStatistics.jainIndex([]) == 1)
    }

    @Test("the class rule: the heaviest users up to 60 % of demand are established; every fifth other is civic")
    func classes() {
        // User 0 asks 50 %, user 1 30 %, users 2...6 4 % each.
        var jobs = [SimJob(submitSeconds: 0, gpus: 50, durationSeconds: 1, user: 0, flexible: false),
                    SimJob(submitSeconds: 0, gpus: 30, durationSeconds: 1, user: 1, flexible: false)]
        for user in 2...6 { jobs.append(SimJob(submitSeconds: 0, gpus: 4, durationSeconds: 1, user: Int32(user), flexible: false)) }
        let classes = WorkloadBuilder.classify(jobs: jobs, users: 7)
        #expect(classes == [.established, .established, .newcomer, .newcomer, .newcomer, .civic, .newcomer])
    }
}
