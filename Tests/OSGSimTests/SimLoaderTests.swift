import Testing
import OSGDomain
@testable import OSGSim

@Suite("Simulator loaders")
struct SimLoaderTests {
    @Test("the pod list maps creation, GPUs, run time and qos, and skips never-scheduled pods")
    func podListMapping() throws {
        let text = """
            name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time
            p0,12000,16384,2,1000,,LS,Running,10,5010,20
            p1,6000,12288,0,460,,BE,Failed,30,90,40
            p2,6000,12288,1,1000,,BE,Pending,50,,
            p3,1000,1024,0,0,,LS,Running,60,70,60
            """
        let contents = try PodListTrace.parse(text, file: "t.csv")
        #expect(contents.pods.count == 2)
        #expect(contents.skippedUnscheduled == 1)
        #expect(contents.unscheduledGPUPods.isEmpty, "a never-scheduled pod without a deletion time is not replayable")
        #expect(contents.skippedCPUOnly == 1)
        #expect(contents.pods[0] == TracePod(creationSeconds: 10, gpus: 2, gpuMilli: 1000, wholeGPUs: true, runSeconds: 4990,
                                             qos: "LS", phase: "Running", cpuMilli: 12000, line: 2, memoryMiB: 16384, name: "p0"))
        #expect(contents.pods[0].cores == 12 && contents.pods[0].memoryGiB == 16 && contents.pods[1].memoryGiB == 12)
        #expect(contents.pods[1].gpus == 1 && !contents.pods[1].wholeGPUs && contents.pods[1].runSeconds == 50 && contents.pods[1].qos == "BE")
    }

    @Test("the bundled-subset fixture parses")
    func fixtureParses() throws {
        let contents = try PodListTrace.parse(SimTestSupport.text("pods-small.csv"), file: "pods-small.csv")
        #expect(contents.pods.count + contents.skippedUnscheduled + contents.skippedCPUOnly == 200)
        #expect(contents.pods.count > 100)
    }

    @Test("a CRLF copy of every fixture loads exactly like the LF original")
    func crlfFixtures() throws {
        let pods = try SimTestSupport.text("pods-small.csv")
        let crlf = pods.replacingOccurrences(of: "\n", with: "\r\n")
        #expect(crlf.split(separator: "\n").count == 1, "the CRLF copy really is CRLF (one Character per line end)")
        let fromCRLF = try PodListTrace.parse(crlf, file: "crlf.csv"), fromLF = try PodListTrace.parse(pods, file: "crlf.csv")
        #expect(fromCRLF == fromLF && !fromLF.pods.isEmpty)
        let prices = try SimTestSupport.text("prices-vast-small.csv")
        let offersCRLF = try PriceCatalog.parse(prices.replacingOccurrences(of: "\n", with: "\r\n"), file: "vast")
        #expect(try offersCRLF == PriceCatalog.parse(prices, file: "vast") && !offersCRLF.isEmpty)
    }

    @Test("bad rows are reported with file and line", arguments: [
        ("pods-bad-number.csv", 3, "num_gpu"),
        ("pods-missing-column.csv", 1, "scheduled_time"),
        ("pods-deleted-before-scheduled.csv", 4, "deletion_time"),
    ])
    func badRows(file: String, line: Int, mentions: String) throws {
        let text = try SimTestSupport.text(file)
        do {
            _ = try PodListTrace.parse(text, file: file)
            Issue.record("expected an error for \(file)")
        } catch {
            #expect(error.file == file)
            #expect(error.line == line)
            #expect(error.description.hasPrefix("\(file):\(line):"))
            #expect(error.message.contains(mentions))
        }
    }

    @Test("a price catalog gives per-GPU prices of known models, quoted fields and all")
    func priceCatalog() throws {
        let offers = try PriceCatalog.parse(SimTestSupport.text("prices-vast-small.csv"), file: "vast")
        #expect(!offers.isEmpty)
        let text = """
            InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,GpuInfo,Price,SpotPrice,Region
            2x-H100,H100,2,32,64.0,"{'Gpus': [{'Name': 'H100', 'Count': 2}], 'x': 1}",5.00,0.00,"Texas, US, NA"
            1x-RTX3060,RTX3060,1,8,16.0,"{}",0.10,0.00,"X, US, NA"
            """
        let parsed = try PriceCatalog.parse(text, file: "inline")
        #expect(parsed == [GPUOffer(model: GPUModel.named("H100")!, gpus: 2, pricePerGPUHourMicroCredits: 2_500_000)])
        let bad = "AcceleratorName,AcceleratorCount,Price\nH100,two,3.0\n"
        #expect(throws: SimDataError.self) { try PriceCatalog.parse(bad, file: "bad") }
    }

    @Test("Let's Wait Awhile files average their sub-hour steps into hours")
    func letsWaitAwhile() throws {
        let series = try LetsWaitAwhileCSV.parse(SimTestSupport.text("lwa-ger-head.csv"), file: "ger", zone: "DE")
        #expect(series.hourCount == 1)
        #expect(series.start == Timestamp(rfc3339: "2019-12-20T00:00:00Z")!)
        let gap = "Time,Carbon Intensity\n2020-01-01 00:00:00,10\n2020-01-01 02:00:00,20\n"
        do {
            _ = try LetsWaitAwhileCSV.parse(gap, file: "gap.csv", zone: "X")
            Issue.record("expected a gap error")
        } catch {
            #expect(error.line == 3)
        }
        let halves = "Time,Carbon Intensity\n2020-01-01 00:00:00,10\n2020-01-01 00:30:00,20\n2020-01-01 01:00:00,5\n"
        let parsed = try LetsWaitAwhileCSV.parse(halves, file: "h.csv", zone: "X")
        #expect(parsed.milligramsPerKWh == [15_000, 5_000])
    }

    @Test("the Helios summary gives each cluster's GPU-job statistics")
    func helios() throws {
        let clusters = try HeliosSummary.parse(SimTestSupport.text("helios_cluster_summary.csv"), file: "helios")
        #expect(clusters.map(\.name) == ["Venus", "Earth", "Saturn", "Uranus", "total"])
        #expect(clusters[4].gpus == 6220 && clusters[4].gpuJobs == 1_580_464)
        #expect(clusters[4].meanRunSeconds == 6651.681 && clusters[4].medianQueueSeconds == 0 && clusters[4].meanGPUs == 3.716)
        let bad = "id,gpu_num,gpu_job_num,avg_run_time_gpu,med_run_time_gpu,avg_que_time_gpu,med_que_time_gpu,avg_gpu_num,med_gpu_num\nX,1,2,3,4,5,6,seven,8\n"
        do {
            _ = try HeliosSummary.parse(bad, file: "h.csv")
            Issue.record("expected a bad-row error")
        } catch {
            #expect(error.line == 2 && error.message.contains("avg_gpu_num"))
        }
    }
}
