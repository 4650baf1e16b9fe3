import Foundation

/// A Word document (WordprocessingML in a ZIP archive): paragraphs, tables
/// and page breaks on an A4 page, in the fonts and sizes administrative
/// documents use. Written like `Workbook`, stored entries, same bytes for the
/// same document.
public struct WordDocument: Sendable {
    public enum Alignment: String, Sendable { case left, center, right, both }

    public struct Run: Sendable {
        public var text: String
        public var bold: Bool
        public var italic: Bool
        /// Size in points; nil for the document's.
        public var size: Double?
        public var underline: Bool

        public init(_ text: String, bold: Bool = false, italic: Bool = false, size: Double? = nil, underline: Bool = false) {
            self.text = text
            self.bold = bold
            self.italic = italic
            self.size = size
            self.underline = underline
        }
    }

    public struct Paragraph: Sendable {
        public var runs: [Run]
        public var alignment: Alignment
        /// First-line indent in millimetres.
        public var indent: Double
        public var spaceAfter: Double
        public var pageBreakBefore: Bool

        public init(_ runs: [Run], alignment: Alignment = .both, indent: Double = 0, spaceAfter: Double = 6, pageBreakBefore: Bool = false) {
            self.runs = runs
            self.alignment = alignment
            self.indent = indent
            self.spaceAfter = spaceAfter
            self.pageBreakBefore = pageBreakBefore
        }

        public init(_ text: String, bold: Bool = false, italic: Bool = false, size: Double? = nil, alignment: Alignment = .both,
                    indent: Double = 0, spaceAfter: Double = 6, pageBreakBefore: Bool = false) {
            self.init([Run(text, bold: bold, italic: italic, size: size)], alignment: alignment, indent: indent, spaceAfter: spaceAfter, pageBreakBefore: pageBreakBefore)
        }
    }

    public struct Table: Sendable {
        /// Cells hold paragraphs; widths in millimetres.
        public var rows: [[[Paragraph]]]
        public var widths: [Double]
        public var borders: Bool
        /// Rows repeated at the top of each page and shaded.
        public var headerRows: Int

        public init(rows: [[[Paragraph]]], widths: [Double], borders: Bool = true, headerRows: Int = 1) {
            self.rows = rows
            self.widths = widths
            self.borders = borders
            self.headerRows = headerRows
        }
    }

    public enum Block: Sendable {
        case paragraph(Paragraph)
        case table(Table)
        /// A PNG picture, centred, at the given width (height from its aspect).
        case picture(png: Data, widthMm: Double, description: String)
    }

    /// Width and height of a PNG, from its header.
    static func pngSize(_ png: Data) -> (Int, Int)? {
        let b = [UInt8](png.prefix(24))
        guard b.count == 24, b.starts(with: [0x89, 0x50, 0x4E, 0x47]) else { return nil }
        func u32(_ i: Int) -> Int { Int(b[i]) << 24 | Int(b[i + 1]) << 16 | Int(b[i + 2]) << 8 | Int(b[i + 3]) }
        return (u32(16), u32(20))
    }

    func picture(_ id: Int, widthMm: Double, size: (Int, Int), description: String) -> String {
        let cx = Int(widthMm * 36_000), cy = Int(Double(cx) * Double(size.1) / Double(max(size.0, 1)))
        let name = XMLScan.escape(description)
        return #"<w:p><w:pPr><w:jc w:val="center"/></w:pPr><w:r><w:drawing><wp:inline distT="0" distB="0" distL="0" distR="0"><wp:extent cx="\#(cx)" cy="\#(cy)"/><wp:docPr id="\#(id)" name="Hình \#(id)" descr="\#(name)"/><a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:pic><pic:nvPicPr><pic:cNvPr id="\#(id)" name="chart\#(id).png" descr="\#(name)"/><pic:cNvPicPr/></pic:nvPicPr><pic:blipFill><a:blip r:embed="rIdImg\#(id)"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill><pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="\#(cx)" cy="\#(cy)"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr></pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>"#
    }

    public var blocks: [Block]
    public var font: String
    /// Body size in points (13 or 14 in Nghị định 30).
    public var fontSize: Double
    /// Margins in millimetres: top, bottom, left, right.
    public var margins: (top: Double, bottom: Double, left: Double, right: Double)

    public init(blocks: [Block] = [], font: String = "Times New Roman", fontSize: Double = 14,
                margins: (top: Double, bottom: Double, left: Double, right: Double) = (20, 20, 30, 15)) {
        self.blocks = blocks
        self.font = font
        self.fontSize = fontSize
        self.margins = margins
    }

    static func twips(_ mm: Double) -> Int { Int((mm / 25.4 * 1440).rounded()) }

    func xml(_ p: Paragraph) -> String {
        var out = "<w:p><w:pPr>"
        if p.pageBreakBefore { out += "<w:pageBreakBefore/>" }
        out += #"<w:spacing w:before="0" w:after="\#(Int(p.spaceAfter * 20))" w:line="276" w:lineRule="auto"/>"#
        if p.indent > 0 { out += #"<w:ind w:firstLine="\#(Self.twips(p.indent))"/>"# }
        out += #"<w:jc w:val="\#(p.alignment.rawValue)"/></w:pPr>"#
        for run in p.runs {
            out += "<w:r><w:rPr>"
            if run.bold { out += "<w:b/>" }
            if run.italic { out += "<w:i/>" }
            if run.underline { out += #"<w:u w:val="single"/>"# }
            if let size = run.size { out += #"<w:sz w:val="\#(Int(size * 2))"/><w:szCs w:val="\#(Int(size * 2))"/>"# }
            out += "</w:rPr>"
            let lines = run.text.components(separatedBy: "\n")
            for (i, line) in lines.enumerated() {
                if i > 0 { out += "<w:br/>" }
                out += #"<w:t xml:space="preserve">\#(XMLScan.escape(line))</w:t>"#
            }
            out += "</w:r>"
        }
        return out + "</w:p>"
    }

    func xml(_ t: Table) -> String {
        let border = t.borders ? "single" : "nil"
        var out = "<w:tbl><w:tblPr>"
        out += #"<w:tblW w:w="\#(t.widths.reduce(0) { $0 + Self.twips($1) })" w:type="dxa"/><w:tblLayout w:type="fixed"/>"#
        out += "<w:tblBorders>" + ["top", "left", "bottom", "right", "insideH", "insideV"].map { #"<w:\#($0) w:val="\#(border)" w:sz="4" w:space="0" w:color="000000"/>"# }.joined() + "</w:tblBorders>"
        out += #"<w:tblCellMar><w:left w:w="80" w:type="dxa"/><w:right w:w="80" w:type="dxa"/></w:tblCellMar></w:tblPr><w:tblGrid>"#
        for w in t.widths { out += #"<w:gridCol w:w="\#(Self.twips(w))"/>"# }
        out += "</w:tblGrid>"
        for (r, row) in t.rows.enumerated() {
            out += "<w:tr>"
            if r < t.headerRows { out += "<w:trPr><w:tblHeader/><w:cantSplit/></w:trPr>" } else { out += "<w:trPr><w:cantSplit/></w:trPr>" }
            for (c, cell) in row.enumerated() {
                let width = c < t.widths.count ? t.widths[c] : 20
                out += #"<w:tc><w:tcPr><w:tcW w:w="\#(Self.twips(width))" w:type="dxa"/>"#
                if r < t.headerRows && t.borders { out += #"<w:shd w:val="clear" w:color="auto" w:fill="E7E6E6"/>"# }
                out += "</w:tcPr>"
                out += (cell.isEmpty ? [Paragraph("")] : cell).map(xml).joined()
                out += "</w:tc>"
            }
            out += "</w:tr>"
        }
        return out + "</w:tbl>"
    }

    public func data() -> Data {
        let w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
        let header = #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"# + "\n"
        let namespaces = #"xmlns:w="\#(w)" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture""#
        var body = header + "<w:document \(namespaces)><w:body>"
        var media: [(path: String, data: Data)] = []
        var imageRels = ""
        for block in blocks {
            switch block {
            case .paragraph(let p): body += xml(p)
            case .table(let t): body += xml(t) + xml(Paragraph("", spaceAfter: 0))
            case .picture(let png, let width, let description):
                guard let size = Self.pngSize(png) else { continue }
                let id = media.count + 1
                media.append(("word/media/chart\(id).png", png))
                imageRels += #"<Relationship Id="rIdImg\#(id)" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" Target="media/chart\#(id).png"/>"#
                body += picture(id, widthMm: width, size: size, description: description)
            }
        }
        body += #"<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="\#(Self.twips(margins.top))" w:right="\#(Self.twips(margins.right))" w:bottom="\#(Self.twips(margins.bottom))" w:left="\#(Self.twips(margins.left))" w:header="709" w:footer="709" w:gutter="0"/></w:sectPr>"#
        body += "</w:body></w:document>"
        let size = Int(fontSize * 2)
        let styles = header + #"<w:styles xmlns:w="\#(w)"><w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii="\#(font)" w:hAnsi="\#(font)" w:cs="\#(font)" w:eastAsia="\#(font)"/><w:sz w:val="\#(size)"/><w:szCs w:val="\#(size)"/><w:lang w:val="vi-VN"/></w:rPr></w:rPrDefault><w:pPrDefault><w:pPr><w:spacing w:after="120"/></w:pPr></w:pPrDefault></w:docDefaults><w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style></w:styles>"#
        let types = header + #"<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Default Extension="png" ContentType="image/png"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/></Types>"#
        let rels = header + #"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#
        let docRels = header + #"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>\#(imageRels)</Relationships>"#
        return Zip.archive([
            ("[Content_Types].xml", Data(types.utf8)), ("_rels/.rels", Data(rels.utf8)),
            ("word/document.xml", Data(body.utf8)), ("word/_rels/document.xml.rels", Data(docRels.utf8)), ("word/styles.xml", Data(styles.utf8)),
        ] + media)
    }
}
