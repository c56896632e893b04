internal import CCurl
import Foundation
import SnapshotCore

/// One attempt of one request of the parallel downloader: its curl handle, the response
/// checks (`ResponseStateMachine`) and the bytes received. Lives on the download thread.
final class FetchAttempt: CurlSink {
    unowned let run: FetchRun
    let index: Int
    let request: TransferRequest
    var reservation: Int64
    let easy: CurlEasy
    private(set) var machine: ResponseStateMachine
    private(set) var body: [UInt8] = []
    private(set) var errorBody: [UInt8] = []
    /// Set when the transfer finished: whether it came over HTTP/2.
    var httpVersion = 1
    /// When bytes last arrived (or the transfer started), on the monotonic clock.
    private(set) var lastProgress = monotonicSeconds()

    init(run: FetchRun, index: Int, request: TransferRequest, reservation: Int64, options: TransferOptions) throws {
        var prepared = PreparedRequest(method: "GET", url: request.url)
        if let r = request.range { prepared.headers.append(("Range", "bytes=\(r.lowerBound)-\(r.upperBound - 1)")) }
        try options.signer?(&prepared)
        self.run = run
        self.index = index
        self.request = request
        self.reservation = reservation
        self.easy = try CurlEasy()
        self.machine = ResponseStateMachine(request: request)
        super.init()
        try easy.setup(EasySetup(url: prepared.url, headers: prepared.headers, caFile: options.caFile,
                                 connectTimeout: options.connectTimeout, followRedirects: true), sink: self)
        try easy.set(CURLOPT_BUFFERSIZE, options.bufferSize)
        try easy.set(CURLOPT_LOW_SPEED_LIMIT, 1)
        // A backstop only: the download loop cuts stalls itself, to the second.
        try easy.set(CURLOPT_LOW_SPEED_TIME, options.stallSeconds * 2 + 5)
        try easy.set(CURLOPT_TCP_KEEPALIVE, 1)
        try easy.set(CURLOPT_HTTP_VERSION, options.http2 ? Int(CURL_HTTP_VERSION_2TLS) : Int(CURL_HTTP_VERSION_1_1))
    }

    override func headerLine(_ raw: UnsafeRawBufferPointer) {
        lastProgress = monotonicSeconds()
        machine.headerLine(String(decoding: raw, as: UTF8.self))
    }

    override func body(_ data: UnsafeBufferPointer<UInt8>) -> Bool {
        lastProgress = monotonicSeconds()
        let (start, action) = machine.bodyPiece(count: data.count)
        if let start {
            if let c = start.capacity { body.reserveCapacity(c) }
            if let r = start.reservation { run.adjustReservation(self, to: r) }
        }
        switch action {
        case .append(let r):
            body.append(contentsOf: UnsafeBufferPointer(rebasing: data[r]))
            return true
        case .appendAndStop(let r):
            body.append(contentsOf: UnsafeBufferPointer(rebasing: data[r]))
            return false
        case .collectError:
            errorBody.append(contentsOf: data)
            return true
        case .discard:
            return true
        case .stop:
            return false
        }
    }

    /// Checks the finished transfer; `knownETag` is the ETag its object must still have.
    func complete(code: CURLcode, knownETag: String?, stallSeconds: Int) -> ResponseStateMachine.Completion {
        let transport: ResponseStateMachine.Transport
        if code == CURLE_OK {
            transport = .completed
        } else {
            let kind = CurlFailure.kind(code)
            transport = .failed(kind, CurlFailure.error(code, url: request.url,
                                                        detail: kind == .stalled ? "no data for \(stallSeconds) s" : ""))
        }
        return machine.complete(transport, knownETag: knownETag, errorBody: errorBody)
    }
}
