import DTICore

/// Bar charts as SVG, written on the server: they print in pages, PDF and
/// Word alike and need no JavaScript. Values are exact decimals; a bar's
/// length is computed in integers, so no value (zero, a maximum of zero, a
/// huge figure) can stop the process.
public enum SVGChart {
    public struct Bar: Sendable {
        public var label: String
        public var value: ScaledDecimal
        /// A second mark on the bar (the group average).
        public var secondary: ScaledDecimal?
        public var text: String

        public init(label: String, value: ScaledDecimal, secondary: ScaledDecimal? = nil, text: String) {
            self.label = label
            self.value = value
            self.secondary = secondary
            self.text = text
        }
    }

    static let rowHeight = 26, labelWidth = 300, chartWidth = 420, top = 30

    /// `value` as pixels of a bar `chartWidth` long standing for `max`:
    /// 0 where `max` is not positive, never beyond the chart.
    static func pixels(_ value: ScaledDecimal, of max: ScaledDecimal) -> Int {
        guard max.micros > 0, value.micros > 0 else { return 0 }
        let scaled = ScaledDecimal.ratio(value, max, times: Int64(chartWidth), decimals: 0)
        return Int(Swift.min(scaled.micros / ScaledDecimal.unit, Int64(chartWidth)))
    }

    /// Horizontal bars scaled to `max`; an optional second mark (the group
    /// average) as a thin line on each bar.
    public static func bars(_ bars: [Bar], max: ScaledDecimal, title: String, secondaryLabel: String? = nil) -> String {
        let height = top + bars.count * rowHeight + (secondaryLabel == nil ? 10 : 34)
        let width = labelWidth + chartWidth + 90
        var svg = #"<svg xmlns="http://www.w3.org/2000/svg" role="img" width="\#(width)" height="\#(height)" viewBox="0 0 \#(width) \#(height)" font-family="Liberation Serif, Times New Roman, serif" font-size="13">"#
        svg += "<title>\(XMLScan.escape(title))</title>"
        svg += #"<text x="0" y="18" font-weight="bold">\#(XMLScan.escape(title))</text>"#
        for (i, bar) in bars.enumerated() {
            let y = top + i * rowHeight
            let w = Swift.max(pixels(bar.value, of: max), 1)
            svg += #"<text x="\#(labelWidth - 6)" y="\#(y + 16)" text-anchor="end">\#(XMLScan.escape(bar.label))</text>"#
            svg += ##"<rect x="\##(labelWidth)" y="\##(y + 4)" width="\##(w)" height="16" fill="#8c1c13"/>"##
            if let s = bar.secondary, max.micros > 0 {
                let x = labelWidth + pixels(s, of: max)
                svg += ##"<line x1="\##(x)" y1="\##(y + 1)" x2="\##(x)" y2="\##(y + 23)" stroke="#1f4e79" stroke-width="3"/>"##
            }
            svg += #"<text x="\#(labelWidth + w + 6)" y="\#(y + 16)">\#(XMLScan.escape(bar.text))</text>"#
        }
        if let secondaryLabel {
            let y = top + bars.count * rowHeight + 14
            svg += ##"<line x1="\##(labelWidth)" y1="\##(y - 4)" x2="\##(labelWidth)" y2="\##(y + 10)" stroke="#1f4e79" stroke-width="3"/>"##
            svg += #"<text x="\#(labelWidth + 8)" y="\#(y + 8)">\#(XMLScan.escape(secondaryLabel))</text>"#
        }
        return svg + "</svg>"
    }

    /// A rank's interval among `count` places as a small bar (1st at the left): the track of all
    /// places, the interval from `low` to `high`, and a tick at `rank`. Decorative beside the
    /// interval written as text, so hidden from screen readers.
    public static func rankInterval(rank: Int, low: Int, high: Int, of count: Int, width: Int = 120) -> String {
        func x(_ place: Int) -> Int {
            guard count > 1 else { return 2 }
            return 2 + (Swift.min(Swift.max(place, 1), count) - 1) * (width - 4) / (count - 1)
        }
        let from = x(Swift.min(low, high)), to = x(Swift.max(low, high)), at = x(rank)
        var svg = #"<svg xmlns="http://www.w3.org/2000/svg" aria-hidden="true" focusable="false" width="\#(width)" height="14" viewBox="0 0 \#(width) 14">"#
        svg += ##"<line x1="2" y1="7" x2="\##(width - 2)" y2="7" stroke="#c9ccd1" stroke-width="2"/>"##
        svg += ##"<rect x="\##(from - 2)" y="3" width="\##(to - from + 4)" height="8" rx="3" fill="#1f4e79" fill-opacity="0.45"/>"##
        svg += ##"<line x1="\##(at)" y1="0" x2="\##(at)" y2="14" stroke="#8c1c13" stroke-width="3"/>"##
        return svg + "</svg>"
    }
}
