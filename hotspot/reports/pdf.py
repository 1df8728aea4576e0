"""PDF documents for the council and funders: a Django template rendered to HTML, printed by WeasyPrint.

Static files (fonts, images, CSS) are read from disk through the staticfiles finders, never over the
network. Charts in PDFs are drawn as inline SVG by the template (no JavaScript runs when printing).
"""

import mimetypes
from urllib.parse import urlparse

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.text import slugify

from hotspot.downloads import attachment_header


def _fetch_local(url: str) -> dict:
    path = urlparse(url).path
    if path.startswith(settings.STATIC_URL):
        found = finders.find(path[len(settings.STATIC_URL) :])
        if found:
            with open(found, "rb") as fh:
                return {"string": fh.read(), "mime_type": mimetypes.guess_type(found)[0]}
    raise ValueError(f"PDF rendering only reads local static files; refused {url!r}")


def render_pdf_bytes(template: str, context: dict, *, request=None) -> bytes:
    """Render ``template`` with ``context`` and print it to PDF bytes."""
    from weasyprint import HTML  # imported here: it needs Pango, which only PDF work requires

    html = render_to_string(template, context, request=request)
    # Tagged PDF (a structure tree of headings, paragraphs, tables and lists, MarkInfo /Marked true)
    # so that screen readers can read the public documents; no PDF/UA claim (pdf_variant="pdf/ua-1"),
    # which the charts' SVG figures and the table markup have not been checked against.
    return HTML(string=html, base_url="http://localhost/", url_fetcher=_fetch_local).write_pdf(
        pdf_tags=True
    )


def pdf_response(
    template: str,
    context: dict,
    *,
    request,
    obj,
    filename: str = "report",
    municipality=None,
    purpose: str = "",
    fields=(),
) -> HttpResponse:
    """A PDF download about ``obj``, audited here like ``exports.export_response`` (action
    ``export``, count 1, ``fields`` naming which document, before the answer): every PDF of the
    platform goes through this one function, and no view records its own export row."""
    from hotspot.audit.actions import record_export
    from hotspot.audit.models import Purpose

    record_export(
        request,
        count=1,
        obj=obj,
        municipality=municipality,
        purpose=purpose or Purpose.ANALYSIS,
        fields=fields,
    )
    response = HttpResponse(
        render_pdf_bytes(template, context, request=request), content_type="application/pdf"
    )
    name = slugify(filename, allow_unicode=True) or "report"
    response["Content-Disposition"] = attachment_header(f"{name}.pdf")
    return response
