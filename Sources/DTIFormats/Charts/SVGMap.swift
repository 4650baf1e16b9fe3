import Foundation

/// Units as dots at their coordinates on a frame fitted to them, coloured by
/// band, written on the server as SVG (no JavaScript, no tiles): hovering a
/// dot (or focusing it) names the unit and its figures; units that did not
/// report are hollow grey dots. The projection is equirectangular with the
/// longitude scaled by the cosine of the middle latitude — faithful enough
/// for one province.
public enum SVGMap {
    public struct Point: Sendable {
        public var name: String
        public var lat: Double
        public var lon: Double
        /// The band it falls in (nil when it did not report).
        public var band: String?
        /// What hovering shows after the name: "chỉ số 0,85; hạng 3".
        public var detail: String

        public init(name: String, lat: Double, lon: Double, band: String?, detail: String) {
            self.name = name; self.lat = lat; self.lon = lon; self.band = band; self.detail = detail
        }
    }

    /// Colours for bands in their order (best first), then grey for none.
    static let palette = ["#1b7f3b", "#5a9e2f", "#d49b00", "#d4622a", "#b3261e", "#6d2077"]
    static let width = 640.0, pad = 24.0, legendRow = 30.0

    /// The map of `points`; `bands` gives the legend's order; `context`
    /// (the province's other units) only draws the province's shape as small
    /// pale dots and widens the frame to the whole province.
    public static func svg(_ points: [Point], bands: [String], title: String, context: [(lat: Double, lon: Double)] = []) -> String {
        guard !points.isEmpty else { return "" }
        let lats = points.map(\.lat) + context.map(\.lat), lons = points.map(\.lon) + context.map(\.lon)
        let (minLat, maxLat, minLon, maxLon) = (lats.min()!, lats.max()!, lons.min()!, lons.max()!)
        let k = cos((minLat + maxLat) / 2 * .pi / 180)
        let spanX = max((maxLon - minLon) * k, 0.01), spanY = max(maxLat - minLat, 0.01)
        let scale = (width - 2 * pad) / spanX
        let mapHeight = spanY * scale + 2 * pad
        let used = bands.filter { b in points.contains { $0.band == b } } + (points.contains { $0.band == nil } ? [""] : [])
        let height = mapHeight + Double(used.count) * legendRow + pad
        func color(_ band: String?) -> String {
            guard let band, let i = bands.firstIndex(of: band) else { return "#9aa0a6" }
            return palette[min(i, palette.count - 1)]
        }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        var out = """
        <svg xmlns="http://www.w3.org/2000/svg" class="map" viewBox="0 0 \(f(width)) \(f(height))" role="img" aria-label="\(XMLScan.escape(title))">\
        <title>\(XMLScan.escape(title))</title>\
        <rect class="frame" x="1" y="1" width="\(f(width - 2))" height="\(f(mapHeight - 2))" fill="#f4f6f8" stroke="#c8ccd0"/>
        """
        for c in context {
            let x = pad + (c.lon - minLon) * k * scale, y = pad + (maxLat - c.lat) * scale
            out += "<circle class=\"place\" cx=\"\(f(x))\" cy=\"\(f(y))\" r=\"2.5\" fill=\"#cfd4d9\"/>"
        }
        // Hollow (not reporting) first, so that coloured dots stay on top.
        for p in points.sorted(by: { ($0.band == nil ? 0 : 1) < ($1.band == nil ? 0 : 1) }) {
            let x = pad + (p.lon - minLon) * k * scale, y = pad + (maxLat - p.lat) * scale
            let label = XMLScan.escape("\(p.name): \(p.detail)")
            if p.band == nil {
                out += "<circle class=\"dot silent\" cx=\"\(f(x))\" cy=\"\(f(y))\" r=\"5\" fill=\"#ffffff\" stroke=\"#9aa0a6\" stroke-width=\"1.5\" tabindex=\"0\"><title>\(label)</title></circle>"
            } else {
                out += "<circle class=\"dot reported\" cx=\"\(f(x))\" cy=\"\(f(y))\" r=\"7\" fill=\"\(color(p.band))\" stroke=\"#ffffff\" stroke-width=\"1\" tabindex=\"0\"><title>\(label)</title></circle>"
            }
        }
        for (i, band) in used.enumerated() {
            let y = mapHeight + pad / 2 + Double(i) * legendRow
            let count = points.filter { $0.band == (band.isEmpty ? nil : band) }.count
            out += "<circle cx=\"\(f(pad + 8))\" cy=\"\(f(y + 8))\" r=\"8\" fill=\"\(band.isEmpty ? "#ffffff" : color(band))\" stroke=\"\(band.isEmpty ? "#9aa0a6" : "#ffffff")\"/>"
            out += "<text x=\"\(f(pad + 24))\" y=\"\(f(y + 15))\" font-size=\"20\">\(XMLScan.escape(band.isEmpty ? "Không báo cáo" : band)) (\(count))</text>"
        }
        return out + "</svg>"
    }
}
