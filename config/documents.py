"""Documents that leave the console for people who read paper: one plain structure (a title, a
few facts, sections of paragraphs, lists and tables) rendered to PDF (WeasyPrint) and to Word
(python-docx). A use case builds the structure once; both files then say the same thing.

Chinese needs a font that has it: Debian's `fonts-noto-cjk` (Noto Sans/Serif CJK SC) is named
first, with common Windows and macOS fonts after it for a Word file opened elsewhere."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

CJK_FONT = "Noto Sans CJK SC"
FONT_STACK = f'"{CJK_FONT}", "Noto Serif CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif'


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[list[str]]


@dataclass(frozen=True)
class Items:
    """A bulleted list."""

    lines: list[str]


Block = str | Table | Items  # a plain string is a paragraph (line breaks kept)


@dataclass
class Section:
    heading: str
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Document:
    title: str
    language: str  # "zh-hans" or "en": the PDF's `lang` (line breaking and font choice follow it)
    facts: list[tuple[str, str]] = field(default_factory=list)  # shown as a two-column list under the title
    sections: list[Section] = field(default_factory=list)
    footer: str = ""


class DocumentUnavailable(Exception):
    """The PDF engine cannot run here (its system libraries are missing)."""


_CSS = f"""
@page {{ size: A4; margin: 18mm 16mm 20mm; @bottom-center {{ content: counter(page) " / " counter(pages);
  font-size: 8pt; color: #555; }} }}
body {{ font-family: {FONT_STACK}; font-size: 10.5pt; line-height: 1.5; color: #111; }}
h1 {{ font-size: 17pt; margin: 0 0 6pt; }}
h2 {{ font-size: 12.5pt; margin: 14pt 0 4pt; border-bottom: 1px solid #999; padding-bottom: 2pt; }}
dl.facts {{ display: grid; grid-template-columns: max-content 1fr; gap: 2pt 10pt; margin: 0 0 8pt; }}
dl.facts dt {{ color: #444; }} dl.facts dd {{ margin: 0; }}
table {{ width: 100%; border-collapse: collapse; margin: 4pt 0; }}
th, td {{ border: 1px solid #999; padding: 3pt 5pt; text-align: left; vertical-align: top; white-space: pre-wrap; }}
th {{ background: #eee; }}
p {{ margin: 3pt 0; white-space: pre-wrap; }}
footer {{ margin-top: 16pt; font-size: 8.5pt; color: #555; }}
"""


def _block_html(block: Block) -> SafeString:
    if isinstance(block, Table):
        head = format_html_join("", "<th>{}</th>", ((h,) for h in block.header))
        body = format_html_join(
            "",
            "<tr>{}</tr>",
            ((format_html_join("", "<td>{}</td>", ((cell,) for cell in row)),) for row in block.rows),
        )
        return format_html("<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", head, body)
    if isinstance(block, Items):
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((line,) for line in block.lines)))
    return format_html("<p>{}</p>", block)


def to_html(document: Document) -> str:
    facts = format_html_join("", "<dt>{}</dt><dd>{}</dd>", document.facts)
    sections = mark_safe(  # noqa: S308 — every piece was escaped by format_html above
        "".join(
            format_html("<h2>{}</h2>{}", s.heading, mark_safe("".join(_block_html(b) for b in s.blocks)))  # noqa: S308
            for s in document.sections
        )
    )
    return format_html(
        '<!doctype html><html lang="{}"><head><meta charset="utf-8"><title>{}</title><style>{}</style></head>'
        '<body><h1>{}</h1><dl class="facts">{}</dl>{}<footer>{}</footer></body></html>',
        document.language,
        document.title,
        mark_safe(_CSS),  # noqa: S308 — our own constant
        document.title,
        facts,
        sections,
        escape(document.footer),
    )


def to_pdf(document: Document) -> bytes:
    try:
        from weasyprint import HTML  # imported on use: it loads Pango, which only the export needs
    except OSError as exc:  # the Python package is installed; a system library is not
        raise DocumentUnavailable(str(exc)) from exc
    return HTML(string=to_html(document)).write_pdf()


def _east_asian_font(style) -> None:
    """Word picks the font for Chinese characters from `w:eastAsia`, which python-docx does not set."""
    from docx.oxml.ns import qn

    style.font.name = CJK_FONT
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), CJK_FONT)


def to_docx(document: Document) -> bytes:
    import docx  # python-docx

    word = docx.Document()
    for name in ("Normal", "Title", "Heading 1", "Heading 2", "List Bullet", "Table Grid"):
        _east_asian_font(word.styles[name])
    word.core_properties.title = document.title
    word.add_heading(document.title, level=0)
    if document.facts:
        table = word.add_table(rows=0, cols=2)
        table.style = "Table Grid"
        for label, value in document.facts:
            cells = table.add_row().cells
            cells[0].text, cells[1].text = label, value
    for section in document.sections:
        word.add_heading(section.heading, level=1)
        for block in section.blocks:
            if isinstance(block, Table):
                table = word.add_table(rows=1, cols=len(block.header))
                table.style = "Table Grid"
                for cell, text in zip(table.rows[0].cells, block.header, strict=True):
                    cell.text = text
                    for run in cell.paragraphs[0].runs:
                        run.bold = True
                for row in block.rows:
                    for cell, text in zip(table.add_row().cells, row, strict=True):
                        cell.text = text
            elif isinstance(block, Items):
                for line in block.lines:
                    word.add_paragraph(line, style="List Bullet")
            else:
                word.add_paragraph(block)
    if document.footer:
        word.add_paragraph(document.footer).runs[0].italic = True
    out = io.BytesIO()
    word.save(out)
    return out.getvalue()
