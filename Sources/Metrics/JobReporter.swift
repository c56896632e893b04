/// Sends a job's outcome where monitoring reads it: a textfile and/or a Pushgateway.
///
/// Reporting never fails the job: a sink that cannot be written is a warning (the export's own
/// result and exit code stand). Each sink carries the cross-run values from its own previous
/// content.
public struct JobReporter: Sendable {
    public var metricsFile: String?
    public var pushgateway: Pushgateway?
    public var warn: @Sendable (String) -> Void

    public init(metricsFile: String?, pushgateway: Pushgateway?, warn: @escaping @Sendable (String) -> Void) {
        self.metricsFile = metricsFile
        self.pushgateway = pushgateway
        self.warn = warn
    }

    public var isEnabled: Bool { metricsFile != nil || pushgateway != nil }

    /// Writes and pushes the report of `outcome`; returns the number of sinks that took it.
    @discardableResult
    public func report(_ outcome: JobOutcome) async -> Int {
        var ok = 0
        if let path = metricsFile {
            let previous = Textfile.read(path).map(ExpositionReader.init)
            do {
                try Textfile.write(path, Exposition.render(JobReport.families(outcome, previous: previous)))
                ok += 1
            } catch {
                warn("warning: could not write --metrics-file \(path) (the \(outcome.job) result stands): \(error)")
            }
        }
        if let gw = pushgateway {
            do {
                let previous = try? await gw.currentMetrics()
                let text = Exposition.render(JobReport.families(outcome, previous: previous.map(ExpositionReader.init), identity: false))
                try await gw.push(text, job: outcome.job, network: outcome.network)
                ok += 1
            } catch {
                warn("warning: could not push metrics to \(gw.baseURL) (the \(outcome.job) result stands): \(firstLine(error))")
            }
        }
        return ok
    }
}

func firstLine(_ e: any Error) -> String {
    "\(e)".split(separator: "\n").first.map(String.init) ?? "\(e)"
}
