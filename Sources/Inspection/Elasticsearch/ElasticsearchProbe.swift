extension Probes {
    /// Elasticsearch and OpenSearch REST: HTTP whose first request names a
    /// search-engine API in its path (a segment such as `_search`, `_bulk`,
    /// `_cat`). A cluster reached in clear hands its documents, and any
    /// `Authorization` header, to anyone on the path, so it gets its own
    /// exposure rule; the HTTP reader reads it. A client whose first request
    /// names no API (`GET /`) is reported as plain `http`.
    static let elasticsearch = AnalyzerDescriptor(
        name: "elasticsearch", app: .elasticsearch, portHints: [9200, 9201],
        probeToServer: { bytes, _ in elasticsearchRequest(bytes) },
        probeToClient: nil, transport: .tcp)

    /// API path segments of Elasticsearch (REST API reference) and OpenSearch
    /// (`_plugins`, `_opendistro`).
    static let elasticsearchAPIs: [StaticString] = [
        "_search", "_msearch", "_async_search", "_count", "_bulk", "_doc", "_create", "_update", "_mget",
        "_update_by_query", "_delete_by_query", "_reindex", "_refresh", "_mapping", "_settings", "_aliases",
        "_alias", "_template", "_index_template", "_cat", "_cluster", "_nodes", "_stats", "_tasks", "_field_caps",
        "_security", "_xpack", "_license", "_snapshot", "_ingest", "_sql", "_query", "_plugins", "_opendistro",
    ]

    /// An HTTP request line whose target has a path segment from
    /// `elasticsearchAPIs`; `.needMore` while the target has not ended within
    /// the probe budget. Only the budget's bytes are looked at, so the answer
    /// does not depend on how the request was cut into segments.
    static func elasticsearchRequest(_ bytes: UnsafeRawBufferPointer) -> ProbeResult {
        switch hasAnyPrefix(bytes, httpMethods) {
        case .noMatch: return .noMatch
        case .needMore: return .needMore
        case .match: break
        }
        let n = min(bytes.count, AppIdentifier.maxProbeBytes)
        guard let space = bytes[..<n].firstIndex(of: 0x20) else { return n < AppIdentifier.maxProbeBytes ? .needMore : .noMatch }
        var i = space + 1
        while i < n {
            let b = bytes[i]
            if b == 0x20 || b == 0x3f || b == 0x0d || b == 0x0a { return .noMatch }  // the path ended
            if b == 0x2f && i + 1 < n && bytes[i + 1] == 0x5f {
                var end = i + 1
                while end < n, ![0x2f, 0x3f, 0x20, 0x0d, 0x0a].contains(bytes[end]) { end += 1 }
                guard end < n else { break }  // the segment may go on
                let segment = UnsafeRawBufferPointer(rebasing: bytes[(i + 1)..<end])
                for api in elasticsearchAPIs
                where segment.count == api.utf8CodeUnitCount && hasPrefix(segment, api) == .match { return .match }
                i = end
                continue
            }
            i += 1
        }
        return n < AppIdentifier.maxProbeBytes ? .needMore : .noMatch
    }
}
