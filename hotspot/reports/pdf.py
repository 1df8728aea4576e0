"""PDF documents for the council and funders: a Django template rendered to HTML, printed by WeasyPrint.

Static files (fonts, images, CSS) are read from disk through the staticfiles finders, never over the
network. Charts in PDFs are drawn as inline SVG by the template (no JavaScript runs when printing).
A request only renders the HTML: the task worker prints it, and the print is kept by the HTML's digest
(``hotspot.reports.models.PrintedDocument``), so the same document is printed once.
"""

import hashlib
import mimetypes
from urllib.parse import urlparse

from django.conf import settings
from django.contrib.staticfiles import finders
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.text import slugify

from hotspot.computations import Status
from hotspot.downloads import attachment_header


def _fetch_local(url: str) -> dict:
    path = urlparse(url).path
    if path.startswith(settings.STATIC_URL):
        found = finders.find(path[len(settings.STATIC_URL) :])
        if found:
            with open(found, "rb") as fh:
                return {"string": fh.read(), "mime_type": mimetypes.guess_type(found)[0]}
    raise ValueError(f"PDF rendering only reads local static files; refused {url!r}")


def html_to_pdf(html: str) -> bytes:
    """Print HTML to PDF bytes (the task worker's work: seconds for a report)."""
    from weasyprint import HTML  # imported here: it needs Pango, which only PDF work requires

    # Tagged PDF (a structure tree of headings, paragraphs, tables and lists, MarkInfo /Marked true)
    # so that screen readers can read the public documents; no PDF/UA claim (pdf_variant="pdf/ua-1"),
    # which the charts' SVG figures and the table markup have not been checked against.
    return HTML(string=html, base_url="http://localhost/", url_fetcher=_fetch_local).write_pdf(
        pdf_tags=True
    )


def render_pdf_bytes(template: str, context: dict, *, request=None) -> bytes:
    """Render ``template`` with ``context`` and print it to PDF bytes, here and now (tests, scripts)."""
    return html_to_pdf(render_to_string(template, context, request=request))


def printed_document(template: str, html: str, *, municipality=None, user=None):
    """The stored print of ``html``: found by the HTML's SHA-256, or created and handed to the task
    worker (with the immediate backend of the tests it is printed before this returns)."""
    from hotspot.reports.models import PrintedDocument
    from hotspot.reports.tasks import print_document_task

    digest = hashlib.sha256(f"{template}\0{html}".encode()).hexdigest()
    doc = PrintedDocument.objects.filter(inputs_hash=digest).first()
    if doc is not None and doc.status == Status.FAILED:
        doc.delete()  # printing failed before: try again
        doc = None
    if doc is None:
        try:
            with transaction.atomic():
                doc = PrintedDocument.objects.create(
                    inputs_hash=digest,
                    template=template,
                    html=html,
                    municipality=municipality,
                    created_by=user if getattr(user, "is_authenticated", False) else None,
                )
        except IntegrityError:  # another request asked for the same document meanwhile
            return PrintedDocument.objects.get(inputs_hash=digest)
        # the database task backend stores the task in this transaction: it commits with the row
        print_document_task.enqueue(doc.pk)
        doc.refresh_from_db()
    return doc


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
    ``export``, count 1, ``fields`` naming which document, when it is served): every PDF of the
    platform goes through this one function, and no view records its own export row.

    The request renders the HTML only; the task worker prints it (``printed_document``). Until the
    print is ready the reader gets a page that says so and asks again by itself; the same document
    asked for again is served from the store without printing."""
    from hotspot.audit.actions import record_export
    from hotspot.audit.models import Purpose

    html = render_to_string(template, context, request=request)
    doc = printed_document(template, html, municipality=municipality, user=request.user)
    if doc.status != Status.DONE:
        return render(
            request,
            "reports/pdf_wait.html",
            {"document": doc, "failed": doc.status == Status.FAILED},
            status=202 if doc.status != Status.FAILED else 500,
        )
    record_export(
        request,
        count=1,
        obj=obj,
        municipality=municipality,
        purpose=purpose or Purpose.ANALYSIS,
        fields=fields,
    )
    response = HttpResponse(bytes(doc.pdf), content_type="application/pdf")
    name = slugify(filename, allow_unicode=True) or "report"
    response["Content-Disposition"] = attachment_header(f"{name}.pdf")
    return response
